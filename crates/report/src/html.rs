//! The HTML report: one self-contained page for the people who will never
//! run a command line (the director, the insurer, the CERT, the police).
//!
//! Rendered with maud: the templates are Rust, checked when exhunt is
//! built, and every value spliced into them is HTML-escaped unless marked
//! otherwise (nothing from the evidence ever is). That is why maud and not
//! a runtime engine: a template error cannot reach a user, and escaping is
//! the default rather than a filter to remember. The page loads nothing
//! (no fonts, scripts or images from anywhere: a strict
//! Content-Security-Policy `<meta>` says so to the browser) and runs no
//! script at all: groups open with `<details>`, so it works from a USB
//! stick and prints to PDF from the browser.
//!
//! Order: the verdict and exposure in plain words and colour; what to do
//! now; what was found, grouped as the text report groups it, each group
//! opening to its evidence; what was taken; a timeline (SVG) of findings
//! against the time each log family covers; patch level; where exhunt
//! looked; rules; errors and files left out.

use crate::group::groups;
use crate::text::{minute, verdict_sentence};
use exhunt_core::time::iso_to_seconds;
use exhunt_core::{Finding, Report, Verdict};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::io::{self, Write};

/// Findings listed per group (the JSON has them all).
const ROWS_PER_GROUP: usize = 50;
/// Characters of a raw log line shown.
const RAW_CHARS: usize = 600;

