//! exhunt-report
