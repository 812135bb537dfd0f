//! OWASSRF (CVE-2022-41080 + CVE-2022-41082) in the Remote PowerShell
//! proxy log (`Logging\CmdletInfra\Powershell-Proxy\Http\Rps_Http_*.log`).
//!
//! PowerShell remoting that reaches the back end through the front end's
//! proxy carries the client's name in `ClientInfo`: `Microsoft WinRM
//! Client` for real remoting, `Exchange BackEnd Probes` for Exchange's own
//! health probes, nothing for some internal calls. CrowdStrike's
//! `Rps_Http-IOC.ps1` (published with its OWASSRF write-up, December 2022)
//! flags every other value: it is the user agent of the exploit that
//! proxied its way to PowerShell through OWA. `HttpStatus` 200 means the
//! request may have succeeded; anything else is a failed attempt. The
//! account used is `AuthenticatedUser`; the network path is
//! `ClientIpAddress` (a space-separated chain, original source first) →
//! `FrontEndServer` → `ServerHostName`.

use crate::{evidence_fields, sources, LineDetector, LogContext, LogFamily};
use exhunt_core::{Finding, FindingKind, Record, RuleSpec, Severity, Verdict};

const RPS_PROXIED: RuleSpec = RuleSpec {
    id: "owassrf-rps-proxied-client",
    title: "Remote PowerShell reached through the front end by a client that is not PowerShell (OWASSRF), answered 200",
    cves: &["CVE-2022-41080", "CVE-2022-41082"],
    kind: FindingKind::Exploitation,
    verdict: Verdict::Exploited,
    severity: Severity::High,
    source: sources::CROWDSTRIKE_OWASSRF,
    next_step: None,
};

/// Clients that are PowerShell remoting or Exchange itself.
const NORMAL_CLIENTS: &[&str] = &["Microsoft WinRM Client", "Exchange BackEnd Probes"];

/// The OWASSRF check over the Remote PowerShell proxy log.
pub struct RpsProxiedClient;

impl LineDetector for RpsProxiedClient {
    fn family(&self) -> LogFamily {
        LogFamily::RpsHttp
    }

    /// Any row may carry an unusual client, so the pre-filter cannot skip
    /// rows: every data row holds a comma. The log is small beside the
    /// HttpProxy logs (one row per remoting request).
    fn literals(&self) -> &[&'static str] {
        &[","]
    }

    fn literals_case_sensitive(&self) -> bool {
        true
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        let Some(client) = rec.field("ClientInfo").map(str::trim) else {
            return;
        };
        if client.is_empty()
            || NORMAL_CLIENTS
                .iter()
                .any(|n| client.eq_ignore_ascii_case(n))
        {
            return;
        }
        let status = rec.field("HttpStatus").unwrap_or("").trim();
        let mut f = Finding::from_spec(&RPS_PROXIED, ctx.path);
        if status != "200" {
            f = f
                .titled(format!(
                    "Remote PowerShell reached through the front end by a client that is not PowerShell (OWASSRF attempt, answered {})",
                    if status.is_empty() { "without a status" } else { status }
                ))
                .with_kind(FindingKind::Attempt)
                .with_verdict(Verdict::Attempted)
                .with_severity(Severity::Medium);
        }
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        let chain = rec.field("ClientIpAddress").unwrap_or("").trim();
        let source = chain.split_whitespace().next().unwrap_or("");
        let path = [
            source,
            rec.field("FrontEndServer").unwrap_or("").trim(),
            rec.field("ServerHostName").unwrap_or("").trim(),
        ]
        .iter()
        .map(|p| if p.is_empty() { "?" } else { p })
        .collect::<Vec<_>>()
        .join(" → ");
        f = evidence_fields(
            f,
            rec,
            &[
                "ClientInfo",
                "HttpStatus",
                "AuthenticatedUser",
                "ClientIpAddress",
                "FrontEndServer",
                "ServerHostName",
                "UrlStem",
                "UrlQuery",
                "CommandName",
                "RequestId",
            ],
        )
        .with("network_path", path)
        .with("source_ip", source);
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MapRecord;
    use exhunt_core::ArtifactKind;

    fn run(pairs: &[(&str, &str)]) -> Vec<Finding> {
        let kind = ArtifactKind::RpsHttpLog;
        let ctx = LogContext {
            path: "Rps_Http_2022121912-1.LOG",
            kind: &kind,
        };
        let mut out = Vec::new();
        RpsProxiedClient.check(&ctx, &MapRecord::new(pairs), &mut out);
        out
    }

    #[test]
    fn an_unusual_client_is_owassrf_and_the_status_says_how_far_it_got() {
        let hit = run(&[
            ("DateTime", "2022-12-19T12:00:00.000Z"),
            ("ClientInfo", "python-requests/2.28.1"),
            ("HttpStatus", "200"),
            ("AuthenticatedUser", "CONTOSO\\jdoe"),
            ("ClientIpAddress", "203.0.113.7 10.0.0.5"),
            ("FrontEndServer", "EX01"),
            ("ServerHostName", "EX02"),
        ]);
        assert_eq!(hit.len(), 1);
        let f = &hit[0];
        assert_eq!(f.verdict, Verdict::Exploited);
        assert_eq!(f.cves, vec!["CVE-2022-41080", "CVE-2022-41082"]);
        assert_eq!(f.evidence["network_path"], "203.0.113.7 → EX01 → EX02");
        assert_eq!(f.evidence["source_ip"], "203.0.113.7");
        assert_eq!(f.evidence["AuthenticatedUser"], "CONTOSO\\jdoe");

        let refused = run(&[
            ("ClientInfo", "python-requests/2.28.1"),
            ("HttpStatus", "401"),
        ]);
        assert_eq!(refused[0].verdict, Verdict::Attempted);
        assert_eq!(refused[0].kind, FindingKind::Attempt);
        assert!(refused[0].title.contains("answered 401"));
    }

    #[test]
    fn powershell_remoting_and_exchange_probes_are_normal() {
        for client in [
            "Microsoft WinRM Client",
            "exchange backend probes",
            "",
            "  ",
        ] {
            assert!(
                run(&[("ClientInfo", client), ("HttpStatus", "200")]).is_empty(),
                "{client:?}"
            );
        }
        assert!(run(&[("HttpStatus", "200")]).is_empty());
    }
}
