//! The summary for a person: verdict first, then what was found, where
//! exhunt looked, how far back the logs reach, what could not be read, and
//! what to do now. One function per section, in the order they are written.

use crate::group::{groups, Group};
use crate::safe::safe;
use exhunt_core::{
    Coverage, ErrorEntry, Patch, Report, RuleLoad, Skipped, Stats, Suppressed, SystemDiscovery,
    Verdict,
};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// At most this many unreadable files are named; the JSON has them all.
const ERRORS_LISTED: usize = 20;
/// At most this many files not read on purpose are named.
const SKIPPED_LISTED: usize = 5;
/// At most this many reasons for skipped rules are named, per engine.
const RULE_REASONS_LISTED: usize = 10;
/// At most this many client addresses are named per finding group.
const IPS_LISTED: usize = 3;
/// The key evidence of a finding is cut to this many characters.
const EVIDENCE_CHARS: usize = 160;

pub(crate) fn text(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut buf = Vec::new();
    if r.servers.is_empty() {
        sections(r, &mut buf)?;
    } else {
        fleet(r, &mut buf)?;
    }
    // Every string from the evidence is written through `safe` by the
    // sections; this last pass escapes any control or bidi character that
    // still reached the text (a section that forgot), keeping only the
    // line ends the sections wrote.
    crate::safe::write_clean_text(&buf, w)
}

/// The sections, in order.
fn sections(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    header(r, w)?;
    findings(r, w)?;
    crate::ledger::section(r, w)?;
    if let Some(d) = &r.discovery {
        discovery(d, w)?;
    }
    // One block says how much the verdict rests on: the logs' reach, the
    // build, the rules used and the files left out.
    coverage(&r.coverage, &r.stats, w)?;
    patch(r.patch.as_ref(), w)?;
    rules(&r.rules, w)?;
    skipped(&r.skipped, w)?;
    writeln!(w)?;
    errors(&r.errors, w)?;
    next_steps(&r.next_steps, w)
}

/// Several servers: one line each (verdict and exposure), then each
/// server's whole report under its name.
fn fleet(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    fleet_header(r, w)?;
    let names: Vec<String> = r.servers.iter().map(Report::server_name).collect();
    for (k, (s, name)) in r.servers.iter().zip(&names).enumerate() {
        writeln!(
            w,
            "════ Server {} of {}: {} ════",
            k + 1,
            r.servers.len(),
            safe(name)
        )?;
        sections(s, w)?;
        writeln!(w)?;
    }
    Ok(())
}

