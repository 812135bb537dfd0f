//! Judge: turn raw findings into answers.
//!
//! - orders findings (time, then path and line) and numbers them `F0001`...;
//! - decides the verdict: the worst `verdict` among findings that move it
//!   (everything but `info` leads), after raising leads that other findings
//!   corroborate (the reference script reports suspicious files only once a
//!   CVE check hit);
//! - ties related findings together (same client IP, request id, file name);
//! - merges the per-file time windows into one coverage line per log family;
//! - writes the next steps in plain language.

use exhunt_core::{
    Coverage, ErrorEntry, Finding, FindingKind, Patch, Report, Severity, Stats, Suppressed, Tool,
    Verdict, PROXYLOGON_FIRST_SEEN, REPORT_SCHEMA,
};
use std::collections::{BTreeMap, HashMap};

/// Most related ids listed on one finding (a scanner can leave thousands of
/// rows from one address; the first ones are enough to follow the thread).
const MAX_RELATED: usize = 20;

/// The time window of one log file.
#[derive(Debug, Clone)]
pub struct FileWindow {
    pub family: String,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// Everything the scan gathered, unordered (threads deliver in any order).
#[derive(Debug, Default)]
pub struct Evidence {
    pub inputs: Vec<String>,
    pub findings: Vec<Finding>,
    pub windows: Vec<FileWindow>,
    pub errors: Vec<ErrorEntry>,
    pub stats: Stats,
    pub patch: Option<Patch>,
    pub suppressed: Vec<Suppressed>,
    pub rules: Vec<exhunt_core::RuleLoad>,
    pub skipped: Vec<exhunt_core::Skipped>,
    pub discovery: Option<exhunt_core::SystemDiscovery>,
}

/// Builds the report.
pub fn judge(mut ev: Evidence, version: &str) -> Report {
    ev.findings.sort_by(|a, b| {
        (a.time.is_none(), &a.time, &a.path, a.line, &a.rule).cmp(&(
            b.time.is_none(),
            &b.time,
            &b.path,
            b.line,
            &b.rule,
        ))
    });
    mark_chain_starts(&mut ev.findings);
    let base = verdict_of(&ev.findings);
    if base >= Verdict::Exploited {
        for f in &mut ev.findings {
            if let (Severity::Info, Some(to)) = (f.severity, f.escalate_to) {
                f.severity = to;
                f.evidence.insert(
                    "raised".to_string(),
                    format!(
                        "from info to {}: other findings show the server was {}",
                        to.as_str(),
                        base
                    ),
                );
            }
        }
    }
    let verdict = verdict_of(&ev.findings);
    for (i, f) in ev.findings.iter_mut().enumerate() {
        f.id = format!("F{:04}", i + 1);
    }
    relate(&mut ev.findings);
    let coverage = merge_coverage(&ev.windows);
    ev.errors.sort();
    ev.errors.dedup();
    let mut next_steps = next_steps(verdict, &ev.findings, &coverage, &ev.errors);
    if let Some(d) = ev
        .discovery
        .as_ref()
        .filter(|d| d.exchange_install.is_none())
    {
        // Said before the generic "no logs" step would, and in the system
        // root's terms.
        next_steps.retain(|s| !s.starts_with("No Exchange logs were found"));
        next_steps.insert(
            0,
            format!(
                "Exchange was not found on {}{}: its logs and web folders were not checked. If Exchange is installed here, give its install folder (...\\Exchange Server\\V15) as a PATH{}.",
                d.root,
                if d.live { " (this server)" } else { "" },
                if d.live {
                    ""
                } else {
                    ", or its volume with --drive LETTER=DIR"
                }
            ),
        );
    }
    // On the server itself, files refused to the account exhunt runs as
    // mean it was not started as administrator.
    let denied = ev.errors.iter().any(|e| {
        let m = e.message.to_lowercase();
        m.contains("access is denied")
            || m.contains("os error 5)")
            || m.contains("permission denied")
    });
    if denied && ev.discovery.as_ref().is_some_and(|d| d.live) {
        next_steps.insert(
            0,
            "Some files were refused to this account (access denied): run exhunt again from a PowerShell opened as administrator, so the logs and event logs can be read.".to_string(),
        );
    }
    if let Some(p) = ev.patch.as_ref().filter(|p| !p.open_cves.is_empty()) {
        let campaigns = p.open_campaigns();
        next_steps.push(format!(
            "Patch the server: build {} ({}) leaves {} CVE(s) open{}. {} Patching closes the holes but does not remove an intruder already inside.",
            p.build,
            p.product,
            p.open_cves.len(),
            if campaigns.is_empty() {
                String::new()
            } else {
                format!(" ({})", campaigns.join(", "))
            },
            p.install
        ));
    }
    Report {
        schema: REPORT_SCHEMA.to_string(),
        tool: Tool {
            name: "exhunt".to_string(),
            version: version.to_string(),
        },
        inputs: ev.inputs,
        verdict,
        incomplete: !ev.errors.is_empty(),
        coverage,
        patch: ev.patch,
        findings: ev.findings,
        errors: ev.errors,
        next_steps,
        stats: ev.stats,
        suppressed: {
            let mut s = ev.suppressed;
            s.sort_by(|a, b| a.rule.cmp(&b.rule));
            s
        },
        rules: ev.rules,
        skipped: {
            let mut s = ev.skipped;
            s.sort();
            s
        },
        discovery: ev.discovery,
    }
}

/// The public ProxyLogon chain starts with an SSRF to autodiscover (to learn
/// the administrator's LegacyDN). From an address whose later SSRF steps
/// succeeded, that row is the first step of a successful chain, not a
/// failed attempt: say so, so the reader does not take it for a separate one.
fn mark_chain_starts(findings: &mut [Finding]) {
    let exploited_from: std::collections::HashSet<String> = findings
        .iter()
        .filter(|f| f.rule.starts_with("proxylogon-ssrf-26855") && f.verdict >= Verdict::Exploited)
        .filter_map(|f| f.evidence.get("ClientIpAddress").cloned())
        .collect();
    for f in findings.iter_mut() {
        if f.rule == "proxylogon-ssrf-26855-attempt"
            && f.evidence
                .get("ClientIpAddress")
                .is_some_and(|ip| exploited_from.contains(ip))
        {
            f.title = "ProxyLogon SSRF to autodiscover: first step of a successful chain from the same address".to_string();
            f.evidence.insert(
                "chain".to_string(),
                "the same client address has successful SSRF requests (see related findings)"
                    .to_string(),
            );
        }
    }
}

fn verdict_of(findings: &[Finding]) -> Verdict {
    findings
        .iter()
        .filter(|f| f.severity.moves_verdict())
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Clean)
}

