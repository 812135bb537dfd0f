//! The database: one pool over SQLite (a file, the default) or PostgreSQL,
//! the migrations, and what a database error means for a client.
//!
//! Every query is written once for both: sqlx's Any driver, `$n`
//! placeholders (SQLite reads `$1` as the first argument too), and only
//! BIGINT, TEXT and BLOB/BYTEA columns, which both decode to `i64`,
//! `String` and `Vec<u8>`. All state lives here, none in a process: several
//! `exhunt serve` processes on one PostgreSQL are interchangeable.

use crate::FleetError;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::sync::Once;
use std::time::Duration;

/// Which database is behind the pool: the few places the SQL differs
/// (migrations' column types, locks, integrity checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://FILE`, a plain file path, or `postgres://…`.
    pub url: String,
    /// Most connections in this process's pool.
    pub max_connections: u32,
    /// SQLite only: the most pages the file may grow to (`PRAGMA
    /// max_page_count`), a cap on its size. Past it, writes fail as on a
    /// full disk.
    pub sqlite_max_pages: Option<u64>,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DbOptions {
            url: url.into(),
            max_connections: 8,
            sqlite_max_pages: None,
        }
    }
}

/// The pool and its dialect; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// SQLite has one writer at a time; writers of this process queue here
    /// rather than spin on `SQLITE_BUSY` (other processes still wait on the
    /// busy timeout). PostgreSQL needs no such queue.
    pub(crate) write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// `sqlite://…`, `postgres://…`, or a file path (made a SQLite URL that
/// creates the file).
pub fn normalize_url(url: &str) -> (String, Dialect) {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        (url.to_string(), Dialect::Postgres)
    } else if lower.starts_with("sqlite:") {
        let mut u = url.to_string();
        if !u.contains("mode=") {
            u.push(if u.contains('?') { '&' } else { '?' });
            u.push_str("mode=rwc");
        }
        (u, Dialect::Sqlite)
    } else {
        (format!("sqlite://{url}?mode=rwc"), Dialect::Sqlite)
    }
}

static DRIVERS: Once = Once::new();

impl Db {
    /// Opens the pool and brings the schema up to date (created on first
    /// start; concurrent starts on one PostgreSQL take turns).
    pub async fn open(o: &DbOptions) -> Result<Db, FleetError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (url, dialect) = normalize_url(&o.url);
        let max_pages = o.sqlite_max_pages;
        let mut opts = AnyPoolOptions::new()
            .max_connections(o.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30));
        if dialect == Dialect::Sqlite {
            opts = opts.after_connect(move |conn, _| {
                Box::pin(async move {
                    // WAL: readers never wait for the writer. FULL: a commit
                    // is on disk before the client hears 201. secure_delete:
                    // a deleted organisation's reports are overwritten, not
                    // left in free pages.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA secure_delete = ON").await?;
                    if let Some(n) = max_pages {
                        conn.execute(format!("PRAGMA max_page_count = {n}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            });
        }
        let pool = opts
            .connect(&url)
            .await
            .map_err(|e| FleetError::Open(redact(&url), e.to_string()))?;
        let db = Db {
            pool,
            dialect,
            write_gate: Default::default(),
        };
        crate::schema::migrate(&db).await?;
        Ok(db)
    }

    /// On SQLite, this process's turn to write (held until dropped); on
    /// PostgreSQL, nothing: its writers run side by side.
    pub(crate) async fn gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.dialect {
            Dialect::Sqlite => Some(self.write_gate.lock().await),
            Dialect::Postgres => None,
        }
    }

    /// SQLite's `PRAGMA integrity_check` (`ok` when sound); PostgreSQL has
    /// no such check and answers `ok` when it answers at all.
    pub async fn integrity(&self) -> Result<String, FleetError> {
        match self.dialect {
            Dialect::Sqlite => {
                let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("; "))
            }
            Dialect::Postgres => {
                let (n,): (i64,) = sqlx::query_as("SELECT CAST(1 AS BIGINT)")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(if n == 1 { "ok".into() } else { "no".into() })
            }
        }
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            let user = cred.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Whether a database error means "no room": SQLite's SQLITE_FULL (13),
/// PostgreSQL's disk_full (53100) and its other insufficient-resources
/// codes (53xxx).
pub fn is_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            code == "13"
                || code.starts_with("53")
                || d.message().contains("database or disk is full")
        }
        _ => false,
    }
}

/// A row's column by index, for the few places that read rows by hand.
pub(crate) fn col<'r, T>(row: &'r AnyRow, i: usize) -> Result<T, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalize_url("fleet.db"),
            ("sqlite://fleet.db?mode=rwc".to_string(), Dialect::Sqlite)
        );
        assert_eq!(normalize_url("sqlite:///x/y.db").1, Dialect::Sqlite);
        assert!(normalize_url("sqlite:///x/y.db").0.ends_with("?mode=rwc"));
        assert_eq!(normalize_url("postgres://u@h/db").1, Dialect::Postgres);
        assert_eq!(
            redact("postgres://exhunt:s3cret@db.example:5432/fleet"),
            "postgres://exhunt:***@db.example:5432/fleet"
        );
        assert_eq!(redact("sqlite://fleet.db"), "sqlite://fleet.db");
    }
}
