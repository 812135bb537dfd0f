//! The HTTP API (axum): ingest at `POST /api/v1/reports`, the read API
//! beside it. Every handler authenticates first and passes the token's
//! organisation scope to the query; errors are JSON `{"error": "…"}` with
//! the status a client can act on (400 fix the report, 401 the token, 403
//! not this token's to do, 404 not there or not yours, 413 too large, 429
//! wait `Retry-After` seconds, 503 the database cannot take it now).

use crate::admin::{authenticate, Principal};
use crate::db::Db;
use crate::ingest::{self, Stored};
use crate::read::{self, ServerFilter};
use crate::FleetError;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// How the server behaves: limits, retention. Immutable once serving.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Largest upload, compressed or not (413 above).
    pub max_upload: usize,
    /// Uploads per minute per token (0: no limit).
    pub rate_per_minute: i64,
    /// Keep reports this many days (each server's latest always stays).
    pub retain_days: Option<i64>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_upload: 64 << 20,
            rate_per_minute: 60,
            retain_days: None,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub config: ServeConfig,
    /// Uploads read and checked at once: each may hold `max_upload` bytes
    /// and its parsed form, so their number bounds the memory.
    uploads: tokio::sync::Semaphore,
}

impl AppState {
    pub fn new(db: Db, config: ServeConfig) -> Arc<AppState> {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get()) * 4;
        Arc::new(AppState {
            db,
            config,
            uploads: tokio::sync::Semaphore::new(n),
        })
    }
}

type App = Arc<AppState>;

/// The API's routes.
pub fn router(state: App) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/reports", post(upload))
        .route("/api/v1/reports/{id}", get(report_doc))
        .route("/api/v1/servers", get(server_list))
        .route("/api/v1/servers.csv", get(server_csv))
        .route("/api/v1/servers/{id}", get(server_one))
        .route("/api/v1/servers/{id}/report", get(server_report))
        .route("/api/v1/counts", get(counts))
        .route("/api/v1/counts/daily", get(counts_daily))
        .route("/api/v1/indicators", get(indicators))
        .route("/api/v1/orgs", get(orgs))
        .route("/api/v1/stix", get(stix))
        .route("/api/{*rest}", get(no_endpoint).post(no_endpoint))
        .with_state(state)
}

async fn no_endpoint() -> FleetError {
    FleetError::NotFound("no such endpoint".into())
}

impl IntoResponse for FleetError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut r = (status, Json(json!({"error": self.to_string()}))).into_response();
        if let FleetError::RateLimited(secs) = self {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        r
    }
}

/// The bearer token's principal, or 401.
async fn principal(db: &Db, headers: &HeaderMap) -> Result<Principal, FleetError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or(FleetError::Unauthorized(
            "no bearer token (Authorization: Bearer exh_…)",
        ))?;
    authenticate(db, token)
        .await?
        .ok_or(FleetError::Unauthorized("unknown or revoked token"))
}

async fn health(State(app): State<App>) -> Json<serde_json::Value> {
    // Cheap: a load balancer asks often (`exhunt serve check` runs the
    // full integrity check).
    let ok = sqlx::query("SELECT 1").execute(&app.db.pool).await.is_ok();
    Json(json!({"ok": ok, "database": app.db.dialect.name(), "version": env!("CARGO_PKG_VERSION")}))
}

/// Counts this upload against the token's minute; 429 past the limit.
/// The window lives in the database, so the limit holds across processes.
async fn rate_limit(app: &AppState, token: i64, now: i64) -> Result<(), FleetError> {
    let limit = app.config.rate_per_minute;
    if limit <= 0 {
        return Ok(());
    }
    let window = now - now.rem_euclid(60);
    let _gate = app.db.gate().await;
    let (count,): (i64,) = sqlx::query_as(
        "INSERT INTO rate_windows (token_id, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (token_id, window_start) DO UPDATE SET count = rate_windows.count + 1 RETURNING count",
    )
    .bind(token)
    .bind(window)
    .fetch_one(&app.db.pool)
    .await?;
    if count > limit {
        return Err(FleetError::RateLimited(window + 60 - now));
    }
    Ok(())
}

async fn upload(State(app): State<App>, req: Request) -> Result<Response, FleetError> {
    let now = crate::now();
    let who = principal(&app.db, req.headers()).await?;
    let Some(org) = who.org_id else {
        return Err(FleetError::Forbidden(
            "an analyst token reads; reports are uploaded with their organisation's token",
        ));
    };
    rate_limit(&app, who.token_id, now).await?;
    let _slot = app
        .uploads
        .acquire()
        .await
        .map_err(|e| FleetError::Internal(e.to_string()))?;
    let limit = app.config.max_upload;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(FleetError::TooLarge(limit));
    }
    let gzip = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let body = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| FleetError::TooLarge(limit))?;
    // Decompressing and checking a 64 MB report takes a while: off the
    // async workers.
    let checked = tokio::task::spawn_blocking(move || {
        let json = ingest::decode_body(&body, gzip, limit)?;
        ingest::check(json)
    })
    .await
    .map_err(|e| FleetError::Internal(e.to_string()))??;
    let sha = checked.sha256.clone();
    match ingest::store(&app.db, org, who.token_id, checked, now).await? {
        Stored::New(id, servers) => Ok((
            StatusCode::CREATED,
            Json(json!({
                "status": "stored",
                "id": id,
                "sha256": sha,
                "servers": servers.iter().map(|(id, name)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
            })),
        )
            .into_response()),
        Stored::Duplicate(id) => Ok((
            StatusCode::OK,
            Json(json!({"status": "duplicate", "id": id, "sha256": sha})),
        )
            .into_response()),
    }
}

