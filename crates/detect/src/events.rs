//! Detectors over event records: Windows events (EVTX, JSON lines) and IIS
//! W3C lines. Sigma rules do most of the work ([`SigmaDetector`]: ours from
//! `rules/sigma/`, the user's from `--sigma DIR`); the addresses that
//! attacked Exchange in March 2021 are matched as data ([`AttackerIps`]).

use crate::LogContext;
use exhunt_core::{
    ArtifactKind, EventRecord, Finding, FindingKind, FindingParts, LineCheck, LineNeed, LogSource,
    NextStep, Record, RuleSpec, Severity, Verdict,
};
use exhunt_sigma::{RuleMeta, RuleSet};
use std::collections::HashMap;

include!(concat!(env!("OUT_DIR"), "/bundled_sigma.rs"));

/// A rule set builder holding exhunt's bundled Sigma rules, each with the
/// origin `bundled:<path under rules/sigma>`; add the user's, then build.
pub fn bundled_rules() -> exhunt_sigma::RuleSetBuilder {
    let mut b = RuleSet::builder();
    for (path, text) in BUNDLED_SIGMA {
        b.add_yaml(text, &format!("bundled:{path}"));
    }
    b
}

/// The bundled list, embedded at build time (see rules/iocs/attacker-ips.csv).
pub const ATTACKER_IPS_CSV: &str = include_str!("../../../rules/iocs/attacker-ips.csv");

/// Most fields copied from an event into a finding's evidence, and their
/// longest value: events can carry kilobytes of text.
const MAX_EVIDENCE_FIELDS: usize = 40;
const MAX_EVIDENCE_VALUE: usize = 600;

/// A detector over event records: events of Windows event logs (EVTX or
/// exported JSON lines) and requests of IIS web logs. The one interface for
/// everything that looks at such records: Sigma rules, the attacker
/// address list, requests for web shells found on disk.
pub trait EventDetector: Send + Sync {
    /// Whether it looks at records of this kind of log at all.
    fn applies_to(&self, _kind: &ArtifactKind) -> bool {
        true
    }

    /// What a raw line of a text log of this logsource must hold for
    /// [`EventDetector::check`] to be able to match (compared without
    /// ASCII case), or `None` when any line may match: then no pre-filter
    /// can skip lines for the logsource.
    fn line_literals(&self, ls: &LogSource) -> Option<Vec<String>>;

    /// The same as needs: a literal, and what else the line must hold
    /// (see [`LineNeed`]). By default the literals alone.
    fn line_needs(&self, ls: &LogSource) -> Option<Vec<LineNeed>> {
        self.line_literals(ls).map(|l| vec![LineNeed::any(&l)])
    }

    /// Looks at one record; pushes what it finds.
    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>);
}

/// What a raw line of a text log of this logsource must hold for some
/// detector that applies to `kind` to match it; `None` when some detector
/// may match any line (then no pre-filter can skip lines).
pub fn line_needs(
    detectors: &[&dyn EventDetector],
    kind: &ArtifactKind,
    ls: &LogSource,
) -> Option<Vec<LineNeed>> {
    let mut needs = Vec::new();
    for d in detectors.iter().filter(|d| d.applies_to(kind)) {
        needs.extend(d.line_needs(ls)?);
    }
    Some(needs)
}

/// A check that a line holds, for each group, one of its literals
/// (compared without ASCII case); `None` for no group. The line is
/// lower-cased once and searched with memchr's SIMD substring search:
/// far faster on kilobyte-long rows than a case-insensitive automaton.
pub fn all_groups_check(groups: &[Vec<String>]) -> Option<LineCheck> {
    let finders: Vec<Vec<memchr::memmem::Finder<'static>>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .filter(|l| !l.is_empty())
                .map(|l| memchr::memmem::Finder::new(&l.to_ascii_lowercase()).into_owned())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect();
    if finders.is_empty() {
        return None;
    }
    Some(std::sync::Arc::new(move |line: &[u8], _at| {
        with_lowercase(line, |lower| {
            finders
                .iter()
                .all(|g| g.iter().any(|f| f.find(lower).is_some()))
        })
    }))
}

