//! The shared model of exhunt: what flows between the stages
//! discover → read → detect → judge → report.
//!
//! Every other crate depends on this one and on nothing upstream of it, so the
//! types here are plain data: artifacts (what a file is), records (one log line
//! with its fields looked up by name), findings (what a detector saw), and the
//! report (what the user gets). The JSON shape of [`Report`] is the public
//! contract `exhunt/report/v1` described in DESIGN.md: fields may be added,
//! never renamed.

#![forbid(unsafe_code)]

pub mod open;
pub mod rule;
pub mod taken;
pub mod time;
pub mod winpath;

pub use rule::{FindingParts, NextStep, RuleSpec};
pub use taken::{
    cmdlet_params, is_internal_ip, ps_quote, Access, AccessLog, Certainty, Logon, Logons,
    TakenEntry, TakenEvidence, TakenWhat, TAKEN_EVIDENCE_CAP,
};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The schema string of the JSON report.
pub const REPORT_SCHEMA: &str = "exhunt/report/v1";

/// First exploitation of the ProxyLogon chain seen in the wild (Volexity, 2021-01-06).
/// Logs that start after this date cannot show the start of the campaign.
pub const PROXYLOGON_FIRST_SEEN: &str = "2021-01-06T00:00:00Z";

/// What a file is, as far as exhunt is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    /// `Logging\HttpProxy\<Protocol>\*.log`: the front end's per-request CSV log.
    HttpProxyLog {
        /// The protocol subfolder (`Ecp`, `Owa`, `Autodiscover`, ...), as the
        /// path or the `Protocol` column names it.
        protocol: String,
    },
    /// `Logging\ECP\Server\*.log`: the control panel's server log (cmdlets run).
    EcpServerLog,
    /// `Logging\OABGeneratorLog\*.log`: offline address book generation.
    OabGeneratorLog,
    /// `Logging\CmdletInfra\Powershell-Proxy\Http\Rps_Http_*.log`: the
    /// Remote PowerShell proxy's per-request log (header-less CSV in a
    /// fixed column order), where OWASSRF leaves its client's user agent.
    RpsHttpLog,
    /// IIS W3C web log (`inetpub/logs/LogFiles/W3SVC<n>/u_ex*.log`).
    IisLog {
        /// The site folder (`W3SVC1`), or `IIS` when unknown.
        site: String,
    },
    /// Windows event log file (`.evtx`).
    EventLog {
        /// The log's name from its file name (`Application`, `Security`,
        /// `MSExchange Management`, `Microsoft-Windows-Sysmon/Operational`).
        name: String,
    },
    /// Windows events exported as JSON lines (Winlogbeat, OTRF, evtx_dump).
    EventJsonl,
    /// A file in a place where intruders dumped process memory.
    MemoryDump,
    /// An archive in a place where intruders staged stolen data.
    Archive,
}

impl ArtifactKind {
    /// The log family this artifact belongs to, as named in the report's
    /// `coverage` section; `None` for artifacts that are not logs.
    pub fn family(&self) -> Option<String> {
        match self {
            ArtifactKind::HttpProxyLog { protocol } => Some(format!("HttpProxy/{protocol}")),
            ArtifactKind::EcpServerLog => Some("ECP/Server".to_string()),
            ArtifactKind::OabGeneratorLog => Some("OABGeneratorLog".to_string()),
            ArtifactKind::RpsHttpLog => Some("PowerShell-Proxy/Http".to_string()),
            ArtifactKind::IisLog { site } => Some(format!("IIS/{site}")),
            ArtifactKind::EventLog { name } => Some(format!("EventLog/{name}")),
            ArtifactKind::EventJsonl => Some("EventLog/JSON".to_string()),
            ArtifactKind::MemoryDump | ArtifactKind::Archive => None,
        }
    }

    /// True for the line-oriented Exchange CSV logs.
    pub fn is_log(&self) -> bool {
        self.family().is_some()
    }
}

