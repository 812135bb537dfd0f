//! The access pass: what the attack's clients asked of the mailboxes.
//!
//! Runs after the log hunt, and only when its findings name attack clients
//! (addresses or RequestIds of findings at medium or above: see
//! `exhunt_judge::ledger::attack_ties`). It reads the request logs again
//! (HttpProxy, IIS) and Exchange's own protocol logs (`Logging/Ews`,
//! `Logging/MapiHttp/Mailbox`, `Logging/MAPI Client Access`), keeping only
//! the lines that hold one of those addresses or RequestIds (a literal
//! pre-filter: the rest are never split), and sums the attack's requests
//! up per log, protocol, mailbox and client ([`Access`]). A clean server
//! never pays for it; a busy compromised one reads its logs at the
//! pre-filter's speed.
//!
//! Columns, as Exchange writes them:
//! - HttpProxy: `ClientIpAddress`, `RequestId`, `UrlStem`, `UrlQuery`,
//!   `AnchorMailbox` (`Smtp~…`, `Sid~…`), `RoutingHint`, `HttpStatus`,
//!   `ResponseBytes`, `UserAgent` (microsoft/CSS-Exchange
//!   Test-ProxyLogon.ps1; reference/exchange-detection-facts.md);
//! - EWS (`#Log-type: EWS Logs`): `AuthenticatedUser` (who the request ran
//!   as), `ImpersonatedUser` (the mailbox worked on: Exchange writes
//!   `ActivityStandardMetadata.UserEmail` there), `ActAsUser`,
//!   `ClientIpAddress` (the original client: the front end passes it on in
//!   `X-Forwarded-For`), `SoapAction`, `HttpStatus`, `ResponseSize`
//!   (the `#Fields:` line of Exchange 2016 CU23 quoted at
//!   https://artefacts.help/microsoft_exchange.html; awslabs/kinesis-agent-windows
//!   `ExchangeLogRecord` tests hold real Exchange 2013 lines);
//! - MapiHttp: `AuthenticatedUser`, `AuthenticatedUserEmail`,
//!   `ActAsUserEmail` (the mailbox), `RequestType` (IngoGege/Get-MAPIStats);
//!   RPC Client Access: `client-name`, `client-ip`, `operation`,
//!   `rpc-status`, `user-email` (Microsoft Q&A 303395 quotes a line);
//! - IIS: `c-ip`, `cs-uri-stem`, `cs-uri-query` (`MailboxId=`, `Email=`,
//!   ActiveSync's `User=`), `cs-username`, `sc-status`, `sc-bytes`.

use exhunt_core::time::iso_to_seconds;
use exhunt_core::{Access, AccessLog, ArtifactKind, ErrorEntry, LineNeed, Record, TakenEvidence};
use exhunt_judge::ledger::{anchor_mailbox, AttackTies};
use exhunt_judge::FileWindow;
use exhunt_sources::csvlog::utf8_reader;
use exhunt_sources::{
    Candidate, CsvLogScanner, LineKeep, MemberOpener, PathInterest, Prefilter, W3cReader,
};
use rayon::prelude::*;
use std::collections::HashMap;

/// Distinct (log, protocol, mailbox, client) sums kept in all; past it
/// requests are counted in `dropped` only.
const ACCESS_CAP: usize = 20_000;
/// Rows kept per sum as evidence.
const ROWS_KEPT: usize = 5;
/// Operations kept per sum.
const OPS_KEPT: usize = 8;

/// The hour an Exchange log's name carries (`…_2021030306-1.log`: the
/// log of 2021-03-03 06:00 UTC, in seconds since the epoch).
fn hour_in_name(rel_lower: &str) -> Option<i64> {
    let name = rel_lower.rsplit('/').next()?;
    let stamp = name.rsplit_once('_')?.1.get(..10)?;
    if !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    iso_to_seconds(&format!(
        "{}-{}-{}T{}:00:00Z",
        &stamp[..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[8..10]
    ))
}

/// What the pass gives the judge.
#[derive(Default)]
pub(crate) struct AccessOutcome {
    pub accesses: Vec<Access>,
    /// The protocol logs' time windows (they are read only here).
    pub windows: Vec<FileWindow>,
    pub errors: Vec<ErrorEntry>,
    /// Requests not summed past the cap.
    pub dropped: u64,
    pub bytes: u64,
    pub lines: u64,
}

/// The protocol a request path is for.
fn protocol_of_path(stem: &str) -> Option<&'static str> {
    let s = stem.trim_start_matches('/').to_ascii_lowercase();
    let first = s.split('/').next().unwrap_or("");
    Some(match first {
        "ews" => "EWS",
        "mapi" => "MAPI",
        "owa" => "OWA",
        "oab" => "OAB",
        "microsoft-server-activesync" => "ActiveSync",
        "rpc" => "RPC",
        "ecp" => "ECP",
        "autodiscover" => "Autodiscover",
        "powershell" => "PowerShell",
        _ => return None,
    })
}

