//! What was taken: the exposure ledger.
//!
//! Built from the findings, the attack clients' requests the scan's access
//! pass gathered ([`Access`]) and the sign-ins of the Security log
//! ([`Logons`]). One entry per thing taken and step: the administrator
//! identity the ProxyLogon chain took (`/mapi/emsmdb`, then
//! `/ecp/proxyLogon.ecp`), the mailboxes read through EWS, MAPI, OWA or
//! ActiveSync by the attack's clients, the offline address book they
//! downloaded, the mailboxes exported (an administrator's routine export is
//! `info`, not a theft), the credentials in an LSASS dump, and the mail
//! forwarded out.
//!
//! The attack's clients ([`attack_ties`]) are the addresses of findings at
//! medium or above: their requests count from an hour before their first
//! such finding to a day after their last, and requests carrying a finding's
//! RequestId count whatever their address. Sources: Microsoft, "HAFNIUM
//! targeting Exchange Servers with 0-day exploits" (2021-03-02: mailbox
//! theft through EWS, the offline address book, LSASS dumps); Volexity,
//! "Operation Exchange Marauder" (2021-03-02: the SSRF reading mailboxes
//! through EWS); Orange Tsai, "ProxyLogon is just the tip of the iceberg"
//! (Black Hat USA 2021: `/mapi/emsmdb` turns a legacyDN into the SID
//! `/ecp/proxyLogon.ecp` logs in as; ProxyShell's mailbox export).

use exhunt_core::is_internal_ip;
use exhunt_core::time::iso_to_seconds;
use exhunt_core::{
    Access, AccessLog, Certainty, Finding, Logons, NextStep, Severity, TakenEntry, TakenEvidence,
    TakenWhat, Verdict, TAKEN_EVIDENCE_CAP,
};
use std::collections::{BTreeMap, BTreeSet};

/// Requests of an attack client count from this long before its first
/// finding...
pub const TIE_BEFORE_SECS: i64 = 3600;
/// ...to this long after its last.
pub const TIE_AFTER_SECS: i64 = 24 * 3600;

/// Most mailboxes or accounts named per entry (the count says the rest).
const WHOSE_CAP: usize = 200;

/// One attack client and the window its requests are counted in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackClient {
    pub ip: String,
    /// Seconds since the epoch; `None` for no time limit (findings without
    /// a time).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// What ties a request to the attack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttackTies {
    pub clients: Vec<AttackClient>,
    /// RequestIds of findings at medium or above (lower case).
    pub request_ids: BTreeSet<String>,
    /// The user agents of those findings (lower case).
    pub agents: BTreeSet<String>,
}

impl AttackTies {
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.request_ids.is_empty()
    }

    /// Whether a log reaching from `first` to `last` (seconds; `None`:
    /// unknown) may hold a request of some client's window.
    pub fn overlaps(&self, first: Option<i64>, last: Option<i64>) -> bool {
        self.clients.iter().any(|c| {
            !(matches!((last, c.from), (Some(l), Some(f)) if l < f)
                || matches!((first, c.to), (Some(f), Some(t)) if f > t))
        }) || (self.clients.is_empty() && !self.request_ids.is_empty())
    }

    /// The clients' addresses: what a request log's line must hold.
    pub fn addresses(&self) -> Vec<String> {
        self.clients.iter().map(|c| c.ip.clone()).collect()
    }

    /// The literals a line must hold to possibly be the attack's: the
    /// addresses and RequestIds.
    pub fn literals(&self) -> Vec<String> {
        let mut v: Vec<String> = self.clients.iter().map(|c| c.ip.clone()).collect();
        v.extend(self.request_ids.iter().cloned());
        v.sort();
        v.dedup();
        v
    }

    /// Whether a request from `ip` at `time` with `request_id` and `agent`
    /// is the attack's, and whether strongly (by RequestId, or by address
    /// and the attack's own user agent).
    pub fn tie(
        &self,
        ip: &str,
        time: Option<&str>,
        request_id: Option<&str>,
        agent: Option<&str>,
    ) -> Option<bool> {
        if request_id
            .map(|r| r.trim().to_ascii_lowercase())
            .is_some_and(|r| !r.is_empty() && self.request_ids.contains(&r))
        {
            return Some(true);
        }
        let ip = ip.trim();
        let t = time.and_then(iso_to_seconds);
        let c = self.clients.iter().find(|c| {
            c.ip == ip
                && match t {
                    None => true,
                    Some(t) => c.from.is_none_or(|f| t >= f) && c.to.is_none_or(|e| t <= e),
                }
        })?;
        let _ = c;
        let strong = agent
            .map(|a| a.trim().to_ascii_lowercase())
            .is_some_and(|a| a.len() > 1 && self.agents.contains(&a));
        Some(strong)
    }
}