/// One log line with its fields, looked up by column name (case-insensitive).
///
/// Detectors see records only through this trait so that every reader (CSV
/// logs now, W3C and event logs later) can feed the same detectors.
pub trait Record {
    /// The field of that column, unquoted; `None` when the log has no such column.
    fn field(&self, name: &str) -> Option<&str>;
    /// The whole line as read (without the line terminator).
    fn raw(&self) -> &[u8];
    /// 1-based line number in the file.
    fn line_no(&self) -> u64;
    /// The record's timestamp in ISO 8601 UTC, if it has one.
    fn time(&self) -> Option<&str>;
    /// Calls `f` with every (name, value) pair, for keyword searches that
    /// look at all fields. Records that cannot list their fields list none.
    fn for_each_field(&self, f: &mut dyn FnMut(&str, &str)) {
        let _ = f;
    }
}

/// Where a record comes from, in Sigma's `logsource` terms, so that a rule
/// is only evaluated on the records it was written for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// `webserver`, `process_creation`, `file_event`, ...
    pub category: Option<String>,
    /// `windows`, ...
    pub product: Option<String>,
    /// `application`, `security`, `sysmon`, `msexchange-management`, ...
    pub service: Option<String>,
}

/// A record with owned, named fields: one event of an event log (EVTX or
/// an exported JSON line) or one line of an IIS W3C log. Field names are
/// compared without case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRecord {
    /// `(name, value)` in the order the source gave them.
    pub fields: Vec<(String, String)>,
    /// ISO 8601 UTC.
    pub time: Option<String>,
    /// 1-based line (text logs) or record number (EVTX).
    pub line: u64,
    /// The record as read (a log line, or the event as JSON).
    pub raw: String,
    /// Where it comes from, for choosing which rules apply.
    pub logsource: LogSource,
}

impl EventRecord {
    /// Adds a field (kept in order; a later value of the same name wins on lookup).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push((name.into(), value.into()));
    }
}

impl Record for EventRecord {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn raw(&self) -> &[u8] {
        self.raw.as_bytes()
    }
    fn line_no(&self) -> u64 {
        self.line
    }
    fn time(&self) -> Option<&str> {
        self.time.as_deref()
    }
    fn for_each_field(&self, f: &mut dyn FnMut(&str, &str)) {
        for (n, v) in &self.fields {
            f(n, v);
        }
    }
}

/// How bad a finding is. Ordered from worst to mildest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// Findings at this severity or worse move the verdict on their own;
    /// `info` findings are leads that need corroboration (an antivirus
    /// vendor's zip under ProgramData must not make a server "compromised").
    pub fn moves_verdict(self) -> bool {
        self != Severity::Info
    }
}

/// The answer to "was this server broken into?". Ordered: worst is greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No trace in what was read.
    Clean,
    /// Added value: no trace, but what was read cannot tell (nothing
    /// exhunt can judge was in the input, or the logs do not cover a time
    /// when the server's build was open to a campaign exploited in the
    /// wild); the report's `why_inconclusive` says what is missing. Only
    /// a report's verdict, never a finding's.
    Inconclusive,
    /// Probes or exploit attempts that did not succeed.
    Attempted,
    /// An exploit step succeeded.
    Exploited,
    /// The intruder acted on the server.
    Compromised,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Attempted => "attempted",
            Verdict::Exploited => "exploited",
            Verdict::Compromised => "compromised",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sort of activity a finding shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Exploitation,
    Attempt,
    Scan,
    Webshell,
    Execution,
    CredentialAccess,
    Collection,
    Persistence,
    Staging,
    Config,
}

/// A cheap check of a whole raw log line, run after a pre-filter literal
/// was found in it, with where in the line that literal starts.
pub type LineCheck = std::sync::Arc<dyn Fn(&[u8], usize) -> bool + Send + Sync>;