/// The protocol an HttpProxy folder is for.
fn protocol_of_folder(p: &str) -> &'static str {
    match p.to_ascii_lowercase().as_str() {
        "ews" => "EWS",
        "mapi" => "MAPI",
        "owa" | "owacalendar" => "OWA",
        "oab" => "OAB",
        "eas" => "ActiveSync",
        "rpchttp" => "RPC",
        "ecp" => "ECP",
        "autodiscover" => "Autodiscover",
        "powershell" => "PowerShell",
        _ => "other",
    }
}

/// A query parameter's value (`MailboxId=jane%40contoso.com` →
/// `jane@contoso.com`), percent-decoded where it is ASCII.
fn query_value(query: &str, names: &[&str]) -> Option<String> {
    for pair in query.split('&') {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        if names.iter().any(|n| k.eq_ignore_ascii_case(n)) && !v.is_empty() {
            let mut out = String::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() && out.len() < 320 {
                if b[i] == b'%' && i + 2 < b.len() {
                    if let Ok(x) = u8::from_str_radix(&v[i + 1..i + 3], 16) {
                        if x.is_ascii() && !x.is_ascii_control() {
                            out.push(x as char);
                            i += 3;
                            continue;
                        }
                    }
                }
                out.push(if b[i] == b'+' { ' ' } else { b[i] as char });
                i += 1;
            }
            if v.is_ascii() {
                return Some(out);
            }
            return Some(v.chars().take(320).collect());
        }
    }
    None
}

/// One request of the attack, as read.
struct Row<'r> {
    log: AccessLog,
    protocol: &'static str,
    mailbox: Option<String>,
    acting: Option<&'r str>,
    client: &'r str,
    time: Option<&'r str>,
    ok: bool,
    operation: Option<&'r str>,
    bytes: Option<u64>,
    strong: bool,
    line: u64,
}

/// Sums per (log, protocol, mailbox, client), for one file or all.
#[derive(Default)]
struct Sums {
    by: HashMap<(AccessLog, String, String, String), Access>,
    dropped: u64,
}

impl Sums {
    fn add(&mut self, path: &str, r: Row<'_>) {
        let mailbox = r.mailbox.unwrap_or_default();
        let key = (
            r.log,
            r.protocol.to_string(),
            mailbox.to_ascii_lowercase(),
            r.client.to_string(),
        );
        if !self.by.contains_key(&key) && self.by.len() >= ACCESS_CAP {
            self.dropped += 1;
            return;
        }
        let a = self.by.entry(key).or_insert_with(|| Access {
            log: r.log,
            protocol: r.protocol.to_string(),
            mailbox: mailbox.clone(),
            acting: None,
            client: r.client.to_string(),
            first: None,
            last: None,
            count: 0,
            ok: 0,
            operations: Vec::new(),
            rows: Vec::new(),
            strong: false,
            bytes: None,
        });
        a.count += 1;
        a.ok += r.ok as u64;
        a.strong |= r.strong;
        if let Some(act) = r
            .acting
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "-")
        {
            if a.acting.is_none() {
                a.acting = Some(act.chars().take(320).collect());
            }
        }
        if let Some(t) = r.time {
            if a.first.as_deref().is_none_or(|f| t < f) {
                a.first = Some(t.to_string());
            }
            if a.last.as_deref().is_none_or(|l| t > l) {
                a.last = Some(t.to_string());
            }
        }
        if let Some(op) = r.operation.map(str::trim).filter(|s| !s.is_empty()) {
            if a.operations.len() < OPS_KEPT && !a.operations.iter().any(|o| o == op) {
                a.operations.push(op.chars().take(200).collect());
            }
        }
        if a.rows.len() < ROWS_KEPT {
            a.rows.push(TakenEvidence {
                path: path.to_string(),
                line: Some(r.line),
                finding: None,
            });
        }
        if let Some(b) = r.bytes {
            a.bytes = Some(a.bytes.map_or(b, |x| x.max(b)));
        }
    }

    fn merge(&mut self, other: Sums) {
        self.dropped += other.dropped;
        for (k, v) in other.by {
            let full = self.by.len() >= ACCESS_CAP;
            match self.by.entry(k) {
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let a = o.get_mut();
                    a.count += v.count;
                    a.ok += v.ok;
                    a.strong |= v.strong;
                    if a.acting.is_none() {
                        a.acting = v.acting;
                    }
                    if v.first.is_some() && (a.first.is_none() || v.first < a.first) {
                        a.first = v.first;
                    }
                    if v.last > a.last {
                        a.last = v.last;
                    }
                    for op in v.operations {
                        if a.operations.len() < OPS_KEPT && !a.operations.contains(&op) {
                            a.operations.push(op);
                        }
                    }
                    for r in v.rows {
                        if a.rows.len() < ROWS_KEPT {
                            a.rows.push(r);
                        }
                    }
                    if let Some(b) = v.bytes {
                        a.bytes = Some(a.bytes.map_or(b, |x| x.max(b)));
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) if !full => {
                    e.insert(v);
                }
                std::collections::hash_map::Entry::Vacant(_) => self.dropped += v.count,
            }
        }
    }
}