/// The client address a finding names, if any.
pub fn client_of(f: &Finding) -> Option<&str> {
    ["ClientIpAddress", "c-ip", "ClientIp", "client-ip"]
        .iter()
        .find_map(|k| f.evidence.get(*k))
        .map(|s| s.trim())
        .filter(|s| usable_ip(s))
}

fn usable_ip(s: &str) -> bool {
    !s.is_empty()
        && s != "-"
        && s != "127.0.0.1"
        && s != "::1"
        && s != "0.0.0.0"
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
}

/// The attack's clients, RequestIds and user agents: from the findings at
/// medium or above.
pub fn attack_ties<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> AttackTies {
    let mut by_ip: BTreeMap<String, (Option<i64>, Option<i64>, bool)> = BTreeMap::new();
    let mut ties = AttackTies::default();
    for f in findings
        .into_iter()
        .filter(|f| f.severity <= Severity::Medium)
    {
        if let Some(ip) = client_of(f) {
            let t = f.time.as_deref().and_then(iso_to_seconds);
            let e = by_ip.entry(ip.to_string()).or_insert((None, None, false));
            match t {
                Some(t) => {
                    e.0 = Some(e.0.map_or(t, |x| x.min(t)));
                    e.1 = Some(e.1.map_or(t, |x| x.max(t)));
                }
                None => e.2 = true,
            }
        }
        if let Some(r) = f.evidence.get("RequestId") {
            let r = r.trim().to_ascii_lowercase();
            if r.len() >= 8 {
                ties.request_ids.insert(r);
            }
        }
        for k in ["UserAgent", "cs(User-Agent)", "cs-user-agent"] {
            if let Some(a) = f.evidence.get(k) {
                let a = a.trim().to_ascii_lowercase();
                if a.len() > 1 && a != "-" {
                    ties.agents.insert(a);
                }
            }
        }
    }
    ties.clients = by_ip
        .into_iter()
        .map(|(ip, (first, last, untimed))| AttackClient {
            ip,
            from: if untimed {
                None
            } else {
                first.map(|t| t - TIE_BEFORE_SECS)
            },
            to: if untimed {
                None
            } else {
                last.map(|t| t + TIE_AFTER_SECS)
            },
        })
        .collect();
    ties
}

