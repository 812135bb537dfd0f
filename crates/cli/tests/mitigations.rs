//! Mitigations feed the exposure headline (issue 14, item 3), through the
//! real binary: Microsoft's URL Rewrite rules found in the IIS
//! configuration (EOMT, EOMTv2, the Emergency Mitigation service) turn
//! `EXPOSED` into `EXPOSED, MITIGATED` / `EXPOSED, PARTLY MITIGATED` for
//! the CVEs they cover, naming the rule and where it was found; a rule
//! covers only its CVEs, and the exposure never moves the verdict.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{HttpProxyWriter, Layout, Protocol, Traffic};
use exhunt_testgen::Time;
use tempfile::TempDir;

/// Exchange 2019 CU11 Oct22SU: it lacks the November 2022 fixes, so it is
/// open to ProxyNotShell (CVE-2022-41040, CVE-2022-41082) and OWASSRF
/// (CVE-2022-41080), and to nothing exploited before.
const OCT22: &str = "15.02.0986.030";
/// Exchange 2016 CU18: open to ProxyLogon, ProxyShell and ProxyNotShell.
const CU18: &str = "15.01.2106.002";

const WEB_CONFIG: &str = "inetpub/wwwroot/web.config";

/// The Emergency Mitigation service's ProxyNotShell rule (EOMTv2's
/// `PowerShell - inbound` under the service's name).
const EEMS_RULE: &str = r#"
        <rule name="EEMS M1.1 PowerShell - inbound">
          <match url=".*" />
          <conditions>
            <add input="{UrlDecode:{REQUEST_URI}}" pattern="(?=.*autodiscover)(?=.*powershell)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>"#;

/// EOMT's ProxyLogon rules (CVE-2021-26855).
const EOMT_RULES: &str = r#"
        <rule name="X-BEResource Abort - inbound" stopProcessing="true">
          <match url=".*" />
          <conditions>
            <add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>
        <rule name="X-AnonResource-Backend Abort - inbound" patternSyntax="ECMAScript">
          <match url=".*" />
          <conditions>
            <add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>"#;

/// The Default Web Site's web.config with these rewrite rules.
fn web_config(rules: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.webServer>
    <rewrite>
      <rules>{rules}
      </rules>
    </rewrite>
  </system.webServer>
</configuration>
"#
    )
}

/// A day of benign ECP traffic written by `build`, and the IIS root
/// web.config with `rules` (`None`: no web.config).
fn server(build: &str, rules: Option<&str>) -> TempDir {
    let dir = TempDir::new().unwrap();
    let at = Time::utc(2022, 10, 20, 0, 0, 0);
    let layout = Layout {
        version: build.to_string(),
        ..Layout::default()
    };
    let mut traffic = Traffic::new(21);
    let mut w = HttpProxyWriter::with_layout(Vec::new(), &layout, at).unwrap();
    for h in 0..24 {
        for row in traffic.hour(Protocol::Ecp, at.plus_secs(h * 3600), 50) {
            w.write_row(&row).unwrap();
        }
    }
    put(
        dir.path(),
        &httpproxy_rel("Ecp", "2022102000"),
        &w.finish().unwrap(),
    );
    if let Some(r) = rules {
        put(dir.path(), WEB_CONFIG, web_config(r).as_bytes());
    }
    dir
}

fn summary(r: &Run) -> &str {
    r.report["exposure"]["summary"].as_str().unwrap()
}

