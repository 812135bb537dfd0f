//! Timesketch: one JSON object per line, in the form Timesketch's importer
//! takes (its "Import from JSON or CSV" guide: the mandatory `message`,
//! `datetime` in ISO 8601 and `timestamp_desc`; the optional `timestamp` in
//! microseconds since 1970; any other attribute kept as a field).
//!
//! An event per finding with a time (a log row or event: `timestamp_desc`
//! says which clock), per file finding with a modification time, per entry
//! of what was taken (its first access), and one per server for the
//! verdict at the newest log time read, so that a clean server's timeline
//! says it was scanned. Findings with no time at all are left out: a
//! timeline cannot place them (the JSON report has them). Values are the
//! report's, unchanged: JSON's encoder escapes them, and Timesketch shows
//! them as text.

use exhunt_core::time::iso_to_seconds;
use exhunt_core::{Finding, Report, TakenEntry};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// Microseconds since 1970 and the ISO text of an exhunt time
/// (`2021-03-03T06:49:42.162Z`, `2021-03-03T07:13:00Z`).
fn when(t: &str) -> Option<(i64, String)> {
    let secs = iso_to_seconds(t)?;
    let frac = t
        .get(19..)
        .and_then(|r| r.strip_prefix('.'))
        .map(|r| {
            let digits: String = r
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .take(6)
                .collect();
            format!("{digits:0<6}").parse::<i64>().unwrap_or(0)
        })
        .unwrap_or(0);
    let micros = secs * 1_000_000 + frac;
    let iso = format!("{}.{:06}+00:00", &t[..19].replace(' ', "T"), frac);
    Some((micros, iso))
}

fn event(t: &str, desc: &str, message: String, extra: Map<String, Value>) -> Option<Value> {
    let (micros, iso) = when(t)?;
    let mut m = Map::new();
    m.insert("message".into(), Value::String(message));
    m.insert("datetime".into(), Value::String(iso));
    m.insert("timestamp".into(), json!(micros));
    m.insert("timestamp_desc".into(), Value::String(desc.to_string()));
    m.extend(extra);
    Some(Value::Object(m))
}

fn finding_event(r: &Report, f: &Finding) -> Option<Value> {
    let (t, desc) = match (&f.time, f.evidence.get("modified")) {
        (Some(t), _) => (
            t.as_str(),
            if f.line.is_some() {
                "Log record time"
            } else {
                "Event time"
            },
        ),
        (None, Some(m)) => (m.as_str(), "File modified time"),
        (None, None) => return None,
    };
    let client = ["ClientIpAddress", "c-ip"]
        .iter()
        .find_map(|k| f.evidence.get(*k));
    let mut extra = Map::new();
    extra.insert("data_type".into(), json!("exhunt:finding"));
    extra.insert("exhunt_id".into(), json!(f.id));
    extra.insert("rule".into(), json!(f.rule));
    extra.insert("severity".into(), json!(f.severity.as_str()));
    extra.insert("verdict".into(), json!(f.verdict.to_string()));
    extra.insert("kind".into(), json!(f.kind));
    extra.insert("cves".into(), json!(f.cves.join(", ")));
    extra.insert("attack".into(), json!(f.attack.join(", ")));
    extra.insert("source_file".into(), json!(f.path));
    if let Some(l) = f.line {
        extra.insert("line".into(), json!(l));
    }
    if let Some(ip) = client {
        extra.insert("client_ip".into(), json!(ip));
    }
    if let Some(h) = f.host.as_ref().or(r.host.as_ref()) {
        extra.insert("hostname".into(), json!(h));
    }
    if !f.related.is_empty() {
        extra.insert("related".into(), json!(f.related.join(" ")));
    }
    extra.insert("tag".into(), json!(["exhunt", f.severity.as_str()]));
    event(
        t,
        desc,
        format!(
            "[{}] {}{}",
            f.severity.as_str().to_uppercase(),
            f.title,
            client.map(|c| format!(" from {c}")).unwrap_or_default()
        ),
        extra,
    )
}

fn taken_event(r: &Report, e: &TakenEntry) -> Option<Value> {
    let t = e.first.as_deref()?;
    let mut extra = Map::new();
    extra.insert("data_type".into(), json!("exhunt:taken"));
    extra.insert("what".into(), json!(e.what.as_str()));
    extra.insert("how".into(), json!(e.how));
    extra.insert("certainty".into(), json!(e.certainty.as_str()));
    extra.insert("whose".into(), json!(e.whose.join(", ")));
    extra.insert("clients".into(), json!(e.clients.join(", ")));
    extra.insert("findings".into(), json!(e.findings.join(" ")));
    if let Some(h) = e.host.as_ref().or(r.host.as_ref()) {
        extra.insert("hostname".into(), json!(h));
    }
    extra.insert("tag".into(), json!(["exhunt", "taken"]));
    event(
        t,
        "First access",
        format!(
            "Taken ({}): {} {}{}",
            e.certainty.as_str(),
            e.what.as_str(),
            e.how_text,
            if e.whose.is_empty() {
                String::new()
            } else {
                format!(" ({} named)", e.whose.len())
            }
        ),
        extra,
    )
}

fn verdict_event(r: &Report) -> Option<Value> {
    let newest = r.coverage.iter().filter_map(|c| c.last.as_deref()).max()?;
    let mut extra = Map::new();
    extra.insert("data_type".into(), json!("exhunt:verdict"));
    extra.insert("verdict".into(), json!(r.verdict.to_string()));
    extra.insert("exposure".into(), json!(r.exposure.summary));
    if let Some(h) = &r.host {
        extra.insert("hostname".into(), json!(h));
    }
    extra.insert("tag".into(), json!(["exhunt", "verdict"]));
    event(
        newest,
        "Newest log record read",
        format!(
            "exhunt verdict for {}: {} (logs read up to this time)",
            r.server_name(),
            r.verdict.to_string().to_uppercase()
        ),
        extra,
    )
}

pub(crate) fn timesketch(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let servers: Vec<&Report> = if r.servers.is_empty() {
        vec![r]
    } else {
        r.servers.iter().collect()
    };
    for s in servers {
        let events = s
            .findings
            .iter()
            .filter_map(|f| finding_event(s, f))
            .chain(s.taken.iter().filter_map(|e| taken_event(s, e)))
            .chain(verdict_event(s));
        for v in events {
            serde_json::to_writer(&mut *w, &v)?;
            writeln!(w)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_microseconds_and_iso_with_an_offset() {
        assert_eq!(
            when("2021-03-03T06:49:42.162Z"),
            Some((
                1_614_754_182_162_000,
                "2021-03-03T06:49:42.162000+00:00".to_string()
            ))
        );
        assert_eq!(
            when("2021-03-03T06:49:42Z"),
            Some((
                1_614_754_182_000_000,
                "2021-03-03T06:49:42.000000+00:00".to_string()
            ))
        );
        assert_eq!(when("yesterday"), None);
    }
}