/// A forward to a recipient named without an address points outside when a
/// mail contact of that name was created for an outside address: the
/// finding then says so and counts as the outside forward it is.
pub(crate) fn resolve_contacts(findings: &mut [Finding]) {
    let contacts: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.rule == crate::CONTACT_RULE)
        .filter_map(|f| {
            let to = f.evidence.get("to")?.clone();
            Some(
                ["contact", "alias"]
                    .iter()
                    .filter_map(|k| f.evidence.get(*k))
                    .map(|n| (n.to_ascii_lowercase(), to.clone()))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    if contacts.is_empty() {
        return;
    }
    for f in findings
        .iter_mut()
        .filter(|f| f.rule == crate::FORWARD_NAMED_RULE)
    {
        let Some(to) = f.evidence.get("to").cloned() else {
            continue;
        };
        let outside: Vec<&str> = to
            .split(", ")
            .filter_map(|n| {
                contacts
                    .iter()
                    .find(|(c, _)| *c == n.to_ascii_lowercase())
                    .map(|(_, a)| a.as_str())
            })
            .collect();
        if outside.is_empty() {
            continue;
        }
        f.rule = crate::FORWARD_OUT_RULE.to_string();
        f.title = "Mail forwarded to an outside address through a mail contact: mail keeps leaving until it is removed".to_string();
        f.severity = Severity::High;
        f.verdict = Verdict::Compromised;
        let addrs = outside.join(", ");
        f.evidence.insert("contact_address".to_string(), addrs);
    }
}

/// Everything the ledger is built from.
pub struct LedgerInput<'a> {
    pub findings: &'a [Finding],
    pub accesses: &'a [Access],
    pub logons: &'a Logons,
}

/// Adds evidence places, up to the cap.
fn add_evidence(e: &mut TakenEntry, path: &str, line: Option<u64>, finding: Option<&str>) {
    if e.evidence.len() < TAKEN_EVIDENCE_CAP {
        let ev = TakenEvidence {
            path: path.to_string(),
            line,
            finding: finding.map(str::to_string),
        };
        if !e.evidence.contains(&ev) {
            e.evidence.push(ev);
        }
    }
}

fn widen(first: &mut Option<String>, last: &mut Option<String>, t: Option<&str>) {
    if let Some(t) = t {
        if first.as_deref().is_none_or(|f| t < f) {
            *first = Some(t.to_string());
        }
        if last.as_deref().is_none_or(|l| t > l) {
            *last = Some(t.to_string());
        }
    }
}

fn entry(what: TakenWhat, how: &str, how_text: &str, certainty: Certainty) -> TakenEntry {
    TakenEntry {
        what,
        whose: Vec::new(),
        whose_note: None,
        how: how.to_string(),
        how_text: how_text.to_string(),
        first: None,
        last: None,
        clients: Vec::new(),
        findings: Vec::new(),
        evidence: Vec::new(),
        count: 0,
        certainty,
        ongoing: false,
        size: None,
        to: None,
        host: None,
    }
}

/// An entry resting on `found` (none when it is empty).
fn entry_of(
    found: &[&&Finding],
    what: TakenWhat,
    how: &str,
    how_text: &str,
    certainty: Certainty,
) -> Option<TakenEntry> {
    if found.is_empty() {
        return None;
    }
    let mut e = entry(what, how, how_text, certainty);
    for f in found {
        add_finding(&mut e, f);
    }
    Some(e)
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    let s = s.trim();
    if !s.is_empty() && !v.iter().any(|x| x.eq_ignore_ascii_case(s)) {
        v.push(s.to_string());
    }
}

fn add_finding(e: &mut TakenEntry, f: &Finding) {
    push_unique(&mut e.findings, &f.id);
    if let Some(ip) = client_of(f) {
        push_unique(&mut e.clients, ip);
    }
    widen(&mut e.first, &mut e.last, f.time.as_deref());
    add_evidence(e, &f.path, f.line, Some(&f.id));
    e.count += 1;
}

fn status_ok(f: &Finding) -> bool {
    ["HttpStatus", "sc-status"]
        .iter()
        .filter_map(|k| f.evidence.get(*k))
        .any(|s| s.trim().starts_with('2'))
}

/// The SSRF's target path (`ServerInfo~a]@EX01:444/ews/exchange.asmx?#` →
/// `/ews/exchange.asmx`), lower case.
fn ssrf_target(f: &Finding) -> Option<String> {
    let a = f.evidence.get("AnchorMailbox")?;
    let rest = a.strip_prefix("ServerInfo~").or_else(|| {
        a.get(..11)
            .filter(|p| p.eq_ignore_ascii_case("serverinfo~"))
            .map(|_| &a[11..])
    })?;
    let slash = rest.find('/')?;
    Some(rest[slash..].to_ascii_lowercase())
}

/// A mailbox as an HttpProxy `AnchorMailbox` or `RoutingHint` names it
/// (`Smtp~jane@contoso.com`, `Sid~S-1-5-21-…`, `PrimarySmtp~…`,
/// `MailboxGuid~…`), `None` for a server route (`ServerInfo~…`) or none.
pub fn anchor_mailbox(v: &str) -> Option<String> {
    let (kind, rest) = v.split_once('~')?;
    let k = kind.to_ascii_lowercase();
    let known = [
        "smtp",
        "primarysmtp",
        "sid",
        "mailboxguid",
        "externaldirectoryobjectid",
        "puid",
        "liveidmembername",
        "username",
        "legacydn",
    ];
    if !known.contains(&k.as_str()) {
        return None;
    }
    let rest = rest.trim();
    (!rest.is_empty() && rest.len() <= 320).then(|| rest.to_string())
}

/// The whose-list of entries: mailboxes, capped.
fn add_whose(e: &mut TakenEntry, who: &str) {
    if e.whose.len() < WHOSE_CAP {
        push_unique(&mut e.whose, who);
    }
}

/// The ledger.
pub fn ledger(input: &LedgerInput<'_>) -> Vec<TakenEntry> {
    let mut out = Vec::new();
    let attack: Vec<&Finding> = input
        .findings
        .iter()
        .filter(|f| f.severity <= Severity::Medium)
        .collect();
    identity(&attack, &mut out);
    let ssrf_clients = ssrf_reads(&attack, input.accesses, &mut out);
    accesses(input.accesses, &ssrf_clients, &mut out);
    exports(input.findings, &mut out);
    lsass(&attack, input.logons, &mut out);
    forwards(input.findings, &mut out);
    webshell(&attack, &mut out);
    out
}

/// A web shell that ran, or sits where IIS serves it, runs with the rights
/// of Exchange's web server process (SYSTEM for its application pools, as
/// Microsoft saw the March 2021 shells run commands): it can open every
/// mailbox on the server. The ability, not the act: `possible`.
fn webshell(attack: &[&Finding], out: &mut Vec<TakenEntry>) {
    let shells: Vec<&&Finding> = attack
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                exhunt_core::FindingKind::Webshell | exhunt_core::FindingKind::Execution
            )
        })
        .collect();
    let Some(mut e) = entry_of(
        &shells,
        TakenWhat::Mailbox,
        "webshell",
        "within reach of the web shell, which runs with the web server's rights (SYSTEM for Exchange's application pools) and can open every mailbox",
        Certainty::Possible,
    ) else {
        return;
    };
    e.whose_note = Some(
        "every mailbox on this server: the logs read do not show which ones the shell opened"
            .to_string(),
    );
    out.push(e);
}

