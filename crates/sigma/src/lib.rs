//! exhunt's Sigma engine: loads Sigma rules (ours in `rules/sigma/`, the
//! user's from `--sigma DIR`) and tells which of them match a log record,
//! behind exhunt's own types so that the engine underneath can be swapped.
//!
//! Records are exhunt-core [`Record`]s: IIS W3C lines (fields under Sigma's
//! webserver names: `cs-method`, `cs-uri-stem`, `cs-uri-query`, `sc-status`,
//! `cs-user-agent`, `c-uri`, ...) and Windows events (fields as the event
//! carries them: `EventID`, `Channel`, `Image`, `CommandLine`, and for
//! classic logs such as MSExchange Management the unnamed data as `Data1`...
//! and `Data`, the whole). A record is evaluated in place: values are
//! borrowed from it, never copied into an engine-specific event.
//!
//! ```
//! use exhunt_core::{EventRecord, LogSource};
//! use exhunt_sigma::RuleSetBuilder;
//!
//! let mut b = RuleSetBuilder::new();
//! b.add_yaml(r#"
//! title: ECP request with a script
//! id: 00000000-0000-0000-0000-000000000001
//! logsource: {category: webserver}
//! detection:
//!     selection:
//!         cs-method: POST
//!         sc-status: 200
//!         cs-uri-stem|startswith: '/ecp/'
//!         cs-uri-stem|endswith: '.js'
//!     condition: selection
//! level: high
//! "#, "example.yml");
//! let rules = b.build();
//!
//! let mut rec = EventRecord::default();
//! rec.logsource = LogSource { category: Some("webserver".into()), ..Default::default() };
//! rec.push("cs-method", "POST");
//! rec.push("cs-uri-stem", "/ecp/y.js");
//! rec.push("sc-status", "200");
//! let hits = rules.matching(&rec.logsource, &rec);
//! assert_eq!(hits[0].title, "ECP request with a script");
//! ```
//!
//! # The engine
//!
//! [rsigma](https://github.com/timescale/rsigma) (`rsigma-parser` and
//! `rsigma-eval`, pinned to 0.23.0, the last release that builds on Rust
//! 1.95). It was chosen over `sigma-rust` 0.7 because it evaluates any
//! record through its `Event` trait (sigma-rust needs every field copied
//! into its own map), compares numeric rule values with string fields
//! (`EventID: 4688` matches `"4688"`; sigma-rust's strict typing does not),
//! treats keywords as substring searches (sigma-rust matches a keyword
//! against a whole value only, and ignores `'|all'` keyword maps, which
//! every MSExchange Management rule of SigmaHQ uses), reports every
//! document it cannot parse with a reason, and indexes rules by their
//! literals (a rule none of whose values occur in a record is not
//! evaluated on it). ENGINE.md beside this crate has the full comparison.
//!
//! Two fixes are applied to rules before rsigma compiles them (in
//! `backend.rs`): keyword items of a mapping (`'|all': [a, b]`) are made
//! full-text searches, each keyword anywhere in the record, as Sigma means
//! them; and rules with `|expand` placeholders are refused, since without a
//! pipeline to define them they would compare against the placeholder name.
//!
//! # Semantics
//!
//! - Field names are matched without regard to case; values are compared
//!   case-insensitively unless the rule says `|cased` (`|re` patterns are
//!   case-sensitive unless `|i`, as Sigma specifies). Every value of a
//!   record is a string: numeric rule values match their decimal text.
//! - A keyword (field-less) value matches when some field of the record
//!   contains it; a record that lists no fields is searched in its raw text.
//! - A rule applies to a record when every logsource attribute the rule
//!   states (category, product, service) equals the record's; SigmaHQ's
//!   generic `registry_event` covers Sysmon's registry events 12 to 14.
//!   Rules that apply to no record exhunt's readers produce (`category:
//!   proxy`, `product: linux`) are skipped with that reason rather than
//!   loaded and never evaluated (see [`exhunt_logsources`],
//!   [`RuleSetBuilder::readable_sources`]).
//! - A rule whose condition negates a detection (`not filter_main_*`) is
//!   not trusted on a record that lacks every field of that detection: the
//!   filter could not be checked, so a match would be a match-all (Security
//!   4688 events of older Windows have no parent process). Such a match is
//!   dropped and counted per rule ([`RuleSet::unseen`]).
//! - [`FieldMap`] lets a Sigma field be looked up under other record field
//!   names for a logsource; by default `cs-uri-query` of webserver records is
//!   also looked up in `c-uri` (why: see [`FieldMap::exhunt_default`]).
//! - Nothing is dropped silently: every rule file and every document in it
//!   gets a [`LoadReport`], `Loaded` or `Skipped` with a reason.
//!
//! # Use
//!
//! Build one [`RuleSet`] and share it (`&RuleSet` or `Arc`) with every
//! scanning thread. Per log file, [`RuleSet::for_source`] resolves once
//! which rules apply to its records ([`SourceRules::is_empty`] says the file
//! needs no Sigma evaluation at all); [`SourceRules::for_each_match`] then
//! evaluates each record without allocating unless a rule matches.