/// Calls `f` with `line` lower-cased (ASCII) in a buffer kept per thread:
/// the pre-filter's checks run on hundreds of thousands of rows.
pub fn with_lowercase<R>(line: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.extend(line.iter().map(u8::to_ascii_lowercase));
        f(&b)
    })
}

/// How a Sigma match becomes a finding.
pub struct SigmaDetector {
    rules: RuleSet,
}

impl SigmaDetector {
    pub fn new(rules: RuleSet) -> Self {
        SigmaDetector { rules }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// What a raw line of a text log of this logsource (IIS) must hold for
    /// some rule to match: every rule that applies declares it in its
    /// `exhunt: literals:` (one of them) and `literals_all:` (one of each
    /// further group). `None` when some rule declares none (a user's rule):
    /// then every line is evaluated.
    pub fn needs_for(&self, ls: &LogSource) -> Option<Vec<LineNeed>> {
        self.rules
            .for_source(ls)
            .rules()
            .map(declared_need)
            .collect()
    }

    /// The strings a raw line of a text log of this logsource (IIS) must
    /// hold for some rule to match: every rule that applies declares them
    /// in its `exhunt: literals:`. `None` when some rule declares none (a
    /// user's rule): then every line is evaluated.
    fn literals_for(&self, ls: &LogSource) -> Option<Vec<String>> {
        let mut lits = Vec::new();
        for meta in self.rules.for_source(ls).rules() {
            lits.extend(declared_literals(meta)?);
        }
        Some(lits)
    }

    /// What a row of an HttpProxy log must hold (compared without ASCII
    /// case) for a rule that reads such rows to match; see
    /// [`SigmaDetector::check_httpproxy`].
    pub fn httpproxy_needs(&self) -> Vec<LineNeed> {
        let ls = exhunt_sigma::httpproxy_logsource();
        self.rules
            .for_source(&ls)
            .rules()
            .filter(|m| reads_httpproxy(m))
            .filter_map(declared_need)
            .collect()
    }

    /// Runs the webserver rules that read Exchange's HttpProxy logs over
    /// one of their rows (its columns seen under the webserver taxonomy's
    /// names: `cs-uri-stem` is `UrlStem`...). A rule reads them when its
    /// logsource names `service: httpproxy`, or when its `exhunt:` block
    /// says `httpproxy: true` and declares its `literals` (the pre-filter
    /// of these large logs is built from them).
    pub fn check_httpproxy(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        let ls = exhunt_sigma::httpproxy_logsource();
        self.rules.for_each_match(&ls, rec, &mut |meta| {
            if reads_httpproxy(meta) {
                out.push(sigma_finding_of(meta, ctx, rec, Some(HTTPPROXY_EVIDENCE)));
            }
        });
    }
}

/// The columns of an HttpProxy row a finding shows (the others are
/// latencies and counters).
pub(crate) const HTTPPROXY_EVIDENCE: &[&str] = &[
    "DateTime",
    "RequestId",
    "Protocol",
    "UrlHost",
    "UrlStem",
    "UrlQuery",
    "Method",
    "HttpStatus",
    "BackEndStatus",
    "AuthenticatedUser",
    "AnchorMailbox",
    "UserAgent",
    "ClientIpAddress",
    "ServerHostName",
    "TargetServer",
    "RoutingHint",
    "BackEndCookie",
    "GenericErrors",
];

/// The literals a rule declares in its `exhunt:` block (`None`: none).
fn declared_literals(meta: &RuleMeta) -> Option<Vec<String>> {
    let declared = meta
        .custom
        .get("exhunt")
        .and_then(|e| e.get("literals"))
        .and_then(|l| l.as_array())?;
    declared
        .iter()
        .map(|l| l.as_str().map(str::to_string))
        .collect()
}

/// A rule's declared need of a raw line: one of `exhunt: literals:`, and
/// one of each list of `exhunt: literals_all:` (the rule's other required
/// selections, so that a common literal such as `autodiscover.json` does
/// not make every Outlook client's row a candidate).
fn declared_need(meta: &RuleMeta) -> Option<LineNeed> {
    let any = declared_literals(meta)?;
    let groups: Vec<Vec<String>> = meta
        .custom
        .get("exhunt")
        .and_then(|e| e.get("literals_all"))
        .and_then(|l| l.as_array())
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g.as_array())
                .map(|g| {
                    g.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    Some(LineNeed {
        any,
        check: all_groups_check(&groups),
    })
}

/// Whether a rule reads rows of HttpProxy logs: see
/// [`SigmaDetector::check_httpproxy`].
fn reads_httpproxy(meta: &RuleMeta) -> bool {
    let named = meta
        .logsource
        .service
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("httpproxy"));
    let asks = meta
        .custom
        .get("exhunt")
        .and_then(|e| e.get("httpproxy"))
        .and_then(|v| v.as_bool())
        == Some(true);
    (named || asks) && declared_literals(meta).is_some()
}

impl EventDetector for SigmaDetector {
    fn line_literals(&self, ls: &LogSource) -> Option<Vec<String>> {
        self.literals_for(ls)
    }