/// The ProxyLogon identity step: `/mapi/emsmdb` through the SSRF gives the
/// SID of the mailbox the autodiscover step named (an administrator's),
/// `/ecp/proxyLogon.ecp` logs in as it; later requests carry it
/// (`AnchorMailbox` `Sid~…`) and the control panel logs it
/// (`ActivityStandardMetadata.UserEmail=`).
fn identity(attack: &[&Finding], out: &mut Vec<TakenEntry>) {
    let steps: Vec<&&Finding> = attack
        .iter()
        .filter(|f| {
            ssrf_target(f).is_some_and(|t| {
                t.starts_with("/mapi/emsmdb") || t.starts_with("/ecp/proxylogon.ecp")
            })
        })
        .collect();
    if steps.is_empty() {
        return;
    }
    let ok = steps.iter().any(|f| {
        status_ok(f)
            || f.evidence
                .get("HttpStatus")
                .is_some_and(|s| s.trim() == "241")
    });
    let mut e = entry(
        TakenWhat::Credentials,
        "identity-takeover",
        "the SSRF turned an administrator's mailbox name into its SID (/mapi/emsmdb) and logged in to the control panel as that administrator (/ecp/proxyLogon.ecp)",
        if ok {
            Certainty::Confirmed
        } else {
            Certainty::Possible
        },
    );
    for f in &steps {
        add_finding(&mut e, f);
    }
    // Whose: the SID later requests carry, the address the control panel
    // logged for the cmdlets the intruder ran.
    for f in attack {
        if let Some(s) = f
            .evidence
            .get("AnchorMailbox")
            .and_then(|a| anchor_mailbox(a))
        {
            add_whose(&mut e, &s);
            add_evidence(&mut e, &f.path, f.line, Some(&f.id));
            push_unique(&mut e.findings, &f.id);
        }
        for v in f.evidence.values() {
            if let Some(i) = v.find("UserEmail=") {
                let rest = &v[i + "UserEmail=".len()..];
                let end = rest
                    .find(|c: char| c == ';' || c == ',' || c == '"' || c.is_whitespace())
                    .unwrap_or(rest.len());
                if end > 0 && end <= 320 {
                    add_whose(&mut e, &rest[..end]);
                    add_evidence(&mut e, &f.path, f.line, Some(&f.id));
                    push_unique(&mut e.findings, &f.id);
                }
            }
        }
    }
    if e.whose.is_empty() {
        e.whose_note = Some("an administrator's account (its name is in the request bodies, which these logs do not keep)".to_string());
    }
    out.push(e);
}