/// What a raw log line must hold for a detector to be able to match it:
/// one of `any` (compared without ASCII case), and then `check`, when set,
/// must accept the whole line (the rest of the rule's literals; the place a
/// requested page is in). A necessary condition only: it may keep a line
/// the detector then rejects, never drop one it would match. Lets the
/// pre-filter skip the busy rows that hold a common literal
/// (`autodiscover.json`, `/powershell`) without splitting them.
#[derive(Clone)]
pub struct LineNeed {
    pub any: Vec<String>,
    pub check: Option<LineCheck>,
}

impl LineNeed {
    /// A need of one literal among `any`, nothing more.
    pub fn any<S: AsRef<str>>(any: &[S]) -> Self {
        LineNeed {
            any: any.iter().map(|s| s.as_ref().to_string()).collect(),
            check: None,
        }
    }

    /// Whether `line` meets the need (a plain reference implementation,
    /// for tests; the readers search all needs at once).
    pub fn accepts(&self, line: &[u8]) -> bool {
        let lower = line.to_ascii_lowercase();
        self.any.iter().any(|l| {
            let l = l.to_ascii_lowercase();
            !l.is_empty()
                && lower.windows(l.len()).enumerate().any(|(at, w)| {
                    w == l.as_bytes() && self.check.as_ref().is_none_or(|c| c(line, at))
                })
        })
    }
}

impl fmt::Debug for LineNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineNeed")
            .field("any", &self.any)
            .field("check", &self.check.is_some())
            .finish()
    }
}

/// One thing a detector saw, with the evidence to check it by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `F0001`, ... assigned by the judge in report order.
    pub id: String,
    /// Stable rule identifier (`proxylogon-ssrf-26855`): the rule whose
    /// reading of the record is reported (the strongest that matched).
    pub rule: String,
    /// Added field: every rule that matched this record (a log row or an
    /// event is one finding), `rule` first.
    #[serde(default)]
    pub rules: Vec<String>,
    pub title: String,
    pub cves: Vec<String>,
    pub kind: FindingKind,
    /// What this finding on its own says about the server.
    pub verdict: Verdict,
    pub severity: Severity,
    /// ISO 8601 UTC, `null` for files on disk.
    pub time: Option<String>,
    /// The file the evidence is in, relative to its input, `/` separators;
    /// zip members as `bundle.zip!/inner/path`.
    pub path: String,
    /// 1-based line, `null` where lines do not apply.
    pub line: Option<u64>,
    pub evidence: BTreeMap<String, String>,
    /// Ids of findings tied to this one (same client IP, request id, file name).
    pub related: Vec<String>,
    /// The public reference the rule rests on.
    pub source: String,
    /// Added field: MITRE ATT&CK technique ids (`T1190`, `T1505.003`): a
    /// Sigma rule's own `attack.t…` tags, else the judge's reading of the
    /// built-in rule.
    #[serde(default)]
    pub attack: Vec<String>,
    /// Added field: the server the evidence is from (its host name as its
    /// logs or events name it), `null` when no input named one.
    #[serde(default)]
    pub host: Option<String>,
    /// For `info` leads: the severity they take when other findings show the
    /// server was exploited (the reference script reports suspicious files
    /// only once a CVE check hit). Not part of the JSON contract.
    #[serde(skip)]
    pub escalate_to: Option<Severity>,
    /// The records around the evidence in the same source (a few lines or
    /// events before and after), for the timeline. Not part of the JSON.
    #[serde(skip)]
    pub context: Vec<ContextLine>,
    /// The rule-specific advice this finding calls for (from its rule's
    /// [`RuleSpec`] or `exhunt: next_step:`); the judge writes it when the
    /// finding moves the verdict. Not part of the JSON.
    #[serde(skip)]
    pub next_step: Option<NextStep>,
    /// For leads that are routine work on their own (an administrator in
    /// the EAC, a mailbox export to a file share): the reading they take
    /// when other evidence ties them to an attack (a finding at medium or
    /// above with the same client address, request id or account, or one
    /// that moved the verdict to exploited within minutes). Not part of
    /// the JSON.
    #[serde(skip)]
    pub raise_if_tied: Option<Box<Raise>>,
}

