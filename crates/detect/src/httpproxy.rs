//! CVE-2021-26855 (the ProxyLogon SSRF) and the HttpProxy half of
//! CVE-2021-27065, from the front end's HttpProxy logs.
//!
//! Test-ProxyLogon.ps1 keeps rows where
//! `AnchorMailbox -like 'ServerInfo~*/*'` and not `'ServerInfo~*/autodiscover*'`
//! and not `'ServerInfo~localhost*/*'` (reference §1.1). It drops the
//! excluded rows; we report them as what they are (issue #312): the
//! autodiscover-only rows as failed attempts, the localhost rows as nmap
//! probes. We add Microsoft's blog form `BackEndCookie -like 'Server~*/*~*'`
//! (issue #310) and tell a step that the server answered with success from
//! one it refused.

use crate::{evidence_fields, sources, LineDetector, LogContext, LogFamily};
use exhunt_core::{like, Finding, FindingKind, NextStep, Record, RuleSpec, Severity, Verdict};

const CVE_SSRF: &[&str] = &["CVE-2021-26855"];
const CVE_RESET: &[&str] = &["CVE-2021-26855", "CVE-2021-27065"];

/// `ServerInfo~localhost*/*`: what the nmap check sends.
const SSRF_SCAN: RuleSpec = RuleSpec {
    id: "proxylogon-ssrf-26855-scan",
    title: "Scanner probe for the ProxyLogon SSRF (ServerInfo~localhost, as the nmap check sends)",
    cves: CVE_SSRF,
    kind: FindingKind::Scan,
    verdict: Verdict::Attempted,
    severity: Severity::Low,
    source: sources::PR306,
    next_step: None,
};

/// `ServerInfo~*/autodiscover*`: a failed exploit.
const SSRF_ATTEMPT: RuleSpec = RuleSpec {
    id: "proxylogon-ssrf-26855-attempt",
    title:
        "ProxyLogon SSRF attempt that reached only autodiscover (failed exploit: no valid mailbox)",
    cves: CVE_SSRF,
    kind: FindingKind::Attempt,
    verdict: Verdict::Attempted,
    severity: Severity::Medium,
    source: sources::PR306,
    next_step: None,
};

/// The script's predicate, answered with success; see [`refused`].
const SSRF: RuleSpec = RuleSpec {
    id: "proxylogon-ssrf-26855",
    title: "SSRF request through the Exchange front end succeeded (CVE-2021-26855)",
    cves: CVE_SSRF,
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: sources::TEST_PROXYLOGON,
    next_step: None,
};

/// The blog's BackEndCookie form, answered with success; see [`refused`].
const SSRF_BACKENDCOOKIE: RuleSpec = RuleSpec {
    id: "proxylogon-ssrf-26855-backendcookie",
    title: "SSRF through a forged back-end cookie succeeded (CVE-2021-26855; missed by Test-ProxyLogon)",
    cves: CVE_SSRF,
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: sources::ISSUE310,
    next_step: None,
};

/// The DDI call that writes the OAB virtual directory (with the shell in
/// ExternalUrl) to a file, answered 200; see [`refused`].
const RESET_VDIR: RuleSpec = RuleSpec {
    id: "proxylogon-27065-reset-vdir",
    title: "Virtual directory reset through the SSRF succeeded: a web shell was probably written to disk (CVE-2021-27065)",
    cves: CVE_RESET,
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::Critical,
    source: sources::TEST_PROXYLOGON,
    // Refused resets carry it too: the judge gives the step only when the
    // server is found exploited, and then any reset is worth a look.
    next_step: Some(NextStep::WebshellWritten),
};

/// `ServerInfo~<this server>/ecp/...` with a signed-in user from an
/// internal address: what the Exchange admin center sends when an
/// administrator works on this server. Microsoft's hunting query for
/// CVE-2021-26855 requires an empty `AuthenticatedUser`; the exploit
/// smuggles its target behind `]@` or `@`. A lead naming the account,
/// raised to the SSRF reading only when tied to an attack.
const EAC_REVIEW: RuleSpec = RuleSpec {
    id: "ecp-signed-in-serverinfo",
    title: "Signed-in request of the Exchange admin center routed to this server (AnchorMailbox ServerInfo~): administrators' work; check that the account is one of yours",
    cves: &[],
    kind: FindingKind::Attempt,
    verdict: Verdict::Attempted,
    severity: Severity::Info,
    source: sources::ISSUE310,
    next_step: None,
};