#![forbid(unsafe_code)]

mod backend;

use backend::{ActiveAlias, Doc, GroupEngine, ParsedFile, PreparedFilter, RecordEvent};
use exhunt_core::open::{read_capped, Links, OpenError};
use exhunt_core::{LogSource, Record};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// What exhunt knows about a loaded rule, for findings and reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    /// The rule's `id`, or its title when it has none.
    pub id: String,
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: Option<String>,
    /// `stable`, `test`, `experimental`, `deprecated`, `unsupported`.
    pub status: Option<String>,
    pub description: Option<String>,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    pub falsepositives: Vec<String>,
    pub logsource: LogSource,
    /// The file the rule was read from (or the origin given to
    /// [`RuleSetBuilder::add_yaml`]).
    pub origin: String,
    /// Top-level keys that are not part of Sigma's rule schema, such as
    /// exhunt's own `exhunt:` block (verdict, kind, CVEs of a finding),
    /// as JSON values.
    pub custom: BTreeMap<String, serde_json::Value>,
}

/// Whether one rule document could be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadStatus {
    Loaded,
    Skipped { reason: String },
}

impl LoadStatus {
    pub fn is_loaded(&self) -> bool {
        matches!(self, LoadStatus::Loaded)
    }
}

/// The fate of one document of a rule file (or of the whole file, when it
/// could not be read or held no document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub origin: String,
    /// The document's title, when it got far enough to have one.
    pub title: Option<String>,
    pub id: Option<String>,
    pub status: LoadStatus,
    /// Problems that did not stop the document from loading (an invalid
    /// `date`, a malformed `related` entry).
    pub warnings: Vec<String>,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(t) = &self.title {
            write!(f, " ({t})")?;
        }
        match &self.status {
            LoadStatus::Loaded => write!(f, ": loaded"),
            LoadStatus::Skipped { reason } => write!(f, ": skipped: {reason}"),
        }
    }
}

/// A Sigma field looked up under other record field names, for records of
/// a logsource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAlias {
    /// The records it applies to: every attribute stated here must equal
    /// the record's.
    pub when: LogSource,
    /// The field name rules use.
    pub field: String,
    /// Record fields to look in, in order (include `field` itself to keep
    /// it). When several are present, a rule value matches if it matches
    /// any of them.
    pub from: Vec<String>,
}

/// Field-name mapping per logsource, applied when rules look fields up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    pub aliases: Vec<FieldAlias>,
}

impl FieldMap {
    /// No mapping: rules see the records' field names only.
    pub fn none() -> Self {
        FieldMap {
            aliases: Vec::new(),
        }
    }