/// What a lead becomes when the judge ties it to an attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raise {
    pub kind: FindingKind,
    pub verdict: Verdict,
    pub severity: Severity,
    /// The title it then takes; `None` keeps its own.
    pub title: Option<String>,
    pub cves: Vec<String>,
}

/// One neighbouring record of a finding's evidence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContextLine {
    pub time: Option<String>,
    pub line: Option<u64>,
    pub text: String,
}

impl Finding {
    /// A hit of a built-in rule, with its fixed parts; the judge fills `id`
    /// and `related`.
    pub fn from_spec(spec: &RuleSpec, path: &str) -> Self {
        Finding::from_parts(spec.into(), path)
    }

    /// A hit of a rule whose parts were read at run time (Sigma or YARA
    /// metadata, an indicator list).
    pub fn from_parts(parts: FindingParts, path: &str) -> Self {
        Finding {
            id: String::new(),
            rules: vec![parts.rule.clone()],
            rule: parts.rule,
            title: parts.title,
            cves: parts.cves,
            kind: parts.kind,
            verdict: parts.verdict,
            severity: parts.severity,
            time: None,
            path: path.to_string(),
            line: None,
            evidence: BTreeMap::new(),
            related: Vec::new(),
            source: parts.source,
            attack: Vec::new(),
            host: None,
            escalate_to: None,
            context: Vec::new(),
            next_step: parts.next_step,
            raise_if_tied: None,
        }
    }

    /// The title this hit gets in place of its rule's (one naming the
    /// cmdlet, the place, the indicator).
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The kind this hit shows, when it differs from its rule's (a refused
    /// request is an attempt).
    pub fn with_kind(mut self, kind: FindingKind) -> Self {
        self.kind = kind;
        self
    }

    /// What this hit says about the server, when it differs from its rule's.
    pub fn with_verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = verdict;
        self
    }

    /// How bad this hit is, when it differs from its rule's.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The CVEs this hit concerns, when they differ from its rule's.
    pub fn with_cves(mut self, cves: &[&str]) -> Self {
        self.cves = cves.iter().map(|c| c.to_string()).collect();
        self
    }

    /// The reference this hit rests on, when it differs from its rule's
    /// (the indicator list an entry came from, the predicate that matched).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// One finding for one record that several rules matched: the
    /// strongest reading (verdict, then severity) is reported, with every
    /// rule's id in `rules`, every CVE they name, and the evidence of all.
    /// `None` for an empty list.
    pub fn merged(mut found: Vec<Finding>) -> Option<Finding> {
        if found.len() < 2 {
            return found.pop();
        }
        // Stable: among equals, the detector that ran first wins.
        let best = (0..found.len())
            .max_by_key(|&i| {
                let f = &found[i];
                (
                    f.verdict,
                    std::cmp::Reverse(f.severity),
                    std::cmp::Reverse(i),
                )
            })
            .unwrap_or(0);
        let mut top = found.remove(best);
        for f in found {
            for r in f.rules {
                if !top.rules.contains(&r) {
                    top.rules.push(r);
                }
            }
            for c in f.cves {
                if !top.cves.contains(&c) {
                    top.cves.push(c);
                }
            }
            for (k, v) in f.evidence {
                top.evidence.entry(k).or_insert(v);
            }
            if top.next_step.is_none() {
                top.next_step = f.next_step;
            }
            if top.raise_if_tied.is_none() {
                top.raise_if_tied = f.raise_if_tied;
            }
            // Severities order worst first: the worst escalation wins.
            top.escalate_to = match (top.escalate_to, f.escalate_to) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        top.cves.sort();
        Some(top)
    }

    /// Adds an evidence field, skipping empty values.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        let v = value.into();
        if !v.is_empty() {
            self.evidence.insert(key.to_string(), v);
        }
        self
    }
}