    fn line_needs(&self, ls: &LogSource) -> Option<Vec<LineNeed>> {
        self.needs_for(ls)
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        self.rules.for_each_match(&rec.logsource, rec, &mut |meta| {
            out.push(sigma_finding(meta, ctx, rec));
        });
    }
}

fn severity_of(level: Option<&str>) -> Severity {
    match level.unwrap_or("medium") {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "low" => Severity::Low,
        "informational" => Severity::Info,
        _ => Severity::Medium,
    }
}

fn kind_of(s: &str) -> Option<FindingKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

fn verdict_of(s: &str) -> Option<Verdict> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

/// Turns a rule match into a finding. Our rules say in their `exhunt:`
/// block what a match means (rule id, kind, verdict, CVEs, and the
/// `next_step` it calls for, by [`NextStep`] name; a name exhunt does not
/// know is left out). A user's rule
/// does not, so its level stands in: `critical` reads as compromised,
/// `high` as exploited, lower levels as an attempt; `informational` rules
/// are leads that never move the verdict.
pub fn sigma_finding(meta: &RuleMeta, ctx: &LogContext<'_>, rec: &EventRecord) -> Finding {
    sigma_finding_of(meta, ctx, rec, None)
}

/// [`sigma_finding`] for any record; `only` limits the fields copied into
/// the evidence.
fn sigma_finding_of(
    meta: &RuleMeta,
    ctx: &LogContext<'_>,
    rec: &dyn Record,
    only: Option<&[&str]>,
) -> Finding {
    let severity = severity_of(meta.level.as_deref());
    let ex = meta.custom.get("exhunt");
    let get = |k: &str| ex.and_then(|e| e.get(k)).and_then(|v| v.as_str());
    let rule = get("rule")
        .map(str::to_string)
        .unwrap_or_else(|| format!("sigma:{}", meta.id));
    let kind = get("kind").and_then(kind_of).unwrap_or_else(|| {
        let tag = |t: &str| meta.tags.iter().any(|x| x.eq_ignore_ascii_case(t));
        if tag("attack.credential-access") || tag("attack.credential_access") {
            FindingKind::CredentialAccess
        } else if tag("attack.persistence") {
            FindingKind::Persistence
        } else if tag("attack.execution") {
            FindingKind::Execution
        } else if tag("attack.collection") {
            FindingKind::Collection
        } else {
            FindingKind::Attempt
        }
    });
    let verdict = get("verdict")
        .and_then(verdict_of)
        .unwrap_or(match severity {
            Severity::Critical => Verdict::Compromised,
            Severity::High => Verdict::Exploited,
            _ => Verdict::Attempted,
        });
    let mut cves: Vec<String> = ex
        .and_then(|e| e.get("cves"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if cves.is_empty() {
        cves = meta
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("cve."))
            .map(|c| format!("CVE-{}", c.trim_start_matches("CVE-")))
            .collect();
    }
    let source = if meta.references.is_empty() {
        format!("Sigma rule {} ({})", meta.id, meta.origin)
    } else {
        format!(
            "{} (Sigma rule {}, {})",
            meta.references.join("; "),
            meta.id,
            meta.origin
        )
    };
    let next_step = get("next_step").and_then(NextStep::parse);
    let parts = FindingParts {
        rule,
        title: meta.title.clone(),
        cves,
        kind,
        verdict,
        severity,
        source,
        next_step,
    };
    let mut f = Finding::from_parts(parts, ctx.path);
    f.time = rec.time().map(str::to_string);
    f.line = Some(rec.line_no());
    let mut n = 0;
    rec.for_each_field(&mut |k, v| {
        let wanted = only.is_none_or(|o| o.iter().any(|w| w.eq_ignore_ascii_case(k)));
        if wanted && n < MAX_EVIDENCE_FIELDS && !v.is_empty() && !f.evidence.contains_key(k) {
            n += 1;
            f.evidence.insert(
                k.to_string(),
                crate::excerpt(v.as_bytes(), MAX_EVIDENCE_VALUE),
            );
        }
    });
    f.evidence.insert("sigma_rule".to_string(), meta.id.clone());
    // ATT&CK techniques the rule is tagged with (`attack.t1505.003`).
    f.attack = meta
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| {
            let b = t.as_bytes();
            b.len() >= 5 && (b[0] == b't' || b[0] == b'T') && b[1..5].iter().all(u8::is_ascii_digit)
        })
        .map(|t| t.to_ascii_uppercase())
        .collect();
    // `exhunt: account: FIELD`: the field naming the account that acted,
    // by which the judge ties the finding to others.
    if let Some(v) = get("account").and_then(|k| rec.field(k)) {
        f = f.with("account", v);
    }
    // `exhunt: raise_if_tied: {kind, verdict, severity, title}`: routine
    // work on its own, this when tied to an attack (see the judge).
    if let Some(r) = ex.and_then(|e| e.get("raise_if_tied")) {
        let s = |k: &str| r.get(k).and_then(|v| v.as_str());
        f.raise_if_tied = Some(Box::new(exhunt_core::Raise {
            kind: s("kind").and_then(kind_of).unwrap_or(f.kind),
            verdict: s("verdict").and_then(verdict_of).unwrap_or(f.verdict),
            severity: s("severity").map_or(f.severity, |l| severity_of(Some(l))),
            title: s("title").map(str::to_string),
            cves: f.cves.clone(),
        }));
    }
    let web = meta
        .logsource
        .category
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("webserver"));
    if web {
        f = answered(f, rec);
    }
    f
}

