//! The pages, rendered with maud (every value escaped). Links are built
//! here from our own paths and percent-encoded values only.

use crate::Session;
use axum::http::StatusCode;
use exhunt_fleet::read::{Counts, Day, HistoryRow, ServerFilter, ServerRow, Shared, Sighting};
use maud::{html, Markup, DOCTYPE};
use std::collections::BTreeMap;

/// Percent-encodes a query value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// 30000 → "30,000".
fn num(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut o = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            o.push(',');
        }
        o.push(c);
    }
    if n < 0 {
        format!("-{o}")
    } else {
        o
    }
}

const VERDICTS: &[(&str, &str)] = &[
    ("compromised", "Compromised"),
    ("exploited", "Exploited"),
    ("attempted", "Attempted"),
    ("inconclusive", "Inconclusive"),
    ("clean", "Clean"),
    ("none", "Not scanned (probed only)"),
];

const EXPOSURES: &[(&str, &str)] = &[
    ("exposed", "Exposed to a campaign exploited in the wild"),
    ("unknown", "Build unknown"),
    ("patched", "Patched"),
];

fn verdict_word(v: Option<&str>) -> &str {
    v.unwrap_or("not scanned")
}

fn verdict_class(v: Option<&str>) -> &'static str {
    match v {
        Some("compromised") => "v v-compromised",
        Some("exploited") => "v v-exploited",
        Some("attempted") => "v v-attempted",
        Some("inconclusive") => "v v-inconclusive",
        Some("clean") => "v v-clean",
        _ => "v v-none",
    }
}

fn layout(title: &str, s: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · exhunt fleet" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                @if let Some(s) = s {
                    nav {
                        a.brand href="/" { "exhunt fleet" }
                        a href="/" { "Overview" }
                        a href="/servers" { "Servers" }
                        a href="/indicators" { "Indicator search" }
                        a href="/not-reporting" { "Not reporting" }
                        span.who {
                            (s.name)
                            @if let Some(o) = &s.org { " · " (o) } @else { " · every organisation" }
                        }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub fn error_page(status: StatusCode, msg: &str) -> Markup {
    layout(
        status.canonical_reason().unwrap_or("Error"),
        None,
        html! {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
            p { (msg) }
            p { a href="/" { "Back to the overview" } }
        },
    )
}

pub fn login(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "exhunt fleet: sign in" }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.login method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Name" input type="text" name="name" autocomplete="username" required; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" id="signin" { "Sign in" }
            }
        },
    )
}

fn delta(now: i64, before: i64) -> Markup {
    let d = now - before;
    html! {
        @if d > 0 { span.delta.up title="since 24 hours ago" { "+" (num(d)) } }
        @else if d < 0 { span.delta.down title="since 24 hours ago" { (num(d)) } }
        @else { span.delta title="since 24 hours ago" { "±0" } }
    }
}

/// Stacked bars per day, by verdict: SVG drawn here, colours as attributes
/// (the CSP allows no inline style).
fn chart(days: &[Day], now: i64) -> Markup {
    // One slot per day of the last 30, today last; days without reports
    // stay empty, so that a bar's place is its date.
    let slots: Vec<String> = (0..30)
        .rev()
        .map(|k| exhunt_fleet::iso(now - k * 86_400)[..10].to_string())
        .collect();
    let empty = Day {
        day: String::new(),
        verdict: BTreeMap::new(),
        exposure: BTreeMap::new(),
    };
    let by_day: BTreeMap<&str, &Day> = days.iter().map(|d| (d.day.as_str(), d)).collect();
    let days: Vec<(&str, &Day)> = slots
        .iter()
        .map(|s| {
            (
                s.as_str(),
                by_day.get(s.as_str()).copied().unwrap_or(&empty),
            )
        })
        .collect();
    let colour = |v: &str| match v {
        "compromised" => "#7b0016",
        "exploited" => "#b00020",
        "attempted" => "#b35c00",
        "inconclusive" => "#8a6d00",
        "clean" => "#1b5e20",
        _ => "#888888",
    };
    let (w, h, pad) = (800.0_f64, 220.0_f64, 30.0_f64);
    let max = days
        .iter()
        .map(|(_, d)| d.verdict.values().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(1) as f64;
    let bw = ((w - 2.0 * pad) / n).min(40.0);
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-label="Servers reporting each day, by verdict" {
            title { "Servers reporting each day, by verdict" }
            line x1=(pad) y1=(h - pad) x2=(w - pad) y2=(h - pad) stroke="#999" {}
            @for (i, (day, d)) in days.iter().enumerate() {
                @let x = pad + i as f64 * bw;
                @let mut y = h - pad;
                @for (v, _) in VERDICTS {
                    @let c = d.verdict.get(*v).copied().unwrap_or(0);
                    @if c > 0 {
                        @let bh = c as f64 / max * (h - 2.0 * pad);
                        @let top = { y -= bh; y };
                        rect x=(format!("{x:.1}")) y=(format!("{top:.1}")) width=(format!("{:.1}", (bw - 2.0).max(1.0))) height=(format!("{bh:.1}")) fill=(colour(v)) {
                            title { (day) ": " (num(c)) " " (v) }
                        }
                    }
                }
            }
            @if let (Some((f, _)), Some((l, _))) = (days.first(), days.last()) {
                text x=(pad) y=(h - 8.0) font-size="12" fill="#333" { (f) }
                text x=(w - pad) y=(h - 8.0) font-size="12" fill="#333" text-anchor="end" { (l) }
                text x=(pad) y=(pad - 10.0) font-size="12" fill="#333" { (num(max as i64)) " servers" }
            }
        }
        p.legend {
            @for (v, label) in VERDICTS {
                span.key { svg.swatch viewBox="0 0 10 10" { rect width="10" height="10" fill=(colour(v)) {} } " " (label) }
            }
        }
    }
}

