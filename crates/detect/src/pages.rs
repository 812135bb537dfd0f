//! Requests for script pages that no Exchange build ships, in the folders
//! the 2021 campaigns dropped their web shells in (`owa/auth` with its
//! `Current/themes` and `<build>` sub-folders, `ecp/auth`, `OAB`,
//! `aspnet_client`).
//!
//! Responders often receive the logs after the antivirus removed the shell:
//! then the request is the only trace. A page is "unshipped" when no build
//! in `rules/exchange-web-baseline.tsv` has a file at that place (front end
//! or back end), so stock pages (`logon.aspx`, `errorFE.aspx`,
//! `TimeoutLogout.aspx`) stay quiet whatever their name resembles, and any
//! other name is caught, not only the published shell names (Microsoft
//! HAFNIUM blog 2021-03-02; CISA AA21-062A; Volexity 2021-03-02).
//!
//! The same check reads IIS rows (`cs-uri-stem`, `sc-status`) and the
//! HttpProxy rows of Exchange's front end (`UrlStem`, `HttpStatus`).

use crate::events::{web_status, EventDetector, HTTPPROXY_EVIDENCE};
use crate::webfiles::Baselines;
use crate::{LineDetector, LogContext, LogFamily};
use exhunt_core::{
    ArtifactKind, EventRecord, Finding, FindingKind, LineNeed, LogSource, NextStep, Record,
    RuleSpec, Severity, Verdict,
};
use std::collections::HashSet;
use std::sync::Arc;

/// A script page no build ships, answered with success: the page ran.
const UNSHIPPED: RuleSpec = RuleSpec {
    id: "webshell-unshipped-page",
    title: "Request for a script page that no Exchange build ships, answered with success: a web shell ran",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: "exhunt: the requested page is in none of the builds of rules/exchange-web-baseline.tsv (microsoft/CSS-Exchange Security/Baselines); web shells in owa/auth, ecp/auth, OAB and aspnet_client: Microsoft HAFNIUM blog 2021-03-02, CISA AA21-062A",
    next_step: Some(NextStep::WebshellUsed),
};

/// The URL folders looked at (lower case, as the pre-filter's literals).
const FOLDERS: &[&str] = &["/owa/auth/", "/ecp/auth/", "/oab/", "/aspnet_client/"];

/// The page extensions a web shell is requested by.
const PAGE_EXTS: &[&str] = &["aspx", "ashx", "asmx", "svc"];

/// Where a URL folder's files are on disk, relative to the install folder:
/// the front end serves them on port 443, the back end on 444.
const DISK_ROOTS: &[&str] = &["frontend/httpproxy/", "clientaccess/"];

/// The evidence fields of an IIS row.
const IIS_EVIDENCE: &[&str] = &[
    "c-ip",
    "cs-username",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "cs(User-Agent)",
    "s-port",
];

/// The check; one per engine, shared by all threads.
#[derive(Debug, Clone)]
pub struct UnshippedPages {
    /// The URL paths (lower case, from the site root) of every file some
    /// build ships under the front end's or the back end's applications.
    stock: Arc<HashSet<String>>,
}