#[test]
fn the_eems_rule_mitigates_its_cve_of_proxynotshell_and_names_rule_and_path() {
    let dir = server(OCT22, Some(EEMS_RULE));
    let r = scan(&[dir.path()]);
    let e = &r.report["exposure"];
    assert_eq!(e["state"], "exposed", "{e:#}");
    let m = e["mitigations"].as_array().unwrap();
    assert_eq!(m.len(), 1, "{e:#}");
    assert_eq!(m[0]["rule"], "EEMS M1.1 PowerShell - inbound");
    assert!(
        m[0]["path"].as_str().unwrap().ends_with(WEB_CONFIG),
        "{e:#}"
    );
    assert_eq!(m[0]["cves"], serde_json::json!(["CVE-2022-41040"]));
    let s = summary(&r);
    assert!(
        s.starts_with("EXPOSED, PARTLY MITIGATED: build 15.2.986.30"),
        "{s}"
    );
    assert!(
        s.contains("requests for CVE-2022-41040 are refused by EEMS M1.1 PowerShell - inbound in "),
        "{s}"
    );
    assert!(s.contains(WEB_CONFIG), "{s}");
    // The rule refuses ProxyNotShell's SSRF; its second CVE and OWASSRF stay open.
    assert!(
        s.ends_with(
            "no mitigation covers CVE-2022-41082 (ProxyNotShell), CVE-2022-41080 (OWASSRF)."
        ),
        "{s}"
    );
    // Beside the verdict, never part of it: the same tree without the rule
    // has the same verdict and exit code.
    let bare = server(OCT22, None);
    let b = scan(&[bare.path()]);
    assert_eq!(r.verdict(), b.verdict());
    assert_eq!(r.code, b.code);
    // The text report shows the headline.
    let out = exhunt().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .take(12)
            .any(|l| l.starts_with("EXPOSED, PARTLY MITIGATED: build 15.2.986.30")),
        "{text}"
    );
}

#[test]
fn without_the_rule_there_is_no_mitigation() {
    let dir = server(OCT22, None);
    let r = scan(&[dir.path()]);
    let e = &r.report["exposure"];
    assert_eq!(e["state"], "exposed", "{e:#}");
    assert!(e["mitigations"].as_array().unwrap().is_empty(), "{e:#}");
    assert_eq!(
        summary(&r),
        "EXPOSED: build 15.2.986.30 (Exchange Server 2019 CU11) leaves ProxyNotShell, OWASSRF open (CVE-2022-41040, CVE-2022-41082, CVE-2022-41080).",
    );
    // A web.config with the rule disabled: a finding, and no mitigation.
    let off = EEMS_RULE.replace(
        "<rule name=\"EEMS M1.1 PowerShell - inbound\">",
        "<rule name=\"EEMS M1.1 PowerShell - inbound\" enabled=\"false\">",
    );
    let dir = server(OCT22, Some(&off));
    let r = scan(&[dir.path()]);
    assert!(r.report["exposure"]["mitigations"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(summary(&r).starts_with("EXPOSED: "), "{}", summary(&r));
    assert_eq!(r.rule("eomt-mitigation-removed").len(), 1);
}

#[test]
fn a_rule_that_does_not_cover_the_open_campaigns_hides_none_of_them() {
    // EOMT's ProxyLogon rules on a build ProxyLogon no longer reaches.
    let dir = server(OCT22, Some(EOMT_RULES));
    let r = scan(&[dir.path()]);
    let e = &r.report["exposure"];
    assert_eq!(e["mitigations"].as_array().unwrap().len(), 2, "{e:#}");
    let s = summary(&r);
    assert!(s.starts_with("EXPOSED: build 15.2.986.30"), "{s}");
    assert!(!s.contains("MITIGATED"), "{s}");
    assert!(s.ends_with("cover none of them."), "{s}");

    // The ProxyNotShell rule alone on a build open to ProxyLogon and
    // ProxyShell too: those stay exposed, and are named.
    let dir = server(CU18, Some(EEMS_RULE));
    let r = scan(&[dir.path()]);
    let e = &r.report["exposure"];
    assert_eq!(e["state"], "exposed", "{e:#}");
    let campaigns: Vec<&str> = e["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        campaigns.contains(&"ProxyLogon") && campaigns.contains(&"ProxyShell"),
        "{e:#}"
    );
    let s = summary(&r);
    assert!(s.starts_with("EXPOSED, PARTLY MITIGATED: "), "{s}");
    let open = s.split("no mitigation covers ").nth(1).unwrap_or("");
    for c in [
        "CVE-2021-26855 (ProxyLogon)",
        "CVE-2021-34473 (ProxyShell)",
        "CVE-2022-41082 (ProxyNotShell)",
    ] {
        assert!(open.contains(c), "{c} not named as open: {s}");
    }
    assert!(!open.contains("CVE-2022-41040"), "{s}");
    let bare = server(CU18, None);
    assert_eq!(r.verdict(), scan(&[bare.path()]).verdict());
}