fn first_of<'r>(rec: &'r dyn Record, names: &[&str]) -> Option<&'r str> {
    names
        .iter()
        .filter_map(|n| rec.field(n))
        .map(str::trim)
        .find(|v| !v.is_empty() && *v != "-")
}

/// A CSV row (HttpProxy, EWS, MAPI) as the attack's request, if it is one.
fn csv_row<'r>(
    ties: &AttackTies,
    log: AccessLog,
    folder: Option<&str>,
    rec: &'r dyn Record,
) -> Option<Row<'r>> {
    let client = first_of(rec, &["ClientIpAddress", "client-ip", "ClientIp"]).unwrap_or("");
    // `1.2.3.4:5678` in the RPC Client Access log.
    let client = match client.rsplit_once(':') {
        Some((ip, port)) if client.contains('.') && port.bytes().all(|b| b.is_ascii_digit()) => ip,
        _ => client,
    };
    let strong = ties.tie(
        client,
        rec.time(),
        first_of(rec, &["RequestId", "request-ids"]),
        first_of(rec, &["UserAgent", "client-software"]),
    )?;
    let stem = first_of(rec, &["UrlStem"]);
    let (protocol, mailbox, acting, ok, operation, bytes) = match log {
        AccessLog::HttpProxy => {
            let protocol = stem
                .and_then(protocol_of_path)
                .unwrap_or_else(|| protocol_of_folder(folder.unwrap_or("")));
            let mailbox = first_of(rec, &["AnchorMailbox"])
                .and_then(anchor_mailbox)
                .or_else(|| first_of(rec, &["RoutingHint"]).and_then(anchor_mailbox))
                .or_else(|| {
                    first_of(rec, &["UrlQuery"]).and_then(|q| {
                        query_value(
                            q.trim_start_matches('?'),
                            &["Email", "MailboxId", "mailbox"],
                        )
                    })
                });
            let ok = first_of(rec, &["HttpStatus"]).is_some_and(|s| s.starts_with('2'));
            let bytes = first_of(rec, &["ResponseBytes"]).and_then(|b| b.parse().ok());
            (
                protocol,
                mailbox,
                first_of(rec, &["AuthenticatedUser"]),
                ok,
                stem,
                bytes,
            )
        }
        AccessLog::Ews => {
            let mailbox = first_of(rec, &["ImpersonatedUser", "ActAsUser", "AuthenticatedUser"])
                .map(str::to_string);
            let ok = first_of(rec, &["HttpStatus"]).is_some_and(|s| s.starts_with('2'));
            let bytes = first_of(rec, &["ResponseSize"]).and_then(|b| b.parse().ok());
            (
                "EWS",
                mailbox,
                first_of(rec, &["AuthenticatedUser"]),
                ok,
                first_of(rec, &["SoapAction"]),
                bytes,
            )
        }
        // MapiHttp and RPC Client Access (IIS rows are read by `iis_row`).
        AccessLog::Mapi | AccessLog::Iis => {
            let mailbox = first_of(
                rec,
                &[
                    "ActAsUserEmail",
                    "user-email",
                    "AuthenticatedUserEmail",
                    "client-name",
                ],
            )
            .map(str::to_string);
            let ok = match first_of(rec, &["rpc-status", "HttpStatus", "StatusCode"]) {
                Some(s) => s == "0" || s.starts_with('2'),
                None => first_of(rec, &["GenericErrors", "failures"]).is_none(),
            };
            (
                "MAPI",
                mailbox,
                first_of(rec, &["AuthenticatedUser", "client-name"]),
                ok,
                first_of(rec, &["RequestType", "operation"]),
                None,
            )
        }
    };
    Some(Row {
        log,
        protocol,
        mailbox,
        acting,
        client,
        time: rec.time(),
        ok,
        operation,
        bytes,
        strong,
        line: rec.line_no(),
    })
}

