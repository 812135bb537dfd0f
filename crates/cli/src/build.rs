//! `exhunt build VERSION...`: what a build number means for the server.
//!
//! Exit codes: 0 every build given is patched for every CVE of exhunt's
//! table, 10 at least one lacks a fix, 20 at least one could not be placed
//! (and none lacks a fix), 2 usage error (clap's).

use anyhow::Result;
use exhunt_patch::{parse_version, Explanation, Parsed, Table, VersionError};
use serde_json::{json, Value};
use std::io::Write;

/// What a build means for the exit code. Ordered by precedence: the worst
/// of several builds (or probe targets) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    /// Every CVE of the table fixed.
    Patched,
    /// Not a build exhunt can place: not a build of a product the table
    /// has, a CU the table does not list, or three parts where the update
    /// level decides.
    Unknown,
    /// At least one CVE of the table open.
    Exposed,
}

impl Status {
    pub(crate) fn code(self) -> u8 {
        match self {
            Status::Patched => 0,
            Status::Exposed => 10,
            Status::Unknown => 20,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Status::Patched => "patched",
            Status::Exposed => "exposed",
            Status::Unknown => "unknown",
        }
    }
}

/// The exit code of a set of statuses: the worst of them; 0 for none.
pub(crate) fn code_of(statuses: impl IntoIterator<Item = Status>) -> u8 {
    statuses.into_iter().max().unwrap_or(Status::Patched).code()
}

/// Whether an explained build is patched, exposed or cannot be told.
///
/// A full build is exposed when it lacks a fix, unknown when its CU is not
/// in the table (the table then says nothing of its updates, so "nothing
/// open" would be a guess), patched otherwise. A three-part build (the
/// update level unknown; `e` is its least patched reading) is exposed when
/// even its CU's newest listed update lacks a fix, patched when even the
/// CU as shipped lacks none, unknown between.
pub(crate) fn status(table: &Table, e: &Explanation) -> Status {
    let Ok(parsed) = parse_version(&e.input) else {
        return Status::Unknown;
    };
    let key = match parsed {
        Parsed::Full(v) => v.cu_key(),
        Parsed::Partial(k) => k,
    };
    let newest_listed = table
        .rows()
        .iter()
        .filter(|r| r.build.cu_key() == key && !r.is_alternative())
        .map(|r| r.build)
        .max();
    let most_patched_open = match (parsed, newest_listed) {
        (Parsed::Partial(_), Some(b)) => !table.assess(b, &e.input).open.is_empty(),
        _ => !e.open.is_empty(),
    };
    if most_patched_open {
        Status::Exposed
    } else if newest_listed.is_none() || !e.open.is_empty() {
        Status::Unknown
    } else {
        Status::Patched
    }
}

/// Explains each build (a string that is not one is named on standard
/// error, the others still explained); the exit code of them all.
pub fn run(versions: &[String], as_json: bool) -> Result<u8> {
    let table = Table::embedded();
    let explained: Vec<(&str, Result<Explanation, VersionError>, Status)> = versions
        .iter()
        .map(|v| {
            let e = table.explain(v);
            let s = e.as_ref().map_or(Status::Unknown, |e| status(table, e));
            (v.as_str(), e, s)
        })
        .collect();
    let code = code_of(explained.iter().map(|(_, _, s)| *s));
    let stdout = std::io::stdout();
    match write(&mut stdout.lock(), &explained, as_json) {
        // `exhunt build ... | head`: nobody reads the rest; the code stands.
        Err(e) if crate::broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

fn write(
    out: &mut impl Write,
    explained: &[(&str, Result<Explanation, VersionError>, Status)],
    as_json: bool,
) -> Result<()> {
    let mut results = Vec::new();
    for (v, e, s) in explained {
        match e {
            Ok(e) => {
                if as_json {
                    let mut j = to_json(e);
                    j["status"] = json!(s.word());
                    results.push(j);
                } else {
                    write_text(out, e, *s)?;
                }
            }
            Err(msg) => {
                eprintln!("exhunt: error: {msg}");
                if as_json {
                    results.push(json!({"input": v, "error": msg.to_string(), "status": s.word()}));
                }
            }
        }
    }
    if as_json {
        let doc = json!({"schema": "exhunt/build/v1", "results": results});
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
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

fn write_text(w: &mut impl Write, e: &Explanation, status: Status) -> std::io::Result<()> {
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
    if e.open.is_empty() && status == Status::Unknown {
        writeln!(
            w,
            "  Open CVEs: cannot be told (this build's CU is not in exhunt's table)."
        )?;
    } else if e.open.is_empty() {
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
    writeln!(
        w,
        "  Status: {}",
        match status {
            Status::Patched => "patched (every CVE exhunt tracks is fixed)",
            Status::Exposed => "exposed (at least one fix missing)",
            Status::Unknown => "unknown (exhunt cannot tell which fixes this build has)",
        }
    )?;
    writeln!(w, "  What to install: {}", e.install)?;
    for n in &e.notes {
        writeln!(w, "  Note: {n}")?;
    }
    writeln!(w)
}