/// The page's policy: nothing loaded from anywhere, no script, inline
/// styles only.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE: &str = r#"
:root{--bad:#b00020;--warn:#b35c00;--ok:#1b5e20;--grey:#555;--line:#ddd}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#111;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1rem}
header.verdict{padding:1rem 1.2rem;border-radius:6px;color:#fff;margin-bottom:1rem}
header.verdict h1{margin:0 0 .3rem;font-size:1.7rem}
.v-compromised,.v-exploited{background:var(--bad)}
.v-attempted,.v-inconclusive{background:var(--warn)}
.v-clean{background:var(--ok)}
.exposure{font-weight:600;margin:.4rem 0 0}
.meta{font-size:.9rem;opacity:.95;margin:.4rem 0 0;overflow-wrap:anywhere}
h2{border-bottom:2px solid var(--line);padding-bottom:.2rem;margin-top:1.8rem}
ol.steps li{margin:.35rem 0}
p,li{overflow-wrap:anywhere}
details{border:1px solid var(--line);border-radius:5px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-weight:600}
.sev{display:inline-block;min-width:5.5em;font-size:.8rem;padding:.05rem .4rem;border-radius:3px;color:#fff;text-align:center;margin-right:.4rem}
.sev-critical{background:#7b0016}.sev-high{background:var(--bad)}.sev-medium{background:var(--warn)}.sev-low{background:#6d6d00}.sev-info{background:var(--grey)}
.cert-confirmed{color:var(--bad);font-weight:700}.cert-possible{color:var(--warn);font-weight:700}.cert-info{color:var(--grey)}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:.9rem}
th,td{border:1px solid var(--line);padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f4f4}
code,pre{font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:.4rem;margin:.3rem 0}
.muted{color:var(--grey)}
svg{width:100%;height:auto;border:1px solid var(--line)}
footer{margin:2rem 0 1rem;font-size:.85rem;color:var(--grey)}
@media (max-width:640px){body{font-size:14px}table{font-size:.8rem}header.verdict h1{font-size:1.3rem}}
@media print{details{break-inside:avoid}details>*{display:block}header.verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"#;

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Clean => "v-clean",
        Verdict::Inconclusive => "v-inconclusive",
        Verdict::Attempted => "v-attempted",
        Verdict::Exploited => "v-exploited",
        Verdict::Compromised => "v-compromised",
    }
}

fn raw_line(f: &Finding) -> Option<String> {
    f.context
        .iter()
        .find(|c| c.line == f.line)
        .map(|c| c.text.clone())
        .or_else(|| f.evidence.get("line").cloned())
        .map(|s| s.chars().take(RAW_CHARS).collect())
}

fn finding_rows(r: &Report, first: &Finding) -> Markup {
    let members: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity == first.severity && f.rule == first.rule && f.title == first.title)
        .collect();
    let more = members.len().saturating_sub(ROWS_PER_GROUP);
    html! {
        @if !first.cves.is_empty() { p { "CVEs: " (first.cves.join(", ")) } }
        p.muted { "Rule " code { (first.rule) } " — " (first.source) }
        table {
            tr { th { "id" } th { "time (UTC)" } th { "where" } th { "evidence" } }
            @for f in members.iter().take(ROWS_PER_GROUP) {
                tr {
                    td { (f.id) }
                    td { (f.time.as_deref().map(minute).unwrap_or_default()) }
                    td {
                        code { (f.path) }
                        @if let Some(l) = f.line { " line " (l) }
                        @if let Some(h) = f.evidence.get("sha256") { br; span.muted { "SHA-256 " code { (h) } } }
                    }
                    td {
                        @for (k, v) in f.evidence.iter().filter(|(k, _)| !matches!(k.as_str(), "line" | "sha256")).take(8) {
                            span.muted { (k) ": " } (v.chars().take(300).collect::<String>()) br;
                        }
                        @if let Some(raw) = raw_line(f) { pre { (raw) } }
                    }
                }
            }
        }
        @if more > 0 { p.muted { "… and " (more) " more (the JSON report lists them all)." } }
    }
}

fn found(r: &Report) -> Markup {
    let main = groups(&r.findings, false);
    let leads = groups(&r.findings, true);
    html! {
        section #found {
            h2 { "What was found" }
            @if main.is_empty() { p { "Nothing that points to an intrusion." } }
            @for g in &main {
                details.group {
                    summary {
                        span class=(format!("sev sev-{}", g.first.severity.as_str())) { (g.first.severity.as_str().to_uppercase()) }
                        (g.first.title)
                        @if g.count > 1 { " (×" (g.count) ")" }
                        @if let Some(t) = g.first_time {
                            span.muted { " — " (minute(t)) @if let Some(l) = g.last_time.filter(|l| *l != t) { " to " (minute(l)) } }
                        }
                        @if !g.ips.is_empty() { span.muted { " — from " (g.ips.iter().take(3).copied().collect::<Vec<_>>().join(", ")) } }
                    }
                    (finding_rows(r, g.first))
                }
            }
            @if !leads.is_empty() {
                h3 { "Leads (on record; they do not move the verdict on their own)" }
                @for g in &leads {
                    details.group {
                        summary { span class="sev sev-info" { "INFO" } (g.first.title) @if g.count > 1 { " (×" (g.count) ")" } }
                        (finding_rows(r, g.first))
                    }
                }
            }
            @for s in &r.suppressed {
                p.muted { (s.count) " more rows of rule " code { (s.rule) } " counted, not listed." }
            }
        }
    }
}

fn taken(r: &Report) -> Markup {
    html! {
        section #taken {
            h2 { "What was taken" }
            @if r.taken.is_empty() { p { "Nothing in what was read shows that mail, the address book or credentials were taken." } }
            @else {
                table {
                    tr { th { "how sure" } th { "what" } th { "whose" } th { "when (UTC)" } th { "from" } th { "evidence" } }
                    @for e in &r.taken {
                        tr {
                            td class=(format!("cert-{}", e.certainty.as_str())) { (e.certainty.as_str().to_uppercase()) @if e.ongoing { br; "STILL LEAKING" } }
                            td { strong { (e.what.as_str()) } br; (e.how_text) @if let Some(t) = &e.to { br; span.muted { "to " (t) } } @if let Some(s) = e.size { br; span.muted { (s) " bytes" } } }
                            td { @for w in e.whose.iter().take(30) { (w) br; } @if e.whose.len() > 30 { span.muted { "… and " (e.whose.len() - 30) " more" } br; } @if let Some(n) = &e.whose_note { span.muted { (n) } } }
                            td { (e.first.as_deref().map(minute).unwrap_or_default()) @if let Some(l) = e.last.as_deref().filter(|l| Some(*l) != e.first.as_deref()) { " to " (minute(l)) } }
                            td { (e.clients.join(", ")) }
                            td { (e.findings.join(", ")) @for x in e.evidence.iter().filter(|x| x.finding.is_none()).take(3) { br; code { (x.path) @if let Some(l) = x.line { ":" (l) } } } }
                        }
                    }
                }
            }
        }
    }
}

