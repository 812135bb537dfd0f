//! The read side: the server list with its filters, one server's history,
//! the fleet's counts (now and by day), the indicator pivot, and the
//! documents themselves. Every query takes the asker's organisation scope
//! (`None` for an analyst) and applies it in SQL: an organisation's token
//! never sees a row of another's.

use crate::db::{col, Db};
use crate::FleetError;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyArguments;
use sqlx::Arguments;
use std::collections::BTreeMap;

/// The server list's filters (query string of `/api/v1/servers`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ServerFilter {
    /// Comma-separated verdicts; `none` for servers only probed.
    pub verdict: Option<String>,
    /// Comma-separated: `exposed`, `patched`, `unknown`.
    pub exposure: Option<String>,
    /// A campaign the build is open to (`ProxyLogon`, …).
    pub campaign: Option<String>,
    /// The build, exactly (`15.1.2106.2`).
    pub build: Option<String>,
    /// The organisation's name, exactly.
    pub org: Option<String>,
    /// Last report before / after (ISO time or date, or Unix seconds).
    pub seen_before: Option<String>,
    pub seen_after: Option<String>,
    /// Part of the server's name.
    pub q: Option<String>,
    /// `priority` (default: worst first), `name`, `org`, `last_seen`,
    /// `build`, `verdict`, `exposure`.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerRow {
    pub id: i64,
    pub org: String,
    pub name: String,
    pub verdict: Option<String>,
    pub incomplete: bool,
    pub exposure: String,
    pub campaigns: Vec<String>,
    pub open_cves: Vec<String>,
    pub build: Option<String>,
    pub product: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub last_report: Option<i64>,
    pub kind: String,
    pub findings: i64,
    pub taken: i64,
    pub reports: i64,
    pub first_step: Option<String>,
}

/// Bound values of a query built piece by piece.
#[derive(Default)]
struct Q {
    sql: String,
    args: AnyArguments<'static>,
    n: usize,
}

impl Q {
    fn new(sql: &str) -> Q {
        Q {
            sql: sql.to_string(),
            ..Default::default()
        }
    }
    /// The next placeholder, bound to `v`.
    fn arg<T>(&mut self, v: T) -> String
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.args.add(v).expect("encode");
        self.n += 1;
        format!("${}", self.n)
    }
    fn push(&mut self, s: &str) {
        self.sql.push_str(s);
    }
}

fn split_list(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// An ISO date or time, or Unix seconds, as Unix seconds.
pub fn parse_when(s: &str) -> Result<i64, FleetError> {
    let t = s.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(n);
    }
    let iso = exhunt_core::time::parse_since_utc(t)
        .map_err(|e| FleetError::Invalid(format!("not a time: {t:?} ({e})")))?;
    exhunt_core::time::iso_to_seconds(&iso)
        .ok_or_else(|| FleetError::Invalid(format!("not a time: {t:?}")))
}

const SERVER_COLS: &str = "s.id, o.name, s.name, s.verdict, s.incomplete, s.exposure, s.campaigns, s.open_cves, \
    s.build, s.product, s.first_seen, s.last_seen, s.last_report_id, s.kind, s.findings, s.taken, s.reports, s.first_step";

