//! Ingest: an uploaded document (`exhunt/report/v1` or `exhunt/probe/v1`)
//! is checked against the contract, split into the servers it speaks of,
//! and stored in one transaction: the document (compressed), one history
//! row per server, the server's latest state, its indicators and the day's
//! count. Either all of it is stored or none of it.
//!
//! The server stores what the scan said, never a second reading of the
//! logs: verdicts, exposure and indicators come from the report's own
//! fields.

use crate::db::Db;
use crate::FleetError;
use exhunt_core::{Severity, Verdict};
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;

/// The contract's fields of a report (DESIGN.md, `exhunt/report/v1`); the
/// others are kept in the stored document, unread here.
#[derive(Deserialize)]
struct CReport {
    schema: String,
    #[allow(dead_code)]
    tool: CTool,
    inputs: Vec<String>,
    verdict: Verdict,
    incomplete: bool,
    #[allow(dead_code)]
    coverage: Vec<IgnoredAny>,
    patch: Option<CPatch>,
    findings: Vec<CFinding>,
    #[allow(dead_code)]
    errors: Vec<CError>,
    next_steps: Vec<String>,
    #[serde(default)]
    exposure: Option<CExposure>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    servers: Vec<CReport>,
    #[serde(default)]
    taken: Vec<IgnoredAny>,
}

/// The first look at a document: its schema only (the rest is skipped,
/// not built in memory).
#[derive(Deserialize)]
struct Schema {
    schema: Option<String>,
}

#[derive(Deserialize)]
struct CTool {
    #[allow(dead_code)]
    name: String,
    #[allow(dead_code)]
    version: String,
}

#[derive(Deserialize)]
struct CPatch {
    build: Option<String>,
    product: Option<String>,
    #[serde(default)]
    open_cves: Vec<String>,
}

#[derive(Deserialize)]
struct CExposure {
    state: String,
    #[serde(default)]
    campaigns: Vec<String>,
}

#[derive(Deserialize)]
struct CError {
    #[allow(dead_code)]
    path: String,
    #[allow(dead_code)]
    message: String,
}

#[derive(Deserialize)]
struct CFinding {
    #[allow(dead_code)]
    id: String,
    #[allow(dead_code)]
    rule: String,
    #[allow(dead_code)]
    title: String,
    #[allow(dead_code)]
    cves: Vec<String>,
    kind: String,
    #[allow(dead_code)]
    verdict: Verdict,
    severity: Severity,
    time: Option<String>,
    path: String,
    #[allow(dead_code)]
    line: Option<u64>,
    evidence: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct CProbe {
    schema: String,
    results: Vec<CProbeResult>,
}

#[derive(Deserialize)]
struct CProbeResult {
    target: String,
    reachable: bool,
    build: Option<String>,
    product: Option<String>,
    #[serde(default)]
    open_cves: Vec<String>,
    #[serde(default)]
    campaigns: Vec<(String, Vec<String>)>,
    #[serde(default)]
    active: Vec<CActive>,
}

#[derive(Deserialize)]
struct CActive {
    result: String,
}

/// One thing to look for elsewhere, as one server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// `ip`, `sha256`, `path` or `user-agent`.
    pub kind: &'static str,
    pub value: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub count: i64,
}

/// What one server's part of a document says.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    /// Index in the report's `servers`, `None` for the report itself.
    pub index: Option<i64>,
    pub kind: &'static str,
    pub verdict: Option<&'static str>,
    pub incomplete: bool,
    pub exposure: String,
    pub campaigns: Vec<String>,
    pub open_cves: Vec<String>,
    pub build: Option<String>,
    pub product: Option<String>,
    pub findings: i64,
    pub taken: i64,
    pub first_step: Option<String>,
    pub indicators: Vec<Indicator>,
}

/// A checked document, ready to store.
#[derive(Debug)]
pub struct Checked {
    pub schema: &'static str,
    pub sha256: String,
    pub json: Vec<u8>,
    pub parts: Vec<Part>,
}