/// Findings over time against the time each log family covers: a reader
/// sees which days no log can speak for.
fn timeline(r: &Report) -> Markup {
    let spans: Vec<(&str, i64, i64)> = r
        .coverage
        .iter()
        .filter_map(|c| {
            Some((
                c.family.as_str(),
                iso_to_seconds(c.first.as_deref()?)?,
                iso_to_seconds(c.last.as_deref()?)?,
            ))
        })
        .collect();
    let points: Vec<(i64, &Finding)> = r
        .findings
        .iter()
        .filter_map(|f| Some((iso_to_seconds(f.time.as_deref()?)?, f)))
        .collect();
    let lo = spans
        .iter()
        .map(|s| s.1)
        .chain(points.iter().map(|p| p.0))
        .min();
    let hi = spans
        .iter()
        .map(|s| s.2)
        .chain(points.iter().map(|p| p.0))
        .max();
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return html! { section #timeline { h2 { "Timeline" } p { "No log with times was read." } } };
    };
    let width = 1000.0_f64;
    let (left, right) = (190.0, 10.0);
    let x = |t: i64| left + (width - left - right) * ((t - lo) as f64 / ((hi - lo).max(1)) as f64);
    let row = 18.0;
    let top = 30.0;
    let height = top + row * (spans.len() as f64 + 1.0) + 30.0;
    html! {
        section #timeline {
            h2 { "Timeline" }
            p.muted { "Bars: the time each log family covers. Marks: findings (red: moves the verdict; grey: leads). Where no bar runs, no log could show anything." }
            svg viewBox=(format!("0 0 {width} {height}")) role="img" aria-label="Findings over time against log coverage" xmlns="http://www.w3.org/2000/svg" {
                text x="4" y="18" font-size="12" { (minute(&exhunt_core::time::seconds_to_iso(lo))) }
                text x=(width - 4.0) y="18" font-size="12" text-anchor="end" { (minute(&exhunt_core::time::seconds_to_iso(hi))) }
                @for (i, (fam, a, b)) in spans.iter().enumerate() {
                    text x="4" y=(top + row * i as f64 + 12.0) font-size="11" { (fam) }
                    rect x=(format!("{:.1}", x(*a))) y=(top + row * i as f64 + 2.0) width=(format!("{:.1}", (x(*b) - x(*a)).max(1.5))) height="12" fill="#9ecae1" {}
                }
                @for (t, f) in &points {
                    rect x=(format!("{:.1}", x(*t) - 1.0)) y=(top + row * spans.len() as f64 + 2.0) width="2" height="16"
                        fill=(if f.severity.moves_verdict() { "#b00020" } else { "#888" }) {
                        title { (f.id) " " (minute(f.time.as_deref().unwrap_or(""))) " " (f.title) }
                    }
                }
                text x="4" y=(top + row * spans.len() as f64 + 14.0) font-size="11" { "findings" }
            }
        }
    }
}