/// How far back one log family reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub family: String,
    pub first: Option<String>,
    pub last: Option<String>,
    pub files: u64,
}

/// Something that could not be read; the scan went on without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub path: String,
    pub message: String,
}

/// The server's Exchange build and what it leaves open (filled from issue 5 on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patch {
    pub build: String,
    pub product: String,
    pub source: String,
    pub open_cves: Vec<String>,
    pub install: String,
    /// Added field: the update installed (`Mar21SU`, `RTM` for none).
    #[serde(default)]
    pub update_level: Option<String>,
    /// Added field: the open CVEs by campaign (ProxyLogon, ProxyShell,
    /// ProxyNotShell, OWASSRF, other).
    #[serde(default)]
    pub campaigns: std::collections::BTreeMap<String, Vec<String>>,
    /// Added field: every build seen in the input, with where and when.
    #[serde(default)]
    pub history: Vec<BuildSeen>,
    /// Added field: caveats (ambiguous or unconfirmed builds) and the
    /// campaign windows the server ran unpatched through.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Patch {
    /// The campaigns the open CVEs belong to (`other` left out).
    pub fn open_campaigns(&self) -> Vec<&str> {
        self.campaigns
            .keys()
            .map(String::as_str)
            .filter(|c| *c != "other")
            .collect()
    }
}

/// One build the scan saw evidence of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSeen {
    pub build: String,
    /// `ExSetup.exe file version`, `registry export`, `HttpProxy log header`, ...
    pub source: String,
    /// A file it was read from.
    pub path: String,
    /// For log headers: the first and last log time written by this build.
    pub first: Option<String>,
    pub last: Option<String>,
    pub files: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// Counts of what the scan looked at, so that "clean" can be read against
/// how much was actually examined.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Files (and zip members) seen in the inputs.
    pub files_seen: u64,
    /// Files recognised as logs or suspicious files and examined.
    pub files_examined: u64,
    /// Bytes read from examined files (decompressed for zip members).
    pub bytes_read: u64,
    /// Log lines read.
    pub lines_read: u64,
    /// Added field: files whose content went through the file sweep
    /// (hashes, YARA, web-folder checks).
    #[serde(default)]
    pub files_content_scanned: u64,
    /// Added field: of those, files in a tree IIS serves Exchange from
    /// (inetpub, Exchange's web folders): where web shells are looked for.
    #[serde(default)]
    pub web_files: u64,
}

/// Rows of a rule beyond what is listed one by one: internet-facing servers
/// are probed every day, and a year of logs can hold hundreds of thousands
/// of such rows; an intruder can also write millions of matching rows to
/// exhaust the defender's memory. Counted and summarised, not dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Suppressed {
    pub rule: String,
    pub count: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    /// Added field: the worst severity among the rows counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Added field: client addresses of the rows counted (the first
    /// [`Suppressed::MAX_CLIENTS`] distinct ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
    /// Added field: the rows came from more distinct clients than listed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more_clients: bool,
    /// Added field: where one of the rows counted is (`path:line`), the
    /// latest, to look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
}

impl Suppressed {
    pub const MAX_CLIENTS: usize = 20;