/// The HTTP status of a web request (IIS `sc-status`, HttpProxy
/// `HttpStatus`).
pub fn web_status(rec: &dyn Record) -> Option<u16> {
    ["sc-status", "HttpStatus"]
        .iter()
        .find_map(|k| rec.field(k))
        .and_then(|v| v.trim().parse().ok())
}

/// Whether the server carried a request out: 2xx and 3xx (and 241, what
/// `/ecp/proxyLogon.ecp` answers in the public ProxyLogon chain).
pub fn step_succeeded(status: u16) -> bool {
    (200..400).contains(&status)
}

/// A web request the server refused or failed (4xx, 5xx) is an attempt,
/// whatever the rule that matched it says a success would mean: it never
/// raises the verdict above `attempted` on its own.
fn answered(f: Finding, rec: &dyn Record) -> Finding {
    let Some(status) = web_status(rec) else {
        return f;
    };
    if step_succeeded(status) || f.verdict <= Verdict::Attempted {
        return f;
    }
    let title = format!("{} (refused or failed: HTTP {status})", f.title);
    let severity = f.severity.max(Severity::Medium);
    f.titled(title)
        .with_kind(FindingKind::Attempt)
        .with_verdict(Verdict::Attempted)
        .with_severity(severity)
        .with(
            "status_reading",
            format!("HTTP {status}: the server refused or failed the request, so it counts as an attempt"),
        )
}

/// A request from an address on the list.
const ATTACKER_IP: RuleSpec = RuleSpec {
    id: "attacker-ip-request",
    title: "Request from an address that exploited Exchange servers in March 2021",
    cves: &["CVE-2021-26855"],
    kind: FindingKind::Attempt,
    verdict: Verdict::Attempted,
    severity: Severity::Low,
    source: "CISA AA21-062A (cisagov/CHIRP indicators/AA21062A.yaml); Volexity Operation Exchange Marauder indicators",
    next_step: None,
};