/// Whether an address is internal (private, loopback, link-local, ULA):
/// the first of a comma-separated chain, with or without a port.
fn internal(addr: &str) -> bool {
    let first = addr.split(',').next().unwrap_or("").trim();
    let ip: Option<std::net::IpAddr> = first
        .parse()
        .ok()
        .or_else(|| first.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()));
    match ip {
        Some(std::net::IpAddr::V4(v)) => v.is_private() || v.is_loopback() || v.is_link_local(),
        Some(std::net::IpAddr::V6(v)) => {
            let seg = v.segments()[0];
            v.is_loopback() || (seg & 0xfe00) == 0xfc00 || (seg & 0xffc0) == 0xfe80
        }
        None => false,
    }
}

/// Whether `ServerInfo~<host>/<path>` names this server (the log's
/// `ServerHostName`, compared by its first label) as a plain host, with
/// no `@` or `]` to smuggle another target, and an ECP path.
fn plain_own_ecp_target(am: &str, own: &str) -> bool {
    let Some(rest) = am.get("ServerInfo~".len()..) else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let label = |h: &str| {
        h.split([':', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let own = label(own.trim());
    !own.is_empty()
        && !host.contains(['@', ']', '[', '#'])
        && label(host) == own
        && path
            .as_bytes()
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"ecp/"))
}

/// The review lead a signed-in EAC row is, keeping `f`'s reading (and its
/// evidence) for the judge to give back if the row is tied to an attack.
fn eac_review(f: Finding, ctx: &LogContext<'_>, user: &str) -> Finding {
    let raise = exhunt_core::Raise {
        kind: f.kind,
        verdict: f.verdict,
        severity: f.severity,
        title: Some(format!(
            "{} (signed in as {user} from an internal address, but tied to an attack)",
            f.title
        )),
        cves: f.cves.clone(),
    };
    let mut lead = Finding::from_spec(&EAC_REVIEW, ctx.path)
        .titled(format!(
            "Signed-in request of the Exchange admin center by {user} routed to this server (AnchorMailbox ServerInfo~): administrators' work; check that {user} is one of your administrators"
        ))
        .with(
            "why_not_exploitation",
            "a signed-in user (Microsoft's CVE-2021-26855 query requires none), an internal client, this server's own name with no ]@ or @ to smuggle another target, an ECP path: the Exchange admin center at work",
        );
    lead.time = f.time;
    lead.line = f.line;
    for (k, v) in f.evidence {
        lead.evidence.entry(k).or_insert(v);
    }
    lead.raise_if_tied = Some(Box::new(raise));
    lead
}

/// A hit of one of these rules that the server refused: an attempt.
fn refused(f: Finding, title: &str) -> Finding {
    f.titled(title)
        .with_kind(FindingKind::Attempt)
        .with_verdict(Verdict::Attempted)
        .with_severity(Severity::Medium)
}

const EVIDENCE: &[&str] = &[
    "AnchorMailbox",
    "BackEndCookie",
    "ClientIpAddress",
    "UrlHost",
    "UrlStem",
    "UrlQuery",
    "Method",
    "HttpStatus",
    "UserAgent",
    "RequestId",
    "RoutingHint",
    "TargetServer",
];

pub struct HttpProxySsrf;

impl HttpProxySsrf {
    pub fn new() -> Self {
        HttpProxySsrf
    }
}

impl Default for HttpProxySsrf {
    fn default() -> Self {
        Self::new()
    }
}

/// How the row's SSRF form relates to the reference script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Passes the script's predicate.
    Script,
    /// `ServerInfo~*/autodiscover*`: excluded by the script (failed attempts).
    Autodiscover,
    /// `ServerInfo~localhost*/*`: excluded by the script (nmap probes).
    Localhost,
    /// Only the blog's BackEndCookie clause matches.
    BackEndCookie,
}