/// The body as JSON bytes: gunzipped when it says so (or starts with
/// gzip's magic), never more than `limit` bytes either way.
pub fn decode_body(body: &[u8], gzip: bool, limit: usize) -> Result<Vec<u8>, FleetError> {
    if body.len() > limit {
        return Err(FleetError::TooLarge(limit));
    }
    if gzip || body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body)
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| FleetError::Invalid(format!("the gzip body does not decompress: {e}")))?;
        if out.len() > limit {
            return Err(FleetError::TooLarge(limit));
        }
        Ok(out)
    } else {
        Ok(body.to_vec())
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    v.as_str()
}

/// A server's name as the fleet keys it: trimmed, lowercase (Windows host
/// names are not case-sensitive), at most 255 characters.
pub fn server_key(name: &str) -> String {
    name.trim().to_lowercase().chars().take(255).collect()
}

/// Checks a document against its contract and splits it per server.
pub fn check(json: Vec<u8>) -> Result<Checked, FleetError> {
    // Parsed straight into the contract's structs (never a whole JSON
    // tree, which takes several times the document's size in memory).
    let head: Schema = serde_json::from_slice(&json).map_err(|e| {
        FleetError::Invalid(format!("not JSON, or not an object with a schema: {e}"))
    })?;
    let schema = head
        .schema
        .ok_or_else(|| FleetError::Invalid("no \"schema\" field: not an exhunt report".into()))?;
    let sha256 = exhunt_core::hex(&Sha256::digest(&json));
    match schema.as_str() {
        "exhunt/report/v1" => {
            let r: CReport = serde_json::from_slice(&json)
                .map_err(|e| FleetError::Invalid(format!("not an exhunt/report/v1 report: {e}")))?;
            let parts = report_parts(r)?;
            Ok(Checked {
                schema: "exhunt/report/v1",
                sha256,
                json,
                parts,
            })
        }
        "exhunt/probe/v1" => {
            let p: CProbe = serde_json::from_slice(&json)
                .map_err(|e| FleetError::Invalid(format!("not an exhunt/probe/v1 result: {e}")))?;
            debug_assert_eq!(p.schema, "exhunt/probe/v1");
            let parts = probe_parts(p)?;
            Ok(Checked {
                schema: "exhunt/probe/v1",
                sha256,
                json,
                parts,
            })
        }
        other => Err(FleetError::Invalid(format!(
            "schema {:?} is not one this server takes (exhunt/report/v1, exhunt/probe/v1)",
            other.chars().take(80).collect::<String>()
        ))),
    }
}

fn report_parts(r: CReport) -> Result<Vec<Part>, FleetError> {
    if r.schema != "exhunt/report/v1" {
        return Err(FleetError::Invalid("schema mismatch".into()));
    }
    if r.servers.is_empty() {
        return Ok(vec![part_of(&r, None)]);
    }
    let mut parts = Vec::with_capacity(r.servers.len());
    for (i, sub) in r.servers.iter().enumerate() {
        if !sub.servers.is_empty() {
            return Err(FleetError::Invalid(format!(
                "servers[{i}] has servers of its own: a report holds one level of servers"
            )));
        }
        parts.push(part_of(sub, Some(i as i64)));
    }
    // Two parts with one name would be one server twice.
    let mut names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(FleetError::Invalid(
            "two of the report's servers have the same host name".into(),
        ));
    }
    Ok(parts)
}

fn part_of(r: &CReport, index: Option<i64>) -> Part {
    let name = match r.host.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => server_key(h),
        None => server_key(&format!("host not identified ({})", r.inputs.join(", "))),
    };
    let (exposure, campaigns) = match &r.exposure {
        Some(e) => (
            match e.state.as_str() {
                "exposed" | "patched" => e.state.clone(),
                _ => "unknown".to_string(),
            },
            e.campaigns.clone(),
        ),
        None => ("unknown".to_string(), Vec::new()),
    };
    Part {
        name,
        index,
        kind: "scan",
        verdict: Some(verdict_str(r.verdict)),
        incomplete: r.incomplete,
        exposure,
        campaigns,
        open_cves: r
            .patch
            .as_ref()
            .map(|p| p.open_cves.clone())
            .unwrap_or_default(),
        build: r.patch.as_ref().and_then(|p| p.build.clone()),
        product: r.patch.as_ref().and_then(|p| p.product.clone()),
        findings: r.findings.len() as i64,
        taken: r.taken.len() as i64,
        first_step: r.next_steps.first().cloned(),
        indicators: indicators(&r.findings),
    }
}