/// Addresses that attacked Exchange servers in March 2021 (CISA, Volexity).
pub struct AttackerIps {
    by_ip: HashMap<String, String>,
}

impl AttackerIps {
    /// Parses `ip,campaign,source` lines; `#` lines are comments.
    pub fn from_csv(text: &str) -> Self {
        let by_ip = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("ip,") && !l.trim().is_empty())
            .filter_map(|l| {
                let mut it = l.splitn(3, ',');
                let ip = it.next()?.trim().to_string();
                let _campaign = it.next();
                Some((ip, it.next().unwrap_or("").trim().to_string()))
            })
            .collect();
        AttackerIps { by_ip }
    }

    pub fn bundled() -> Self {
        Self::from_csv(ATTACKER_IPS_CSV)
    }

    pub fn len(&self) -> usize {
        self.by_ip.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }

    /// The addresses, for a pre-filter.
    pub fn addresses(&self) -> Vec<&str> {
        self.by_ip.keys().map(String::as_str).collect()
    }

    /// The list's source for an address on it.
    pub fn lookup(&self, ip: &str) -> Option<&str> {
        self.by_ip.get(ip.trim()).map(String::as_str)
    }

    /// Marks a finding whose client address is on the list.
    pub fn annotate(&self, f: &mut Finding) {
        let ip = ["ClientIpAddress", "c-ip"]
            .iter()
            .find_map(|k| f.evidence.get(*k))
            .cloned();
        if let Some(src) = ip.as_deref().and_then(|ip| self.lookup(ip)) {
            f.evidence.insert(
                "known_attacker_ip".to_string(),
                format!("seen exploiting Exchange in March 2021 ({src})"),
            );
        }
    }
}

impl EventDetector for AttackerIps {
    fn applies_to(&self, kind: &ArtifactKind) -> bool {
        matches!(kind, ArtifactKind::IisLog { .. })
    }