    /// Counts one more row of the rule into the summary.
    pub fn count(&mut self, f: &Finding) {
        if self.rule.is_empty() {
            self.rule = f.rule.clone();
        }
        self.count += 1;
        if self.severity.is_none_or(|s| f.severity < s) {
            self.severity = Some(f.severity);
        }
        if let Some(t) = &f.time {
            if self.first.as_ref().is_none_or(|c| t < c) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|c| t >= c) {
                self.last = Some(t.clone());
                self.sample = Some(match f.line {
                    Some(l) => format!("{}:{l}", f.path),
                    None => f.path.clone(),
                });
            }
        } else if self.sample.is_none() {
            self.sample = Some(f.path.clone());
        }
        let client = ["ClientIpAddress", "c-ip", "ClientIp"]
            .iter()
            .find_map(|k| f.evidence.get(*k))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && *v != "-");
        if let Some(c) = client {
            if !self.clients.iter().any(|x| x == c) {
                if self.clients.len() < Self::MAX_CLIENTS {
                    self.clients.push(c.to_string());
                } else {
                    self.more_clients = true;
                }
            }
        }
    }
}

/// Whether a Sigma rule could be used; every rule file is listed, none is
/// silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleLoad {
    /// Added field: `sigma` (one entry per rule) or `yara` (one entry per
    /// rule file).
    #[serde(default = "sigma_engine")]
    pub engine: String,
    /// `bundled:<path>` for exhunt's own rules, the file path for the user's.
    pub origin: String,
    pub title: Option<String>,
    pub id: Option<String>,
    /// `loaded` or `skipped`.
    pub status: String,
    /// Why it was skipped.
    pub reason: Option<String>,
    /// Added field: what a loaded rule could not see in this scan (events
    /// that lack every field of a filter it negates, on which it was not
    /// applied). Absent when nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn sigma_engine() -> String {
    "sigma".to_string()
}

/// A file the scan deliberately did not read (too large for the content
/// scan, a link): named with the reason, so that "clean" is read against it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// The whole answer of one `exhunt scan`; every output format renders this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub inputs: Vec<String>,
    pub verdict: Verdict,
    pub incomplete: bool,
    pub coverage: Vec<Coverage>,
    pub patch: Option<Patch>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorEntry>,
    pub next_steps: Vec<String>,
    /// Added field: what was examined. (Added fields read as empty from a
    /// report written before them: the fleet server reads old reports.)
    #[serde(default)]
    pub stats: Stats,
    /// Added field: findings of noisy rules counted but not listed.
    #[serde(default)]
    pub suppressed: Vec<Suppressed>,
    /// Added field: every Sigma rule and YARA rule file, loaded or skipped
    /// (with the reason).
    #[serde(default)]
    pub rules: Vec<RuleLoad>,
    /// Added field: files not read on purpose, with the reason.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Added field: what was found where on a system root (a live server,
    /// a mounted disk, or an exhunt collection of either); `null` when the
    /// inputs were plain folders, files or zips.
    #[serde(default)]
    pub discovery: Option<SystemDiscovery>,
    /// Added field: with the verdict `inconclusive`, why (one sentence each:
    /// nothing to judge, a window the logs do not cover); empty otherwise.
    #[serde(default)]
    pub why_inconclusive: Vec<String>,
    /// Added field: whether the server's build is open to the campaigns
    /// exploited in the wild. Beside the verdict, never part of it.
    #[serde(default)]
    pub exposure: Exposure,
    /// Added field: the server this report speaks of (its host name as its
    /// logs or events name it), `null` when no input named one.
    #[serde(default)]
    pub host: Option<String>,
    /// Added field: when the inputs are several servers (different host
    /// names), one whole report per server, in this same shape; the fields
    /// above then sum them up (the worst verdict, every finding with its
    /// `host`, the most exposed build). Empty for one server.
    #[serde(default)]
    pub servers: Vec<Report>,
    /// Added field: what was taken (the exposure ledger): mailboxes read or
    /// exported, the address book, credentials, mail still forwarded out;
    /// each with whose, how, when, from where, its evidence and how sure.
    /// Empty when nothing shows a theft. (`exposure` above is the build's
    /// exposure to the campaigns; this is what the intruders took.)
    #[serde(default)]
    pub taken: Vec<TakenEntry>,
}