fn probe_parts(p: CProbe) -> Result<Vec<Part>, FleetError> {
    let mut parts: BTreeMap<String, Part> = BTreeMap::new();
    for r in p.results {
        // The host, without scheme, port or path: the name a scan of the
        // same server would give is its host name; a probe knows only this.
        let t = r.target.trim();
        let t = t.split("://").nth(1).unwrap_or(t);
        let t = t.split('/').next().unwrap_or(t);
        let host = if t.starts_with('[') {
            t.split(']').next().unwrap_or(t).trim_start_matches('[')
        } else {
            t.rsplit_once(':').map(|(h, _)| h).unwrap_or(t)
        };
        let name = server_key(host);
        if name.is_empty() {
            return Err(FleetError::Invalid("a probe result with no target".into()));
        }
        // Exposed: the build is open to a campaign exploited in the wild
        // (CVEs of no campaign, `other`, do not make it so), or an active
        // check found the hole.
        let campaigns: Vec<String> = r
            .campaigns
            .iter()
            .map(|c| c.0.clone())
            .filter(|c| c != "other")
            .collect();
        let vulnerable = r.active.iter().any(|a| a.result == "vulnerable");
        let exposure = match (&r.build, campaigns.is_empty() && !vulnerable) {
            (_, false) => "exposed",
            (None, true) => "unknown",
            (Some(_), true) => "patched",
        };
        let part = Part {
            name: name.clone(),
            index: None,
            kind: "probe",
            verdict: None,
            incomplete: !r.reachable,
            exposure: exposure.to_string(),
            campaigns,
            open_cves: r.open_cves,
            build: r.build,
            product: r.product,
            findings: 0,
            taken: 0,
            first_step: None,
            indicators: Vec::new(),
        };
        // A target probed twice (two ports): the one that gave a build.
        match parts.get(&name) {
            Some(p) if p.build.is_some() => {}
            _ => {
                parts.insert(name, part);
            }
        }
    }
    if parts.is_empty() {
        return Err(FleetError::Invalid("a probe result with no results".into()));
    }
    Ok(parts.into_values().collect())
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The indicators of a report's findings of medium severity or worse, as
/// the STIX writer picks them: attacker addresses (public ones only: a
/// load balancer's address is not an indicator), user agents, web-shell
/// hashes and paths. One per (kind, value), with its count and times.
fn indicators(findings: &[CFinding]) -> Vec<Indicator> {
    let mut m: BTreeMap<(&'static str, String), Indicator> = BTreeMap::new();
    let mut add = |kind: &'static str, value: &str, t: Option<&str>| {
        let value: String = value.trim().chars().take(2048).collect();
        if value.is_empty() || value == "-" {
            return;
        }
        let e = m
            .entry((kind, needle(&value)))
            .or_insert_with(|| Indicator {
                kind,
                value: value.clone(),
                first: None,
                last: None,
                count: 0,
            });
        e.count += 1;
        if let Some(t) = t {
            if e.first.as_deref().is_none_or(|f| t < f) {
                e.first = Some(t.to_string());
            }
            if e.last.as_deref().is_none_or(|l| t > l) {
                e.last = Some(t.to_string());
            }
        }
    };
    for f in findings.iter().filter(|f| f.severity <= Severity::Medium) {
        let t = f.time.as_deref();
        if let Some(ip) = ["ClientIpAddress", "c-ip"]
            .iter()
            .find_map(|k| f.evidence.get(*k))
        {
            let ip = ip.trim();
            if ip.parse::<std::net::IpAddr>().is_ok() && !exhunt_core::is_internal_ip(ip) {
                add("ip", ip, t);
            }
        }
        for k in ["UserAgent", "cs(User-Agent)"] {
            if let Some(ua) = f.evidence.get(k) {
                add("user-agent", ua, t);
            }
        }
        if let Some(h) = f.evidence.get("sha256").filter(|h| is_hex64(h)) {
            add("sha256", &h.to_ascii_lowercase(), t);
        }
        if f.kind == "webshell" {
            for k in ["cs-uri-stem", "c-uri-stem"] {
                if let Some(p) = f.evidence.get(k) {
                    add("path", p, t);
                }
            }
            if !f.path.is_empty() && f.evidence.contains_key("sha256") {
                add("path", &web_path(&f.path), t);
            }
        }
    }
    m.into_values().collect()
}

/// A web shell's file path as servers share it: from the web folder on
/// (`inetpub/…`, `FrontEnd/HttpProxy/…`), so that the same shell collected
/// under different roots is one path.
fn web_path(p: &str) -> String {
    let p = p.replace('\\', "/");
    let p = p.rsplit("!/").next().unwrap_or(&p).to_string();
    let lower = p.to_ascii_lowercase();
    for anchor in ["inetpub/", "frontend/httpproxy/", "clientaccess/"] {
        if let Some(i) = lower.rfind(anchor) {
            return p[i..].to_string();
        }
    }
    p
}

/// How an indicator is looked up: trimmed and without case (Windows paths
/// and host names have none; an IP or a hash loses nothing).
pub fn needle(v: &str) -> String {
    v.trim().to_lowercase()
}

/// How the upload went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// New: the report's id and its servers' (id, name).
    New(i64, Vec<(i64, String)>),
    /// The same document was stored before, under this id.
    Duplicate(i64),
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!(",{},", v.join(","))
    }
}