/// Keys that tie findings together.
fn keys(f: &Finding) -> Vec<String> {
    let mut k = Vec::new();
    for name in ["ClientIpAddress", "RequestId"] {
        if let Some(v) = f.evidence.get(name) {
            let v = v.trim();
            // Loopback is every local probe's address: it ties nothing.
            if !v.is_empty() && v != "127.0.0.1" && v != "::1" {
                k.push(format!("{name}={}", v.to_ascii_lowercase()));
            }
        }
    }
    if let Some(v) = f.evidence.get("file_name") {
        k.push(format!("file={}", v.to_ascii_lowercase()));
    }
    k
}

fn relate(findings: &mut [Finding]) {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        for k in keys(f) {
            by_key.entry(k).or_default().push(i);
        }
    }
    let mut related: Vec<Vec<usize>> = vec![Vec::new(); findings.len()];
    for members in by_key.values() {
        if members.len() < 2 {
            continue;
        }
        for &i in members {
            for &j in members {
                if i != j && related[i].len() < MAX_RELATED * 4 {
                    related[i].push(j);
                }
            }
        }
    }
    for (i, mut r) in related.into_iter().enumerate() {
        r.sort_unstable();
        r.dedup();
        r.truncate(MAX_RELATED);
        findings[i].related = r.iter().map(|&j| findings[j].id.clone()).collect();
    }
}

