//! exhunt-testgen
