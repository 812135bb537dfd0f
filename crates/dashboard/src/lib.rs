//! The fleet dashboard: the pages a CERT analyst (or an organisation's own
//! people) reads every morning, served by `exhunt serve` beside the API.
//! Overview (counts with the change since the day before, a chart over
//! time, whom to call first), the server list (filters, sort, pages, CSV),
//! a server's page (its latest report as the HTML report shows it, its
//! history, the indicators it shares), indicator search (CSV, STIX) and
//! the servers that stopped reporting.
//!
//! Everything in a report is attacker-influenced text: maud escapes every
//! value, links are ours with percent-encoded values, every response
//! carries a strict Content-Security-Policy (no script at all), and every
//! form that changes state carries a CSRF token checked on post. Sessions
//! and the organisation scope come from `exhunt_fleet::users`: an
//! organisation's people see only their organisation, as its tokens do.

#![forbid(unsafe_code)]
#![allow(clippy::type_complexity)]

mod pages;
mod style;

use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use exhunt_fleet::admin::random_hex;
use exhunt_fleet::users::{self, Session};
use exhunt_fleet::{AppState, FleetError};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;

/// How the dashboard behaves.
#[derive(Debug, Clone)]
pub struct DashConfig {
    /// Session cookies marked `Secure` (the server speaks TLS, or a TLS
    /// proxy is in front).
    pub secure_cookies: bool,
    /// A server whose last report is older than this many days is "not
    /// reporting" (the page's default; `?days=` changes it).
    pub stale_days: i64,
}

impl Default for DashConfig {
    fn default() -> Self {
        DashConfig {
            secure_cookies: false,
            stale_days: 7,
        }
    }
}

pub(crate) struct Dash {
    pub app: Arc<AppState>,
    pub cfg: DashConfig,
}

type D = Arc<Dash>;

/// The page's Content-Security-Policy: nothing runs, nothing is fetched
/// from elsewhere; the report frame is ours.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The dashboard's routes (to merge with the API's).
pub fn router(app: Arc<AppState>, cfg: DashConfig) -> Router {
    let d = Arc::new(Dash { app, cfg });
    Router::new()
        .route("/", get(overview))
        .route("/login", get(login_page).post(login_post))
        .route("/logout", post(logout))
        .route("/servers", get(servers))
        .route("/servers.csv", get(servers_csv))
        .route("/servers/{id}", get(server))
        .route("/servers/{id}/report.html", get(server_report))
        .route("/indicators", get(indicators))
        .route("/indicators.csv", get(indicators_csv))
        .route("/indicators.stix", get(indicators_stix))
        .route("/not-reporting", get(not_reporting))
        .route("/static/app.css", get(css))
        .fallback(|| async { not_found() })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(d)
}

/// Every response: the CSP (unless the handler set its own), no sniffing,
/// no referrer, not framed, not cached.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

const SESSION: &str = "exhunt_session";
const LOGIN_CSRF: &str = "exhunt_login";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(d: &Dash, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if d.cfg.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie from hex and fixed text")
}

/// A page's failure as the page shows it.
pub(crate) struct PageError(StatusCode, String);

impl From<FleetError> for PageError {
    fn from(e: FleetError) -> Self {
        PageError(e.status(), e.to_string())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.0, pages::error_page(self.0, &self.1)).into_response()
    }
}

fn not_found() -> Response {
    PageError(
        StatusCode::NOT_FOUND,
        "There is no such page, or it is not yours to see.".into(),
    )
    .into_response()
}

/// The signed-in session, or a redirect to the sign-in page.
async fn session(d: &Dash, headers: &HeaderMap) -> Result<Session, Response> {
    let token = cookie(headers, SESSION).unwrap_or_default();
    if !token.is_empty() {
        match users::session(&d.app.db, &token, exhunt_fleet::now()).await {
            Ok(Some(s)) => return Ok(s),
            Ok(None) => {}
            Err(e) => return Err(PageError::from(e).into_response()),
        }
    }
    Err(Redirect::to("/login").into_response())
}

macro_rules! signed_in {
    ($d:expr, $h:expr) => {
        match session(&$d, &$h).await {
            Ok(s) => s,
            Err(r) => return Ok(r),
        }
    };
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        style::CSS,
    )
        .into_response()
}