/// Mailboxes read through the SSRF (`ServerInfo~…/ews/…`, `/mapi/…`): the
/// front end's log does not name the mailbox (it is in the request body);
/// the EWS log's rows of the same requests do.
///
/// Returns the clients of the SSRF's EWS reads: their rows in the EWS log
/// are this entry's, not another.
fn ssrf_reads(
    attack: &[&Finding],
    accesses: &[Access],
    out: &mut Vec<TakenEntry>,
) -> BTreeSet<String> {
    let mut ews_clients = BTreeSet::new();
    for (proto, prefix, how) in [
        ("EWS", "/ews/", "ssrf-ews"),
        ("MAPI", "/mapi/nspi", "ssrf-mapi"),
    ] {
        let rows: Vec<&&Finding> = attack
            .iter()
            .filter(|f| ssrf_target(f).is_some_and(|t| t.starts_with(prefix)))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let ok = rows.iter().any(|f| status_ok(f));
        let mut e = entry(
            TakenWhat::Mailbox,
            how,
            &format!(
                "read through the SSRF ({proto} requests sent to the back end as the server itself, which may open every mailbox)"
            ),
            if ok {
                Certainty::Confirmed
            } else {
                Certainty::Possible
            },
        );
        for f in &rows {
            add_finding(&mut e, f);
        }
        // The EWS log names the mailboxes of these requests: its rows of
        // the same RequestIds, or from the same clients.
        if proto == "EWS" {
            let clients = e.clients.clone();
            for a in accesses
                .iter()
                .filter(|a| a.log == AccessLog::Ews && (a.strong || clients.contains(&a.client)))
            {
                ews_clients.insert(a.client.clone());
                if !a.mailbox.is_empty() && a.ok > 0 {
                    add_whose(&mut e, &a.mailbox);
                    for r in &a.rows {
                        add_evidence(&mut e, &r.path, r.line, None);
                    }
                    widen(&mut e.first, &mut e.last, a.first.as_deref());
                    widen(&mut e.first, &mut e.last, a.last.as_deref());
                }
            }
        }
        if e.whose.is_empty() {
            e.whose_note = Some(format!(
                "not named in the front end's log (the mailbox is in the request body); {}",
                if proto == "EWS" {
                    "the EWS log (Logging\\Ews) of the same hours names it: scan it too"
                } else {
                    "an SSRF to the address book service (/mapi/nspi) reads the organisation's directory"
                }
            ));
        }
        if !ok {
            e.whose_note = Some(format!(
                "{} (no success is logged for these requests)",
                e.whose_note.take().unwrap_or_default()
            ));
        }
        out.push(e);
    }
    ews_clients
}