fn unlist(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn server_row(r: &sqlx::any::AnyRow) -> Result<ServerRow, sqlx::Error> {
    Ok(ServerRow {
        id: col(r, 0)?,
        org: col(r, 1)?,
        name: col(r, 2)?,
        verdict: col(r, 3)?,
        incomplete: col::<i64>(r, 4)? != 0,
        exposure: col(r, 5)?,
        campaigns: unlist(&col::<String>(r, 6)?),
        open_cves: unlist(&col::<String>(r, 7)?),
        build: col(r, 8)?,
        product: col(r, 9)?,
        first_seen: crate::iso(col(r, 10)?),
        last_seen: crate::iso(col(r, 11)?),
        last_report: col(r, 12)?,
        kind: col(r, 13)?,
        findings: col(r, 14)?,
        taken: col(r, 15)?,
        reports: col(r, 16)?,
        first_step: col(r, 17)?,
    })
}

/// The WHERE clause of the server list: scope first, then the filters.
fn server_where(q: &mut Q, scope: Option<i64>, f: &ServerFilter) -> Result<(), FleetError> {
    q.push(" WHERE 1 = 1");
    if let Some(org) = scope {
        let p = q.arg(org);
        q.push(&format!(" AND s.org_id = {p}"));
    }
    let verdicts = split_list(&f.verdict);
    if !verdicts.is_empty() {
        let mut ors = Vec::new();
        for v in verdicts {
            if v == "none" {
                ors.push("s.verdict IS NULL".to_string());
            } else {
                let p = q.arg(v);
                ors.push(format!("s.verdict = {p}"));
            }
        }
        q.push(&format!(" AND ({})", ors.join(" OR ")));
    }
    let exposures = split_list(&f.exposure);
    if !exposures.is_empty() {
        let ps: Vec<String> = exposures.into_iter().map(|e| q.arg(e)).collect();
        q.push(&format!(" AND s.exposure IN ({})", ps.join(", ")));
    }
    if let Some(c) = f
        .campaign
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        // Stored `,ProxyLogon,ProxyShell,`; matched without case.
        let p = q.arg(format!("%,{},%", c.to_lowercase()));
        q.push(&format!(" AND LOWER(s.campaigns) LIKE {p}"));
    }
    if let Some(b) = f.build.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        let p = q.arg(b.to_string());
        q.push(&format!(" AND s.build = {p}"));
    }
    if let Some(o) = f.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        let p = q.arg(o.to_string());
        q.push(&format!(" AND o.name = {p}"));
    }
    if let Some(t) = f.seen_before.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = q.arg(parse_when(t)?);
        q.push(&format!(" AND s.last_seen < {p}"));
    }
    if let Some(t) = f.seen_after.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = q.arg(parse_when(t)?);
        q.push(&format!(" AND s.last_seen >= {p}"));
    }
    if let Some(n) = f.q.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let escaped = n
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let p = q.arg(format!("%{escaped}%"));
        q.push(&format!(" AND s.name LIKE {p} ESCAPE '\\'"));
    }
    Ok(())
}

fn order_by(f: &ServerFilter) -> Result<String, FleetError> {
    let desc = match f.order.as_deref() {
        None | Some("") => None,
        Some("asc") => Some(false),
        Some("desc") => Some(true),
        Some(o) => {
            return Err(FleetError::Invalid(format!(
                "order is asc or desc, not {:?}",
                o.chars().take(20).collect::<String>()
            )))
        }
    };
    let dir = |default_desc: bool| {
        if desc.unwrap_or(default_desc) {
            "DESC"
        } else {
            "ASC"
        }
    };
    Ok(match f.sort.as_deref().unwrap_or("priority") {
        // Whom to call first: compromised, exploited, attempted, then
        // exposed builds, then the most recent.
        "priority" | "" => format!(
            "s.verdict_rank {d}, s.exposure_rank {d}, s.last_seen {d}, s.id",
            d = dir(true)
        ),
        "verdict" => format!("s.verdict_rank {}, s.id", dir(true)),
        "exposure" => format!("s.exposure_rank {}, s.id", dir(true)),
        "last_seen" => format!("s.last_seen {}, s.id", dir(true)),
        "name" => format!("s.name {}, s.id", dir(false)),
        "org" => format!("o.name {}, s.name, s.id", dir(false)),
        "build" => format!("s.build {}, s.id", dir(false)),
        other => {
            return Err(FleetError::Invalid(format!(
                "sort is one of priority, verdict, exposure, last_seen, name, org, build; not {:?}",
                other.chars().take(20).collect::<String>()
            )))
        }
    })
}

/// Most rows one page of the list holds; the CSV export has no page.
pub const MAX_PAGE: i64 = 1000;

/// How many servers (in scope) the filter matches.
pub async fn count_servers(
    db: &Db,
    scope: Option<i64>,
    f: &ServerFilter,
) -> Result<i64, FleetError> {
    let mut count = Q::new("SELECT COUNT(*) FROM servers s JOIN orgs o ON o.id = s.org_id");
    server_where(&mut count, scope, f)?;
    let (total,): (i64,) = sqlx::query_as_with(&count.sql, count.args)
        .fetch_one(&db.pool)
        .await?;
    Ok(total)
}

