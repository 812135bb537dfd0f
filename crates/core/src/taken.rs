//! What was taken: the exposure ledger's model.
//!
//! The scan gathers two kinds of raw material beside its findings: the
//! requests the attack's clients made that address a mailbox ([`Access`],
//! read in a pass over the request and protocol logs that only runs when
//! findings name such clients), and who signed in to the server
//! ([`Logon`], from the Security log's 4624/4648 events). The judge turns
//! them, with the findings, into [`TakenEntry`]s: one per thing taken (a
//! mailbox, the address book, credentials, a mail flow), whose, how, when,
//! from where, on what evidence and how sure.

use serde::{Deserialize, Serialize};

/// What was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TakenWhat {
    /// A mailbox's content: read (EWS, MAPI, OWA, ActiveSync) or exported.
    Mailbox,
    /// The offline address book: every address and name of the organisation.
    AddressBook,
    /// Passwords, hashes or an identity (an LSASS dump, an administrator's
    /// identity taken through the SSRF).
    Credentials,
    /// Mail that still flows out: a forwarding or transport rule.
    MailFlow,
}

impl TakenWhat {
    pub fn as_str(self) -> &'static str {
        match self {
            TakenWhat::Mailbox => "mailbox",
            TakenWhat::AddressBook => "address-book",
            TakenWhat::Credentials => "credentials",
            TakenWhat::MailFlow => "mail-flow",
        }
    }
}

/// How sure the ledger is of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    /// The log shows the access succeeded (a 2xx answer, a cmdlet that ran,
    /// a dump on disk).
    Confirmed,
    /// Only the ability is shown (a web shell running as SYSTEM can read
    /// every mailbox; a request whose answer is not known), or the tie to
    /// the attack is weak (a client address shared with ordinary users).
    Possible,
    /// On record, not a theft: an administrator's routine export.
    Info,
}

impl Certainty {
    pub fn as_str(self) -> &'static str {
        match self {
            Certainty::Confirmed => "confirmed",
            Certainty::Possible => "possible",
            Certainty::Info => "info",
        }
    }
}

/// Where a ledger entry's evidence is: a file and line (`null` for a file
/// on disk), and the finding it is, when it is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TakenEvidence {
    pub path: String,
    pub line: Option<u64>,
    /// The finding (`F0003`) this evidence is, if any.
    #[serde(default)]
    pub finding: Option<String>,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenEntry {
    pub what: TakenWhat,
    /// The mailboxes or accounts, as the logs name them (SMTP address, SID,
    /// legacyDN, `DOMAIN\user`); empty when no log names them (then
    /// `whose_note` says so).
    pub whose: Vec<String>,
    /// Said instead of, or beside, `whose` (`all accounts signed in to this
    /// server since its last reboot`, `not named in this log`).
    #[serde(default)]
    pub whose_note: Option<String>,
    /// The step, as a key: `ssrf-ews`, `ssrf-mapi`, `ews`, `mapi`, `owa`,
    /// `activesync`, `mailbox-export`, `pst-file`, `oab-download`,
    /// `lsass-dump`, `identity-takeover`, `inbox-rule`, `mailbox-forwarding`,
    /// `transport-rule`.
    pub how: String,
    /// The step in plain words.
    pub how_text: String,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Client addresses the step came from.
    pub clients: Vec<String>,
    /// The findings it rests on (`F0003`).
    pub findings: Vec<String>,
    /// Files and lines (at most [`TAKEN_EVIDENCE_CAP`]).
    pub evidence: Vec<TakenEvidence>,
    /// The requests or events counted for it.
    pub count: u64,
    pub certainty: Certainty,
    /// Mail still leaking: the rule is in place until someone removes it.
    #[serde(default)]
    pub ongoing: bool,
    /// Bytes taken, where a file shows it (an exported `.pst`).
    #[serde(default)]
    pub size: Option<u64>,
    /// Where it went (a forwarding address, an export's file path).
    #[serde(default)]
    pub to: Option<String>,
    /// The server, in a report of several servers (`null` for one).
    #[serde(default)]
    pub host: Option<String>,
}

/// Evidence places kept per ledger entry.
pub const TAKEN_EVIDENCE_CAP: usize = 10;

/// Where an access was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLog {
    /// `Logging/HttpProxy/<Protocol>`: the front end's request log.
    HttpProxy,
    /// IIS's W3C log.
    Iis,
    /// `Logging/Ews`: the EWS protocol log (acting and impersonated users,
    /// the SOAP action).
    Ews,
    /// `Logging/MapiHttp/Mailbox` or `Logging/MAPI Client Access`.
    Mapi,
}

