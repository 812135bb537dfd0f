//! Retention: reports hold other organisations' log lines (addresses, user
//! names), so they are kept only as long as asked (`--retain DAYS`). Each
//! server's latest report always stays, so that its state is never lost;
//! its history rows and indicators go with their report.

use crate::db::Db;
use crate::FleetError;

/// Deletes reports received more than `days` days before `now`, except any
/// server's latest; returns how many went. Idempotent: several processes
/// may run it.
pub async fn prune(db: &Db, days: i64, now: i64) -> Result<u64, FleetError> {
    let cutoff = now - days.max(0) * 86_400;
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    let keep = "SELECT last_report_id FROM servers WHERE last_report_id IS NOT NULL";
    for child in ["indicators", "server_reports"] {
        sqlx::query(&format!(
            "DELETE FROM {child} WHERE report_id IN (SELECT id FROM reports WHERE received < $1 AND id NOT IN ({keep}))"
        ))
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    }
    let r = sqlx::query(&format!(
        "DELETE FROM reports WHERE received < $1 AND id NOT IN ({keep})"
    ))
    .bind(cutoff)
    .execute(&mut *tx)
    .await?;
    // Rate windows are minutes and sign-in windows quarter hours: an
    // hour's are enough. Expired sessions go too.
    for sql in [
        "DELETE FROM rate_windows WHERE window_start < $1",
        "DELETE FROM login_windows WHERE window_start < $1",
    ] {
        sqlx::query(sql).bind(now - 3600).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM sessions WHERE expires < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}