impl UnshippedPages {
    /// The check over the bundled baselines, built once per process (the
    /// line detectors and the IIS pass share it).
    pub fn builtin() -> Self {
        static BUILTIN: std::sync::OnceLock<UnshippedPages> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| UnshippedPages::new(Baselines::builtin()))
            .clone()
    }

    pub fn new(baselines: &Baselines) -> Self {
        let stock = baselines
            .paths()
            .filter_map(|p| DISK_ROOTS.iter().find_map(|r| p.strip_prefix(r)))
            .map(str::to_string)
            .collect();
        UnshippedPages {
            stock: Arc::new(stock),
        }
    }

    /// The URL path relative to the site root (`owa/auth/x.aspx`, lower
    /// case) when `stem` asks for a script page in one of the folders and no
    /// build ships a file there.
    pub fn unshipped(&self, stem: &str) -> Option<String> {
        // Doubled slashes reach the same file.
        let mut rel = String::with_capacity(stem.len());
        for part in stem.split(['/', '\\']).filter(|p| !p.is_empty()) {
            if !rel.is_empty() {
                rel.push('/');
            }
            rel.push_str(&part.to_ascii_lowercase());
        }
        if !FOLDERS
            .iter()
            .any(|f| rel.starts_with(&f[1..]) && rel.len() > f.len() - 1)
        {
            return None;
        }
        let name = rel.rsplit('/').next()?;
        let (_, ext) = name.rsplit_once('.')?;
        if !PAGE_EXTS.contains(&ext) {
            return None;
        }
        (!self.stock.contains(&rel)).then_some(rel)
    }

    /// What a raw line must hold: one of the folders, in a path that
    /// [`UnshippedPages::unshipped`] calls a page no build ships. Every OWA
    /// logon, theme file and OAB download holds a folder; this keeps them
    /// from being split into fields at all.
    fn need(&self) -> LineNeed {
        let pages = self.clone();
        LineNeed {
            any: FOLDERS.iter().map(|s| s.to_string()).collect(),
            check: Some(std::sync::Arc::new(move |line: &[u8], at| {
                pages.at_hit(line, at)
            })),
        }
    }

    /// Whether the path around byte `at` of a raw line (from the field
    /// separator before it to the one after: a space in IIS lines, a comma
    /// in HttpProxy rows, or the query's `?`) is an unshipped page. The
    /// detector reads the same path from the URL field, so a line it would
    /// flag always passes; other hits on the line are tried in turn.
    fn at_hit(&self, line: &[u8], at: usize) -> bool {
        let sep = |b: &u8| matches!(b, b' ' | b',' | b'?' | b'"' | b'\t' | b'\r' | b'\n');
        let at = at.min(line.len());
        let start = line[..at].iter().rposition(sep).map_or(0, |i| i + 1);
        let end = line[at..]
            .iter()
            .position(sep)
            .map_or(line.len(), |n| at + n);
        std::str::from_utf8(&line[start..end])
            .ok()
            .and_then(|p| self.unshipped(p))
            .is_some()
    }

    /// The finding for one request: `stem` and `status` as the log wrote
    /// them; the evidence fields are copied by the caller.
    fn finding(&self, ctx: &LogContext<'_>, stem: &str, status: Option<u16>) -> Option<Finding> {
        let rel = self.unshipped(stem)?;
        let mut f = Finding::from_spec(&UNSHIPPED, ctx.path).with(
            "unshipped",
            format!("no Exchange build in rules/exchange-web-baseline.tsv has a file at /{rel}"),
        );
        match status {
            Some(s) if (200..300).contains(&s) => {}
            _ => {
                let answer =
                    status.map_or("status not logged".to_string(), |s| format!("answered {s}"));
                // Not run (or not known to have run): a lead, the trace of a
                // scanner looking for shells or of one removed since.
                f = f
                    .titled(format!(
                        "Request for a script page that no Exchange build ships ({answer}): a probe for a web shell, or one since removed"
                    ))
                    .with_kind(FindingKind::Attempt)
                    .with_verdict(Verdict::Attempted)
                    .with_severity(Severity::Low);
                f.next_step = None;
            }
        }
        Some(f)
    }

    fn push(
        &self,
        ctx: &LogContext<'_>,
        rec: &dyn Record,
        stem: &str,
        fields: &[&str],
        out: &mut Vec<Finding>,
    ) {
        let Some(f) = self.finding(ctx, stem, web_status(rec)) else {
            return;
        };
        let mut f = crate::evidence_fields(f, rec, fields);
        f.time = rec.time().map(str::to_string);
        f.line = Some(rec.line_no());
        out.push(f);
    }
}

impl EventDetector for UnshippedPages {
    fn applies_to(&self, kind: &ArtifactKind) -> bool {
        matches!(kind, ArtifactKind::IisLog { .. })
    }

    fn line_literals(&self, _ls: &LogSource) -> Option<Vec<String>> {
        Some(FOLDERS.iter().map(|s| s.to_string()).collect())
    }

    fn line_needs(&self, _ls: &LogSource) -> Option<Vec<LineNeed>> {
        Some(vec![self.need()])
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        if let Some(stem) = rec.field("cs-uri-stem") {
            self.push(ctx, rec, stem, IIS_EVIDENCE, out);
        }
    }
}

impl LineDetector for UnshippedPages {
    fn family(&self) -> LogFamily {
        LogFamily::HttpProxy
    }

    fn literals(&self) -> &[&'static str] {
        &[]
    }

    fn literals_case_sensitive(&self) -> bool {
        true
    }