fn server_link(r: &ServerRow) -> Markup {
    html! { a href=(format!("/servers/{}", r.id)) { (r.name) } }
}

fn exposure_cell(r: &ServerRow) -> Markup {
    html! {
        (r.exposure)
        @if !r.campaigns.is_empty() { br; small { (r.campaigns.join(", ")) } }
    }
}

pub fn overview(
    s: &Session,
    c: &Counts,
    before: &(BTreeMap<String, i64>, BTreeMap<String, i64>),
    days: &[Day],
    call: &[ServerRow],
) -> Markup {
    layout(
        "Overview",
        Some(s),
        html! {
            h1 { "The fleet today" }
            p.muted { (num(c.servers)) " servers in " (num(c.organisations)) " organisation(s). Changes are against 24 hours ago." }
            section.cards id="verdicts" {
                @for (v, label) in VERDICTS {
                    @let n = c.verdict.get(*v).copied().unwrap_or(0);
                    a class=(format!("card {}", verdict_class(Some(v)).trim_start_matches("v "))) href=(format!("/servers?verdict={v}")) data-verdict=(v) {
                        span.count { (num(n)) }
                        span.label { (label) }
                        (delta(n, before.0.get(*v).copied().unwrap_or(0)))
                    }
                }
            }
            section.cards id="exposure" {
                @for (e, label) in EXPOSURES {
                    @let n = c.exposure.get(*e).copied().unwrap_or(0);
                    a.card.exp href=(format!("/servers?exposure={e}")) data-exposure=(e) {
                        span.count { (num(n)) }
                        span.label { (label) }
                        (delta(n, before.1.get(*e).copied().unwrap_or(0)))
                    }
                }
            }
            @if !c.campaign.is_empty() {
                p { "Builds open to: "
                    @for (k, n) in &c.campaign {
                        a href=(format!("/servers?campaign={}", enc(k))) { (k) } " " (num(*n)) "  "
                    }
                }
            }
            h2 { "Over the last 30 days" }
            (chart(days, exhunt_fleet::now()))
            h2 { "Call first" }
            p.muted { "Compromised, then exploited, then exposed to a campaign exploited in the wild; the worst and latest first." }
            @if call.is_empty() {
                p { "No server is compromised, exploited or exposed." }
            } @else {
                table #call {
                    thead { tr { th { "Organisation" } th { "Server" } th { "Verdict" } th { "Exposure" } th { "Build" } th { "Last report" } th { "First step" } } }
                    tbody {
                        @for r in call {
                            tr {
                                td { (r.org) }
                                td { (server_link(r)) }
                                td { span class=(verdict_class(r.verdict.as_deref())) { (verdict_word(r.verdict.as_deref())) } }
                                td { (exposure_cell(r)) }
                                td { (r.build.as_deref().unwrap_or("unknown")) }
                                td { (r.last_seen) }
                                td { (r.first_step.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The query string of a filter, with `offset` replaced.
fn filter_query(f: &ServerFilter, offset: Option<i64>) -> String {
    let mut q: Vec<String> = Vec::new();
    let mut add = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            q.push(format!("{k}={}", enc(v)));
        }
    };
    add("verdict", &f.verdict);
    add("exposure", &f.exposure);
    add("campaign", &f.campaign);
    add("build", &f.build);
    add("org", &f.org);
    add("seen_before", &f.seen_before);
    add("seen_after", &f.seen_after);
    add("q", &f.q);
    add("sort", &f.sort);
    add("order", &f.order);
    if let Some(l) = f.limit {
        q.push(format!("limit={l}"));
    }
    if let Some(o) = offset {
        q.push(format!("offset={o}"));
    }
    q.join("&")
}

fn select(name: &str, current: Option<&str>, options: &[(&str, &str)]) -> Markup {
    html! {
        select name=(name) id=(format!("f-{name}")) {
            option value="" selected[current.is_none_or(str::is_empty)] { "any" }
            @for (v, label) in options {
                option value=(v) selected[current == Some(*v)] { (label) }
            }
        }
    }
}

pub fn server_list(s: &Session, f: &ServerFilter, total: i64, rows: &[ServerRow]) -> Markup {
    let offset = f.offset.unwrap_or(0).max(0);
    let limit = f.limit.unwrap_or(100);
    layout(
        "Servers",
        Some(s),
        html! {
            h1 { "Servers" }
            form.filters method="get" action="/servers" {
                label { "Verdict " (select("verdict", f.verdict.as_deref(), VERDICTS)) }
                label { "Exposure " (select("exposure", f.exposure.as_deref(), &[("exposed", "exposed"), ("unknown", "unknown"), ("patched", "patched")])) }
                label { "Campaign " (select("campaign", f.campaign.as_deref(), &[("ProxyLogon", "ProxyLogon"), ("ProxyShell", "ProxyShell"), ("ProxyNotShell", "ProxyNotShell"), ("OWASSRF", "OWASSRF")])) }
                @if s.org_id.is_none() {
                    label { "Organisation " input type="text" name="org" id="f-org" size="14" value=(f.org.as_deref().unwrap_or("")); }
                }
                label { "Build " input type="text" name="build" size="12" value=(f.build.as_deref().unwrap_or("")); }
                label { "Name " input type="text" name="q" size="12" value=(f.q.as_deref().unwrap_or("")); }
                label { "Last report after " input type="date" name="seen_after" value=(f.seen_after.as_deref().unwrap_or("")); }
                label { "before " input type="date" name="seen_before" value=(f.seen_before.as_deref().unwrap_or("")); }
                label { "Sort " (select("sort", f.sort.as_deref(), &[("priority", "worst first"), ("last_seen", "last report"), ("name", "name"), ("org", "organisation"), ("build", "build"), ("verdict", "verdict"), ("exposure", "exposure")])) }
                button type="submit" id="filter" { "Filter" }
            }
            p #total {
                @if total == 0 { "No server matches." }
                @else { "Servers " (num(offset + 1)) "–" (num((offset + rows.len() as i64).min(total))) " of " span #total-count { (num(total)) } }
                " · " a #csv href=(format!("/servers.csv?{}", filter_query(f, None))) { "Export CSV (the whole filter)" }
            }
            table #servers {
                thead { tr { th { "Organisation" } th { "Server" } th { "Verdict" } th { "Exposure" } th { "Build" } th { "Last report" } th { "Reports" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (r.org) }
                            td { (server_link(r)) }
                            td { span class=(verdict_class(r.verdict.as_deref())) { (verdict_word(r.verdict.as_deref())) } @if r.incomplete { " " small { "(incomplete)" } } }
                            td { (exposure_cell(r)) }
                            td { (r.build.as_deref().unwrap_or("unknown")) }
                            td { (r.last_seen) }
                            td { (num(r.reports)) }
                        }
                    }
                }
            }
            p.pages {
                @if offset > 0 {
                    a #prev href=(format!("/servers?{}", filter_query(f, Some((offset - limit).max(0))))) { "← previous" }
                }
                " "
                @if offset + limit < total {
                    a #next href=(format!("/servers?{}", filter_query(f, Some(offset + limit)))) { "next →" }
                }
            }
        },
    )
}

pub fn server_page(
    s: &Session,
    r: &ServerRow,
    history: &[HistoryRow],
    shared: &[Shared],
) -> Markup {
    layout(
        &r.name,
        Some(s),
        html! {
            header class=(format!("server {}", verdict_class(r.verdict.as_deref()))) {
                h1 { (r.name) }
                p { (r.org) " · verdict " strong #verdict { (verdict_word(r.verdict.as_deref())) }
                    " · " (r.exposure) @if !r.campaigns.is_empty() { " (" (r.campaigns.join(", ")) ")" }
                    " · build " (r.build.as_deref().unwrap_or("unknown")) @if let Some(p) = &r.product { " (" (p) ")" } }
                p { "Last report " (r.last_seen) " · first seen " (r.first_seen) " · " (num(r.reports)) " report(s)" }
            }
            @if let Some(step) = &r.first_step { p.step { strong { "First step: " } (step) } }
            h2 { "Indicators it shares with other servers" }
            @if shared.is_empty() {
                p.muted { "Its latest report names no indicator (attacker address, web-shell hash or path, user agent)." }
            } @else {
                table #shared {
                    thead { tr { th { "Kind" } th { "Value" } th { "Also seen on" } } }
                    tbody {
                        @for i in shared {
                            tr {
                                td { (i.kind) }
                                td { a href=(format!("/indicators?value={}", enc(&i.value))) { code { (i.value) } } }
                                td {
                                    @if i.servers == 0 { "no other server" }
                                    @else { (num(i.servers)) " other server(s) in " (num(i.orgs)) " organisation(s)" }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "History" }
            table #history {
                thead { tr { th { "Received" } th { "Kind" } th { "Verdict" } th { "Exposure" } th { "Build" } th { "Findings" } } }
                tbody {
                    @for h in history {
                        tr {
                            td { (h.received) }
                            td { (h.kind) }
                            td { span class=(verdict_class(h.verdict.as_deref())) { (verdict_word(h.verdict.as_deref())) } }
                            td { (h.exposure) }
                            td { (h.build.as_deref().unwrap_or("")) }
                            td { (num(h.findings)) }
                        }
                    }
                }
            }
            h2 { "Latest report" }
            @if r.kind == "probe" && r.verdict.is_none() {
                p.muted { "This server was only probed from the network: no scan report yet." }
            } @else {
                iframe.report src=(format!("/servers/{}/report.html", r.id)) sandbox="" title="The latest report" {}
                p { a href=(format!("/servers/{}/report.html", r.id)) { "Open the report on its own" } }
            }
        },
    )
}

pub fn no_report() -> Markup {
    error_page(StatusCode::NOT_FOUND, "This server has no scan report yet.")
}

pub fn indicator_page(
    s: &Session,
    value: &str,
    seen: &[Sighting],
    (servers, orgs, total): (i64, i64, i64),
) -> Markup {
    layout(
        "Indicator search",
        Some(s),
        html! {
            h1 { "Where was this seen?" }
            form.search method="get" action="/indicators" {
                label { "IP address, SHA-256, web-shell path or user agent "
                    input type="search" name="value" id="value" size="60" value=(value) required; }
                button type="submit" id="search" { "Search" }
            }
            @if !value.is_empty() {
                p #summary {
                    @if seen.is_empty() { "Not seen on any server." }
                    @else {
                        "Seen on " strong { (num(servers)) " server(s)" } " in "
                        strong { (num(orgs)) " organisation(s)" }
                        " (" (num(total)) " report(s))."
                        @if (seen.len() as i64) < total { " The " (num(seen.len() as i64)) " latest are listed; the CSV holds them all." }
                    }
                }
                @if !seen.is_empty() {
                    p {
                        a #export-csv href=(format!("/indicators.csv?value={}", enc(value))) { "Export CSV" }
                        " · "
                        a #export-stix href=(format!("/indicators.stix?value={}", enc(value))) { "Export STIX 2.1 bundle (TLP:AMBER)" }
                    }
                    table #sightings {
                        thead { tr { th { "Organisation" } th { "Server" } th { "Kind" } th { "First seen" } th { "Last seen" } th { "Times" } th { "Report received" } } }
                        tbody {
                            @for x in seen {
                                tr {
                                    td { (x.org) }
                                    td { a href=(format!("/servers/{}", x.server)) { (x.server_name) } }
                                    td { (x.kind) }
                                    td { (x.first.as_deref().unwrap_or("")) }
                                    td { (x.last.as_deref().unwrap_or("")) }
                                    td { (num(x.count)) }
                                    td { (x.received) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub fn not_reporting(
    s: &Session,
    days: i64,
    offset: i64,
    total: i64,
    rows: &[ServerRow],
    silent: &[exhunt_fleet::read::SilentOrg],
) -> Markup {
    layout(
        "Not reporting",
        Some(s),
        html! {
            h1 { "Not reporting" }
            form method="get" action="/not-reporting" {
                label { "Last report more than " input type="number" name="days" min="1" max="3650" value=(days); " days ago" }
                " " button type="submit" { "Show" }
            }
            h2 { "Servers silent for more than " (days) " days" }
            p #stale-total { (num(total)) " server(s)" }
            @if !rows.is_empty() {
                table #stale {
                    thead { tr { th { "Organisation" } th { "Server" } th { "Last report" } th { "Verdict then" } } }
                    tbody {
                        @for r in rows {
                            tr { td { (r.org) } td { (server_link(r)) } td { (r.last_seen) } td { (verdict_word(r.verdict.as_deref())) } }
                        }
                    }
                }
                @if offset + (rows.len() as i64) < total {
                    p { a href=(format!("/not-reporting?days={days}&offset={}", offset + rows.len() as i64)) { "more →" } }
                }
            }
            h2 { "Organisations with no report at all" }
            @if silent.is_empty() { p { "None." } }
            @else {
                ul #silent-orgs {
                    @for o in silent { li { (o.name) " (added " (o.created) ")" } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_numbers() {
        assert_eq!(enc("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(enc("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(num(30000), "30,000");
        assert_eq!(num(-1234567), "-1,234,567");
        assert_eq!(num(12), "12");
    }
}