    /// exhunt's mapping. The readers already name fields as Sigma does (the
    /// W3C reader adds `cs-user-agent`, `c-uri`... ; the event readers add
    /// `Data`), so one entry remains: SigmaHQ's Exchange web rules put URL
    /// paths under `cs-uri-query` (`cs-uri-query|contains: '/ecp/'`, the
    /// ProxyToken and HAFNIUM rules), but in IIS logs that column holds only
    /// the part after `?`, and the path is in `cs-uri-stem`. Looking
    /// `cs-uri-query` up in both the query and the whole URI (`c-uri`:
    /// stem`?`query) lets those rules fire on IIS logs as their authors
    /// meant, while an exact match on the query alone still works.
    ///
    /// Rows of Exchange's HttpProxy logs are web requests too (logsource
    /// [`httpproxy_logsource`]); their columns are looked up under the
    /// webserver taxonomy's names, so that one rule reads both logs.
    pub fn exhunt_default() -> Self {
        let proxy = httpproxy_logsource();
        let mut map = FieldMap::none();
        for (field, from) in HTTPPROXY_FIELDS {
            map = map.with(FieldAlias {
                when: proxy.clone(),
                field: field.to_string(),
                from: from.iter().map(|f| f.to_string()).collect(),
            });
        }
        map.with(FieldAlias {
            when: LogSource {
                category: Some("webserver".into()),
                ..LogSource::default()
            },
            field: "cs-uri-query".into(),
            from: vec!["cs-uri-query".into(), "c-uri".into()],
        })
    }

    pub fn with(mut self, alias: FieldAlias) -> Self {
        self.aliases.push(alias);
        self
    }

    fn active(&self, ls: &LogSource) -> Vec<ActiveAlias> {
        self.aliases
            .iter()
            .filter(|a| fits(&a.when, ls))
            .map(|a| ActiveAlias {
                field: a.field.clone(),
                from: a.from.clone(),
            })
            .collect()
    }
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap::exhunt_default()
    }
}

/// The logsource of a row of Exchange's HttpProxy logs offered to
/// webserver rules (those that ask for it: see the detect crate).
pub fn httpproxy_logsource() -> LogSource {
    LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("httpproxy".into()),
    }
}

/// Webserver taxonomy names and the HttpProxy columns they are read from.
/// `c-uri` (stem and query) is either column: rules test it with
/// `contains`, which a match on either satisfies.
const HTTPPROXY_FIELDS: &[(&str, &[&str])] = &[
    ("cs-uri-stem", &["UrlStem"]),
    ("c-uri-stem", &["UrlStem"]),
    ("cs-uri-query", &["UrlQuery", "UrlStem"]),
    ("c-uri-query", &["UrlQuery"]),
    ("c-uri", &["UrlStem", "UrlQuery"]),
    ("cs-uri", &["UrlStem", "UrlQuery"]),
    ("cs-method", &["Method"]),
    ("sc-status", &["HttpStatus"]),
    ("cs-user-agent", &["UserAgent"]),
    ("c-useragent", &["UserAgent"]),
    ("cs-username", &["AuthenticatedUser"]),
    ("c-ip", &["ClientIpAddress"]),
    ("src_ip", &["ClientIpAddress"]),
    ("cs-host", &["UrlHost"]),
];

/// True when every attribute `pattern` states equals the one `ls` states.
fn fits(pattern: &LogSource, ls: &LogSource) -> bool {
    fn dim(p: &Option<String>, v: &Option<String>) -> bool {
        match (p, v) {
            (None, _) => true,
            (Some(p), Some(v)) => p.eq_ignore_ascii_case(v),
            (Some(_), None) => false,
        }
    }
    // SigmaHQ's generic `registry_event` is Sysmon's events 12, 13 and 14,
    // which records carry under their own categories (registry_add,
    // registry_delete, registry_set, registry_rename).
    let category = match (&pattern.category, &ls.category) {
        (Some(p), Some(v)) if p.eq_ignore_ascii_case("registry_event") => {
            v.to_ascii_lowercase().starts_with("registry_")
        }
        (p, v) => dim(p, v),
    };
    category && dim(&pattern.product, &ls.product) && dim(&pattern.service, &ls.service)
}

fn describe(ls: &LogSource) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("category", &ls.category),
        ("product", &ls.product),
        ("service", &ls.service),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}: {v}"));
        }
    }
    format!("{{{}}}", parts.join(", "))
}

