//! "What was taken": the exposure ledger, as a text section and as CSV for
//! the people who must notify (one row per entry and mailbox or account).

use crate::safe::{csv_cell, safe};
use crate::text::minute;
use exhunt_core::{Certainty, Report, TakenEntry};
use std::io::{self, Write};

/// Mailboxes or accounts named per entry in the text; the JSON and the CSV
/// have them all.
const WHOSE_LISTED: usize = 8;

fn size(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The entry's first line: what, how sure, how.
fn headline(e: &TakenEntry) -> String {
    let what = match e.what {
        exhunt_core::TakenWhat::Mailbox => {
            if e.whose.len() > 1 {
                format!("{} mailboxes", e.whose.len())
            } else {
                "Mailbox".to_string()
            }
        }
        exhunt_core::TakenWhat::AddressBook => "Address book".to_string(),
        exhunt_core::TakenWhat::Credentials => "Credentials".to_string(),
        exhunt_core::TakenWhat::MailFlow => "Mail flow".to_string(),
    };
    format!(
        "{:<9} {what}: {}{}",
        e.certainty.as_str().to_uppercase(),
        e.how_text,
        if e.ongoing { " (STILL LEAKING)" } else { "" }
    )
}

/// The text section, right after "What was found"; nothing when the
/// ledger is empty.
pub(crate) fn section(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    if r.taken.is_empty() {
        return Ok(());
    }
    let thefts = r
        .taken
        .iter()
        .filter(|e| e.certainty != Certainty::Info)
        .count();
    if thefts == 0 {
        writeln!(w, "What was taken: nothing shows a theft; on record:")?;
    } else {
        writeln!(w, "What was taken:")?;
    }
    for e in &r.taken {
        writeln!(w, "  {}", safe(&headline(e)))?;
        if !e.whose.is_empty() {
            let more = e.whose.len().saturating_sub(WHOSE_LISTED);
            let shown: Vec<&str> = e
                .whose
                .iter()
                .take(WHOSE_LISTED)
                .map(String::as_str)
                .collect();
            writeln!(
                w,
                "            whose: {}{}",
                safe(&shown.join(", ")),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
        if let Some(n) = &e.whose_note {
            writeln!(w, "            {}", safe(n))?;
        }
        let mut d = Vec::new();
        match (e.first.as_deref(), e.last.as_deref()) {
            (Some(a), Some(b)) if minute(a) != minute(b) => {
                d.push(format!("{} to {} UTC", minute(a), minute(b)))
            }
            (Some(a), _) => d.push(format!("{} UTC", minute(a))),
            _ => {}
        }
        if !e.clients.is_empty() {
            d.push(format!(
                "from {}",
                e.clients
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(s) = e.size {
            d.push(size(s));
        }
        if let Some(t) = &e.to {
            d.push(format!("to {t}"));
        }
        if !d.is_empty() {
            writeln!(w, "            {}", safe(&d.join("; ")))?;
        }
        let mut ev: Vec<String> = e.findings.iter().take(5).cloned().collect();
        if let Some(first) = e.evidence.iter().find(|x| x.finding.is_none()) {
            ev.push(match first.line {
                Some(l) => format!("{}:{l}", first.path),
                None => first.path.clone(),
            });
        }
        if !ev.is_empty() {
            writeln!(w, "            evidence: {}", safe(&ev.join(", ")))?;
        }
    }
    writeln!(w)
}

/// Entries on the first screen.
const BRIEF_ENTRIES: usize = 3;

/// The first screen's lines: the thefts (not what is only on record), one
/// line each, the first names.
pub(crate) fn brief(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let thefts: Vec<&TakenEntry> = r
        .taken
        .iter()
        .filter(|e| e.certainty != Certainty::Info)
        .collect();
    if thefts.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "What was taken{} (--detail says whose, how and the evidence):",
        if thefts.len() > BRIEF_ENTRIES {
            format!(", the first {} of {}", BRIEF_ENTRIES, thefts.len())
        } else {
            String::new()
        }
    )?;
    for e in thefts.iter().take(BRIEF_ENTRIES) {
        let who = if e.whose.is_empty() {
            String::new()
        } else {
            let more = e.whose.len().saturating_sub(2);
            format!(
                ": {}{}",
                e.whose
                    .iter()
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        let what = match e.what {
            exhunt_core::TakenWhat::Mailbox if e.whose.len() > 1 => {
                format!("{} mailboxes", e.whose.len())
            }
            exhunt_core::TakenWhat::Mailbox => "mailbox".to_string(),
            exhunt_core::TakenWhat::AddressBook => "the address book".to_string(),
            exhunt_core::TakenWhat::Credentials => "credentials".to_string(),
            exhunt_core::TakenWhat::MailFlow => "mail still forwarded out".to_string(),
        };
        writeln!(
            w,
            "  {:<9} {}",
            e.certainty.as_str().to_uppercase(),
            safe(&format!("{what} ({}){who}", e.how))
        )?;
    }
    Ok(())
}

/// The ledger as CSV: one row per entry and mailbox or account (an entry
/// that names none has one row), cells neutralised for spreadsheets.
pub(crate) fn csv(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let head = [
        "host",
        "what",
        "whose",
        "how",
        "certainty",
        "still_leaking",
        "first",
        "last",
        "clients",
        "to",
        "size_bytes",
        "count",
        "findings",
        "evidence",
        "note",
        "how_text",
    ];
    out.write_record(head).map_err(io::Error::other)?;
    for e in &r.taken {
        let whose: Vec<&str> = if e.whose.is_empty() {
            vec![""]
        } else {
            e.whose.iter().map(String::as_str).collect()
        };
        let evidence: Vec<String> = e
            .evidence
            .iter()
            .map(|x| match x.line {
                Some(l) => format!("{}:{l}", x.path),
                None => x.path.clone(),
            })
            .collect();
        for who in whose {
            let row = [
                e.host.clone().unwrap_or_default(),
                e.what.as_str().to_string(),
                who.to_string(),
                e.how.clone(),
                e.certainty.as_str().to_string(),
                e.ongoing.to_string(),
                e.first.clone().unwrap_or_default(),
                e.last.clone().unwrap_or_default(),
                e.clients.join(" "),
                e.to.clone().unwrap_or_default(),
                e.size.map(|s| s.to_string()).unwrap_or_default(),
                e.count.to_string(),
                e.findings.join(" "),
                evidence.join(" "),
                e.whose_note.clone().unwrap_or_default(),
                e.how_text.clone(),
            ];
            out.write_record(row.iter().map(|c| csv_cell(c).into_owned()))
                .map_err(io::Error::other)?;
        }
    }
    out.flush()
}
