//! The migrations: one list, the same for SQLite and PostgreSQL. Only the
//! key column's type differs (`{id}`: SQLite's INTEGER PRIMARY KEY
//! AUTOINCREMENT, PostgreSQL's BIGSERIAL) and the blob's (`{blob}`). Each
//! is applied once, in a transaction with its record in `exhunt_schema`;
//! on PostgreSQL, processes starting together take an advisory lock and
//! apply them one at a time.

use crate::db::{Db, Dialect};
use crate::FleetError;
use sqlx::Executor;

/// (version, what it does, SQL statements separated by `;`).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "organisations, tokens, servers, reports, indicators, daily counts, rate windows",
        r#"
CREATE TABLE orgs (
  id {id},
  name TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL
);
CREATE TABLE tokens (
  id {id},
  org_id BIGINT REFERENCES orgs(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  label TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL,
  revoked BIGINT
);
CREATE TABLE reports (
  id {id},
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  token_id BIGINT,
  schema TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  received BIGINT NOT NULL,
  size BIGINT NOT NULL,
  body {blob} NOT NULL,
  UNIQUE (org_id, sha256)
);
CREATE INDEX reports_received ON reports (received);
CREATE TABLE servers (
  id {id},
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  last_report_id BIGINT,
  part BIGINT,
  kind TEXT NOT NULL,
  verdict TEXT,
  verdict_rank BIGINT NOT NULL,
  incomplete BIGINT NOT NULL,
  exposure TEXT NOT NULL,
  exposure_rank BIGINT NOT NULL,
  campaigns TEXT NOT NULL,
  open_cves TEXT NOT NULL,
  build TEXT,
  product TEXT,
  findings BIGINT NOT NULL,
  taken BIGINT NOT NULL,
  first_step TEXT,
  reports BIGINT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE INDEX servers_rank ON servers (verdict_rank, exposure_rank, last_seen);
CREATE INDEX servers_last_seen ON servers (last_seen);
CREATE INDEX servers_build ON servers (build);
CREATE TABLE server_reports (
  id {id},
  report_id BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
  server_id BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  part BIGINT,
  received BIGINT NOT NULL,
  kind TEXT NOT NULL,
  verdict TEXT,
  exposure TEXT NOT NULL,
  campaigns TEXT NOT NULL,
  build TEXT,
  findings BIGINT NOT NULL
);
CREATE INDEX server_reports_server ON server_reports (server_id, received);
CREATE INDEX server_reports_report ON server_reports (report_id);
CREATE TABLE indicators (
  id {id},
  report_id BIGINT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
  server_id BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  needle TEXT NOT NULL,
  first_time TEXT,
  last_time TEXT,
  count BIGINT NOT NULL,
  received BIGINT NOT NULL
);
CREATE INDEX indicators_needle ON indicators (needle);
CREATE INDEX indicators_server ON indicators (server_id);
CREATE INDEX indicators_report ON indicators (report_id);
CREATE TABLE daily (
  server_id BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  org_id BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  verdict TEXT,
  exposure TEXT NOT NULL,
  PRIMARY KEY (server_id, day)
);
CREATE INDEX daily_day ON daily (day);
CREATE TABLE rate_windows (
  token_id BIGINT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  window_start BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (token_id, window_start)
)
"#,
    ),
    (
        2,
        "people who sign in to the dashboard, their sessions, failed sign-ins",
        r#"
CREATE TABLE users (
  id {id},
  org_id BIGINT REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  created BIGINT NOT NULL,
  disabled BIGINT
);
CREATE TABLE sessions (
  hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE TABLE login_windows (
  key TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (key, window_start)
)
"#,
    ),
    (
        3,
        "indexes for listing organisations and deep pages at scale",
        r#"
CREATE INDEX tokens_org ON tokens (org_id);
CREATE INDEX users_org ON users (org_id);
CREATE INDEX server_reports_org ON server_reports (org_id, received);
CREATE INDEX servers_priority ON servers (verdict_rank DESC, exposure_rank DESC, last_seen DESC, id)
"#,
    ),
];

fn dialect_sql(sql: &str, d: Dialect) -> String {
    let (id, blob) = match d {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Dialect::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    sql.replace("{id}", id).replace("{blob}", blob)
}

/// Applies the migrations not yet applied.
pub async fn migrate(db: &Db) -> Result<(), FleetError> {
    let _gate = db.write_gate.lock().await;
    let mut tx = db.pool.begin().await?;
    if db.dialect == Dialect::Postgres {
        // Held to the end of the transaction: one process migrates, the
        // others then find the work done.
        tx.execute("SELECT CAST(pg_advisory_xact_lock(8470) AS TEXT)")
            .await?;
    }
    tx.execute(
        "CREATE TABLE IF NOT EXISTS exhunt_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)",
    )
    .await?;
    let done: Vec<(i64,)> = sqlx::query_as("SELECT version FROM exhunt_schema")
        .fetch_all(&mut *tx)
        .await?;
    for (version, name, sql) in MIGRATIONS {
        if done.iter().any(|d| d.0 == *version) {
            continue;
        }
        for stmt in dialect_sql(sql, db.dialect).split(';') {
            if !stmt.trim().is_empty() {
                tx.execute(stmt).await.map_err(|e| {
                    FleetError::Migrate(*version, format!("{e} in: {}", stmt.trim()))
                })?;
            }
        }
        sqlx::query("INSERT INTO exhunt_schema (version, name, applied) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(*name)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