/// The logsources of the records exhunt's readers produce: IIS W3C lines
/// (`webserver`, `windows`, `iis`) and Windows events, whose service comes
/// from the channel and whose category from the channel and event id
/// (Sigma's taxonomy, as `exhunt-sources`' `windows_logsource` assigns
/// them; events of other channels carry only `product: windows`). Kept in
/// step with that table by hand: a reader that starts producing another
/// logsource needs it added here, or passed with
/// [`RuleSetBuilder::readable_sources`].
pub fn exhunt_logsources() -> Vec<LogSource> {
    let ls = |c: Option<&str>, s: Option<&str>| LogSource {
        category: c.map(str::to_string),
        product: Some("windows".to_string()),
        service: s.map(str::to_string),
    };
    let mut v = vec![
        ls(Some("webserver"), Some("iis")),
        httpproxy_logsource(),
        ls(None, None),
    ];
    for s in [
        "application",
        "security",
        "system",
        "sysmon",
        "powershell",
        "powershell-classic",
        "msexchange-management",
        "taskscheduler",
        "wmi",
        "windefend",
        "bits-client",
        "ntlm",
        "terminalservices-localsessionmanager",
        "codeintegrity-operational",
        "dns-server-audit",
        "dns-server",
        // Channels read where their EVTX files are given (the sources
        // crate's channel table names them).
        "driver-framework",
        "dhcp",
        "applocker",
        "printservice-admin",
        "printservice-operational",
        "smbclient-security",
        "smbserver-connectivity",
        "firewall-as",
        "microsoft-servicebus-client",
        "ldap",
        "security-mitigations",
        "diagnosis-scripted",
        "shell-core",
        "openssh",
        "appxdeployment-server",
        "appxpackaging-om",
        "appmodel-runtime",
        "lsa-server",
        "dns-client",
        "capi2",
        "certificateservicesclient-lifecycle-system",
        "iis-configuration",
    ] {
        v.push(ls(None, Some(s)));
    }
    for c in [
        "process_creation",
        "file_change",
        "network_connection",
        "process_termination",
        "driver_load",
        "image_load",
        "create_remote_thread",
        "raw_access_thread",
        "process_access",
        "file_event",
        "registry_add",
        "registry_delete",
        "registry_set",
        "registry_rename",
        "create_stream_hash",
        "pipe_created",
        "wmi_event",
        "dns_query",
        "file_delete",
        "clipboard_capture",
        "process_tampering",
        "file_block_executable",
        "file_block_shredding",
        "file_executable_detected",
        "sysmon_status",
        "sysmon_error",
    ] {
        v.push(ls(Some(c), Some("sysmon")));
    }
    for (c, s) in [
        ("process_creation", "security"),
        ("ps_module", "powershell"),
        ("ps_script", "powershell"),
        ("ps_classic_start", "powershell-classic"),
        ("ps_classic_provider_start", "powershell-classic"),
        ("ps_classic_script", "powershell-classic"),
    ] {
        v.push(ls(Some(c), Some(s)));
    }
    v
}

/// Collects rule files, then builds an immutable [`RuleSet`].
pub struct RuleSetBuilder {
    rules: Vec<(RuleMeta, backend::PreparedRule)>,
    /// Filters and the index of their report.
    filters: Vec<(usize, PreparedFilter)>,
    reports: Vec<LoadReport>,
    readable: Option<Vec<LogSource>>,
    field_map: FieldMap,
    /// Rule id → origin of the rule loaded under it.
    ids: HashMap<String, String>,
}