/// The servers (in scope) the filter matches, in its order: one page
/// (`limit`, `offset`) when `page`, else all of them (the CSV export).
pub async fn servers(
    db: &Db,
    scope: Option<i64>,
    f: &ServerFilter,
    page: bool,
) -> Result<Vec<ServerRow>, FleetError> {
    let order = order_by(f)?;
    let mut q = Q::new(&format!(
        "SELECT {SERVER_COLS} FROM servers s JOIN orgs o ON o.id = s.org_id"
    ));
    if page {
        // The page's ids first, from the index alone (a deep page then
        // skips index entries, not whole rows), then their rows.
        // The organisations' table only when the filter or the order
        // names it: without it the ids come from the index alone.
        let by_org = f.org.as_deref().is_some_and(|o| !o.trim().is_empty())
            || f.sort.as_deref() == Some("org");
        q.push(if by_org {
            " WHERE s.id IN (SELECT s.id FROM servers s JOIN orgs o ON o.id = s.org_id"
        } else {
            " WHERE s.id IN (SELECT s.id FROM servers s"
        });
        server_where(&mut q, scope, f)?;
        let limit = f.limit.unwrap_or(100).clamp(1, MAX_PAGE);
        let offset = f.offset.unwrap_or(0).max(0);
        let l = q.arg(limit);
        let o = q.arg(offset);
        q.push(&format!(" ORDER BY {order} LIMIT {l} OFFSET {o})"));
    } else {
        server_where(&mut q, scope, f)?;
    }
    q.push(&format!(" ORDER BY {order}"));
    let rows = sqlx::query_with(&q.sql, q.args).fetch_all(&db.pool).await?;
    Ok(rows.iter().map(server_row).collect::<Result<Vec<_>, _>>()?)
}

/// One server (in scope), or `None`.
pub async fn server(db: &Db, scope: Option<i64>, id: i64) -> Result<Option<ServerRow>, FleetError> {
    let mut q = Q::new(&format!(
        "SELECT {SERVER_COLS} FROM servers s JOIN orgs o ON o.id = s.org_id"
    ));
    server_where(&mut q, scope, &ServerFilter::default())?;
    let p = q.arg(id);
    q.push(&format!(" AND s.id = {p}"));
    let row = sqlx::query_with(&q.sql, q.args)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.as_ref().map(server_row).transpose()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub report: i64,
    pub received: String,
    pub kind: String,
    pub verdict: Option<String>,
    pub exposure: String,
    pub campaigns: Vec<String>,
    pub build: Option<String>,
    pub findings: i64,
}

/// A server's reports, newest first (the server already checked in scope).
pub async fn history(db: &Db, server: i64, limit: i64) -> Result<Vec<HistoryRow>, FleetError> {
    let rows: Vec<(
        i64,
        i64,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        i64,
    )> = sqlx::query_as(
        "SELECT report_id, received, kind, verdict, exposure, campaigns, build, findings \
             FROM server_reports WHERE server_id = $1 ORDER BY received DESC, id DESC LIMIT $2",
    )
    .bind(server)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(report, received, kind, verdict, exposure, campaigns, build, findings)| HistoryRow {
                report,
                received: crate::iso(received),
                kind,
                verdict,
                exposure,
                campaigns: unlist(&campaigns),
                build,
                findings,
            },
        )
        .collect())
}

/// A stored document (in scope): its schema and JSON.
pub async fn document(
    db: &Db,
    scope: Option<i64>,
    id: i64,
) -> Result<Option<(String, Vec<u8>)>, FleetError> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT schema, body FROM reports WHERE id = $1 AND ($2 IS NULL OR org_id = $2)",
    )
    .bind(id)
    .bind(scope)
    .fetch_optional(&db.pool)
    .await?;
    let Some((schema, gz)) = row else {
        return Ok(None);
    };
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
        .map_err(|e| FleetError::Corrupt(format!("report {id}: {e}")))?;
    Ok(Some((schema, out)))
}

/// A server's latest scan report alone (its part of the document when the
/// upload held several servers), as JSON.
pub async fn latest_report(
    db: &Db,
    scope: Option<i64>,
    server: &ServerRow,
) -> Result<Option<serde_json::Value>, FleetError> {
    let Some(id) = server.last_report else {
        return Ok(None);
    };
    let part: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT part FROM server_reports WHERE report_id = $1 AND server_id = $2")
            .bind(id)
            .bind(server.id)
            .fetch_optional(&db.pool)
            .await?;
    let Some((schema, body)) = document(db, scope, id).await? else {
        return Ok(None);
    };
    if schema != "exhunt/report/v1" {
        return Ok(None);
    }
    let mut v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| FleetError::Corrupt(e.to_string()))?;
    if let Some((Some(i),)) = part {
        v = v
            .get_mut("servers")
            .and_then(|s| s.get_mut(i as usize))
            .map(std::mem::take)
            .unwrap_or(serde_json::Value::Null);
    }
    Ok(Some(v))
}

#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    pub servers: i64,
    pub verdict: BTreeMap<String, i64>,
    pub exposure: BTreeMap<String, i64>,
    pub campaign: BTreeMap<String, i64>,
    /// Organisations with at least one server.
    pub organisations: i64,
}