async fn login_page(State(d): State<D>) -> Response {
    let csrf = random_hex();
    let mut r = pages::login(&csrf, None).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&d, LOGIN_CSRF, &csrf, "/login", 3600),
    );
    r
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login_post(
    State(d): State<D>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // The sign-in form's token is the cookie's twin (the form comes from
    // this site, not from a page that posts here).
    let expected = cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || f.csrf != expected {
        return PageError(
            StatusCode::FORBIDDEN,
            "The form's security token is missing or wrong: reload the sign-in page.".into(),
        )
        .into_response();
    }
    let again = |msg: &str, status: StatusCode| {
        let csrf = random_hex();
        let mut r = (status, pages::login(&csrf, Some(msg))).into_response();
        r.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&d, LOGIN_CSRF, &csrf, "/login", 3600),
        );
        r
    };
    match users::login(
        &d.app.db,
        &f.name,
        &f.password,
        &peer.ip().to_string(),
        exhunt_fleet::now(),
    )
    .await
    {
        Ok(Some(token)) => {
            let mut r = Redirect::to("/").into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&d, SESSION, &token, "/", users::SESSION_SECS),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&d, LOGIN_CSRF, "", "/login", 0),
            );
            r
        }
        Ok(None) => again("Wrong name or password.", StatusCode::UNAUTHORIZED),
        Err(FleetError::RateLimited(secs)) => {
            let mut r = again(
                &format!(
                    "Too many failed sign-ins: try again in {} minutes.",
                    (secs + 59) / 60
                ),
                StatusCode::TOO_MANY_REQUESTS,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            r
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(d): State<D>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    if f.csrf != s.csrf {
        return Err(PageError(
            StatusCode::FORBIDDEN,
            "The form's security token is missing or wrong.".into(),
        ));
    }
    if let Some(t) = cookie(&headers, SESSION) {
        users::logout(&d.app.db, &t).await?;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&d, SESSION, "", "/", 0));
    Ok(r)
}

async fn overview(State(d): State<D>, headers: HeaderMap) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let db = &d.app.db;
    let now = exhunt_fleet::now();
    let counts = exhunt_fleet::read::counts(db, s.org_id).await?;
    let before = exhunt_fleet::read::counts_at(db, s.org_id, now - 86_400).await?;
    let days = exhunt_fleet::read::daily(db, s.org_id, 30, now).await?;
    let first = exhunt_fleet::read::ServerFilter {
        verdict: Some("compromised,exploited".into()),
        limit: Some(25),
        ..Default::default()
    };
    let mut call = exhunt_fleet::read::servers(db, s.org_id, &first, true).await?;
    if call.len() < 25 {
        let exposed = exhunt_fleet::read::ServerFilter {
            verdict: Some("attempted,inconclusive,clean,none".into()),
            exposure: Some("exposed".into()),
            limit: Some(25 - call.len() as i64),
            ..Default::default()
        };
        call.extend(exhunt_fleet::read::servers(db, s.org_id, &exposed, true).await?);
    }
    Ok(pages::overview(&s, &counts, &before, &days, &call).into_response())
}

async fn servers(
    State(d): State<D>,
    headers: HeaderMap,
    Query(f): Query<exhunt_fleet::read::ServerFilter>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let mut f = f;
    f.limit = Some(f.limit.unwrap_or(100).clamp(1, 500));
    let total = exhunt_fleet::read::count_servers(&d.app.db, s.org_id, &f).await?;
    let rows = exhunt_fleet::read::servers(&d.app.db, s.org_id, &f, true).await?;
    Ok(pages::server_list(&s, &f, total, &rows).into_response())
}

async fn servers_csv(
    State(d): State<D>,
    headers: HeaderMap,
    Query(f): Query<exhunt_fleet::read::ServerFilter>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let rows = exhunt_fleet::read::servers(&d.app.db, s.org_id, &f, false).await?;
    let body = exhunt_fleet::csv_out::servers_csv(&rows)?;
    Ok(exhunt_fleet::csv_out::attachment(
        "exhunt-servers.csv",
        body,
    ))
}

/// The server `id` names, if it is in the session's scope (another
/// organisation's answers as one that does not exist).
async fn scoped_server(
    d: &Dash,
    s: &Session,
    id: &str,
) -> Result<Option<exhunt_fleet::read::ServerRow>, PageError> {
    let Ok(id) = id.parse::<i64>() else {
        return Ok(None);
    };
    Ok(exhunt_fleet::read::server(&d.app.db, s.org_id, id).await?)
}