    fn caseless_needs(&self) -> Vec<LineNeed> {
        // The front end's proxy logs the Exchange applications only:
        // aspnet_client (a plain IIS folder) never shows there, and one
        // `/auth/` stands for both auth folders. Four caseless literals in
        // all keep the HttpProxy pre-filter in Teddy's fast form.
        vec![LineNeed {
            any: vec!["/auth/".into(), "/oab/".into()],
            check: self.need().check,
        }]
    }

    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        if let Some(stem) = rec.field("UrlStem") {
            self.push(ctx, rec, stem, HTTPPROXY_EVIDENCE, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MapRecord;

    fn pages() -> UnshippedPages {
        UnshippedPages::new(Baselines::builtin())
    }

    #[test]
    fn stock_pages_are_quiet_and_any_other_script_page_in_the_folders_is_caught() {
        let p = pages();
        for stock in [
            "/owa/auth/logon.aspx",
            "/OWA/auth/LOGON.ASPX",
            "/owa/auth/errorFE.aspx",
            "/ecp/auth/TimeoutLogout.aspx",
            "/owa/auth/expiredpassword.aspx",
            // Not script pages, or not in the folders.
            "/owa/auth/15.1.2106/themes/resources/favicon.ico",
            "/owa/auth.owa",
            "/ecp/default.aspx",
            "/owa/service.svc",
            "/OAB/3f2c9b1e-0000-4000-8000-000000000000/oab.xml",
            "/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
            "/owa/auth/",
        ] {
            assert_eq!(p.unshipped(stock), None, "{stock}");
        }
        for (shell, rel) in [
            ("/owa/auth/shel90.aspx", "owa/auth/shel90.aspx"),
            (
                "/owa/auth/Current/themes/resources/x.aspx",
                "owa/auth/current/themes/resources/x.aspx",
            ),
            (
                "/owa/auth/15.1.2106/scripts/premium/q.ashx",
                "owa/auth/15.1.2106/scripts/premium/q.ashx",
            ),
            ("/ecp/auth/zXq1.aspx", "ecp/auth/zxq1.aspx"),
            ("/OAB/log.aspx", "oab/log.aspx"),
            (
                "//aspnet_client/system_web/nwJvpgRH.aspx",
                "aspnet_client/system_web/nwjvpgrh.aspx",
            ),
            (
                "/aspnet_client/discover.asmx",
                "aspnet_client/discover.asmx",
            ),
            ("/owa/auth/x.svc", "owa/auth/x.svc"),
        ] {
            assert_eq!(p.unshipped(shell).as_deref(), Some(rel), "{shell}");
        }
    }

    #[test]
    fn the_line_check_keeps_shell_requests_and_drops_stock_traffic() {
        let p = pages();
        let need = p.need();
        let kept = |line: &[u8]| need.accepts(line);
        assert!(kept(
            b"2021-03-03 06:00:00 10.0.0.10 POST /owa/auth/Current/x.aspx - 443"
        ));
        assert!(kept(
            b"2021-03-03T06:00:00Z,r,15,Owa,mail,/OWA/AUTH/OutlookJP.ASPX,,FBA"
        ));
        assert!(!kept(
            b"2021-03-03 06:00:00 10.0.0.10 GET /owa/auth/logon.aspx url=x 443"
        ));
        assert!(!kept(
            b"x GET /owa/auth/15.1.2106/themes/resources/a.png - 443"
        ));
        assert!(!kept(b"x,/OAB/1b2c/oab.xml,,"));
        // A stock page in the referer does not hide the shell in the stem.
        assert!(kept(
            b"d t GET /aspnet_client/x.aspx - 443 https://m/owa/auth/logon.aspx 200"
        ));
        // Every line the check on the field would call a shell passes.
        for stem in [
            "/aspnet_client/a.aspx",
            "//owa/auth/b.ashx",
            "/ecp/auth/c.svc",
        ] {
            let line = format!("d t 10.0.0.10 GET {stem} - 443 - 1.2.3.4 ua - 200 0 0 1");
            assert!(
                p.unshipped(stem).is_some() && kept(line.as_bytes()),
                "{stem}"
            );
        }
        // The HttpProxy literal `/auth/` sits inside the path.
        assert!(p.at_hit(b"2021,r,/owa/auth/x.aspx,200", 11));
    }

    #[test]
    fn only_a_success_is_a_compromise() {
        let p = pages();
        let kind = ArtifactKind::HttpProxyLog {
            protocol: "Owa".into(),
        };
        let ctx = LogContext {
            path: "HttpProxy_2021030301-1.LOG",
            kind: &kind,
        };
        let mut out = Vec::new();
        for status in ["200", "302", "404", "500", ""] {
            let rec = MapRecord::new(&[
                ("UrlStem", "/owa/auth/OutlookZH.aspx"),
                ("HttpStatus", status),
                ("ClientIpAddress", "203.0.113.9"),
            ]);
            LineDetector::check(&p, &ctx, &rec, &mut out);
        }
        assert_eq!(out.len(), 5);
        assert_eq!(out[0].verdict, Verdict::Compromised);
        assert_eq!(out[0].severity, Severity::High);
        assert_eq!(out[0].next_step, Some(NextStep::WebshellUsed));
        assert_eq!(out[0].evidence["ClientIpAddress"], "203.0.113.9");
        for f in &out[1..] {
            assert_eq!(f.verdict, Verdict::Attempted, "{}", f.title);
            assert_eq!(f.severity, Severity::Low);
            assert_eq!(f.next_step, None);
        }
        assert!(out[2].title.contains("answered 404"), "{}", out[2].title);
        assert!(out[4].title.contains("status not logged"));
    }
}