/// Ranks for sorting: the worst first when sorted descending.
pub fn verdict_rank(v: Option<&str>) -> i64 {
    match v {
        Some("compromised") => 4,
        Some("exploited") => 3,
        Some("attempted") => 2,
        Some("inconclusive") => 1,
        Some("clean") => 0,
        _ => -1,
    }
}

pub fn exposure_rank(e: &str) -> i64 {
    match e {
        "exposed" => 2,
        "unknown" => 1,
        _ => 0,
    }
}

/// Stores a checked document for organisation `org`, all or nothing.
pub async fn store(
    db: &Db,
    org: i64,
    token: i64,
    doc: Checked,
    now: i64,
) -> Result<Stored, FleetError> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &doc.json)
        .map_err(|e| FleetError::Invalid(e.to_string()))?;
    let body = gz
        .finish()
        .map_err(|e| FleetError::Invalid(e.to_string()))?;
    let _gate = db.gate().await;
    let mut tx = db.pool.begin().await?;
    // The write first: on SQLite it takes the write lock at once (waiting
    // on the busy timeout), never after a read.
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO reports (org_id, token_id, schema, sha256, received, size, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, sha256) DO NOTHING RETURNING id",
    )
    .bind(org)
    .bind(token)
    .bind(doc.schema)
    .bind(&doc.sha256)
    .bind(now)
    .bind(doc.json.len() as i64)
    .bind(body)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((report_id,)) = id else {
        tx.rollback().await?;
        let (old,): (i64,) =
            sqlx::query_as("SELECT id FROM reports WHERE org_id = $1 AND sha256 = $2")
                .bind(org)
                .bind(&doc.sha256)
                .fetch_one(&db.pool)
                .await?;
        return Ok(Stored::Duplicate(old));
    };
    let day = crate::iso(now)[..10].to_string();
    let mut servers = Vec::with_capacity(doc.parts.len());
    for p in &doc.parts {
        // A probe knows the build, not the verdict: it updates exposure
        // and build and leaves a scanned verdict as it was.
        let probe = p.kind == "probe";
        let (server_id,): (i64,) = sqlx::query_as(
            "INSERT INTO servers (org_id, name, first_seen, last_seen, last_report_id, part, kind, verdict, verdict_rank, \
               incomplete, exposure, exposure_rank, campaigns, open_cves, build, product, findings, taken, first_step, reports) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1) \
             ON CONFLICT (org_id, name) DO UPDATE SET \
               last_seen = excluded.last_seen, \
               reports = servers.reports + 1, \
               exposure = excluded.exposure, exposure_rank = excluded.exposure_rank, \
               campaigns = excluded.campaigns, open_cves = excluded.open_cves, \
               build = COALESCE(excluded.build, servers.build), \
               product = COALESCE(excluded.product, servers.product), \
               last_report_id = CASE WHEN $19 = 1 THEN servers.last_report_id ELSE excluded.last_report_id END, \
               part = CASE WHEN $19 = 1 THEN servers.part ELSE excluded.part END, \
               kind = CASE WHEN $19 = 1 THEN servers.kind ELSE excluded.kind END, \
               verdict = CASE WHEN $19 = 1 THEN servers.verdict ELSE excluded.verdict END, \
               verdict_rank = CASE WHEN $19 = 1 THEN servers.verdict_rank ELSE excluded.verdict_rank END, \
               incomplete = CASE WHEN $19 = 1 THEN servers.incomplete ELSE excluded.incomplete END, \
               findings = CASE WHEN $19 = 1 THEN servers.findings ELSE excluded.findings END, \
               taken = CASE WHEN $19 = 1 THEN servers.taken ELSE excluded.taken END, \
               first_step = CASE WHEN $19 = 1 THEN servers.first_step ELSE excluded.first_step END \
             RETURNING id",
        )
        .bind(org)
        .bind(&p.name)
        .bind(now)
        .bind(report_id)
        .bind(p.index)
        .bind(p.kind)
        .bind(p.verdict)
        .bind(verdict_rank(p.verdict))
        .bind(p.incomplete as i64)
        .bind(&p.exposure)
        .bind(exposure_rank(&p.exposure))
        .bind(list(&p.campaigns))
        .bind(list(&p.open_cves))
        .bind(&p.build)
        .bind(&p.product)
        .bind(p.findings)
        .bind(p.taken)
        .bind(&p.first_step)
        .bind(probe as i64)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO server_reports (report_id, server_id, org_id, part, received, kind, verdict, exposure, campaigns, build, findings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(report_id)
        .bind(server_id)
        .bind(org)
        .bind(p.index)
        .bind(now)
        .bind(p.kind)
        .bind(p.verdict)
        .bind(&p.exposure)
        .bind(list(&p.campaigns))
        .bind(&p.build)
        .bind(p.findings)
        .execute(&mut *tx)
        .await?;
        // Many rows per statement: one round trip (and, on SQLite, one
        // hand-off to its worker thread) per 400 indicators, not per one.
        for chunk in p.indicators.chunks(400) {
            let mut sql = String::from(
                "INSERT INTO indicators (report_id, server_id, org_id, kind, value, needle, first_time, last_time, count, received) VALUES ",
            );
            for k in 0..chunk.len() {
                let b = k * 10;
                if k > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10
                ));
            }
            let mut q = sqlx::query(&sql);
            for i in chunk {
                q = q
                    .bind(report_id)
                    .bind(server_id)
                    .bind(org)
                    .bind(i.kind)
                    .bind(&i.value)
                    .bind(needle(&i.value))
                    .bind(&i.first)
                    .bind(&i.last)
                    .bind(i.count)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        // The day's state of the server, for the counts over time: its
        // latest scan that day (a probe keeps the day's verdict).
        sqlx::query(
            "INSERT INTO daily (server_id, org_id, day, verdict, exposure) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (server_id, day) DO UPDATE SET \
               verdict = CASE WHEN $6 = 1 THEN daily.verdict ELSE excluded.verdict END, \
               exposure = excluded.exposure",
        )
        .bind(server_id)
        .bind(org)
        .bind(&day)
        .bind(if probe {
            None
        } else {
            p.verdict
        })
        .bind(&p.exposure)
        .bind(probe as i64)
        .execute(&mut *tx)
        .await?;
        servers.push((server_id, p.name.clone()));
    }
    tx.commit().await?;
    Ok(Stored::New(report_id, servers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_documents_are_refused_not_crashed_on() {
        // Nesting far past serde_json's recursion limit, in the schema's
        // place and inside a finding's evidence.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            check(deep.clone().into_bytes()),
            Err(FleetError::Invalid(_))
        ));
        let r = format!(r#"{{"schema":"exhunt/report/v1","evidence":{deep}}}"#);
        assert!(matches!(check(r.into_bytes()), Err(FleetError::Invalid(_))));
        // A report inside a report inside a report.
        let leaf = r#"{"schema":"exhunt/report/v1","tool":{"name":"x","version":"1"},"inputs":[],"verdict":"clean","incomplete":false,"coverage":[],"patch":null,"findings":[],"errors":[],"next_steps":[]"#;
        let one = format!("{leaf}}}");
        let two = format!("{leaf},\"host\":\"a\",\"servers\":[{one}]}}");
        let three = format!("{leaf},\"servers\":[{two}]}}");
        assert!(check(one.clone().into_bytes()).is_ok());
        assert_eq!(check(two.into_bytes()).unwrap().parts.len(), 1);
        assert!(
            matches!(check(three.into_bytes()), Err(FleetError::Invalid(m)) if m.contains("one level"))
        );
        // Two parts naming one host.
        let a = format!("{leaf},\"host\":\"EX01\"}}");
        let b = format!("{leaf},\"host\":\"ex01\"}}");
        let both = format!("{leaf},\"servers\":[{a},{b}]}}");
        assert!(
            matches!(check(both.into_bytes()), Err(FleetError::Invalid(m)) if m.contains("same host"))
        );
        // Numbers where strings go, and a verdict that is not one.
        let bad = one.replace("\"verdict\":\"clean\"", "\"verdict\":1e999");
        assert!(matches!(
            check(bad.into_bytes()),
            Err(FleetError::Invalid(_))
        ));
        // A host name of a megabyte is cut to 255 characters.
        let long = format!("{leaf},\"host\":\"{}\"}}", "x".repeat(1 << 20));
        assert_eq!(check(long.into_bytes()).unwrap().parts[0].name.len(), 255);
    }

    #[test]
    fn web_paths() {
        assert_eq!(
            web_path("triage.zip!/C/inetpub/wwwroot/aspnet_client/x.aspx"),
            "inetpub/wwwroot/aspnet_client/x.aspx"
        );
        assert_eq!(
            web_path("V15/FrontEnd/HttpProxy/owa/auth/y.aspx"),
            "FrontEnd/HttpProxy/owa/auth/y.aspx"
        );
    }

    #[test]
    fn gzip_is_bounded() {
        let big = vec![b' '; 10_000];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &big).unwrap();
        let z = gz.finish().unwrap();
        assert!(z.len() < 200);
        assert!(matches!(
            decode_body(&z, true, 5_000),
            Err(FleetError::TooLarge(5_000))
        ));
        assert_eq!(decode_body(&z, false, 20_000).unwrap().len(), 10_000);
        assert!(matches!(
            decode_body(b"{}", false, 1),
            Err(FleetError::TooLarge(1))
        ));
        assert!(matches!(
            decode_body(&[0x1f, 0x8b, 1, 2], false, 100),
            Err(FleetError::Invalid(_))
        ));
    }

    #[test]
    fn contract() {
        assert!(
            matches!(check(b"{".to_vec()), Err(FleetError::Invalid(m)) if m.starts_with("not JSON"))
        );
        assert!(
            matches!(check(br#"{"schema":"exhunt/report/v1"}"#.to_vec()), Err(FleetError::Invalid(m)) if m.contains("missing field"))
        );
        assert!(
            matches!(check(br#"{"schema":"other"}"#.to_vec()), Err(FleetError::Invalid(m)) if m.contains("not one this server takes"))
        );
        let probe = br#"{"schema":"exhunt/probe/v1","results":[
            {"target":"https://Mail.Example.org:443","reachable":true,"build":"15.1.2106.2","product":"Exchange Server 2016 CU18","open_cves":["CVE-2021-26855"],"campaigns":[["ProxyLogon",["CVE-2021-26855"]]],"error":null},
            {"target":"10.0.0.9","reachable":false,"build":null,"open_cves":[],"error":"refused"}]}"#;
        let c = check(probe.to_vec()).unwrap();
        assert_eq!(c.parts.len(), 2);
        let m = c
            .parts
            .iter()
            .find(|p| p.name == "mail.example.org")
            .unwrap();
        assert_eq!(m.exposure, "exposed");
        assert_eq!(m.campaigns, vec!["ProxyLogon"]);
        assert!(m.verdict.is_none());
        let n = c.parts.iter().find(|p| p.name == "10.0.0.9").unwrap();
        assert_eq!(n.exposure, "unknown");
    }
}
