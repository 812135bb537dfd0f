//! The next steps in plain language: the verdict's own, and the
//! rule-specific ones the findings carry.

use exhunt_core::{
    Certainty, Coverage, ErrorEntry, Finding, FindingKind, NextStep, Severity, TakenEntry,
    TakenWhat, Verdict, PROXYLOGON_FIRST_SEEN,
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
    taken: &[TakenEntry],
    coverage: &[Coverage],
    errors: &[ErrorEntry],
) -> Vec<String> {
    // The ledger's steps (`ledger_steps`) name what these general ones only
    // point at: the accounts to reset, the mailboxes' owners to tell.
    let in_ledger = |what: TakenWhat, how: Option<&str>| {
        taken.iter().any(|e| {
            e.certainty != Certainty::Info && e.what == what && how.is_none_or(|h| e.how == h)
        })
    };
    let mut s = Vec::new();
    match verdict {
        Verdict::Compromised | Verdict::Exploited => {
            s.push("Treat this server as breached. Do not wipe or rebuild it yet: take a forensic image (disk, and memory if you can) before changing anything, and keep this report with it.".to_string());
            s.push("Disconnect the server from the internet (block inbound 443 to it at the firewall) until it is cleaned; patching alone does not remove an intruder who is already in.".to_string());
            if calls_for(findings, NextStep::CredentialsDumped)
                && !in_ledger(TakenWhat::Credentials, Some("lsass-dump"))
            {
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
            }) && !in_ledger(TakenWhat::Mailbox, None)
            {
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

use exhunt_core::ps_quote;

fn some_names(v: &[String], n: usize) -> String {
    let more = v.len().saturating_sub(n);
    let mut s = v.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// The concrete actions the ledger implies, most urgent first: mail still
/// leaving, the identities and credentials to reset, the people to tell.
pub fn ledger_steps(taken: &[TakenEntry]) -> Vec<String> {
    let mut s = Vec::new();
    let thefts: Vec<&TakenEntry> = taken
        .iter()
        .filter(|e| e.certainty != Certainty::Info)
        .collect();
    for e in thefts.iter().filter(|e| e.ongoing) {
        let to = e.to.as_deref().unwrap_or("an outside address");
        let mbx = e.whose.first().map(String::as_str).unwrap_or("");
        let cmd = match e.how.as_str() {
            "mailbox-forwarding" => format!(
                "Set-Mailbox -Identity {} -ForwardingSmtpAddress $null -ForwardingAddress $null",
                ps_quote(mbx)
            ),
            "transport-rule" => "Get-TransportRule | Format-List Name,BlindCopyTo,AddToRecipients,CopyTo,RedirectMessageTo, then Remove-TransportRule -Identity '<that rule>'".to_string(),
            _ => format!(
                "Get-InboxRule -Mailbox {} | Where-Object {{ $_.ForwardTo -or $_.RedirectTo -or $_.ForwardAsAttachmentTo }} | Remove-InboxRule",
                ps_quote(mbx)
            ),
        };
        s.push(format!(
            "Mail is still being forwarded out to {to}{}: remove it now ({cmd}), then check every mailbox for other forwarding (Get-Mailbox -ResultSize Unlimited | Where-Object {{ $_.ForwardingSmtpAddress -or $_.ForwardingAddress }}).",
            if mbx.is_empty() {
                String::new()
            } else {
                format!(" from {mbx}")
            }
        ));
    }
    for e in thefts.iter().filter(|e| e.how == "identity-takeover") {
        s.push(format!(
            "Reset the password of {}, whose identity the intruder took. Then review what was done in its name (Search-AdminAuditLog; the MSExchange Management log){}.",
            e.whose
                .first()
                .map_or("the administrator account", String::as_str),
            if e.whose.len() > 1 {
                format!("; the logs also name it as {}", some_names(&e.whose[1..], 3))
            } else {
                String::new()
            }
        ));
    }
    for e in thefts.iter().filter(|e| e.how == "lsass-dump") {
        s.push(format!(
            "Reset the password of every account that signed in to this server since its last reboot (the LSASS dump holds their credentials){}, all administrators' and service accounts' first, and the krbtgt account's twice; look for the same intruder on your other servers.",
            if e.whose.is_empty() {
                String::new()
            } else {
                format!(": the Security log names {}", some_names(&e.whose, 5))
            }
        ));
    }
    // Owners are told of what the logs show was taken; what only may have
    // been (a shared address, no success logged) is named for checking.
    let names = |certainty: Certainty| {
        let mut v: Vec<String> = Vec::new();
        for e in thefts
            .iter()
            .filter(|e| e.what == TakenWhat::Mailbox && e.certainty == certainty)
        {
            for w in &e.whose {
                if !v.contains(w) {
                    v.push(w.clone());
                }
            }
        }
        v
    };
    let (sure, maybe) = (names(Certainty::Confirmed), names(Certainty::Possible));
    let maybe: Vec<String> = maybe.into_iter().filter(|m| !sure.contains(m)).collect();
    let confirmed = |what: TakenWhat| {
        thefts
            .iter()
            .any(|e| e.what == what && e.certainty == Certainty::Confirmed)
    };
    if confirmed(TakenWhat::Mailbox) || !maybe.is_empty() {
        let mut step = String::from("Mailboxes were exported or read: ");
        if confirmed(TakenWhat::Mailbox) {
            step.push_str(&format!(
                "treat the mail of {} as stolen and tell their owners (\"What was taken\" lists them)",
                if sure.is_empty() {
                    "the mailboxes the intruder reached (the logs read do not name them)".to_string()
                } else {
                    format!("{} mailbox(es) ({})", sure.len(), some_names(&sure, 5))
                }
            ));
        }
        if !maybe.is_empty() {
            if confirmed(TakenWhat::Mailbox) {
                step.push_str("; ");
            }
            step.push_str(&format!(
                "{} more mailbox(es) ({}) may have been opened (listed as possible: check with their owners before telling them)",
                maybe.len(),
                some_names(&maybe, 5)
            ));
        }
        step.push_str("; Get-MailboxExportRequest and the MSExchange Management log show exports the logs read here may not.");
        s.push(step);
    }
    if confirmed(TakenWhat::AddressBook) {
        s.push("The offline address book was downloaded: the intruder has every name and address of the organisation. Warn your users to expect targeted phishing that looks internal.".to_string());
    }
    if confirmed(TakenWhat::Mailbox)
        || confirmed(TakenWhat::AddressBook)
        || confirmed(TakenWhat::MailFlow)
    {
        s.push("Personal data was exposed: in many countries a data-protection authority must be told within days of learning of it. Check your obligations (your data-protection officer or lawyer); exhunt gives no legal advice.".to_string());
    }
    s
}