/// Requests of one attack client, to one mailbox, over one protocol, in one
/// log family, summed up by the scan's access pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub log: AccessLog,
    /// `EWS`, `MAPI`, `OWA`, `OAB`, `ActiveSync`, `ECP`, `Autodiscover`,
    /// `PowerShell`, `RPC`.
    pub protocol: String,
    /// The mailbox as the row names it; empty when it names none.
    pub mailbox: String,
    /// The account the request ran as, when the log says.
    pub acting: Option<String>,
    pub client: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub count: u64,
    /// Requests answered with success (2xx; for MAPI logs, no failure).
    pub ok: u64,
    /// Operations seen (SOAP actions, URL stems), a few.
    pub operations: Vec<String>,
    /// A few of its rows.
    pub rows: Vec<TakenEvidence>,
    /// Tied by a RequestId of a finding or the attack's user agent, not only
    /// by the client address.
    pub strong: bool,
    /// The largest response in bytes, when the log has the column.
    pub bytes: Option<u64>,
}

/// One account's sign-ins to the server, from the Security log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logon {
    /// `DOMAIN\user` as the event names it.
    pub account: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub count: u64,
    pub path: String,
}

/// The sign-ins and reboots the Security log showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logons {
    pub accounts: Vec<Logon>,
    /// Times of event 4608 (Windows starting up).
    pub boots: Vec<String>,
    /// Accounts left out past the cap.
    pub more: u64,
}

/// The longest parameter text looked at (a cmdlet's parameters in one event).
const MAX_PARAMS: usize = 16 << 10;

/// `-Name "value"` pairs of a cmdlet's parameters as the management log
/// writes them (`-Identity "jane@contoso.com" -ForwardTo "x@y.org"`);
/// a value without quotes runs to the next space. Names keep their case.
pub fn cmdlet_params(params: &str) -> Vec<(&str, &str)> {
    let s = &params[..floor_char(params, MAX_PARAMS)];
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        // A parameter starts with `-` at the start or after a space.
        if b[i] == b'-' && (i == 0 || b[i - 1] == b' ') {
            let ns = i + 1;
            let mut ne = ns;
            while ne < b.len() && (b[ne].is_ascii_alphanumeric() || b[ne] == b'_') {
                ne += 1;
            }
            if ne == ns {
                i += 1;
                continue;
            }
            let name = &s[ns..ne];
            let mut v = ne;
            while v < b.len() && b[v] == b' ' {
                v += 1;
            }
            let (value, next) = if v < b.len() && b[v] == b'"' {
                // Up to the closing quote that ends the value (`""` inside
                // is a quote).
                let mut e = v + 1;
                while e < b.len() {
                    if b[e] == b'"' {
                        if e + 1 < b.len() && b[e + 1] == b'"' {
                            e += 2;
                            continue;
                        }
                        break;
                    }
                    e += 1;
                }
                // A list: `"a@x.org","b@y.org"` is one value.
                while e + 2 < b.len() && b[e + 1] == b',' && b[e + 2] == b'"' {
                    e += 3;
                    while e < b.len() && b[e] != b'"' {
                        e += 1;
                    }
                }
                (&s[v + 1..e.min(b.len())], e + 1)
            } else if v < b.len() && b[v] == b'-' {
                // A switch (`-Confirm -Force`): no value.
                ("", v)
            } else {
                let e = s[v..].find(' ').map_or(b.len(), |k| v + k);
                (&s[v..e], e)
            };
            out.push((name, value));
            i = next.max(ne);
        } else {
            i += 1;
        }
    }
    out
}

fn floor_char(s: &str, max: usize) -> usize {
    let mut i = s.len().min(max);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A value for a PowerShell command line, single-quoted: a quote inside
/// (PowerShell also ends a single-quoted string at the typographic
/// quotes) is doubled, so a name taken from the logs cannot end the
/// string and run something of its own when the command is pasted.
pub fn ps_quote(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('\'');
    for c in v.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            s.push(c);
        }
        if !c.is_control() {
            s.push(c);
        }
    }
    s.push('\'');
    s
}

/// A private, loopback, link-local or shared (carrier-grade NAT) address:
/// a load balancer's or a proxy's may carry every user's requests, so a tie
/// by it alone is weak, and it is nothing another organisation can block.
pub fn is_internal_ip(ip: &str) -> bool {
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        let o = v4.octets();
        return v4.is_private()
            || v4.is_loopback()
            || v4.is_link_local()
            || (o[0] == 100 && (o[1] & 0xc0) == 64);
    }
    if let Ok(v6) = ip.parse::<std::net::Ipv6Addr>() {
        let s = v6.segments()[0];
        return v6.is_loopback() || (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80;
    }
    false
}