/// The attack clients' own requests (not the SSRF rows themselves): per
/// protocol, the mailboxes addressed. The EWS log's rows of `ssrf_clients`
/// are the SSRF's entry already.
fn accesses(accesses: &[Access], ssrf_clients: &BTreeSet<String>, out: &mut Vec<TakenEntry>) {
    // (what, step, how sure) → entry: a request tied only by a shared
    // internal address is listed apart, as possible, never inside a
    // confirmed entry. OAB is the address book.
    type Key = (TakenWhat, String, Certainty);
    let mut by: BTreeMap<Key, TakenEntry> = BTreeMap::new();
    // Per entry, the requests per log family (the same request is in the
    // IIS and the HttpProxy logs): the largest family's count is shown.
    let mut counts: BTreeMap<Key, BTreeMap<AccessLog, u64>> = BTreeMap::new();
    for a in accesses {
        let (what, how, text) = match a.protocol.as_str() {
            "OAB" => (
                TakenWhat::AddressBook,
                "oab-download",
                "the offline address book downloaded (/OAB/…): every name and address of the organisation",
            ),
            "EWS" => (TakenWhat::Mailbox, "ews", "read through Exchange Web Services by the attack's clients"),
            "MAPI" => (TakenWhat::Mailbox, "mapi", "opened over MAPI (as Outlook does) by the attack's clients"),
            "OWA" => (TakenWhat::Mailbox, "owa", "opened in Outlook on the web by the attack's clients"),
            "ActiveSync" => (TakenWhat::Mailbox, "activesync", "synchronised over ActiveSync by the attack's clients"),
            "RPC" => (TakenWhat::Mailbox, "rpc", "opened over RPC/HTTP (Outlook Anywhere) by the attack's clients"),
            _ => continue,
        };
        // A request answered with an error took nothing.
        if a.ok == 0 || (a.log == AccessLog::Ews && ssrf_clients.contains(&a.client)) {
            continue;
        }
        // The SSRF rows are their own entries; here the rows naming a
        // mailbox, or the address book.
        if what == TakenWhat::Mailbox && a.mailbox.is_empty() {
            continue;
        }
        let certainty = if a.strong || !is_internal_ip(&a.client) {
            Certainty::Confirmed
        } else {
            Certainty::Possible
        };
        let key = (what, how.to_string(), certainty);
        let e = by
            .entry(key.clone())
            .or_insert_with(|| entry(what, how, text, certainty));
        if !a.mailbox.is_empty() && what == TakenWhat::Mailbox {
            add_whose(e, &a.mailbox);
        }
        push_unique(&mut e.clients, &a.client);
        widen(&mut e.first, &mut e.last, a.first.as_deref());
        widen(&mut e.first, &mut e.last, a.last.as_deref());
        for r in &a.rows {
            add_evidence(e, &r.path, r.line, None);
        }
        if let Some(b) = a.bytes {
            e.size = Some(e.size.map_or(b, |s| s.max(b)));
        }
        *counts.entry(key).or_default().entry(a.log).or_default() += a.count;
    }
    for (key, mut e) in by {
        e.count = counts
            .get(&key)
            .and_then(|m| m.values().max().copied())
            .unwrap_or(0);
        if e.what == TakenWhat::AddressBook {
            e.whose_note = Some("the whole organisation: every mailbox's name, address and title (expect targeted phishing)".to_string());
            // A download's size is the address book's, not a mailbox's.
        } else {
            e.size = None;
        }
        if e.certainty == Certainty::Possible {
            let note = "tied to the attack only by a shared internal address (a proxy's or a load balancer's carries every user's requests): check these with their owners";
            e.whose_note = Some(match e.whose_note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note.to_string(),
            });
        }
        out.push(e);
    }
}

/// `-Name "value"` of a cmdlet's parameters.
fn param(params: &str, name: &str) -> Option<String> {
    exhunt_core::cmdlet_params(params)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_string())
}

/// The file name at the end of a Windows or UNC path, lower case.
fn file_name(p: &str) -> String {
    p.rsplit(['\\', '/'])
        .next()
        .unwrap_or(p)
        .to_ascii_lowercase()
}