/// The fleet now: servers by latest verdict, by exposure, and by each
/// campaign their build is open to.
pub async fn counts(db: &Db, scope: Option<i64>) -> Result<Counts, FleetError> {
    let by = |col: &str| {
        format!(
            "SELECT COALESCE({col}, 'none'), COUNT(*) FROM servers WHERE ($1 IS NULL OR org_id = $1) GROUP BY {col}"
        )
    };
    let mut verdict = BTreeMap::new();
    let mut servers = 0;
    for (k, n) in sqlx::query_as::<_, (String, i64)>(&by("verdict"))
        .bind(scope)
        .fetch_all(&db.pool)
        .await?
    {
        servers += n;
        verdict.insert(k, n);
    }
    let exposure: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&by("exposure"))
        .bind(scope)
        .fetch_all(&db.pool)
        .await?
        .into_iter()
        .collect();
    let mut campaign: BTreeMap<String, i64> = BTreeMap::new();
    for (list, n) in sqlx::query_as::<_, (String, i64)>(&by("campaigns"))
        .bind(scope)
        .fetch_all(&db.pool)
        .await?
    {
        for c in unlist(&list) {
            *campaign.entry(c).or_default() += n;
        }
    }
    let (organisations,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT org_id) FROM servers WHERE ($1 IS NULL OR org_id = $1)",
    )
    .bind(scope)
    .fetch_one(&db.pool)
    .await?;
    Ok(Counts {
        servers,
        verdict,
        exposure,
        campaign,
        organisations,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub day: String,
    /// Servers that reported that day, by that day's verdict (`none`:
    /// only probed).
    pub verdict: BTreeMap<String, i64>,
    pub exposure: BTreeMap<String, i64>,
}

/// The fleet by day over the last `days` days.
pub async fn daily(
    db: &Db,
    scope: Option<i64>,
    days: i64,
    now: i64,
) -> Result<Vec<Day>, FleetError> {
    let from = crate::iso(now - days.clamp(1, 3660) * 86_400)[..10].to_string();
    let rows: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(
        "SELECT day, verdict, exposure, COUNT(*) FROM daily WHERE day > $1 AND ($2 IS NULL OR org_id = $2) \
         GROUP BY day, verdict, exposure ORDER BY day",
    )
    .bind(from)
    .bind(scope)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Day> = Vec::new();
    for (day, verdict, exposure, n) in rows {
        if out.last().is_none_or(|d| d.day != day) {
            out.push(Day {
                day: day.clone(),
                verdict: BTreeMap::new(),
                exposure: BTreeMap::new(),
            });
        }
        let d = out.last_mut().expect("pushed");
        *d.verdict
            .entry(verdict.unwrap_or_else(|| "none".into()))
            .or_default() += n;
        *d.exposure.entry(exposure).or_default() += n;
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    pub server: i64,
    pub server_name: String,
    pub org: String,
    pub kind: String,
    pub value: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub count: i64,
    pub report: i64,
    pub received: String,
}

/// How far an indicator reached (in scope): distinct servers,
/// organisations, and sightings (one per report and server).
pub async fn pivot_counts(
    db: &Db,
    scope: Option<i64>,
    value: &str,
) -> Result<(i64, i64, i64), FleetError> {
    let row: (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(DISTINCT server_id), COUNT(DISTINCT org_id), COUNT(*) FROM indicators \
         WHERE needle = $1 AND ($2 IS NULL OR org_id = $2)",
    )
    .bind(crate::ingest::needle(value))
    .bind(scope)
    .fetch_one(&db.pool)
    .await?;
    Ok(row)
}

/// Where an indicator was seen (in scope): every server and report, the
/// newest first, at most `limit`.
pub async fn pivot(
    db: &Db,
    scope: Option<i64>,
    value: &str,
    limit: i64,
) -> Result<Vec<Sighting>, FleetError> {
    let rows: Vec<(i64, String, String, String, String, Option<String>, Option<String>, i64, i64, i64)> =
        sqlx::query_as(
            "SELECT i.server_id, s.name, o.name, i.kind, i.value, i.first_time, i.last_time, i.count, i.report_id, i.received \
             FROM indicators i JOIN servers s ON s.id = i.server_id JOIN orgs o ON o.id = i.org_id \
             WHERE i.needle = $1 AND ($2 IS NULL OR i.org_id = $2) ORDER BY i.received DESC, i.id DESC LIMIT $3",
        )
        .bind(crate::ingest::needle(value))
        .bind(scope)
        .bind(limit.clamp(1, 100_000))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(server, server_name, org, kind, value, first, last, count, report, received)| {
                Sighting {
                    server,
                    server_name,
                    org,
                    kind,
                    value,
                    first,
                    last,
                    count,
                    report,
                    received: crate::iso(received),
                }
            },
        )
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct Shared {
    pub kind: String,
    pub value: String,
    /// Other servers that saw it (in the asker's scope), and their
    /// organisations.
    pub servers: i64,
    pub orgs: i64,
}

/// The indicators of a server's latest report, each with how many other
/// servers (and organisations) in scope saw it too.
pub async fn shared(
    db: &Db,
    scope: Option<i64>,
    server: &ServerRow,
) -> Result<Vec<Shared>, FleetError> {
    let Some(report) = server.last_report else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT i.kind, i.value, \
           (SELECT COUNT(DISTINCT j.server_id) FROM indicators j WHERE j.needle = i.needle AND j.server_id <> i.server_id AND ($3 IS NULL OR j.org_id = $3)), \
           (SELECT COUNT(DISTINCT j.org_id) FROM indicators j WHERE j.needle = i.needle AND j.server_id <> i.server_id AND ($3 IS NULL OR j.org_id = $3)) \
         FROM indicators i WHERE i.report_id = $1 AND i.server_id = $2 ORDER BY i.kind, i.value",
    )
    .bind(report)
    .bind(server.id)
    .bind(scope)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, value, servers, orgs)| Shared {
            kind,
            value,
            servers,
            orgs,
        })
        .collect())
}