async fn report_doc(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let (_, body) = read::document(&app.db, who.org_id, id)
        .await?
        .ok_or_else(|| FleetError::NotFound(format!("no report {id}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn server_list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(f): Query<ServerFilter>,
) -> Result<Json<serde_json::Value>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let total = read::count_servers(&app.db, who.org_id, &f).await?;
    let rows = read::servers(&app.db, who.org_id, &f, true).await?;
    Ok(Json(json!({
        "total": total,
        "offset": f.offset.unwrap_or(0).max(0),
        "servers": rows,
    })))
}

/// The server list as CSV (the whole filter, no page), every cell made
/// safe for a spreadsheet.
async fn server_csv(
    State(app): State<App>,
    headers: HeaderMap,
    Query(f): Query<ServerFilter>,
) -> Result<Response, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let rows = read::servers(&app.db, who.org_id, &f, false).await?;
    let body = crate::csv_out::servers_csv(&rows)?;
    Ok(crate::csv_out::attachment("exhunt-servers.csv", body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HistoryQuery {
    limit: Option<i64>,
}

async fn server_one(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(h): Query<HistoryQuery>,
) -> Result<Json<serde_json::Value>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let s = read::server(&app.db, who.org_id, id)
        .await?
        .ok_or_else(|| FleetError::NotFound(format!("no server {id}")))?;
    let history = read::history(&app.db, s.id, h.limit.unwrap_or(200)).await?;
    let shared = read::shared(&app.db, who.org_id, &s).await?;
    Ok(Json(
        json!({"server": s, "history": history, "indicators": shared}),
    ))
}

async fn server_report(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let s = read::server(&app.db, who.org_id, id)
        .await?
        .ok_or_else(|| FleetError::NotFound(format!("no server {id}")))?;
    let r = read::latest_report(&app.db, who.org_id, &s)
        .await?
        .ok_or_else(|| FleetError::NotFound(format!("server {id} has no scan report")))?;
    Ok(Json(r))
}

async fn counts(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Json<read::Counts>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    Ok(Json(read::counts(&app.db, who.org_id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DaysQuery {
    days: Option<i64>,
}

async fn counts_daily(
    State(app): State<App>,
    headers: HeaderMap,
    Query(d): Query<DaysQuery>,
) -> Result<Json<serde_json::Value>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let days = read::daily(&app.db, who.org_id, d.days.unwrap_or(30), crate::now()).await?;
    Ok(Json(json!({"days": days})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PivotQuery {
    value: Option<String>,
    limit: Option<i64>,
    format: Option<String>,
}

async fn indicators(
    State(app): State<App>,
    headers: HeaderMap,
    Query(p): Query<PivotQuery>,
) -> Result<Response, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let value = p
        .value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            FleetError::Invalid(
                "value=… names the IP, SHA-256, web-shell path or user agent".into(),
            )
        })?;
    let seen = read::pivot(&app.db, who.org_id, value, p.limit.unwrap_or(1000)).await?;
    if p.format.as_deref() == Some("csv") {
        let body = crate::csv_out::sightings_csv(&seen)?;
        return Ok(crate::csv_out::attachment("exhunt-indicator.csv", body));
    }
    let (servers, orgs, sightings) = read::pivot_counts(&app.db, who.org_id, value).await?;
    Ok(Json(json!({
        "value": value,
        "servers": servers,
        "orgs": orgs,
        "total": sightings,
        "truncated": (seen.len() as i64) < sightings,
        "sightings": seen,
    }))
    .into_response())
}

async fn orgs(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, FleetError> {
    let who = principal(&app.db, &headers).await?;
    Ok(Json(
        json!({"orgs": crate::admin::org_list(&app.db, who.org_id).await?}),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StixQuery {
    tlp: Option<String>,
}

/// A STIX 2.1 bundle of the indicators the fleet's servers (in scope)
/// saw, written by the same writer as `exhunt scan --format stix`: each
/// server an identity with its sightings.
async fn stix(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<StixQuery>,
) -> Result<Response, FleetError> {
    let who = principal(&app.db, &headers).await?;
    let tlp = match q.tlp.as_deref().unwrap_or("amber") {
        "clear" => exhunt_report::Tlp::Clear,
        "green" => exhunt_report::Tlp::Green,
        "amber" => exhunt_report::Tlp::Amber,
        "amber+strict" => exhunt_report::Tlp::AmberStrict,
        "red" => exhunt_report::Tlp::Red,
        other => {
            return Err(FleetError::Invalid(format!(
                "tlp is clear, green, amber, amber+strict or red; not {:?}",
                other.chars().take(20).collect::<String>()
            )))
        }
    };
    let reports = read::latest_bad_reports(&app.db, who.org_id, read::MAX_PAGE).await?;
    let body = tokio::task::spawn_blocking(move || crate::stix_out::bundle(reports, tlp))
        .await
        .map_err(|e| FleetError::Internal(e.to_string()))??;
    Ok((
        [(header::CONTENT_TYPE, "application/stix+json;version=2.1")],
        Body::from(body),
    )
        .into_response())
}