/// Mailbox exports (MSExchange Management `New-MailboxExportRequest`) and
/// the files they wrote: a PST written as a web page (ProxyShell) with its
/// size. An export that stayed an administrator's routine (an `info`
/// finding) is on record as `info`.
fn exports(findings: &[Finding], out: &mut Vec<TakenEntry>) {
    // The PST files on disk (the export shell's YARA rule, the PST check),
    // once per file.
    let mut pst_files: Vec<&Finding> = Vec::new();
    for f in findings.iter().filter(|f| {
        f.rule == "webshell-mailbox-export"
            || f.rule == "mailbox-export-file"
            || f.rules.iter().any(|r| r == "mailbox-export-file")
    }) {
        if !pst_files.iter().any(|p| p.path == f.path) {
            pst_files.push(f);
        }
    }
    let mut matched_files = BTreeSet::new();
    for f in findings.iter().filter(|f| {
        f.evidence
            .get("Data1")
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("New-MailboxExportRequest"))
    }) {
        let params = f.evidence.get("Data2").map(String::as_str).unwrap_or("");
        let certainty = if f.severity.moves_verdict() {
            Certainty::Confirmed
        } else {
            Certainty::Info
        };
        let mut e = entry(
            TakenWhat::Mailbox,
            "mailbox-export",
            if certainty == Certainty::Info {
                "exported to a file by an administrator (routine on its own: leavers, legal holds; not tied to the attack)"
            } else {
                "exported to a file with New-MailboxExportRequest"
            },
            certainty,
        );
        add_finding(&mut e, f);
        if let Some(m) = param(params, "Mailbox").or_else(|| param(params, "Identity")) {
            add_whose(&mut e, &m);
        }
        if let Some(p) = param(params, "FilePath") {
            let name = file_name(&p);
            for (i, pf) in pst_files.iter().enumerate() {
                if file_name(&pf.path) == name {
                    matched_files.insert(i);
                    e.size = pf.evidence.get("size").and_then(|s| s.parse().ok());
                    add_finding(&mut e, pf);
                }
            }
            e.to = Some(p);
        }
        if let Some(a) = f
            .evidence
            .get("Data3")
            .or_else(|| f.evidence.get("account"))
        {
            e.whose_note = Some(format!("exported by {}", a.trim()));
        }
        out.push(e);
    }
    // PST files in the web folders with no export event read.
    for (i, pf) in pst_files.iter().enumerate() {
        if matched_files.contains(&i) {
            continue;
        }
        let mut e = entry(
            TakenWhat::Mailbox,
            "pst-file",
            "a mailbox export (PST file) left in a web folder or where intruders staged data",
            Certainty::Confirmed,
        );
        add_finding(&mut e, pf);
        e.size = pf.evidence.get("size").and_then(|s| s.parse().ok());
        e.to = Some(pf.path.clone());
        e.whose_note = Some("the mailbox is named in the MSExchange Management log's New-MailboxExportRequest event (not among the inputs)".to_string());
        out.push(e);
    }
}

/// An LSASS dump holds the credentials of every account signed in since the
/// last reboot; the Security log names those it saw.
fn lsass(attack: &[&Finding], logons: &Logons, out: &mut Vec<TakenEntry>) {
    let dumps: Vec<&&Finding> = attack
        .iter()
        .filter(|f| f.next_step == Some(NextStep::CredentialsDumped))
        .collect();
    let Some(mut e) = entry_of(
        &dumps,
        TakenWhat::Credentials,
        "lsass-dump",
        "the memory of LSASS dumped: the passwords, hashes and Kerberos tickets of every account signed in to this server",
        Certainty::Possible,
    ) else {
        return;
    };
    // The dump's time: the finding's, else the file's modification time.
    let dump_time = dumps
        .iter()
        .filter_map(|f| {
            f.time
                .clone()
                .or_else(|| f.evidence.get("modified").cloned())
        })
        .max();
    let boot = dump_time.as_deref().and_then(|d| {
        logons
            .boots
            .iter()
            .filter(|b| b.as_str() <= d)
            .max()
            .cloned()
    });
    let mut named = 0;
    for l in &logons.accounts {
        let before = match (&dump_time, &l.first) {
            (Some(d), Some(f)) => f.as_str() <= d.as_str(),
            _ => true,
        };
        let since_boot = match (&boot, &l.last) {
            (Some(b), Some(last)) => last.as_str() >= b.as_str(),
            _ => true,
        };
        if before && since_boot {
            add_whose(&mut e, &l.account);
            named += 1;
            add_evidence(&mut e, &l.path, None, None);
        }
    }
    e.whose_note = Some(if named > 0 {
        format!(
            "all accounts signed in to this server since its last reboot{}; the Security log names {named} of them (sign-ins before the dump)",
            boot.map(|b| format!(" ({b})")).unwrap_or_default()
        )
    } else {
        "all accounts signed in to this server since its last reboot (no Security log with sign-ins was read to name them)".to_string()
    });
    out.push(e);
}