fn patch(r: &Report) -> Markup {
    html! {
        section #patch {
            h2 { "Patch level" }
            p.exposure { (r.exposure.summary) }
            @match &r.patch {
                None => p { "No build evidence was found: the patch level could not be told." },
                Some(p) => {
                    p { "Build " code { (p.build) } " (" (p.product) "), read from " (p.source) "." }
                    @if !p.open_cves.is_empty() { p { "Open CVEs: " (p.open_cves.join(", ")) } p { "To install: " (p.install) } }
                    @if !p.history.is_empty() {
                        table {
                            tr { th { "build" } th { "seen in" } th { "from" } th { "to" } }
                            @for h in &p.history {
                                tr { td { code { (h.build) } } td { (h.source) br; code { (h.path) } } td { (h.first.as_deref().map(minute).unwrap_or_default()) } td { (h.last.as_deref().map(minute).unwrap_or_default()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn looked(r: &Report) -> Markup {
    html! {
        section #looked {
            h2 { "Where exhunt looked" }
            p { "Inputs: " @for i in &r.inputs { code { (i) } " " } }
            p { (r.stats.files_seen) " files seen, " (r.stats.files_examined) " examined, " (r.stats.lines_read) " log lines and " (r.stats.bytes_read) " bytes read." }
            table {
                tr { th { "log family" } th { "first (UTC)" } th { "last (UTC)" } th { "files" } }
                @for c in &r.coverage {
                    tr { td { (c.family) } td { (c.first.as_deref().map(minute).unwrap_or_default()) } td { (c.last.as_deref().map(minute).unwrap_or_default()) } td { (c.files) } }
                }
            }
            @if let Some(d) = &r.discovery {
                table {
                    tr { th { "place" } th { "Windows path" } th { "status" } }
                    @for p in &d.places { tr { td { (p.what) } td { code { (p.windows_path) } } td { (p.status) } } }
                }
            }
        }
    }
}

fn rules_and_errors(r: &Report) -> Markup {
    let loaded = |engine: &str| {
        r.rules
            .iter()
            .filter(|l| l.engine == engine && l.status == "loaded")
            .count()
    };
    let skipped: Vec<_> = r.rules.iter().filter(|l| l.status != "loaded").collect();
    html! {
        section #rules {
            h2 { "Rules" }
            p { (loaded("sigma")) " Sigma rules, " (loaded("yara")) " YARA rule files and " (loaded("iocs")) " indicator files loaded; " (skipped.len()) " skipped." }
            @if !skipped.is_empty() {
                details { summary { "Skipped rules" } ul { @for s in &skipped { li { code { (s.origin) } " — " (s.reason.as_deref().unwrap_or("")) } } } }
            }
        }
        section #errors {
            h2 { "Errors and files left out" }
            @if r.errors.is_empty() && r.skipped.is_empty() { p { "Every file was read." } }
            @if !r.errors.is_empty() {
                p { "The verdict speaks only for what was read. These could not be read completely:" }
                ul { @for e in &r.errors { li { code { (e.path) } ": " (e.message) } } }
            }
            @if !r.skipped.is_empty() {
                details { summary { (r.skipped.len()) " file(s) not read on purpose" } ul { @for s in &r.skipped { li { code { (s.path) } ": " (s.reason) } } } }
            }
        }
    }
}

fn page(r: &Report) -> Markup {
    let logs_from = r.coverage.iter().filter_map(|c| c.first.as_deref()).min();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { "exhunt report: " (r.server_name()) " — " (r.verdict.to_string().to_uppercase()) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    header class=(format!("verdict {}", verdict_class(r.verdict))) {
                        h1 #verdict { "VERDICT: " (r.verdict.to_string().to_uppercase()) }
                        p { (verdict_sentence(r.verdict)) }
                        @for why in &r.why_inconclusive { p { (why) } }
                        p.exposure { (r.exposure.summary) }
                        p.meta {
                            "Server: " (r.server_name())
                            @if let Some(f) = logs_from { " — the logs read reach back to " (minute(f)) " UTC" }
                        }
                    }
                    section #steps {
                        h2 { "What to do now" }
                        ol.steps { @for s in &r.next_steps { li { (s) } } }
                    }
                    (found(r))
                    (taken(r))
                    (timeline(r))
                    (patch(r))
                    (looked(r))
                    (rules_and_errors(r))
                    footer { "exhunt " (r.tool.version) " — report " (r.schema) ". The JSON report (--format json) holds every detail." }
                }
            }
        }
    }
}

pub(crate) fn html(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(page(r).into_string().as_bytes())
}