impl Report {
    /// How the report names its server: its host name, else the inputs it
    /// was read from.
    pub fn server_name(&self) -> String {
        match &self.host {
            Some(h) => h.clone(),
            None => format!("host not identified ({})", self.inputs.join(", ")),
        }
    }
}

/// The second headline: is the build open to a campaign exploited in the
/// wild? It never changes the verdict (which speaks of evidence alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// `exposed`, `patched` or `unknown` (no build found).
    pub state: ExposureState,
    /// The campaigns the build leaves open (`exposed`).
    pub campaigns: Vec<String>,
    /// Their CVEs.
    pub cves: Vec<String>,
    /// Mitigations seen in the IIS configuration, and the CVEs they cover.
    pub mitigations: Vec<Mitigation>,
    /// The headline as shown (`EXPOSED: ProxyLogon, ProxyShell (build ...)`).
    pub summary: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExposureState {
    Exposed,
    Patched,
    #[default]
    Unknown,
}

/// A mitigation rule found in the IIS configuration (EOMT, EOMTv2, the
/// Emergency Mitigation service): the requests of the CVEs it covers are
/// refused, though the build stays vulnerable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mitigation {
    pub rule: String,
    pub path: String,
    pub cves: Vec<String>,
}

/// When each campaign's exploitation in the wild began (the earliest
/// public report of attacks), with its source: the start of the window in
/// which an unpatched server could have been hit.
pub const CAMPAIGN_WINDOWS: &[(&str, &str, &str)] = &[
    ("ProxyLogon", "2021-01-06", "Volexity, 2021-03-02: first exploitation seen on 2021-01-06"),
    ("ProxyShell", "2021-08-06", "exploitation reported from the days after the Black Hat talk of 2021-08-05 (Huntress, 2021-08)"),
    ("ProxyNotShell", "2022-08-01", "GTSC, 2022-09-28: attacks seen in early August 2022; MSRC, 2022-09-29"),
    ("OWASSRF", "2022-11-01", "CrowdStrike, 2022-12-20: OWASSRF exploitation by Play ransomware from late November 2022"),
];

/// How a system root was searched: the Exchange install folder and where
/// its location came from, every place looked at, and what could not be
/// settled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemDiscovery {
    /// The system root: `C:\` on a live server, the folder given with
    /// `--system-root` (a mounted or copied disk).
    pub root: String,
    /// Discovered on the running server (environment variables), not offline.
    pub live: bool,
    /// The Exchange install folder as a Windows path, when found.
    pub exchange_install: Option<String>,
    /// Where that came from (environment variable, registry hive value,
    /// default install path).
    pub exchange_install_from: Option<String>,
    /// Every place looked at, found or not.
    pub places: Vec<DiscoveredPlace>,
    /// Exchange builds recorded outside the scanned files (the registry).
    #[serde(default)]
    pub builds: Vec<BuildSeen>,
    /// Plain-language notes: what was missing, unreadable or unusual.
    pub notes: Vec<String>,
    /// For an exhunt collection: when it was collected (UTC) and by which
    /// exhunt version.
    #[serde(default)]
    pub collected: Option<String>,
}

/// One place discovery looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredPlace {
    /// `Exchange install`, `Exchange HttpProxy logs`, `IIS logs`, `web root`,
    /// `virtual directory`, `IIS configuration`, `event logs`, `ProgramData`,
    /// `dump location`, `registry hive`, ...
    pub what: String,
    /// The place as Windows names it (`C:\inetpub\logs\LogFiles`).
    pub windows_path: String,
    /// Where it is in the report's paths (relative to the root, `/`
    /// separators), when it exists.
    pub path: Option<String>,
    /// Where its location came from.
    pub from: String,
    /// `scanned`, `not found`, `within <place>` (scanned as part of a
    /// larger folder) or why it was not read.
    pub status: String,
}