/// Forwarding set up to an outside address: mail still leaving.
fn forwards(findings: &[Finding], out: &mut Vec<TakenEntry>) {
    for f in findings
        .iter()
        .filter(|f| f.next_step == Some(NextStep::MailForwarded) && f.severity.moves_verdict())
    {
        let how = f
            .evidence
            .get("how")
            .map(String::as_str)
            .unwrap_or("inbox-rule");
        let text = match how {
            "mailbox-forwarding" => {
                "the mailbox's forwarding set to an outside address (Set-Mailbox)"
            }
            "transport-rule" => {
                "a transport rule copying or redirecting mail outside (every message it matches)"
            }
            _ => "an inbox rule forwarding or redirecting mail outside",
        };
        let mut e = entry(TakenWhat::MailFlow, how, text, Certainty::Confirmed);
        add_finding(&mut e, f);
        e.ongoing = true;
        match f.evidence.get("mailbox").filter(|m| !m.is_empty()) {
            Some(m) => add_whose(&mut e, m),
            None => {
                e.whose_note = Some(if how == "transport-rule" {
                    "the mail the transport rule matches (every mailbox, when it has no condition)"
                        .to_string()
                } else {
                    "the mailbox is not named in the event".to_string()
                })
            }
        }
        let to = match (f.evidence.get("to"), f.evidence.get("contact_address")) {
            (Some(t), Some(c)) => format!("{t} ({c})"),
            (Some(t), None) => t.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => String::new(),
        };
        if !to.is_empty() {
            e.to = Some(to);
        }
        out.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_name_mailboxes_and_server_routes_do_not() {
        assert_eq!(
            anchor_mailbox("Smtp~jane@contoso.com").as_deref(),
            Some("jane@contoso.com")
        );
        assert_eq!(
            anchor_mailbox("Sid~S-1-5-21-1-2-3-500").as_deref(),
            Some("S-1-5-21-1-2-3-500")
        );
        assert_eq!(
            anchor_mailbox("ServerInfo~a]@EX01:444/ews/exchange.asmx?#"),
            None
        );
        assert_eq!(anchor_mailbox("-"), None);
    }

    #[test]
    fn internal_addresses() {
        assert!(is_internal_ip("10.0.0.1"));
        assert!(is_internal_ip("192.168.3.4"));
        assert!(is_internal_ip("fd00::1"));
        assert!(!is_internal_ip("103.77.192.219"));
        assert!(!is_internal_ip("2001:db8::1"));
    }

    #[test]
    fn cmdlet_parameters() {
        let p = r#"-Mailbox "ceo@contoso.com" -FilePath "\\localhost\c$\inetpub\wwwroot\aspnet_client\x.aspx" -Confirm"#;
        assert_eq!(param(p, "Mailbox").as_deref(), Some("ceo@contoso.com"));
        assert_eq!(
            param(p, "FilePath").as_deref(),
            Some(r"\\localhost\c$\inetpub\wwwroot\aspnet_client\x.aspx")
        );
        assert_eq!(file_name(r"\\FS01\PST$\a.pst"), "a.pst");
    }

    #[test]
    fn ties_by_address_in_the_window_or_by_request_id() {
        let mut f = Finding::from_parts(
            exhunt_core::FindingParts {
                rule: "proxylogon-ssrf-26855".into(),
                title: "t".into(),
                cves: Vec::new(),
                kind: exhunt_core::FindingKind::Exploitation,
                verdict: Verdict::Exploited,
                severity: Severity::Critical,
                source: "s".into(),
                next_step: None,
            },
            "HttpProxy/Ecp/x.log",
        );
        f.time = Some("2021-03-03T06:49:42Z".into());
        f.evidence
            .insert("ClientIpAddress".into(), "103.77.192.219".into());
        f.evidence
            .insert("RequestId".into(), "0d60e190-84d6".into());
        f.evidence
            .insert("UserAgent".into(), "python-requests/2.25.1".into());
        let t = attack_ties(&[f]);
        assert_eq!(t.clients.len(), 1);
        assert_eq!(
            t.tie(
                "103.77.192.219",
                Some("2021-03-03T08:00:00Z"),
                None,
                Some("x")
            ),
            Some(false)
        );
        assert_eq!(
            t.tie(
                "103.77.192.219",
                Some("2021-03-03T08:00:00Z"),
                None,
                Some("python-requests/2.25.1")
            ),
            Some(true)
        );
        // Two days later: outside the window.
        assert_eq!(
            t.tie("103.77.192.219", Some("2021-03-05T08:00:00Z"), None, None),
            None
        );
        assert_eq!(
            t.tie("10.0.0.5", None, Some("0D60E190-84D6"), None),
            Some(true)
        );
        assert_eq!(t.tie("10.0.0.5", None, None, None), None);
    }
}