/// An IIS request as the attack's, if it is one.
fn iis_row<'r>(ties: &AttackTies, rec: &'r dyn Record) -> Option<Row<'r>> {
    let client = first_of(rec, &["c-ip"]).unwrap_or("");
    let strong = ties.tie(client, rec.time(), None, first_of(rec, &["cs(User-Agent)"]))?;
    let stem = first_of(rec, &["cs-uri-stem"]).unwrap_or("");
    let protocol = protocol_of_path(stem).unwrap_or("web");
    let mailbox = first_of(rec, &["cs-uri-query"])
        .and_then(|q| query_value(q, &["MailboxId", "Email", "User", "mailbox"]));
    Some(Row {
        log: AccessLog::Iis,
        protocol,
        mailbox,
        acting: first_of(rec, &["cs-username"]),
        client,
        time: rec.time(),
        ok: first_of(rec, &["sc-status"]).is_some_and(|s| s.starts_with('2')),
        operation: Some(stem).filter(|s| !s.is_empty()),
        bytes: first_of(rec, &["sc-bytes"]).and_then(|b| b.parse().ok()),
        strong,
        line: rec.line_no(),
    })
}

/// Per-thread readers.
struct PassReaders {
    opener: MemberOpener,
    csv: CsvLogScanner,
    w3c: W3cReader,
}