impl Default for RuleSetBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Largest Sigma rule file read (SigmaHQ's largest are tens of KB).
pub const MAX_RULE_FILE: u64 = 16 << 20;

impl RuleSetBuilder {
    /// A builder that accepts the rules that apply to some record exhunt's
    /// readers produce ([`exhunt_logsources`]) and uses
    /// [`FieldMap::exhunt_default`].
    pub fn new() -> Self {
        RuleSetBuilder {
            rules: Vec::new(),
            filters: Vec::new(),
            reports: Vec::new(),
            readable: Some(exhunt_logsources()),
            field_map: FieldMap::exhunt_default(),
            ids: HashMap::new(),
        }
    }

    /// The logsources of the records that will be evaluated. A rule loads
    /// only when it applies to one of them (every attribute it states
    /// equals that logsource's); others are skipped as "no exhunt reader
    /// produces records it applies to" rather than loaded and never
    /// evaluated. `None` loads rules of any logsource.
    pub fn readable_sources(mut self, sources: Option<Vec<LogSource>>) -> Self {
        self.readable = sources;
        self
    }

    pub fn field_map(mut self, map: FieldMap) -> Self {
        self.field_map = map;
        self
    }

    /// Adds every document of one YAML text; returns how many rules loaded.
    pub fn add_yaml(&mut self, text: &str, origin: &str) -> usize {
        let parsed = backend::parse_file(text);
        self.add_parsed(parsed, origin)
    }

    /// Adds one rule file; returns how many rules loaded. A file that
    /// cannot be read is reported as skipped.
    pub fn add_file(&mut self, path: &Path) -> usize {
        let origin = path.display().to_string();
        match read_rule_file(path) {
            Ok(parsed) => self.add_parsed(parsed, &origin),
            Err(reason) => {
                self.skip_file(&origin, reason);
                0
            }
        }
    }

    /// Adds every `*.yml` / `*.yaml` file under `dir`, recursively, in name
    /// order, leaving out hidden entries (`.git`). Returns how many files
    /// were read; fails only when `dir` itself cannot be listed (entries
    /// below it that cannot be read are reported as skipped).
    pub fn add_dir(&mut self, dir: &Path) -> std::io::Result<usize> {
        let top = std::fs::read_dir(dir)?;
        let mut entries = Vec::new();
        walk(dir, top, &mut entries);
        // Reading and parsing (most of the cost of thousands of rules) on
        // all cores; the results are taken in the walk's order, so the
        // rules, their ids and the load report are as a serial load's.
        let parsed: Vec<Option<Result<ParsedFile, String>>> = entries
            .par_iter()
            .map(|e| match e {
                Entry::Rule(p) => Some(read_rule_file(p)),
                Entry::Skip(..) => None,
            })
            .collect();
        let mut files = 0;
        for (e, parsed) in entries.into_iter().zip(parsed) {
            match (e, parsed) {
                (Entry::Skip(origin, reason), _) => self.skip_file(&origin, reason),
                (Entry::Rule(p), Some(Ok(parsed))) => {
                    files += 1;
                    self.add_parsed(parsed, &p.display().to_string());
                }
                (Entry::Rule(p), Some(Err(reason))) => {
                    files += 1;
                    self.skip_file(&p.display().to_string(), reason);
                }
                (Entry::Rule(_), None) => unreachable!("every rule file was parsed"),
            }
        }
        Ok(files)
    }

    fn skip_file(&mut self, origin: &str, reason: String) {
        self.reports.push(LoadReport {
            origin: origin.to_string(),
            title: None,
            id: None,
            status: LoadStatus::Skipped { reason },
            warnings: Vec::new(),
        });
    }

    fn add_parsed(&mut self, parsed: ParsedFile, origin: &str) -> usize {
        let ParsedFile {
            docs,
            lost,
            warnings,
        } = parsed;
        if docs.is_empty() && lost.is_empty() {
            self.skip_file(origin, "no Sigma document in the file".into());
            return 0;
        }
        let mut loaded = 0;
        for doc in docs {
            let (title, id, status) = match doc {
                Doc::Rule(p) => {
                    let title = p.meta.title.clone();
                    let id = p.rule_id.clone();
                    let status = self.accept_rule(*p, origin);
                    loaded += status.is_loaded() as usize;
                    (Some(title), id, status)
                }
                Doc::Filter(f) => {
                    let (title, id) = (f.title.clone(), f.id.clone());
                    self.filters.push((self.reports.len(), *f));
                    // Settled in build(), once every rule is known.
                    (Some(title), id, LoadStatus::Loaded)
                }
                Doc::Unsupported { title, id, reason } => {
                    (title, id, LoadStatus::Skipped { reason })
                }
            };
            self.reports.push(LoadReport {
                origin: origin.to_string(),
                title,
                id,
                status,
                warnings: warnings.clone(),
            });
        }
        for reason in lost {
            self.skip_file(origin, reason);
        }
        loaded
    }

    fn accept_rule(&mut self, p: backend::PreparedRule, origin: &str) -> LoadStatus {
        let ls = &p.meta.logsource;
        if ls.category.is_none() && ls.product.is_none() && ls.service.is_none() {
            return LoadStatus::Skipped {
                reason: "logsource states no category, product or service".into(),
            };
        }
        if let Some(readable) = &self.readable {
            if !readable.iter().any(|r| fits(ls, r)) {
                return LoadStatus::Skipped {
                    reason: format!(
                        "logsource {}: no exhunt reader produces records it applies to",
                        describe(ls)
                    ),
                };
            }
        }
        if p.meta.status.as_deref() == Some("unsupported") {
            return LoadStatus::Skipped {
                reason: "status: unsupported (its authors mark it as not usable as is)".into(),
            };
        }
        if let Some(id) = &p.rule_id {
            if let Some(first) = self.ids.get(id) {
                return LoadStatus::Skipped {
                    reason: format!("same id as the rule already loaded from {first}"),
                };
            }
            self.ids.insert(id.clone(), origin.to_string());
        }
        let mut meta = p.meta.clone();
        meta.origin = origin.to_string();
        self.rules.push((meta, p));
        LoadStatus::Loaded
    }

    /// Compiles the loaded rules into a [`RuleSet`].
    pub fn build(mut self) -> RuleSet {
        // One engine per rule logsource, so that a record is only ever
        // evaluated against the rules written for its kind of log.
        let mut keys: Vec<LogSource> = Vec::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, (meta, _)) in self.rules.iter().enumerate() {
            let key = LogSource {
                category: meta
                    .logsource
                    .category
                    .as_deref()
                    .map(str::to_ascii_lowercase),
                product: meta
                    .logsource
                    .product
                    .as_deref()
                    .map(str::to_ascii_lowercase),
                service: meta
                    .logsource
                    .service
                    .as_deref()
                    .map(str::to_ascii_lowercase),
            };
            match keys.iter().position(|k| *k == key) {
                Some(g) => members[g].push(i),
                None => {
                    keys.push(key);
                    members.push(vec![i]);
                }
            }
        }
        // Each group's engine (its automata are most of the build) on all
        // cores, in the same order.
        let rules = &self.rules;
        let mut groups: Vec<Group> = keys
            .into_par_iter()
            .zip(members.par_iter())
            .map(|(logsource, m)| Group {
                logsource,
                rules: m.clone(),
                engine: GroupEngine::new(m.iter().map(|&i| (i, &rules[i].1)).collect()),
            })
            .collect();
        for (report, filter) in &self.filters {
            let mut reached = 0;
            let mut error = None;
            for g in &mut groups {
                match g.engine.apply_filter(filter) {
                    Ok(n) => reached += n,
                    Err(e) => error = Some(e),
                }
            }
            let status = if let Some(e) = error {
                LoadStatus::Skipped {
                    reason: format!("filter does not compile: {e}"),
                }
            } else if reached == 0 {
                LoadStatus::Skipped {
                    reason: match &filter.targets {
                        Some(t) => format!("filter names no loaded rule ({})", t.join(", ")),
                        None => "filter reaches no loaded rule".into(),
                    },
                }
            } else {
                LoadStatus::Loaded
            };
            self.reports[*report].status = status;
        }
        let negated = self.rules.iter().map(|(_, p)| p.negated.clone()).collect();
        let unseen = self.rules.iter().map(|_| AtomicU64::new(0)).collect();
        RuleSet {
            rules: self.rules.into_iter().map(|(m, _)| m).collect(),
            negated,
            unseen,
            reports: self.reports,
            groups,
            field_map: self.field_map,
            plans: RwLock::new(HashMap::new()),
        }
    }
}