fn merge_coverage(windows: &[FileWindow]) -> Vec<Coverage> {
    let mut by: BTreeMap<&str, Coverage> = BTreeMap::new();
    for w in windows {
        let c = by.entry(&w.family).or_insert_with(|| Coverage {
            family: w.family.clone(),
            first: None,
            last: None,
            files: 0,
        });
        c.files += 1;
        if let Some(f) = &w.first {
            if c.first.as_ref().is_none_or(|cur| f < cur) {
                c.first = Some(f.clone());
            }
        }
        if let Some(l) = &w.last {
            if c.last.as_ref().is_none_or(|cur| l > cur) {
                c.last = Some(l.clone());
            }
        }
    }
    by.into_values().collect()
}

fn has(findings: &[Finding], pred: impl Fn(&Finding) -> bool) -> bool {
    findings
        .iter()
        .any(|f| f.severity.moves_verdict() && pred(f))
}

/// Plain-language actions, most urgent first.
pub fn next_steps(
    verdict: Verdict,
    findings: &[Finding],
    coverage: &[Coverage],
    errors: &[ErrorEntry],
) -> Vec<String> {
    let mut s = Vec::new();
    match verdict {
        Verdict::Compromised | Verdict::Exploited => {
            s.push("Treat this server as breached. Do not wipe or rebuild it yet: take a forensic image (disk, and memory if you can) before changing anything, and keep this report with it.".to_string());
            s.push("Disconnect the server from the internet (block inbound 443 to it at the firewall) until it is cleaned; patching alone does not remove an intruder who is already in.".to_string());
            if has(findings, |f| f.rule == "lsass-dump") {
                s.push("A dump of LSASS was found: the intruder could read the passwords and hashes of everyone who had signed in to this server. Reset all privileged passwords (domain admins, Exchange and service accounts), reset the krbtgt password twice, and look for the same intruder on your other servers.".to_string());
            }
            if has(findings, |f| {
                f.rule == "proxylogon-27065-reset-vdir"
                    || f.rule == "proxylogon-26858-oab-path"
                    || f.rule == "proxylogon-27065-ecp-setvdir"
            }) {
                s.push("The logs show a web shell being written. Look for unknown .aspx files in inetpub\\wwwroot\\aspnet_client, in the Exchange FrontEnd\\HttpProxy\\owa\\auth, ecp\\auth and OAB folders and at the paths named in the findings; keep copies as evidence before removing them. Check every virtual directory's ExternalUrl/InternalUrl (Get-OabVirtualDirectory | fl *Url*) for script text.".to_string());
            }
            if has(findings, |f| {
                f.rule == "webserver-spawns-shell"
                    || f.rule == "webshell-request"
                    || f.rule == "webshell-tunnel-traffic"
                    || f.rule == "exchange-webshell-file-write"
            }) {
                s.push("A web shell was used on this server (a web server process started commands, or a shell or tunnel page answered requests). Find the page named in the findings (and any other unknown .aspx in the web folders), keep a copy, and look at what the commands did and which internal hosts a tunnel reached.".to_string());
            }
            // Web shells found on disk (content, place or indicator), not
            // leads: name up to three.
            let mut on_disk: Vec<&str> = findings
                .iter()
                .filter(|f| {
                    f.kind == FindingKind::Webshell
                        && f.line.is_none()
                        && f.severity.moves_verdict()
                        && f.severity <= Severity::High
                })
                .map(|f| f.path.as_str())
                .collect();
            on_disk.sort_unstable();
            on_disk.dedup();
            if !on_disk.is_empty() {
                let more = on_disk.len().saturating_sub(3);
                s.push(format!(
                    "Web shell file(s) found on disk: {}{}. Keep copies as evidence first (exhunt scan ... --collect DIR copies them with SHA-256 hashes), then remove them; look in the IIS logs for every request to them (which addresses, since when: the findings tie them), and check the other web folders and every virtual directory's URLs for more.",
                    on_disk.iter().take(3).copied().collect::<Vec<_>>().join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() }
                ));
            }
            if has(findings, |f| {
                f.rule == "proxyshell-mailbox-export-web" || f.kind == FindingKind::Collection
            }) {
                s.push("Mailboxes were exported or read: list them (Get-MailboxExportRequest, the MSExchange Management log) and treat their content as stolen; the people concerned may have to be notified.".to_string());
            }
            if has(findings, |f| f.rule == "exchange-transport-agent-install") {
                s.push("A transport agent was installed: check Get-TransportAgent for agents you do not know and where their DLL lives; a malicious agent sees every message.".to_string());
            }
            if has(findings, |f| f.kind == FindingKind::Staging) {
                s.push("Archives were staged for theft: open copies of them (not the originals) to learn which mailboxes or files were taken; you may have to notify the people whose data was in them.".to_string());
            }
            s.push("Then install the latest Cumulative Update and Security Update for your Exchange version, run Microsoft's Safety Scanner (MSERT) full scan, and bring in incident-response help (your national CERT can advise).".to_string());
        }
        Verdict::Attempted => {
            s.push("Someone tried to exploit this server, but nothing in what was read shows the attempt succeeded.".to_string());
            s.push("Make sure the server has the latest Cumulative Update and Security Update: the next attempt may succeed on an unpatched server.".to_string());
            s.push("Keep these logs: if other signs appear later (unknown .aspx files, new admin accounts), the attempt's addresses and times are the starting point.".to_string());
        }
        Verdict::Clean => {
            s.push(
                "No trace of the Exchange exploitation campaigns was found in what was read."
                    .to_string(),
            );
            s.push("Keep the server on the latest Cumulative Update and Security Update; a clean result today says nothing about tomorrow.".to_string());
        }
    }
    if coverage.is_empty() {
        s.push("No Exchange logs were found in the input, so the logs could not be checked at all. Point exhunt at the Exchange install folder (...\\Exchange Server\\V15), the system drive, or a collection that includes V15\\Logging.".to_string());
    } else {
        let first = coverage.iter().filter_map(|c| c.first.as_deref()).min();
        if let Some(first) = first {
            if first > PROXYLOGON_FIRST_SEEN {
                s.push(format!(
                    "The oldest log line read is from {}; exploitation began on 2021-01-06, so older activity cannot be seen here. Exchange keeps about 30 days of logs: look for older copies in backups or a log archive and scan them too.",
                    &first[..first.len().min(10)]
                ));
            }
        }
        for fam in ["HttpProxy", "ECP/Server", "OABGeneratorLog"] {
            if !coverage.iter().any(|c| c.family.starts_with(fam)) {
                s.push(format!(
                    "No {fam} logs were in the input; the checks that need them could not run."
                ));
            }
        }
    }
    if !errors.is_empty() {
        s.push(format!(
            "{} file(s) could not be read completely (listed under errors); the verdict speaks only for what was read.",
            errors.len()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::{FindingKind, Severity, Verdict};

    fn f(rule: &str, v: Verdict, sev: Severity, time: Option<&str>, ip: &str) -> Finding {
        let mut x = Finding::new(rule, rule, &[], FindingKind::Attempt, v, sev, "p", "s")
            .with("ClientIpAddress", ip);
        x.time = time.map(str::to_string);
        x
    }

    #[test]
    fn verdict_worst_wins_and_info_does_not_count() {
        let ev = Evidence {
            findings: vec![
                f(
                    "a",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T00:00:00Z"),
                    "1.2.3.4",
                ),
                f("b", Verdict::Compromised, Severity::Info, None, ""),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.verdict, Verdict::Attempted);
        assert!(!r.incomplete);
    }

    #[test]
    fn live_access_denied_asks_for_administrator() {
        let ev = |live: bool, msg: &str| Evidence {
            errors: vec![exhunt_core::ErrorEntry {
                path: "Windows/System32/winevt/Logs/Security.evtx".into(),
                message: msg.into(),
            }],
            discovery: Some(exhunt_core::SystemDiscovery {
                root: "C:\\".into(),
                live,
                exchange_install: Some(
                    "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\".into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        let admin = |r: &Report| r.next_steps.iter().any(|s| s.contains("as administrator"));
        assert!(admin(&judge(
            ev(true, "cannot read: Access is denied. (os error 5)"),
            "0"
        )));
        assert!(!admin(&judge(
            ev(false, "cannot read: Access is denied. (os error 5)"),
            "0"
        )));
        assert!(!admin(&judge(ev(true, "broken zip archive"), "0")));
        // Exchange found: no "not found" step.
        let r = judge(ev(true, "x"), "0");
        assert!(!r
            .next_steps
            .iter()
            .any(|s| s.starts_with("Exchange was not found")));
    }

    #[test]
    fn leads_are_raised_when_exploited() {
        let mut lead = f(
            "programdata-archive",
            Verdict::Compromised,
            Severity::Info,
            None,
            "",
        );
        lead.escalate_to = Some(Severity::Medium);
        let ev = Evidence {
            findings: vec![
                lead,
                f(
                    "x",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T00:00:00Z"),
                    "1.2.3.4",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.verdict, Verdict::Compromised);
        assert_eq!(r.findings[1].severity, Severity::Medium);
        assert!(r.findings[1].evidence.contains_key("raised"));
    }

    #[test]
    fn autodiscover_row_of_a_successful_chain_is_named_so() {
        let ev = Evidence {
            findings: vec![
                f(
                    "proxylogon-ssrf-26855-attempt",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T06:49:42Z"),
                    "9.9.9.9",
                ),
                f(
                    "proxylogon-ssrf-26855-attempt",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-02T06:49:42Z"),
                    "8.8.8.8",
                ),
                f(
                    "proxylogon-ssrf-26855",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T06:49:43Z"),
                    "9.9.9.9",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert!(!r.findings[0].evidence.contains_key("chain"));
        assert!(r.findings[1].title.contains("first step"));
        assert_eq!(r.findings[1].related, vec!["F0003"]);
    }

    #[test]
    fn ids_order_and_relations() {
        let ev = Evidence {
            findings: vec![
                f(
                    "b",
                    Verdict::Exploited,
                    Severity::High,
                    Some("2021-03-03T02:00:00Z"),
                    "9.9.9.9",
                ),
                f(
                    "a",
                    Verdict::Attempted,
                    Severity::Medium,
                    Some("2021-03-03T01:00:00Z"),
                    "9.9.9.9",
                ),
                f(
                    "c",
                    Verdict::Attempted,
                    Severity::Low,
                    Some("2021-03-04T01:00:00Z"),
                    "127.0.0.1",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.findings[0].rule, "a");
        assert_eq!(r.findings[0].id, "F0001");
        assert_eq!(r.findings[0].related, vec!["F0002"]);
        assert!(r.findings[2].related.is_empty());
    }

    #[test]
    fn coverage_merges_and_old_logs_warning() {
        let w = |fam: &str, a: &str, b: &str| FileWindow {
            family: fam.into(),
            first: Some(a.into()),
            last: Some(b.into()),
        };
        let ev = Evidence {
            windows: vec![
                w(
                    "HttpProxy/Ecp",
                    "2021-03-02T00:00:00Z",
                    "2021-03-02T23:00:00Z",
                ),
                w(
                    "HttpProxy/Ecp",
                    "2021-03-01T00:00:00Z",
                    "2021-03-01T23:00:00Z",
                ),
            ],
            ..Default::default()
        };
        let r = judge(ev, "0");
        assert_eq!(r.coverage.len(), 1);
        assert_eq!(r.coverage[0].files, 2);
        assert_eq!(r.coverage[0].first.as_deref(), Some("2021-03-01T00:00:00Z"));
        assert_eq!(r.coverage[0].last.as_deref(), Some("2021-03-02T23:00:00Z"));
        assert!(r.next_steps.iter().any(|s| s.contains("2021-03-01")));
        assert!(r
            .next_steps
            .iter()
            .any(|s| s.contains("No ECP/Server logs")));
    }
}
