//! The fleet: `exhunt serve` gathers the reports of many Exchange servers
//! (`exhunt scan --upload`, `exhunt probe --upload`, `exhunt upload`) per
//! organisation, and answers who is compromised, exploited or exposed, and
//! where an indicator also appeared.
//!
//! The layout follows the data: [`client`] sends (and spools what it could
//! not send), [`api`] authenticates and routes, [`ingest`] checks a
//! document against its contract and stores it all or nothing, [`read`]
//! answers the read API, [`admin`] makes organisations and tokens,
//! [`retain`] prunes, [`serve`] listens (plain HTTP or rustls). All state
//! is in the database ([`db`]: SQLite by default, PostgreSQL at scale), so
//! any number of processes can serve one PostgreSQL.

#![forbid(unsafe_code)]
// Rows are read as tuples, each beside the SELECT that names its columns
// (no derive macros: one less proc-macro build).
#![allow(clippy::type_complexity)]

pub mod admin;
pub mod api;
pub mod client;
pub mod csv_out;
pub mod db;
pub mod ingest;
pub mod read;
pub mod retain;
mod schema;
pub mod serve;
pub mod stix_out;
pub mod users;

pub use api::{router, AppState, ServeConfig};
pub use db::{Db, DbOptions, Dialect};

use axum::http::StatusCode;

/// What can go wrong, each with the HTTP status it becomes.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("cannot open the database {0}: {1}")]
    Open(String, String),
    #[error("migration {0} failed: {1}")]
    Migrate(i64, String),
    #[error("the database cannot take this now: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("the upload is larger than this server takes ({0} bytes, after decompression too)")]
    TooLarge(usize),
    #[error("too many uploads from this token: try again in {0} s")]
    RateLimited(i64),
    #[error("a stored report cannot be read: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Io(String),
}

impl FleetError {
    pub fn status(&self) -> StatusCode {
        match self {
            FleetError::Invalid(_) => StatusCode::BAD_REQUEST,
            FleetError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            FleetError::Forbidden(_) => StatusCode::FORBIDDEN,
            FleetError::NotFound(_) => StatusCode::NOT_FOUND,
            FleetError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            FleetError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            // A full disk, a lost connection, a busy database: nothing
            // was stored, and the client may send again later.
            FleetError::Db(_) | FleetError::Open(..) | FleetError::Migrate(..) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            FleetError::Corrupt(_) | FleetError::Internal(_) | FleetError::Io(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso(secs: i64) -> String {
    exhunt_core::time::seconds_to_iso(secs)
}