    fn line_literals(&self, _ls: &LogSource) -> Option<Vec<String>> {
        Some(self.by_ip.keys().cloned().collect())
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        let Some(ip) = rec.field("c-ip") else { return };
        let Some(src) = self.lookup(ip) else { return };
        let mut f = Finding::from_spec(&ATTACKER_IP, ctx.path);
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        for k in [
            "c-ip",
            "cs-method",
            "cs-uri-stem",
            "cs-uri-query",
            "sc-status",
            "cs-user-agent",
        ] {
            if let Some(v) = rec.field(k) {
                f = f.with(k, v);
            }
        }
        out.push(f.with("list", src));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::{ArtifactKind, LogSource};

    fn web(ip: &str) -> EventRecord {
        let mut r = EventRecord {
            time: Some("2021-03-03T06:49:42.000Z".into()),
            line: 9,
            logsource: LogSource {
                category: Some("webserver".into()),
                product: Some("windows".into()),
                service: Some("iis".into()),
            },
            ..Default::default()
        };
        r.push("c-ip", ip);
        r.push("cs-method", "POST");
        r.push("cs-uri-stem", "/ecp/y.js");
        r
    }

    #[test]
    fn every_bundled_rule_loads() {
        let set = bundled_rules().build();
        assert_eq!(BUNDLED_SIGMA.len(), 25);
        for r in set.load_report() {
            assert!(r.status.is_loaded(), "{r}");
        }
        assert_eq!(set.len(), BUNDLED_SIGMA.len());
        for meta in set.rules() {
            let ex = meta.custom.get("exhunt").expect("exhunt block");
            for k in ["rule", "kind", "verdict"] {
                assert!(
                    ex.get(k).and_then(|v| v.as_str()).is_some(),
                    "{} lacks {k}",
                    meta.origin
                );
            }
            assert!(
                kind_of(ex["kind"].as_str().unwrap()).is_some(),
                "{}",
                meta.origin
            );
            assert!(
                verdict_of(ex["verdict"].as_str().unwrap()).is_some(),
                "{}",
                meta.origin
            );
            assert!(!meta.references.is_empty(), "{} cites nothing", meta.origin);
            if let Some(n) = ex.get("next_step") {
                assert!(
                    n.as_str().and_then(NextStep::parse).is_some(),
                    "{}: unknown next_step {n}",
                    meta.origin
                );
            }
        }
    }

    #[test]
    fn bundled_rules_carry_the_judges_next_steps() {
        let set = bundled_rules().build();
        let mut carried: Vec<(String, NextStep)> = set
            .rules()
            .iter()
            .filter_map(|meta| {
                let ex = &meta.custom["exhunt"];
                let step = NextStep::parse(ex.get("next_step")?.as_str()?)?;
                Some((ex["rule"].as_str()?.to_string(), step))
            })
            .collect();
        carried.sort();
        let want = [
            (
                "exchange-transport-agent-install",
                NextStep::TransportAgentInstalled,
            ),
            ("exchange-webshell-file-write", NextStep::WebshellUsed),
            // Said only once the routine export is tied to an attack.
            ("mailbox-export", NextStep::MailboxesTaken),
            ("proxyshell-mailbox-export-web", NextStep::MailboxesTaken),
            ("webserver-spawns-shell", NextStep::WebshellUsed),
            ("webshell-request", NextStep::WebshellUsed),
            ("webshell-tunnel-traffic", NextStep::WebshellUsed),
        ];
        let want: Vec<(String, NextStep)> = want.iter().map(|(r, n)| (r.to_string(), *n)).collect();
        assert_eq!(carried, want);
    }

    #[test]
    fn next_step_of_a_rule_reaches_its_finding() {
        let rule = |step: &str| {
            format!("title: t\nid: 11111111-1111-1111-1111-111111111111\nlevel: high\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-stem: '/ecp/y.js'\n  condition: sel\nexhunt:\n  rule: r\n  kind: webshell\n  verdict: compromised\n  next_step: {step}\n")
        };
        let kind = ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        };
        let ctx = LogContext {
            path: "u_ex.log",
            kind: &kind,
        };
        for (step, want) in [
            ("webshell-used", Some(NextStep::WebshellUsed)),
            ("no-such-step", None),
        ] {
            let mut b = RuleSet::builder();
            b.add_yaml(&rule(step), "user/t.yml");
            let det = SigmaDetector::new(b.build());
            let mut out = Vec::new();
            det.check(&ctx, &web("10.0.0.1"), &mut out);
            assert_eq!(out.len(), 1, "{step}");
            assert_eq!(out[0].next_step, want, "{step}");
        }
    }

    #[test]
    fn attacker_ips_from_the_bundled_list() {
        let ips = AttackerIps::bundled();
        assert_eq!(ips.len(), 15);
        let kind = ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        };
        let ctx = LogContext {
            path: "u_ex.log",
            kind: &kind,
        };
        let mut out = Vec::new();
        ips.check(&ctx, &web("103.77.192.219"), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].line, Some(9));
        ips.check(&ctx, &web("10.0.0.1"), &mut out);
        assert_eq!(out.len(), 1);
        let mut f = out.remove(0);
        f.evidence.remove("known_attacker_ip");
        ips.annotate(&mut f);
        assert!(f.evidence.contains_key("known_attacker_ip"));
    }

    #[test]
    fn user_rule_without_exhunt_block_maps_level_and_tags() {
        let mut b = RuleSet::builder();
        b.add_yaml(
            "title: t\nid: 11111111-1111-1111-1111-111111111111\nlevel: high\ntags: [attack.execution, cve.2021-26855]\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-stem: '/ecp/y.js'\n  condition: sel\n",
            "user/t.yml",
        );
        let det = SigmaDetector::new(b.build());
        let kind = ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        };
        let ctx = LogContext {
            path: "u_ex.log",
            kind: &kind,
        };
        let mut out = Vec::new();
        det.check(&ctx, &web("10.0.0.1"), &mut out);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert_eq!(f.rule, "sigma:11111111-1111-1111-1111-111111111111");
        assert_eq!(f.verdict, Verdict::Exploited);
        assert_eq!(f.kind, FindingKind::Execution);
        assert_eq!(f.cves, vec!["CVE-2021-26855"]);
        assert_eq!(f.evidence["cs-uri-stem"], "/ecp/y.js");
    }
}
