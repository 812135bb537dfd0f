//! The next steps in plain language: the verdict's own, and the
//! rule-specific ones the findings carry.

use exhunt_core::{
    Coverage, ErrorEntry, Finding, FindingKind, NextStep, Severity, Verdict, PROXYLOGON_FIRST_SEEN,
};

fn has(findings: &[Finding], pred: impl Fn(&Finding) -> bool) -> bool {
    findings
        .iter()
        .any(|f| f.severity.moves_verdict() && pred(f))
}

/// Whether a finding that moves the verdict calls for this step.
fn calls_for(findings: &[Finding], step: NextStep) -> bool {
    has(findings, |f| f.next_step == Some(step))
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
            if calls_for(findings, NextStep::CredentialsDumped) {
                s.push("A dump of LSASS was found: the intruder could read the passwords and hashes of everyone who had signed in to this server. Reset all privileged passwords (domain admins, Exchange and service accounts), reset the krbtgt password twice, and look for the same intruder on your other servers.".to_string());
            }
            if calls_for(findings, NextStep::WebshellWritten) {
                s.push("The logs show a web shell being written. Look for unknown .aspx files in inetpub\\wwwroot\\aspnet_client, in the Exchange FrontEnd\\HttpProxy\\owa\\auth, ecp\\auth and OAB folders and at the paths named in the findings; keep copies as evidence before removing them. Check every virtual directory's ExternalUrl/InternalUrl (Get-OabVirtualDirectory | fl *Url*) for script text.".to_string());
            }
            if calls_for(findings, NextStep::WebshellUsed) {
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
                f.next_step == Some(NextStep::MailboxesTaken) || f.kind == FindingKind::Collection
            }) {
                s.push("Mailboxes were exported or read: list them (Get-MailboxExportRequest, the MSExchange Management log) and treat their content as stolen; the people concerned may have to be notified.".to_string());
            }
            if calls_for(findings, NextStep::TransportAgentInstalled) {
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
        Verdict::Inconclusive => {
            // The reasons follow this line (the judge puts them there).
            s.push(
                "Nothing in what was read shows exploitation, but what was read cannot tell:"
                    .to_string(),
            );
            s.push("Find the missing evidence (older logs from backups or a log archive, the Exchange install folder, the web folders) and scan it too; until then, treat the server as possibly breached if its build is exposed.".to_string());
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
