//! exhunt-judge