struct Group {
    /// The rules' logsource, lower-cased.
    logsource: LogSource,
    /// Indices into `RuleSet::rules`.
    rules: Vec<usize>,
    engine: GroupEngine,
}

/// What applies to records of one logsource.
struct Plan {
    groups: Vec<usize>,
    aliases: Vec<ActiveAlias>,
    rules: usize,
}

/// Loaded Sigma rules, ready to be shared by every scanning thread.
pub struct RuleSet {
    rules: Vec<RuleMeta>,
    /// Per rule: the fields of each detection its condition negates.
    negated: Vec<Vec<Vec<String>>>,
    /// Per rule: matches dropped because a record lacked every field of a
    /// negated detection.
    unseen: Vec<AtomicU64>,
    reports: Vec<LoadReport>,
    groups: Vec<Group>,
    field_map: FieldMap,
    /// Per record logsource, which groups apply: computed on first use.
    plans: RwLock<HashMap<LogSource, Arc<Plan>>>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .field("reports", &self.reports.len())
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl RuleSet {
    pub fn builder() -> RuleSetBuilder {
        RuleSetBuilder::new()
    }

    /// One entry per document (and per file that gave none), in load order.
    pub fn load_report(&self) -> &[LoadReport] {
        &self.reports
    }

    /// The rules some of whose matches were dropped because the record
    /// lacked every field of a detection the rule negates (so its filter
    /// could not be checked), with how many and the fields of the first
    /// such detection.
    pub fn unseen(&self) -> Vec<(&RuleMeta, u64, Vec<String>)> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                let n = self.unseen[i].load(Ordering::Relaxed);
                (n > 0).then(|| (m, n, self.negated[i].first().cloned().unwrap_or_default()))
            })
            .collect()
    }

    /// Whether the match of rule `i` on `ev` can be trusted; counts it when
    /// not.
    fn trusted(&self, i: usize, ev: &RecordEvent<'_>) -> bool {
        if self.negated[i].is_empty() || ev.unseen(&self.negated[i]).is_none() {
            return true;
        }
        self.unseen[i].fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Loaded detection rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Loaded rules in load order.
    pub fn rules(&self) -> &[RuleMeta] {
        &self.rules
    }

    /// The rules that apply to records of `ls`, for evaluating many records
    /// of one log without looking the logsource up each time.
    pub fn for_source(&self, ls: &LogSource) -> SourceRules<'_> {
        SourceRules {
            set: self,
            plan: self.plan(ls),
        }
    }

    /// The rules matching `rec`, a record of `ls`, in load order.
    pub fn matching(&self, ls: &LogSource, rec: &dyn Record) -> Vec<&RuleMeta> {
        self.for_source(ls).matching(rec)
    }

    /// Calls `f` with each rule matching `rec`; allocates nothing when no
    /// rule matches.
    pub fn for_each_match(&self, ls: &LogSource, rec: &dyn Record, f: &mut dyn FnMut(&RuleMeta)) {
        self.for_source(ls).for_each_match(rec, f)
    }

    fn plan(&self, ls: &LogSource) -> Arc<Plan> {
        let cached = self
            .plans
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(ls)
            .cloned();
        if let Some(p) = cached {
            return p;
        }
        let groups: Vec<usize> = (0..self.groups.len())
            .filter(|&g| fits(&self.groups[g].logsource, ls))
            .collect();
        let plan = Arc::new(Plan {
            rules: groups.iter().map(|&g| self.groups[g].rules.len()).sum(),
            groups,
            aliases: self.field_map.active(ls),
        });
        self.plans
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(ls.clone())
            .or_insert(plan)
            .clone()
    }

    /// Every applicable rule evaluated without rsigma's candidate index:
    /// what the tests hold the indexed evaluation to.
    #[cfg(test)]
    fn matching_unindexed(&self, ls: &LogSource, rec: &dyn Record) -> Vec<&RuleMeta> {
        let plan = self.plan(ls);
        let ev = RecordEvent {
            rec,
            aliases: &plan.aliases,
        };
        let mut idx = Vec::new();
        for &g in &plan.groups {
            self.groups[g].engine.eval_all(&ev, &mut |i| {
                if self.negated[i].is_empty() || ev.unseen(&self.negated[i]).is_none() {
                    idx.push(i)
                }
            });
        }
        idx.sort_unstable();
        idx.into_iter().map(|i| &self.rules[i]).collect()
    }
}