/// The fleet's headline: the worst verdict, then one line per server.
pub(crate) fn fleet_header(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "exhunt {} — Exchange compromise check", r.tool.version)?;
    writeln!(
        w,
        "Scanned {} servers: {}",
        r.servers.len(),
        safe(&r.inputs.join(", "))
    )?;
    writeln!(w)?;
    let mut counts: Vec<(Verdict, usize)> = Vec::new();
    for s in &r.servers {
        match counts.iter_mut().find(|(v, _)| *v == s.verdict) {
            Some(c) => c.1 += 1,
            None => counts.push((s.verdict, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    writeln!(
        w,
        "VERDICT (worst of {} servers): {}{}",
        r.servers.len(),
        r.verdict.as_str().to_uppercase(),
        if r.incomplete {
            "  (incomplete: some files could not be read)"
        } else {
            ""
        }
    )?;
    writeln!(
        w,
        "  {}",
        counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    let names: Vec<String> = r.servers.iter().map(Report::server_name).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for (s, name) in r.servers.iter().zip(&names) {
        writeln!(
            w,
            "  {:<width$}  {:<12}  {}",
            safe(name).to_string(),
            s.verdict.as_str().to_uppercase(),
            crate::screen::exposure_word(s.exposure.state)
        )?;
    }
    writeln!(w)
}

/// One line that says what the verdict means.
pub fn verdict_sentence(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "No trace of exploitation was found in what was read.",
        Verdict::Inconclusive => {
            "No trace was found, but what was read cannot tell whether the server was broken into."
        }
        Verdict::Attempted => {
            "Someone tried to break in through the known Exchange flaws; nothing read shows they succeeded."
        }
        Verdict::Exploited => "An exploit step against this server succeeded.",
        Verdict::Compromised => "An intruder acted on this server.",
    }
}

/// A time to the minute, for reading: `2021-03-03T06:49:42.162Z` →
/// `2021-03-03 06:49`. Times come from the evidence (an IIS line's date and
/// time columns as written): cut by characters, never inside one, and
/// escaped.
pub(crate) fn minute(t: &str) -> String {
    let cut: String = t.chars().take(16).collect();
    safe(&cut.replace('T', " ")).to_string()
}

/// What was scanned and the verdict, with what it means.
pub(crate) fn header(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "exhunt {} — Exchange compromise check", r.tool.version)?;
    writeln!(w, "Scanned: {}", safe(&r.inputs.join(", ")))?;
    if let Some(h) = &r.host {
        writeln!(w, "Server: {}", safe(h))?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "VERDICT: {}{}",
        r.verdict.as_str().to_uppercase(),
        if r.incomplete {
            "  (incomplete: some files could not be read)"
        } else {
            ""
        }
    )?;
    writeln!(w, "  {}", verdict_sentence(r.verdict))?;
    for why in &r.why_inconclusive {
        writeln!(w, "  {}", safe(why))?;
    }
    // The second headline: the build's exposure (never part of the verdict).
    if !r.exposure.summary.is_empty() {
        writeln!(w, "{}", safe(&r.exposure.summary))?;
    }
    writeln!(w)
}

/// "What was found": the findings that move the verdict, grouped, then the
/// noisy rows only counted, then the leads.
fn findings(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    let main = groups(&r.findings, false);
    if main.is_empty() {
        writeln!(w, "What was found: nothing that points to an intrusion.")?;
    } else {
        writeln!(w, "What was found:")?;
        for g in &main {
            group(g, w)?;
        }
    }
    suppressed(&r.suppressed, w)?;
    leads(&groups(&r.findings, true), w)?;
    writeln!(w)
}

/// A group's first line: severity, `prefix` (a server's name and `: `, or
/// nothing), title and count.
pub(crate) fn group_line(g: &Group<'_>, prefix: &str, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "  {:<8} {prefix}{}{}",
        g.first.severity.as_str().to_uppercase(),
        safe(&g.first.title),
        if g.count > 1 {
            format!("  (x{})", g.count)
        } else {
            String::new()
        }
    )
}

/// One group of findings: severity and title, when and from where, the
/// first file and id, and the one piece of evidence to check first.
fn group(g: &Group<'_>, w: &mut dyn Write) -> io::Result<()> {
    let f = g.first;
    group_line(g, "", w)?;
    let mut detail = Vec::new();
    match (g.first_time, g.last_time) {
        (Some(a), Some(b)) if a != b => detail.push(format!("{} to {} UTC", minute(a), minute(b))),
        (Some(a), _) => detail.push(format!("{} UTC", minute(a))),
        _ => {}
    }
    if !g.ips.is_empty() {
        let shown: Vec<&str> = g.ips.iter().take(IPS_LISTED).copied().collect();
        let more = g.ips.len().saturating_sub(IPS_LISTED);
        detail.push(format!(
            "from {}{}",
            safe(&shown.join(", ")),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if !f.cves.is_empty() {
        detail.push(safe(&f.cves.join(", ")).to_string());
    }
    if !detail.is_empty() {
        writeln!(w, "           {}", detail.join("; "))?;
    }
    let loc = match f.line {
        Some(l) => format!("{}:{}", safe(&f.path), l),
        None => safe(&f.path).to_string(),
    };
    writeln!(w, "           first seen in {loc} [{}]", safe(&f.id))?;
    // The one piece of evidence a reader checks first, by record type.
    let key = [
        "path",
        "AnchorMailbox",
        "CommandLine",
        "TargetFilename",
        "c-uri",
        "Data",
        "line",
    ]
    .iter()
    .find_map(|k| f.evidence.get(*k));
    if let Some(p) = key {
        let p: String = p.chars().take(EVIDENCE_CHARS).collect();
        writeln!(w, "           {}", safe(&p))?;
    }
    Ok(())
}

/// Rows of noisy rules counted but not listed one by one.
fn suppressed(suppressed: &[Suppressed], w: &mut dyn Write) -> io::Result<()> {
    for s in suppressed {
        writeln!(
            w,
            "  ... and {} more {} rows{}{}, counted but not listed one by one",
            s.count,
            safe(&s.rule),
            match s.severity {
                Some(sev) => format!(" ({})", sev.as_str()),
                None => String::new(),
            },
            match (&s.first, &s.last) {
                (Some(a), Some(b)) => format!(" ({} to {} UTC)", minute(a), minute(b)),
                _ => String::new(),
            }
        )?;
        if !s.clients.is_empty() {
            writeln!(
                w,
                "      from {}{}",
                safe(&s.clients.join(", ")),
                if s.more_clients { " and more" } else { "" }
            )?;
        }
        if let Some(at) = &s.sample {
            writeln!(w, "      one of them: {}", safe(at))?;
        }
    }
    Ok(())
}

/// Leads: findings that need corroboration, one line per group.
fn leads(leads: &[Group<'_>], w: &mut dyn Write) -> io::Result<()> {
    if leads.is_empty() {
        return Ok(());
    }
    let n: usize = leads.iter().map(|g| g.count).sum();
    writeln!(
        w,
        "  Leads that do not change the verdict on their own ({n}; details with --format json):"
    )?;
    for g in leads {
        writeln!(
            w,
            "    {} (x{}), e.g. {}",
            safe(&g.first.title),
            g.count,
            safe(&g.first.path)
        )?;
    }
    Ok(())
}

/// "Where exhunt looked": where discovery looked on a system root and
/// where it learnt it.
fn discovery(d: &SystemDiscovery, w: &mut dyn Write) -> io::Result<()> {
    let mut head = format!(
        "Where exhunt looked ({} {}",
        if d.live {
            "this server,"
        } else {
            "system root"
        },
        safe(&d.root)
    );
    if let Some(c) = &d.collected {
        head.push_str(&format!("; collected {}", minute(c)));
    }
    writeln!(w, "{head}):")?;
    match (&d.exchange_install, &d.exchange_install_from) {
        (Some(p), Some(from)) => writeln!(
            w,
            "  Exchange installed in {} (from {})",
            safe(p),
            safe(from)
        )?,
        _ => writeln!(w, "  Exchange install folder: not found")?,
    }
    for p in &d.places {
        if p.what == "Exchange install" {
            continue;
        }
        // Where a place came from is worth saying when it was read from
        // the server's own settings, not assumed.
        let learnt = ["registry", "applicationHost", "environment"]
            .iter()
            .any(|k| p.from.contains(k));
        let status = if p.status == "scanned" {
            "scanned  "
        } else if p.status.starts_with("within ") {
            "(inside) "
        } else {
            "not read "
        };
        write!(
            w,
            "  {status} {:<30} {}",
            safe(&p.what),
            safe(&p.windows_path)
        )?;
        if learnt {
            write!(w, "  (from {})", safe(&p.from))?;
        }
        if !p.status.starts_with("within ") && p.status != "scanned" {
            write!(w, ": {}", safe(&p.status))?;
        }
        writeln!(w)?;
    }
    for n in &d.notes {
        writeln!(w, "  Note: {}", safe(n))?;
    }
    writeln!(w)
}

/// "How far back the logs reach": each log family's span, and how much
/// was read in all.
fn coverage(coverage: &[Coverage], stats: &Stats, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "How far back the logs reach:")?;
    if coverage.is_empty() {
        writeln!(w, "  No Exchange logs were found in the input.")?;
    }
    for c in coverage {
        writeln!(
            w,
            "  {:<24} {:>6} file(s)  {} to {}",
            safe(&c.family),
            c.files,
            c.first.as_deref().map(minute).unwrap_or_else(|| "?".into()),
            c.last.as_deref().map(minute).unwrap_or_else(|| "?".into()),
        )?;
    }
    writeln!(
        w,
        "  Read {} file(s) of {} seen, {} log lines, {:.1} MB.",
        stats.files_examined,
        stats.files_seen,
        stats.lines_read,
        stats.bytes_read as f64 / 1e6
    )
}

/// The Exchange build, the CVEs it leaves open and what to install.
fn patch(patch: Option<&Patch>, w: &mut dyn Write) -> io::Result<()> {
    let Some(p) = patch else {
        return writeln!(
            w,
            "  Patch status: no build found (no ExSetup.exe, Setup registry export or Exchange log header in the input)."
        );
    };
    writeln!(
        w,
        "  Exchange build {} ({}, update level {}), from {}.",
        safe(&p.build),
        safe(&p.product),
        safe(p.update_level.as_deref().unwrap_or("unknown")),
        safe(&p.source)
    )?;
    let campaigns = p.open_campaigns();
    if p.open_cves.is_empty() {
        writeln!(w, "  Patch status: none of the campaigns' CVEs open.")?;
    } else {
        writeln!(
            w,
            "  Patch status: {} CVE(s) open{}.",
            p.open_cves.len(),
            if campaigns.is_empty() {
                String::new()
            } else {
                format!(", exploitable by {}", safe(&campaigns.join(", ")))
            }
        )?;
        writeln!(w, "  To install: {}", safe(&p.install))?;
    }
    for n in &p.notes {
        writeln!(w, "  Note: {}", safe(n))?;
    }
    Ok(())
}

/// Sigma rules, YARA rule files and indicator files: how many were loaded,
/// whose, and why the others were skipped.
fn rules(rules: &[RuleLoad], w: &mut dyn Write) -> io::Result<()> {
    for (engine, label) in [
        ("sigma", "Sigma rules"),
        ("yara", "YARA rule files"),
        ("iocs", "Indicator files"),
    ] {
        let rules: Vec<_> = rules.iter().filter(|x| x.engine == engine).collect();
        if rules.is_empty() {
            continue;
        }
        let loaded = rules.iter().filter(|x| x.status == "loaded").count();
        let bundled = rules
            .iter()
            .filter(|x| x.status == "loaded" && x.origin.starts_with("bundled:"))
            .count();
        let skipped: Vec<_> = rules.iter().filter(|x| x.status != "loaded").collect();
        writeln!(
            w,
            "  {label}: {loaded} loaded ({bundled} bundled, {} yours), {} skipped.",
            loaded - bundled,
            skipped.len()
        )?;
        // Skipped rules grouped by reason, so a big folder stays readable.
        let mut reasons: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for x in &skipped {
            reasons
                .entry(x.reason.as_deref().unwrap_or("unknown"))
                .or_default()
                .push(x.origin.as_str());
        }
        for (reason, files) in reasons.iter().take(RULE_REASONS_LISTED) {
            writeln!(
                w,
                "    skipped {}: {} (e.g. {})",
                files.len(),
                safe(reason),
                safe(files[0])
            )?;
        }
    }
    Ok(())
}

/// Files not read on purpose (too large, links), the first few named.
fn skipped(skipped: &[Skipped], w: &mut dyn Write) -> io::Result<()> {
    if skipped.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "  Not read on purpose: {} file(s) (too large or links); listed under \"skipped\" in --format json.",
        skipped.len()
    )?;
    for s in skipped.iter().take(SKIPPED_LISTED) {
        writeln!(w, "    {}: {}", safe(&s.path), safe(&s.reason))?;
    }
    Ok(())
}

/// "Could not read": files the scan went on without.
fn errors(errors: &[ErrorEntry], w: &mut dyn Write) -> io::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(w, "Could not read ({}):", errors.len())?;
    for e in errors.iter().take(ERRORS_LISTED) {
        writeln!(w, "  {}: {}", safe(&e.path), safe(&e.message))?;
    }
    if errors.len() > ERRORS_LISTED {
        writeln!(
            w,
            "  ... and {} more (see --format json)",
            errors.len() - ERRORS_LISTED
        )?;
    }
    writeln!(w)
}

/// "What to do now": the judge's next steps, numbered.
fn next_steps(steps: &[String], w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "What to do now:")?;
    for (i, s) in steps.iter().enumerate() {
        writeln!(w, "  {}. {}", i + 1, safe(s))?;
    }
    Ok(())
}
