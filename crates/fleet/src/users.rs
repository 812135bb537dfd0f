//! People who sign in to the dashboard: analysts (every organisation) and
//! an organisation's own people (theirs only, the same scope as its
//! tokens). Passwords are hashed with Argon2id (PHC strings); a session is
//! a random cookie value the database keeps as a SHA-256, with its own
//! CSRF token, so that any server process can check it. Failed sign-ins
//! are counted per name and per address in the database, by quarter hour:
//! past [`LOGIN_LIMIT`] for a name or [`LOGIN_LIMIT_ADDR`] for an address in
//! this quarter hour and the last one, sign-in answers 429.

use crate::admin::{random_hex, token_hash};
use crate::db::Db;
use crate::FleetError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;

/// Failed sign-ins allowed per name in a window.
pub const LOGIN_LIMIT: i64 = 10;
/// Failed sign-ins allowed per address in a window: higher, since people
/// behind one proxy (or one office's NAT) share an address.
pub const LOGIN_LIMIT_ADDR: i64 = 5 * LOGIN_LIMIT;
/// The window for failed sign-ins, in seconds.
pub const LOGIN_WINDOW: i64 = 900;
/// How long a session lasts, in seconds.
pub const SESSION_SECS: i64 = 12 * 3600;

/// A signed-in person, as every page sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub user_id: i64,
    pub name: String,
    /// `None`: an analyst (every organisation).
    pub org_id: Option<i64>,
    pub org: Option<String>,
    pub csrf: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub org: Option<String>,
    pub created: String,
    pub disabled: bool,
}

fn hash_password(password: &str) -> Result<String, FleetError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the system's random source");
    let salt = SaltString::encode_b64(&salt).map_err(|e| FleetError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| FleetError::Internal(e.to_string()))
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Adds a person: of organisation `org`, or an analyst (`None`).
pub async fn user_add(
    db: &Db,
    name: &str,
    org: Option<&str>,
    password: &str,
) -> Result<i64, FleetError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(FleetError::Invalid(
            "a user name is 1 to 200 characters, none of them control characters".into(),
        ));
    }
    if password.chars().count() < 12 {
        return Err(FleetError::Invalid(
            "a password has at least 12 characters".into(),
        ));
    }
    let pw = password.to_string();
    let phc = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| FleetError::Internal(e.to_string()))??;
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    let org_id = match org {
        Some(o) => {
            let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM orgs WHERE name = $1")
                .bind(o.trim())
                .fetch_optional(&mut *tx)
                .await?;
            Some(
                row.ok_or_else(|| {
                    FleetError::NotFound(format!("no organisation named {:?}", o.trim()))
                })?
                .0,
            )
        }
        None => None,
    };
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO users (org_id, name, hash, created) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(name)
    .bind(phc)
    .bind(crate::now())
    .fetch_optional(&mut *tx)
    .await?;
    let (id,) = id.ok_or_else(|| FleetError::Invalid(format!("a user named {name:?} exists")))?;
    tx.commit().await?;
    Ok(id)
}

pub async fn user_list(db: &Db) -> Result<Vec<UserRow>, FleetError> {
    let rows: Vec<(i64, String, Option<String>, i64, Option<i64>)> = sqlx::query_as(
        "SELECT u.id, u.name, o.name, u.created, u.disabled FROM users u LEFT JOIN orgs o ON o.id = u.org_id ORDER BY u.name",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, org, created, disabled)| UserRow {
            id,
            name,
            org,
            created: crate::iso(created),
            disabled: disabled.is_some(),
        })
        .collect())
}

/// Removes a person and their sessions; true when they existed.
pub async fn user_remove(db: &Db, name: &str) -> Result<bool, FleetError> {
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)")
        .bind(name.trim())
        .execute(&mut *tx)
        .await?;
    let r = sqlx::query("DELETE FROM users WHERE name = $1")
        .bind(name.trim())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(r.rows_affected() == 1)
}

/// Counts one failed sign-in against `key`; returns the window's count.
async fn failed(db: &Db, key: &str, window: i64) -> Result<i64, FleetError> {
    let (n,): (i64,) = sqlx::query_as(
        "INSERT INTO login_windows (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key, window_start) DO UPDATE SET count = login_windows.count + 1 RETURNING count",
    )
    .bind(key)
    .bind(window)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

async fn failures(db: &Db, key: &str, window: i64) -> Result<i64, FleetError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT count FROM login_windows WHERE key = $1 AND window_start = $2")
            .bind(key)
            .bind(window)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map_or(0, |r| r.0))
}

/// Signs in: the new session's cookie value, or `None` for a wrong name or
/// password (the same answer for both), or 429 past the limit.
pub async fn login(
    db: &Db,
    name: &str,
    password: &str,
    addr: &str,
    now: i64,
) -> Result<Option<String>, FleetError> {
    let window = now - now.rem_euclid(LOGIN_WINDOW);
    let by_name = format!("user:{}", name.trim().to_lowercase());
    let by_addr = format!("addr:{addr}");
    // This quarter hour's failures and the last one's: a count that does
    // not start again from nothing when a quarter hour turns.
    for (k, limit) in [(&by_name, LOGIN_LIMIT), (&by_addr, LOGIN_LIMIT_ADDR)] {
        let seen = failures(db, k, window).await? + failures(db, k, window - LOGIN_WINDOW).await?;
        if seen >= limit {
            return Err(FleetError::RateLimited(window + LOGIN_WINDOW - now));
        }
    }
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hash FROM users WHERE name = $1 AND disabled IS NULL")
            .bind(name.trim())
            .fetch_optional(&db.pool)
            .await?;
    // An unknown name costs the same hash as a known one: the answer's
    // time does not tell which names exist.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wTsOyOGvRVWB3xbyW+XUOl6ZO8PuT4xY6gsqYWz0gbI";
    let (id, phc) = row.unwrap_or((-1, DUMMY.to_string()));
    let pw = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify(&pw, &phc))
        .await
        .map_err(|e| FleetError::Internal(e.to_string()))?;
    if !ok || id < 0 {
        let _gate = db.gate().await;
        failed(db, &by_name, window).await?;
        failed(db, &by_addr, window).await?;
        return Ok(None);
    }
    let token = random_hex();
    let _gate = db.gate().await;
    sqlx::query(
        "INSERT INTO sessions (hash, user_id, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(random_hex())
    .bind(now)
    .bind(now + SESSION_SECS)
    .execute(&db.pool)
    .await?;
    Ok(Some(token))
}

/// The session a cookie value stands for, if live.
pub async fn session(db: &Db, token: &str, now: i64) -> Result<Option<Session>, FleetError> {
    let row: Option<(i64, String, Option<i64>, Option<String>, String)> = sqlx::query_as(
        "SELECT u.id, u.name, u.org_id, o.name, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN orgs o ON o.id = u.org_id WHERE s.hash = $1 AND s.expires > $2 AND u.disabled IS NULL",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(user_id, name, org_id, org, csrf)| Session {
        user_id,
        name,
        org_id,
        org,
        csrf,
    }))
}

/// Ends a session.
pub async fn logout(db: &Db, token: &str) -> Result<(), FleetError> {
    let _gate = db.gate().await;
    sqlx::query("DELETE FROM sessions WHERE hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("x", "not a hash"));
    }
}
