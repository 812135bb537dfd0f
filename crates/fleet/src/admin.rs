//! Organisations and tokens: made and revoked from the command line
//! (`exhunt serve org add`, `token revoke`), checked on every request.
//!
//! A token is 32 random bytes, shown once as `exh_` and 64 hex digits; the
//! database keeps only its SHA-256 (enough for a secret of 256 random bits:
//! there is no password to guess). An organisation's token uploads and
//! reads that organisation alone; an analyst token reads every
//! organisation and uploads nothing.

use crate::db::Db;
use crate::FleetError;
use exhunt_core::hex;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Who is asking, from their token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: i64,
    /// `None`: an analyst, who sees every organisation.
    pub org_id: Option<i64>,
}

/// 32 random bytes as 64 hex digits: tokens, session cookies, CSRF tokens.
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the system's random source");
    hex(&b)
}

/// A new token, shown once.
pub fn new_token() -> String {
    format!("exh_{}", random_hex())
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

/// The principal a token stands for, or `None` (unknown or revoked).
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Principal>, FleetError> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, org_id FROM tokens WHERE hash = $1 AND revoked IS NULL")
            .bind(token_hash(token))
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(token_id, org_id)| Principal { token_id, org_id }))
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub servers: i64,
    pub tokens: i64,
    /// The time of its latest report, if any.
    pub last_report: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub role: String,
    pub org: Option<String>,
    pub label: String,
    pub created: String,
    pub revoked: Option<String>,
}

/// An organisation's name as stored: trimmed, 1 to 200 characters, no
/// control characters.
fn org_name(name: &str) -> Result<String, FleetError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
        return Err(FleetError::Invalid(
            "an organisation's name is 1 to 200 characters, none of them control characters".into(),
        ));
    }
    Ok(n.to_string())
}

/// Adds an organisation and its first upload token (returned, shown once).
pub async fn org_add(db: &Db, name: &str) -> Result<(i64, String), FleetError> {
    let name = org_name(name)?;
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO orgs (name, created) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&name)
    .bind(crate::now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = id else {
        return Err(FleetError::Invalid(format!(
            "an organisation named {name:?} already exists (`exhunt serve token add --org` gives it another token)"
        )));
    };
    let token = insert_token(&mut tx, Some(id), "upload", &name).await?;
    tx.commit().await?;
    Ok((id, token))
}

async fn insert_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org: Option<i64>,
    role: &str,
    label: &str,
) -> Result<String, FleetError> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO tokens (org_id, role, label, hash, created) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org)
    .bind(role)
    .bind(label)
    .bind(token_hash(&token))
    .bind(crate::now())
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Another token: for organisation `org`, or an analyst's (`org` None).
pub async fn token_add(db: &Db, org: Option<&str>, label: &str) -> Result<String, FleetError> {
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    let (org_id, role) = match org {
        Some(name) => (Some(org_id(&mut tx, name).await?), "upload"),
        None => (None, "analyst"),
    };
    let token = insert_token(&mut tx, org_id, role, label).await?;
    tx.commit().await?;
    Ok(token)
}

async fn org_id(tx: &mut sqlx::Transaction<'_, sqlx::Any>, name: &str) -> Result<i64, FleetError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM orgs WHERE name = $1")
        .bind(name.trim())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| r.0)
        .ok_or_else(|| FleetError::NotFound(format!("no organisation named {:?}", name.trim())))
}

/// Revokes a token by its number (`token list`); true when it was live.
pub async fn token_revoke(db: &Db, id: i64) -> Result<bool, FleetError> {
    let _gate = db.gate().await;
    let r = sqlx::query("UPDATE tokens SET revoked = $1 WHERE id = $2 AND revoked IS NULL")
        .bind(crate::now())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn token_list(db: &Db) -> Result<Vec<TokenRow>, FleetError> {
    let rows: Vec<(i64, String, Option<String>, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT t.id, t.role, o.name, t.label, t.created, t.revoked FROM tokens t LEFT JOIN orgs o ON o.id = t.org_id ORDER BY t.id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, role, org, label, created, revoked)| TokenRow {
            id,
            role,
            org,
            label,
            created: crate::iso(created),
            revoked: revoked.map(crate::iso),
        })
        .collect())
}

/// Every organisation, or only `only`'s.
pub async fn org_list(db: &Db, only: Option<i64>) -> Result<Vec<OrgRow>, FleetError> {
    let rows: Vec<(i64, String, i64, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT o.id, o.name, o.created, \
           (SELECT COUNT(*) FROM servers s WHERE s.org_id = o.id), \
           (SELECT COUNT(*) FROM tokens t WHERE t.org_id = o.id AND t.revoked IS NULL), \
           (SELECT MAX(r.received) FROM reports r WHERE r.org_id = o.id) \
         FROM orgs o WHERE ($1 IS NULL OR o.id = $1) ORDER BY o.name",
    )
    .bind(only)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, created, servers, tokens, last)| OrgRow {
            id,
            name,
            created: crate::iso(created),
            servers,
            tokens,
            last_report: last.map(crate::iso),
        })
        .collect())
}

/// Deletes an organisation and everything of it (tokens, servers, reports,
/// indicators, counts): the foreign keys cascade, in one transaction.
/// Returns how many reports went with it.
pub async fn org_delete(db: &Db, name: &str) -> Result<i64, FleetError> {
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    let id = org_id(&mut tx, name).await?;
    let (reports,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reports WHERE org_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    // Children first: the cascade would do it, but PostgreSQL and SQLite
    // then each walk the keys; explicit deletes use the indexes.
    for table in [
        "indicators",
        "daily",
        "server_reports",
        "servers",
        "reports",
        "rate_windows",
    ] {
        let sql = if table == "rate_windows" {
            "DELETE FROM rate_windows WHERE token_id IN (SELECT id FROM tokens WHERE org_id = $1)"
                .to_string()
        } else {
            format!("DELETE FROM {table} WHERE org_id = $1")
        };
        sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE org_id = $1)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM users WHERE org_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM tokens WHERE org_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM orgs WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if db.dialect == crate::db::Dialect::Sqlite {
        // The old pages are zeroed (secure_delete) in the file; copying the
        // write-ahead log back and truncating it takes them out of the log
        // too. Best effort: a reader holding the log delays it.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&db.pool)
            .await;
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with("exh_") && a.len() == 68);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(token_hash(&format!("{a}\n")), token_hash(&a));
    }

    #[test]
    fn names() {
        assert!(org_name("  Town of Example ").is_ok());
        assert!(org_name("").is_err());
        assert!(org_name("a\u{1b}[2J").is_err());
    }
}