/// A line shortened for evidence (log lines can be kilobytes long).
pub fn excerpt(raw: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(raw);
    if s.chars().count() <= max {
        s.into_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Lower-case hex of bytes (SHA-256 digests in reports and manifests).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Case-insensitive glob match with `*` (any run) and `?` (one char), the
/// semantics of PowerShell's `-like` operator, which the reference script's
/// predicates are written in. Bracket classes are not used by those predicates.
pub fn like(text: &str, pattern: &str) -> bool {
    if text.is_ascii() && pattern.is_ascii() {
        // The common case, without allocating: ASCII case folding is all of
        // Unicode's lower-casing on ASCII text.
        return wildcard(text.as_bytes(), pattern.as_bytes(), |a, b| {
            a.eq_ignore_ascii_case(b)
        });
    }
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    wildcard(&t, &p, |a, b| a == b)
}

fn wildcard<T: Copy + PartialEq + From<u8>>(t: &[T], p: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    let (star_c, any_c) = (T::from(b'*'), T::from(b'?'));
    // Iterative wildcard match with backtracking to the last `*`.
    let (mut ti, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != star_c && (p[pi] == any_c || eq(&p[pi], &t[ti])) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == star_c {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == star_c {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_finding_per_record() {
        let part = |rule: &str, verdict, severity, cve: &str| FindingParts {
            rule: rule.into(),
            title: rule.into(),
            cves: vec![cve.into()],
            kind: FindingKind::Exploitation,
            verdict,
            severity,
            source: String::new(),
            next_step: None,
        };
        let a = Finding::from_parts(
            part("a", Verdict::Attempted, Severity::Medium, "CVE-2"),
            "x",
        )
        .with("k", "from a");
        let mut b =
            Finding::from_parts(part("b", Verdict::Exploited, Severity::High, "CVE-1"), "x")
                .with("k", "from b")
                .with("only_b", "1");
        b.next_step = Some(NextStep::WebshellUsed);
        let c = Finding::from_parts(
            part("c", Verdict::Exploited, Severity::Critical, "CVE-1"),
            "x",
        );
        let m = Finding::merged(vec![a.clone(), b, c]).unwrap();
        assert_eq!(m.rule, "c");
        assert_eq!(m.rules, vec!["c", "a", "b"]);
        assert_eq!(m.cves, vec!["CVE-1", "CVE-2"]);
        assert_eq!(m.evidence["k"], "from a");
        assert_eq!(m.evidence["only_b"], "1");
        assert_eq!(m.next_step, Some(NextStep::WebshellUsed));
        assert_eq!(Finding::merged(vec![a.clone()]).unwrap().rules, vec!["a"]);
        assert!(Finding::merged(Vec::new()).is_none());
    }

    #[test]
    fn like_matches_powershell_semantics() {
        assert!(like("ServerInfo~a]@EX:444/ecp/y.js", "ServerInfo~*/*"));
        assert!(like("serverinfo~A/B", "ServerInfo~*/*"));
        assert!(!like("ServerInfo~nohost", "ServerInfo~*/*"));
        assert!(like(
            "ServerInfo~a]@ex:444/autodiscover/autodiscover.xml?#",
            "ServerInfo~*/autodiscover*"
        ));
        assert!(like(
            "ServerInfo~localhost/ecp/default.flt?",
            "ServerInfo~localhost*/*"
        ));
        assert!(!like("x", ""));
        assert!(like("", "*"));
        assert!(like("abc", "a?c"));
        assert!(like("a*c", "a*c"));
        assert!(like("ServerInfo~ÄX/y", "serverinfo~äx/*"));
        assert!(!like("ServerInfo~ÄX", "serverinfo~*/*"));
    }

    #[test]
    fn severity_order_and_threshold() {
        assert!(Severity::Critical < Severity::Info);
        assert!(Severity::Low.moves_verdict());
        assert!(!Severity::Info.moves_verdict());
        assert!(Verdict::Compromised > Verdict::Clean);
    }
}