/// 2xx and 3xx: the front end proxied the request and the back end answered.
/// 241 is what `/ecp/proxyLogon.ecp` returns in the public exploit chain.
fn succeeded(status: &str) -> bool {
    status
        .trim()
        .parse::<u16>()
        .is_ok_and(|s| (200..400).contains(&s))
}

impl LineDetector for HttpProxySsrf {
    fn family(&self) -> LogFamily {
        LogFamily::HttpProxy
    }

    fn literals(&self) -> &[&'static str] {
        // `ServerInfo~` is the script's own pre-filter; `Server~` finds the
        // BackEndCookie form (it is not a substring of `ServerInfo~`).
        &["ServerInfo~", "Server~"]
    }

    fn literals_case_sensitive(&self) -> bool {
        // Both prefixes are written by Exchange (the anchor-mailbox type
        // `ServerInfo` and the back-end cookie type `Server`), never copied
        // from the request, so their case is fixed.
        true
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        let am = rec.field("AnchorMailbox").unwrap_or("");
        let bec = rec.field("BackEndCookie").unwrap_or("");
        let am_ssrf = like(am, "ServerInfo~*/*");
        let form = if am_ssrf && like(am, "ServerInfo~localhost*/*") {
            Form::Localhost
        } else if am_ssrf && like(am, "ServerInfo~*/autodiscover*") {
            Form::Autodiscover
        } else if am_ssrf {
            Form::Script
        } else if like(bec, "Server~*/*~*") {
            if like(bec, "Server~localhost*") {
                Form::Localhost
            } else {
                Form::BackEndCookie
            }
        } else {
            return;
        };
        let status = rec.field("HttpStatus").unwrap_or("");
        let ok = succeeded(status);
        // A log exported with a selection of its columns (Test-ProxyLogon's
        // own CSV results) may not say who was signed in: then nobody is
        // said to be unauthenticated.
        let user = rec.field("AuthenticatedUser");
        let unauth = user.is_some_and(|u| u.trim().is_empty());

        // The refused forms keep their rule's id, with an attempt's parts.
        let (spec, refused_title, predicate) = match form {
            Form::Localhost => (
                &SSRF_SCAN,
                None,
                "ServerInfo~localhost*/* (excluded by Test-ProxyLogon, PR #306)",
            ),
            Form::Autodiscover => (
                &SSRF_ATTEMPT,
                None,
                "ServerInfo~*/autodiscover* (excluded by Test-ProxyLogon, PR #306)",
            ),
            Form::Script => (
                &SSRF,
                (!ok).then_some("SSRF request through the Exchange front end, refused or failed (CVE-2021-26855)"),
                "Test-ProxyLogon: AnchorMailbox like ServerInfo~*/*",
            ),
            Form::BackEndCookie => (
                &SSRF_BACKENDCOOKIE,
                (!ok).then_some("SSRF attempt through a forged back-end cookie, refused or failed (CVE-2021-26855)"),
                "Microsoft blog: BackEndCookie like Server~*/*~* (not in Test-ProxyLogon, issue #310)",
            ),
        };
        let signed_in = user.is_some_and(|u| !u.trim().is_empty());
        let eac = form == Form::Script
            && signed_in
            && internal(rec.field("ClientIpAddress").unwrap_or(""))
            && plain_own_ecp_target(am, rec.field("ServerHostName").unwrap_or(""));
        let mut f = Finding::from_spec(spec, ctx.path);
        if let Some(title) = refused_title {
            f = refused(f, title);
        }
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        f = evidence_fields(f, rec, EVIDENCE)
            .with("predicate", predicate)
            .with(
                "AuthenticatedUser",
                match user {
                    None => "(not among this log's columns)".to_string(),
                    Some(_) if unauth => "(empty: unauthenticated)".to_string(),
                    Some(u) => u.to_string(),
                },
            );
        if let exhunt_core::ArtifactKind::HttpProxyLog { protocol } = ctx.kind {
            f = f.with("Protocol", protocol.clone());
        }
        if form == Form::Script && ok && unauth {
            // The blog's own form: no signed-in user and a back-end target.
            f.severity = Severity::Critical;
        }
        let u = user.unwrap_or("").trim();
        if eac {
            f = eac_review(f, ctx, u);
        }
        // CVE-2021-27065, HttpProxy half: the DDI call that writes the OAB
        // virtual directory (with the shell in ExternalUrl) to a file.
        let exact = like(am, "ServerInfo~*/*Reset*VirtualDirectory#");
        // The script anchors the schema at the end of the value; the same
        // call with its query parameters in another order escapes it.
        if am_ssrf && (exact || like(am, "ServerInfo~*/*schema=Reset*VirtualDirectory*")) {
            let status_200 = status.trim() == "200";
            let mut r = Finding::from_spec(&RESET_VDIR, ctx.path);
            if !status_200 {
                r = refused(
                    r,
                    "Virtual directory reset through the SSRF was attempted and refused (CVE-2021-27065)",
                );
            }
            r.time = rec.time().map(str::to_string);
            r.line = Some(rec.line_no());
            r = evidence_fields(r, rec, EVIDENCE).with(
                "predicate",
                if exact {
                    "Test-ProxyLogon: AnchorMailbox like ServerInfo~*/*Reset*VirtualDirectory# and HttpStatus 200"
                } else {
                    "exhunt: schema=Reset*VirtualDirectory not at the end of AnchorMailbox (missed by Test-ProxyLogon)"
                },
            );
            if eac {
                r = eac_review(r, ctx, u);
            }
            // The reset is the more telling reading of the row: first, so
            // that it is the one reported when the two are one finding.
            out.push(r);
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MapRecord;
    use exhunt_core::ArtifactKind;

    fn run(pairs: &[(&str, &str)]) -> Vec<Finding> {
        let kind = ArtifactKind::HttpProxyLog {
            protocol: "Ecp".into(),
        };
        let ctx = LogContext {
            path: "HttpProxy/Ecp/x.log",
            kind: &kind,
        };
        let mut out = Vec::new();
        HttpProxySsrf::new().check(&ctx, &MapRecord::new(pairs), &mut out);
        out
    }

    #[test]
    fn script_predicate_success_and_failure() {
        let f = run(&[
            (
                "AnchorMailbox",
                "ServerInfo~a]@EX01.contoso.com:444/ecp/proxyLogon.ecp?#",
            ),
            ("HttpStatus", "241"),
            ("AuthenticatedUser", ""),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "proxylogon-ssrf-26855");
        assert_eq!(f[0].verdict, Verdict::Exploited);
        assert_eq!(f[0].severity, Severity::Critical);
        let f = run(&[
            ("AnchorMailbox", "ServerInfo~a]@EX01:444/mapi/emsmdb/?#"),
            ("HttpStatus", "500"),
        ]);
        assert_eq!(f[0].verdict, Verdict::Attempted);
        assert_eq!(f[0].kind, FindingKind::Attempt);
    }

    #[test]
    fn exclusions_become_attempts_and_scans() {
        let f = run(&[
            (
                "AnchorMailbox",
                "ServerInfo~a]@EX01:444/autodiscover/autodiscover.xml?#",
            ),
            ("HttpStatus", "200"),
        ]);
        assert_eq!(f[0].rule, "proxylogon-ssrf-26855-attempt");
        assert_eq!(f[0].verdict, Verdict::Attempted);
        assert_eq!(f[0].cves, vec!["CVE-2021-26855"]);
        let f = run(&[
            ("AnchorMailbox", "ServerInfo~localhost/ecp/default.flt?"),
            ("HttpStatus", "500"),
        ]);
        assert_eq!(f[0].rule, "proxylogon-ssrf-26855-scan");
        assert_eq!(f[0].kind, FindingKind::Scan);
    }

    #[test]
    fn backendcookie_form() {
        let f = run(&[
            ("AnchorMailbox", "Sid~S-1-5-21-1"),
            (
                "BackEndCookie",
                "Server~EX01.contoso.com:444/ecp/DDI/DDIService.svc/GetList~1942062522",
            ),
            ("HttpStatus", "200"),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "proxylogon-ssrf-26855-backendcookie");
        assert_eq!(f[0].verdict, Verdict::Exploited);
        // A normal back-end cookie has no path.
        assert!(run(&[
            ("AnchorMailbox", "Smtp~alice@contoso.com"),
            (
                "BackEndCookie",
                "Server~EX02.contoso.com~1942062522~2021-03-03T06:00:00"
            ),
            ("HttpStatus", "200"),
        ])
        .is_empty());
    }

    #[test]
    fn reset_vdir_needs_200() {
        let am = "ServerInfo~a]@EX01:444/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=x&schema=ResetOABVirtualDirectory#";
        let f = run(&[("AnchorMailbox", am), ("HttpStatus", "200")]);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].rule, "proxylogon-27065-reset-vdir");
        assert_eq!(f[0].verdict, Verdict::Exploited);
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(f[0].evidence["predicate"].starts_with("Test-ProxyLogon"));
        assert_eq!(f[0].next_step, Some(NextStep::WebshellWritten));
        assert_eq!(f[1].next_step, None);
        let f = run(&[("AnchorMailbox", am), ("HttpStatus", "500")]);
        assert_eq!(f[0].verdict, Verdict::Attempted);
        assert_eq!(f[0].next_step, Some(NextStep::WebshellWritten));
        // Parameters in the other order: missed by the script, found here.
        let swapped = "ServerInfo~a]@EX01:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=x#";
        let f = run(&[("AnchorMailbox", swapped), ("HttpStatus", "200")]);
        assert_eq!(f.len(), 2);
        assert!(f[0].evidence["predicate"].starts_with("exhunt"));
        // A GetObject of the OAB schema (recon) is not a reset.
        let get = "ServerInfo~a]@EX01:444/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=x&schema=OABVirtualDirectory#";
        assert_eq!(
            run(&[("AnchorMailbox", get), ("HttpStatus", "200")]).len(),
            1
        );
    }

    #[test]
    fn an_administrator_in_the_eac_is_a_lead_that_keeps_its_ssrf_reading_for_the_judge() {
        let am = "ServerInfo~EX01.contoso.com/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=ab";
        let eac = |user: &str, ip: &str, am: &str| {
            run(&[
                ("AnchorMailbox", am),
                ("AuthenticatedUser", user),
                ("ClientIpAddress", ip),
                ("ServerHostName", "EX01"),
                ("HttpStatus", "200"),
            ])
        };
        let f = eac("admin@contoso.com", "10.0.1.5", am);
        assert_eq!(f.len(), 2);
        for f in &f {
            assert_eq!(f.rule, "ecp-signed-in-serverinfo");
            assert_eq!(f.severity, Severity::Info);
            assert!(f.title.contains("admin@contoso.com"), "{}", f.title);
            assert!(f.cves.is_empty());
        }
        // The reset's reading first, as for an attack.
        let raise = f[0].raise_if_tied.as_deref().unwrap();
        assert_eq!(
            (raise.verdict, raise.severity),
            (Verdict::Exploited, Severity::Critical)
        );
        assert_eq!(raise.cves, CVE_RESET);
        // Each condition matters: an outside address, a smuggled target,
        // another server's name, no signed-in user.
        for f in [
            eac("admin@contoso.com", "203.0.113.5", am),
            eac(
                "admin@contoso.com",
                "10.0.1.5",
                "ServerInfo~a]@EX01.contoso.com:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#",
            ),
            eac(
                "admin@contoso.com",
                "10.0.1.5",
                "ServerInfo~EX07.contoso.com/ecp/DDI/DDIService.svc/GetList?schema=VirtualDirectory",
            ),
            eac("", "10.0.1.5", am),
        ] {
            assert_eq!(f[0].verdict, Verdict::Exploited, "{:?}", f[0].evidence);
            assert!(f[0].raise_if_tied.is_none());
        }
        assert!(internal("fd00::5") && internal("192.168.1.9:5123") && !internal("8.8.8.8"));
        // Attacker-written bytes never panic the check.
        for am in [
            "ServerInfo~EX01/ec\u{20ac}x",
            "ServerInfo~EX01/\u{20ac}",
            "ServerInfo~\u{20ac}/ecp/",
        ] {
            let _ = eac("admin@contoso.com", "10.0.1.5", am);
        }
    }

    #[test]
    fn normal_rows_are_quiet() {
        assert!(run(&[
            ("AnchorMailbox", "Smtp~alice@contoso.com"),
            ("HttpStatus", "200")
        ])
        .is_empty());
        assert!(run(&[("AnchorMailbox", "ServerInfo~EX01"), ("HttpStatus", "200")]).is_empty());
    }
}