/// The rules of a [`RuleSet`] that apply to one logsource.
pub struct SourceRules<'a> {
    set: &'a RuleSet,
    plan: Arc<Plan>,
}

impl<'a> SourceRules<'a> {
    /// How many rules apply; `0` means records of this logsource need not
    /// be evaluated at all.
    pub fn len(&self) -> usize {
        self.plan.rules
    }

    pub fn is_empty(&self) -> bool {
        self.plan.rules == 0
    }

    /// The applicable rules.
    pub fn rules(&self) -> impl Iterator<Item = &'a RuleMeta> + '_ {
        let set = self.set;
        self.plan
            .groups
            .iter()
            .flat_map(move |&g| set.groups[g].rules.iter().map(move |&i| &set.rules[i]))
    }

    /// Calls `f` with each rule matching `rec`; allocates nothing when no
    /// rule matches.
    pub fn for_each_match(&self, rec: &dyn Record, f: &mut dyn FnMut(&'a RuleMeta)) {
        let ev = RecordEvent {
            rec,
            aliases: &self.plan.aliases,
        };
        let set = self.set;
        for &g in &self.plan.groups {
            set.groups[g].engine.eval(&ev, &mut |i| {
                if set.trusted(i, &ev) {
                    f(&set.rules[i])
                }
            });
        }
    }

    /// The rules matching `rec`, in load order.
    pub fn matching(&self, rec: &dyn Record) -> Vec<&'a RuleMeta> {
        let ev = RecordEvent {
            rec,
            aliases: &self.plan.aliases,
        };
        let mut idx = Vec::new();
        for &g in &self.plan.groups {
            self.set.groups[g].engine.eval(&ev, &mut |i| {
                if self.set.trusted(i, &ev) {
                    idx.push(i)
                }
            });
        }
        idx.sort_unstable();
        idx.into_iter().map(|i| &self.set.rules[i]).collect()
    }
}