async fn server(
    State(d): State<D>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let Some(row) = scoped_server(&d, &s, &id).await? else {
        return Ok(not_found());
    };
    let history = exhunt_fleet::read::history(&d.app.db, row.id, 100).await?;
    let shared = exhunt_fleet::read::shared(&d.app.db, s.org_id, &row).await?;
    Ok(pages::server_page(&s, &row, &history, &shared).into_response())
}

/// A server's latest report as the HTML report renders it, for the frame
/// on its page: the report's own CSP (no script), framed by this site only.
async fn server_report(
    State(d): State<D>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let Some(row) = scoped_server(&d, &s, &id).await? else {
        return Ok(not_found());
    };
    let Some(v) = exhunt_fleet::read::latest_report(&d.app.db, s.org_id, &row).await? else {
        return Ok(pages::no_report().into_response());
    };
    let Some(report) = exhunt_fleet::stix_out::report_of(v) else {
        return Err(PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored report cannot be shown".into(),
        ));
    };
    let mut out = Vec::new();
    exhunt_report::render(&report, exhunt_report::Format::Html, &mut out)
        .map_err(|e| PageError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let csp = format!("{}; frame-ancestors 'self'", exhunt_report::HTML_CSP);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN".to_string()),
        ],
        out,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IndicatorQuery {
    value: Option<String>,
}

/// The sightings of the asked value: at most `limit` (the page lists the
/// latest 1,000; the exports take up to 100,000).
async fn sightings(
    d: &Dash,
    s: &Session,
    q: &IndicatorQuery,
    limit: i64,
) -> Result<(String, Vec<exhunt_fleet::read::Sighting>), PageError> {
    let v = q.value.as_deref().unwrap_or("").trim().to_string();
    if v.is_empty() {
        return Ok((v, Vec::new()));
    }
    let seen = exhunt_fleet::read::pivot(&d.app.db, s.org_id, &v, limit).await?;
    Ok((v, seen))
}

async fn indicators(
    State(d): State<D>,
    headers: HeaderMap,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let (v, seen) = sightings(&d, &s, &q, 1000).await?;
    let counts = if v.is_empty() {
        (0, 0, 0)
    } else {
        exhunt_fleet::read::pivot_counts(&d.app.db, s.org_id, &v).await?
    };
    Ok(pages::indicator_page(&s, &v, &seen, counts).into_response())
}

async fn indicators_csv(
    State(d): State<D>,
    headers: HeaderMap,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let (_, seen) = sightings(&d, &s, &q, 100_000).await?;
    let body = exhunt_fleet::csv_out::sightings_csv(&seen)?;
    Ok(exhunt_fleet::csv_out::attachment(
        "exhunt-indicator.csv",
        body,
    ))
}

async fn indicators_stix(
    State(d): State<D>,
    headers: HeaderMap,
    Query(q): Query<IndicatorQuery>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let (v, seen) = sightings(&d, &s, &q, 100_000).await?;
    let Some(first) = seen.first() else {
        return Ok(not_found());
    };
    let Some(body) = exhunt_fleet::stix_out::indicator_bundle(
        &first.kind,
        &first.value,
        &seen,
        exhunt_report::Tlp::Amber,
    ) else {
        return Err(PageError(
            StatusCode::BAD_REQUEST,
            format!("no STIX pattern for {v:?}"),
        ));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/stix+json;version=2.1"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"exhunt-indicator.stix.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StaleQuery {
    days: Option<i64>,
    offset: Option<i64>,
}

async fn not_reporting(
    State(d): State<D>,
    headers: HeaderMap,
    Query(q): Query<StaleQuery>,
) -> Result<Response, PageError> {
    let s = signed_in!(d, headers);
    let days = q.days.unwrap_or(d.cfg.stale_days).clamp(1, 3650);
    let f = exhunt_fleet::read::ServerFilter {
        seen_before: Some((exhunt_fleet::now() - days * 86_400).to_string()),
        sort: Some("last_seen".into()),
        order: Some("asc".into()),
        limit: Some(200),
        offset: q.offset,
        ..Default::default()
    };
    let total = exhunt_fleet::read::count_servers(&d.app.db, s.org_id, &f).await?;
    let rows = exhunt_fleet::read::servers(&d.app.db, s.org_id, &f, true).await?;
    let silent = exhunt_fleet::read::silent_orgs(&d.app.db, s.org_id).await?;
    Ok(pages::not_reporting(
        &s,
        days,
        q.offset.unwrap_or(0).max(0),
        total,
        &rows,
        &silent,
    )
    .into_response())
}