/// Reads what the attack's clients asked for, from the logs among
/// `candidates` that can show it.
///
/// `reach` is each file's first and last time as the log hunt read them:
/// a file wholly outside every client's window ([`AttackTies::overlaps`]) is
/// not read again; a protocol log (not read before) is placed by the hour
/// in its name (`Ews_2021030306-1.LOG`). So the pass costs what the
/// attack's hours of logs cost, not the month's.
pub(crate) fn pass(
    candidates: &[Candidate],
    interest: &[PathInterest],
    ties: &AttackTies,
    reach: &[Option<(Option<String>, Option<String>)>],
) -> AccessOutcome {
    let mut out = AccessOutcome::default();
    // The request logs by the clients' addresses (exact: Teddy over a few
    // literals); the protocol logs also by the findings' RequestIds (the
    // back end's row of the same request; there may be hundreds, but only
    // the attack's hours of those logs are read).
    let ips = ties.addresses();
    let lits = ties.literals();
    if lits.is_empty() {
        return out;
    }
    let (Ok(by_ip), Ok(by_any), Ok(keep)) = (
        Prefilter::new(&ips, true),
        Prefilter::new(&lits, false),
        LineKeep::new(&[LineNeed::any(&ips)]),
    ) else {
        return out;
    };
    // Which files, and as what.
    let work: Vec<(usize, AccessLog, Option<String>)> = candidates
        .iter()
        .zip(interest)
        .enumerate()
        .filter_map(|(i, (_, pi))| match &pi.log {
            Some(ArtifactKind::HttpProxyLog { protocol }) => {
                Some((i, AccessLog::HttpProxy, Some(protocol.clone())))
            }
            Some(ArtifactKind::IisLog { .. }) => Some((i, AccessLog::Iis, None)),
            None => pi.access.map(|l| (i, l, None)),
            _ => None,
        })
        .filter(|(i, log, _)| {
            let (first, last) = match &reach[*i] {
                Some((f, l)) => (
                    f.as_deref().and_then(iso_to_seconds),
                    l.as_deref().and_then(iso_to_seconds),
                ),
                None => match hour_in_name(&candidates[*i].rel_lower) {
                    Some(h) => (Some(h), Some(h + 3599)),
                    None => (None, None),
                },
            };
            // A request log without the clients' addresses to look for
            // (only RequestIds) holds nothing of theirs.
            (matches!(log, AccessLog::Ews | AccessLog::Mapi) || !ips.is_empty())
                && ties.overlaps(first, last)
        })
        .collect();
    type FileResult = (Sums, Option<FileWindow>, Option<ErrorEntry>, u64, u64);
    let results: Vec<FileResult> = work
        .par_iter()
        .map_init(
            || PassReaders {
                opener: MemberOpener::default(),
                csv: CsvLogScanner::new(),
                w3c: W3cReader::new(),
            },
            |rd, (i, log, folder)| {
                let c = &candidates[*i];
                let mut sums = Sums::default();
                let PassReaders { opener, csv, w3c } = rd;
                let res = opener.with_reader(&c.location, |r| {
                    let mut dec = utf8_reader(r)?;
                    if *log == AccessLog::Iis {
                        let s = w3c.scan_filtered(
                            &mut dec,
                            Some(&keep),
                            &mut |rec| {
                                if let Some(row) = iis_row(ties, rec) {
                                    sums.add(&c.display, row);
                                }
                            },
                            &mut |_, _| {},
                        )?;
                        Ok(s)
                    } else {
                        let pf = match log {
                            AccessLog::Ews | AccessLog::Mapi => &by_any,
                            _ => &by_ip,
                        };
                        csv.scan(&mut dec, pf, &mut |rec| {
                            if let Some(row) = csv_row(ties, *log, folder.as_deref(), rec) {
                                sums.add(&c.display, row);
                            }
                        })
                    }
                });
                match res {
                    Ok(s) => {
                        // The protocol logs are read only here: their reach
                        // is said beside the others'.
                        let window =
                            matches!(log, AccessLog::Ews | AccessLog::Mapi).then(|| FileWindow {
                                family: match log {
                                    AccessLog::Ews => "EWS (the attack's hours only)".to_string(),
                                    _ => "MAPI (the attack's hours only)".to_string(),
                                },
                                first: s.first_time.clone(),
                                last: s.last_time.clone(),
                            });
                        let counted = matches!(log, AccessLog::Ews | AccessLog::Mapi);
                        (
                            sums,
                            window,
                            None,
                            if counted { s.bytes } else { 0 },
                            if counted { s.lines } else { 0 },
                        )
                    }
                    Err(e) => (
                        sums,
                        None,
                        Some(ErrorEntry {
                            path: c.display.clone(),
                            message: format!("read for what the attack's clients accessed: {e}"),
                        }),
                        0,
                        0,
                    ),
                }
            },
        )
        .collect();
    let mut all = Sums::default();
    for (s, w, e, bytes, lines) in results {
        all.merge(s);
        out.windows.extend(w);
        out.errors.extend(e);
        out.bytes += bytes;
        out.lines += lines;
    }
    out.dropped = all.dropped;
    out.accesses = all.by.into_values().collect();
    // A stable order: the report does not depend on the threads.
    out.accesses.sort_by(|a, b| {
        (a.log, &a.protocol, &a.mailbox, &a.client, &a.first).cmp(&(
            b.log,
            &b.protocol,
            &b.mailbox,
            &b.client,
            &b.first,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_in_a_log_name() {
        assert_eq!(
            hour_in_name("v15/logging/ews/ews_2021030306-1.log"),
            iso_to_seconds("2021-03-03T06:00:00Z")
        );
        assert_eq!(hour_in_name("v15/logging/ews/ews.log"), None);
        assert_eq!(hour_in_name("v15/logging/ews/ews_20210303-1.log"), None);
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            query_value("MailboxId=jane%40contoso.com&x=1", &["MailboxId"]).as_deref(),
            Some("jane@contoso.com")
        );
        assert_eq!(
            query_value("Cmd=Sync&User=bob&DeviceId=1", &["User"]).as_deref(),
            Some("bob")
        );
        assert_eq!(query_value("a=b", &["User"]), None);
    }
}