/// The latest scan reports (in scope) of servers with a verdict of
/// `attempted` or worse, for the fleet's STIX bundle: (org, server, JSON).
pub async fn latest_bad_reports(
    db: &Db,
    scope: Option<i64>,
    limit: i64,
) -> Result<Vec<(String, ServerRow, serde_json::Value)>, FleetError> {
    let f = ServerFilter {
        verdict: Some("attempted,exploited,compromised".into()),
        limit: Some(limit),
        ..Default::default()
    };
    let rows = servers(db, scope, &f, true).await?;
    let mut out = Vec::new();
    for s in rows {
        if let Some(v) = latest_report(db, scope, &s).await? {
            out.push((s.org.clone(), s, v));
        }
    }
    Ok(out)
}

/// The fleet as it was at time `at`, as `counts` gives it now: each
/// server's verdict from its latest scan received by then (`none` for a
/// server only probed by then), its exposure from its latest report of
/// either kind. Servers first seen after `at` are not counted.
pub async fn counts_at(
    db: &Db,
    scope: Option<i64>,
    at: i64,
) -> Result<(BTreeMap<String, i64>, BTreeMap<String, i64>), FleetError> {
    let latest = |kind: &str| {
        format!(
            "SELECT {{col}}, COUNT(*) FROM server_reports sr JOIN \
               (SELECT server_id, MAX(id) AS id FROM server_reports WHERE received <= $1 {kind} AND ($2 IS NULL OR org_id = $2) GROUP BY server_id) last \
               ON last.id = sr.id GROUP BY {{col}}"
        )
    };
    let scans = latest("AND kind = 'scan'").replace("{col}", "sr.verdict");
    let any = latest("").replace("{col}", "sr.exposure");
    let mut verdict = BTreeMap::new();
    let mut scanned = 0;
    for (v, n) in sqlx::query_as::<_, (Option<String>, i64)>(&scans)
        .bind(at)
        .bind(scope)
        .fetch_all(&db.pool)
        .await?
    {
        scanned += n;
        *verdict
            .entry(v.unwrap_or_else(|| "none".into()))
            .or_default() += n;
    }
    let mut exposure = BTreeMap::new();
    let mut all = 0;
    for (e, n) in sqlx::query_as::<_, (String, i64)>(&any)
        .bind(at)
        .bind(scope)
        .fetch_all(&db.pool)
        .await?
    {
        all += n;
        exposure.insert(e, n);
    }
    if all > scanned {
        *verdict.entry("none".into()).or_default() += all - scanned;
    }
    Ok((verdict, exposure))
}

#[derive(Debug, Clone, Serialize)]
pub struct SilentOrg {
    pub name: String,
    pub created: String,
}

/// Organisations (in scope) that never sent a report.
pub async fn silent_orgs(db: &Db, scope: Option<i64>) -> Result<Vec<SilentOrg>, FleetError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT o.name, o.created FROM orgs o WHERE ($1 IS NULL OR o.id = $1) \
         AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.org_id = o.id) ORDER BY o.name LIMIT 5000",
    )
    .bind(scope)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, created)| SilentOrg {
            name,
            created: crate::iso(created),
        })
        .collect())
}