/// What the walk of a rule folder found, in name order.
enum Entry {
    /// A `*.yml` / `*.yaml` file (or a link or special file of that name,
    /// which reading names as skipped).
    Rule(std::path::PathBuf),
    /// Something not read, with why.
    Skip(String, String),
}

/// Lists a rule folder recursively, in name order, leaving out hidden
/// entries (`.git`) and links to folders (they could loop back up).
fn walk(dir: &Path, entries: std::fs::ReadDir, out: &mut Vec<Entry>) {
    let mut paths = Vec::new();
    for e in entries {
        match e {
            Ok(e) => paths.push(e.path()),
            Err(e) => out.push(Entry::Skip(
                dir.display().to_string(),
                format!("cannot list folder: {e}"),
            )),
        }
    }
    paths.sort();
    for p in paths {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.as_deref().is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        // The entry itself, links not followed.
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            out.push(Entry::Skip(
                p.display().to_string(),
                "cannot read its type".into(),
            ));
            continue;
        };
        let is_rule = p
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"));
        if meta.file_type().is_symlink() && std::fs::metadata(&p).is_ok_and(|m| m.is_dir()) {
            out.push(Entry::Skip(
                p.display().to_string(),
                "a symbolic link to a folder: not followed".into(),
            ));
        } else if meta.is_dir() {
            match std::fs::read_dir(&p) {
                Ok(sub) => walk(&p, sub, out),
                Err(e) => out.push(Entry::Skip(
                    p.display().to_string(),
                    format!("cannot list folder: {e}"),
                )),
            }
        } else if is_rule {
            // Links to files and special files too: reading follows the
            // one and names the other as skipped.
            out.push(Entry::Rule(p));
        }
    }
}

/// Reads and parses one rule file; `Err` says why it was not read. The
/// user's own rule files: a link to a rule is read, a FIFO or device is not
/// (it would hang or never end), nor a huge file.
fn read_rule_file(path: &Path) -> Result<ParsedFile, String> {
    match read_capped(path, Links::Follow, MAX_RULE_FILE) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(backend::parse_file(&text)),
            Err(_) => Err("not UTF-8 text".into()),
        },
        Err(e @ OpenError::Io(_)) => Err(format!("cannot read: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests;
