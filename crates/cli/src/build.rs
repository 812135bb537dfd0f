//! `exhunt build VERSION...`: what a build number means for the server.

use anyhow::Result;
use exhunt_patch::{Explanation, Table};
use serde_json::{json, Value};
use std::io::Write;

/// Explains each build; 0 when all parsed, 2 when one did not (the others
/// are still explained).
pub fn run(versions: &[String], as_json: bool) -> Result<u8> {
    let table = Table::embedded();
    let mut code = 0;
    let mut results = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for v in versions {
        match table.explain(v) {
            Ok(e) => {
                if as_json {
                    results.push(to_json(&e));
                } else {
                    write_text(&mut out, &e)?;
                }
            }
            Err(msg) => {
                eprintln!("exhunt: error: {msg}");
                if as_json {
                    results.push(json!({"input": v, "error": msg.to_string()}));
                }
                code = 2;
            }
        }
    }
    if as_json {
        let doc = json!({"schema": "exhunt/build/v1", "results": results});
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    }
    Ok(code)
}

fn to_json(e: &Explanation) -> Value {
    let campaigns: serde_json::Map<String, Value> = e
        .by_campaign()
        .into_iter()
        .map(|(c, v)| {
            (
                c.to_string(),
                json!(v.iter().map(|o| &o.cve).collect::<Vec<_>>()),
            )
        })
        .collect();
    json!({
        "input": e.input,
        "build": e.build,
        "product": e.product,
        "cu_release_date": e.cu_release_date,
        "update_level": e.level,
        "listed": e.exact.as_ref().map(|r| json!({
            "update": r.update, "kb": r.kb, "release_date": r.release_date,
            "confirmed": r.confirmed(), "source": r.source,
        })),
        "open_cves": e.open_cves(),
        "open": e.open.iter().map(|o| json!({"cve": o.cve, "campaign": o.campaign, "fixed_by": o.update, "kb": o.kb})).collect::<Vec<_>>(),
        "campaigns": campaigns,
        "install": e.install,
        "notes": e.notes,
    })
}

fn write_text(w: &mut impl Write, e: &Explanation) -> std::io::Result<()> {
    writeln!(w, "Build {} ({})", e.build, e.input.trim())?;
    write!(w, "  {}", e.product)?;
    if let Some(d) = &e.cu_release_date {
        write!(w, ", released {d}")?;
    }
    writeln!(w)?;
    match (&e.exact, &e.level) {
        (Some(r), _) => writeln!(
            w,
            "  Update level: {} ({}, {}){}",
            r.update,
            if r.kb.is_empty() {
                "no KB listed"
            } else {
                &r.kb
            },
            r.release_date,
            if r.confirmed() {
                ""
            } else {
                " — date/KB not confirmed by Microsoft"
            }
        )?,
        (None, Some(l)) => writeln!(w, "  Update level: at least {l}")?,
        (None, None) => {}
    }
    if e.open.is_empty() {
        writeln!(
            w,
            "  Open CVEs: none of those exhunt tracks (the campaigns' updates, March 2021 to November 2022)."
        )?;
    } else {
        writeln!(w, "  Open CVEs ({}):", e.open.len())?;
        for (campaign, v) in e.by_campaign() {
            let mut fixes: Vec<String> = Vec::new();
            for o in &v {
                let f = format!("{} {}", o.update, o.kb.replace(';', "/"));
                if !fixes.contains(&f) {
                    fixes.push(f);
                }
            }
            writeln!(
                w,
                "    {:<13} {}  (fixed by {})",
                campaign,
                v.iter()
                    .map(|o| o.cve.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                fixes.join("; ")
            )?;
        }
    }
    writeln!(w, "  What to install: {}", e.install)?;
    for n in &e.notes {
        writeln!(w, "  Note: {n}")?;
    }
    writeln!(w)
}
