//! IIS configuration: `applicationHost.config` virtual directories that
//! serve a folder under `C:\ProgramData` or `C:\Users` (ProxyShell, August
//! 2021), and web.config files that remove, clear, disable or change the
//! EOMT / EOMTv2 URL Rewrite mitigation rules. The same reading lists the
//! mitigation rules in force ([`IisConfig::mitigations`]), which the
//! exposure headline counts. Configuration is read as XML with DTDs
//! refused; malformed input is a [`ConfigError`].

use super::{rules, sources};
use exhunt_core::{Finding, FindingKind, Mitigation, RuleSpec, Severity, Verdict};

/// An IIS virtual directory or application serving a folder under
/// ProgramData or Users (the ProxyShell chain's intruders added them); each
/// hit's title names the folder.
const IIS_VDIR: RuleSpec = RuleSpec {
    id: rules::IIS_VDIR,
    title:
        "IIS serves a folder under ProgramData or Users: intruders' files published as a web folder",
    cves: &["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
    kind: FindingKind::Persistence,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: sources::PROXYSHELL_IIS,
    next_step: None,
};

/// A mitigation rule removed, cleared, disabled or changed. Medium, so it
/// is listed with the findings, but on its own it shows a weakened server,
/// not an intruder: admins and broken updates also do this, and on a
/// patched server it is harmless. A hit that concerns one rule names its
/// CVE only.
const EOMT_REMOVED: RuleSpec = RuleSpec {
    id: rules::EOMT_REMOVED,
    title: "Microsoft's URL Rewrite mitigation rule is removed or overridden here",
    cves: &["CVE-2021-26855", "CVE-2022-41040"],
    kind: FindingKind::Config,
    verdict: Verdict::Clean,
    severity: Severity::Medium,
    source: sources::EOMT,
    next_step: None,
};

/// A configuration file that could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub message: String,
}

/// Parses a configuration file (UTF-8 byte-order mark allowed; DTDs
/// refused, as IIS has none; node count bounded).
pub(super) fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 4_000_000,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts).map_err(|e| ConfigError {
        message: format!("not well-formed XML: {e}"),
    })
}

fn line_of(doc: &roxmltree::Document<'_>, node: roxmltree::Node<'_, '_>) -> u64 {
    u64::from(doc.text_pos_at(node.range().start).row)
}

/// `C:\ProgramData\…` or `C:\Users\…` (any drive letter; environment
/// variables, verbatim and admin-share spellings resolved as
/// [`exhunt_core::winpath`] does): the folder's name and the resolved
/// lower-case path.
fn programdata_or_users(physical: &str) -> Option<(&'static str, String)> {
    static VARS: std::sync::LazyLock<std::collections::BTreeMap<String, String>> =
        std::sync::LazyLock::new(exhunt_core::winpath::default_vars);
    let w = exhunt_core::winpath::WinPath::parse(physical, &VARS).ok()?;
    let p = w.to_string().to_lowercase();
    match w.parts.first()?.to_lowercase().as_str() {
        "programdata" => Some(("ProgramData", p)),
        "users" => Some(("Users", p)),
        _ => None,
    }
}

/// The folder names signature-base's APT_IIS_Config_ProxyShell_Artifacts
/// lists under ProgramData.
const PROXYSHELL_DIRS: &[&str] = &["com", "who", "zing", "zoo", "xyz", "aux", "con"];

/// What one IIS configuration file says.
#[derive(Debug, Default)]
pub struct IisConfig {
    pub findings: Vec<Finding>,
    /// Microsoft's mitigation rules in force in this file: present, enabled,
    /// aborting the request, and not cleared or removed after they are
    /// defined in the same `<rules>`. Whether a child configuration
    /// overrides them is known only across files
    /// ([`mitigations_in_force`]).
    pub mitigations: Vec<Mitigation>,
}

/// IIS `applicationHost.config`: virtual directories and applications whose
/// `physicalPath` points into `C:\ProgramData` or `C:\Users` (ProxyShell
/// intruders served their files from there in August 2021), plus the URL
/// Rewrite checks of [`check_web_config`] for sections kept here.
/// Malformed XML is an error, never a panic.
pub fn check_application_host_config(
    display: &str,
    text: &str,
) -> Result<Vec<Finding>, ConfigError> {
    read_application_host_config(display, text).map(|c| c.findings)
}

/// [`check_application_host_config`], with the mitigation rules in force.
pub fn read_application_host_config(display: &str, text: &str) -> Result<IisConfig, ConfigError> {
    let doc = parse_xml(text)?;
    let mut out = Vec::new();
    for node in doc.descendants().filter(|n| {
        n.is_element()
            && matches!(
                n.tag_name().name(),
                "virtualDirectory" | "application" | "virtualDirectoryDefaults"
            )
    }) {
        let Some(physical) = node.attribute("physicalPath") else {
            continue;
        };
        let Some((folder, resolved)) = programdata_or_users(physical) else {
            continue;
        };
        let site = node
            .ancestors()
            .find(|a| a.has_tag_name("site"))
            .and_then(|s| s.attribute("name"))
            .unwrap_or("");
        let app = match node.tag_name().name() {
            "application" => node.attribute("path"),
            _ => node
                .parent_element()
                .filter(|p| p.has_tag_name("application"))
                .and_then(|p| p.attribute("path")),
        }
        .unwrap_or("");
        let vdir = if node.has_tag_name("virtualDirectory") {
            node.attribute("path").unwrap_or("")
        } else {
            ""
        };
        let proxyshell_name = PROXYSHELL_DIRS.iter().find(|d| {
            resolved
                .split('\\')
                .skip_while(|c| *c != "programdata")
                .nth(1)
                .is_some_and(|c| c == **d)
        });
        let all_users = resolved.contains("\\users\\all users");
        let url = format!(
            "{}{}",
            app.trim_end_matches('/'),
            if vdir == "/" { "" } else { vdir }
        );
        let mut f = Finding::from_spec(&IIS_VDIR, display)
            .titled(format!(
                "IIS serves a folder under {folder}: intruders' files published as a web folder"
            ))
            .with("site", site)
            .with("url_path", if url.is_empty() { "/".to_string() } else { url })
            .with("element", node.tag_name().name())
            .with("physicalPath", physical)
            .with(
                "why",
                "neither IIS nor Exchange serves anything from ProgramData or a user profile; ProxyShell intruders added such virtual directories to run their pages from there",
            );
        if let Some(d) = proxyshell_name {
            f = f.with(
                "proxyshell_name",
                format!(
                    "ProgramData\\{} is one of the folder names seen in August 2021 (COM, WHO, ZING, ZOO, XYZ, AUX, CON)",
                    d.to_uppercase()
                ),
            );
        }
        if all_users {
            f = f.with(
                "all_users",
                "C:\\Users\\All Users is ProgramData under another name",
            );
        }
        f.line = Some(line_of(&doc, node));
        out.push(f);
    }
    let mut config = IisConfig {
        findings: out,
        mitigations: Vec::new(),
    };
    rewrite_rules(&doc, display, &mut config);
    Ok(config)
}

/// A web.config (the IIS root `inetpub\wwwroot\web.config`, where EOMT and
/// EOMTv2 put their URL Rewrite rules, or a child application's): the
/// mitigation rules present → nothing; removed (`<remove name=…>`), cleared
/// (`<clear/>` not followed by the rules again), disabled
/// (`enabled="false"`) or with an action other than `AbortRequest` → a
/// medium config finding. Malformed XML is an error, never a panic.
pub fn check_web_config(display: &str, text: &str) -> Result<Vec<Finding>, ConfigError> {
    read_web_config(display, text).map(|c| c.findings)
}

/// [`check_web_config`], with the mitigation rules in force.
pub fn read_web_config(display: &str, text: &str) -> Result<IisConfig, ConfigError> {
    let doc = parse_xml(text)?;
    let mut config = IisConfig::default();
    rewrite_rules(&doc, display, &mut config);
    Ok(config)
}

/// The mitigation rules still in force across the configuration read: a
/// CVE a rule covers no longer counts as covered when some configuration
/// file removes, clears, disables or changes a rule for it (an
/// [`rules::EOMT_REMOVED`] finding naming that CVE; a `<clear/>` names
/// both): below that child the requests get through, and ProxyLogon's
/// (`/owa/auth/…`, `/ecp/…`) and ProxyNotShell's (`/autodiscover/…`) are
/// served under the children that do this. A rule left with no CVE is
/// dropped; duplicates (the same rule in the same place) are kept once.
pub fn mitigations_in_force(seen: Vec<Mitigation>, findings: &[Finding]) -> Vec<Mitigation> {
    let overridden: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule == rules::EOMT_REMOVED)
        .flat_map(|f| f.cves.iter().map(String::as_str))
        .collect();
    let mut out: Vec<Mitigation> = Vec::new();
    for mut m in seen {
        m.cves.retain(|c| !overridden.contains(&c.as_str()));
        if !m.cves.is_empty() && !out.contains(&m) {
            out.push(m);
        }
    }
    out.sort_by(|a, b| (&a.path, &a.rule).cmp(&(&b.path, &b.rule)));
    out
}

/// The CVE each Microsoft mitigation rule name stands for, if it is one.
/// As the reference facts (`exchange-detection-facts.md` §1.3) give them:
/// EOMT's two cookie rules mitigate CVE-2021-26855 only (ProxyLogon's
/// SSRF; the chain's other CVEs stay open to a signed-in attacker); EOMTv2's
/// `PowerShell - inbound` (the Emergency Mitigation service applies the
/// same rule under its own name) mitigates CVE-2022-41040 only (ProxyNotShell's
/// SSRF): CVE-2022-41082 stays reachable by other ways in, as OWASSRF
/// showed in November 2022 with the rule in place.
fn mitigation_cve(name: &str) -> Option<&'static str> {
    let n = name.trim().to_lowercase();
    match n.as_str() {
        "x-anonresource-backend abort - inbound" | "x-beresource abort - inbound" => {
            Some("CVE-2021-26855")
        }
        // EOMTv2; the Emergency Mitigation service names it "EEMS M1.1 PowerShell - inbound".
        _ if n == "powershell - inbound" || n.ends_with(" powershell - inbound") => {
            Some("CVE-2022-41040")
        }
        _ => None,
    }
}

/// The URL Rewrite `<rules>` of a configuration file: the mitigation rules
/// weakened (findings) and those in force (`config.mitigations`).
fn rewrite_rules(doc: &roxmltree::Document<'_>, display: &str, config: &mut IisConfig) {
    let out = &mut config.findings;
    let rule_sets = doc.descendants().filter(|n| {
        n.has_tag_name("rules")
            && n.parent_element()
                .is_some_and(|p| p.has_tag_name("rewrite"))
    });
    for rules_node in rule_sets {
        let location = rules_node
            .ancestors()
            .find(|a| a.has_tag_name("location"))
            .and_then(|l| l.attribute("path"))
            .unwrap_or("");
        let finding = |what: String, rule: &str, cve: Option<&str>, node| {
            let mut f = Finding::from_spec(&EOMT_REMOVED, display);
            if let Some(c) = cve {
                f = f.with_cves(&[c]);
            }
            f = f
                .with("change", what)
                .with("rule_name", rule)
                .with("location_path", location)
                .with(
                    "why",
                    "EOMT/EOMTv2 (and the Emergency Mitigation service) block the ProxyLogon / ProxyNotShell requests with these rules at the Default Web Site; a child web.config that clears, removes or disables them lets the requests through below it. Intruders and broken updates both do this: check who changed the file and when",
                );
            f.line = Some(line_of(doc, node));
            f
        };
        let mut cleared: Option<roxmltree::Node<'_, '_>> = None;
        let mut readded = false;
        // The mitigation rules in force at the end of this `<rules>`.
        let mut in_force: Vec<(&str, &'static str)> = Vec::new();
        for c in rules_node.children().filter(|c| c.is_element()) {
            let name = c.attribute("name").unwrap_or("");
            match c.tag_name().name() {
                "clear" => {
                    cleared = Some(c);
                    readded = false;
                    in_force.clear();
                }
                "remove" => {
                    in_force.retain(|(n, _)| !n.trim().eq_ignore_ascii_case(name.trim()));
                    if let Some(cve) = mitigation_cve(name) {
                        out.push(finding(
                            "<remove> of the inherited rule".to_string(),
                            name,
                            Some(cve),
                            c,
                        ));
                    }
                }
                "rule" => {
                    let Some(cve) = mitigation_cve(name) else {
                        continue;
                    };
                    if cleared.is_some() {
                        readded = true;
                    }
                    let disabled = c
                        .attribute("enabled")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
                    if disabled {
                        out.push(finding(
                            "rule disabled (enabled=\"false\")".to_string(),
                            name,
                            Some(cve),
                            c,
                        ));
                    }
                    let action = c
                        .children()
                        .find(|a| a.has_tag_name("action"))
                        .and_then(|a| a.attribute("type"));
                    if let Some(t) =
                        action.filter(|t| !t.trim().eq_ignore_ascii_case("AbortRequest"))
                    {
                        out.push(finding(
                            format!("action changed from AbortRequest to {t}"),
                            name,
                            Some(cve),
                            c,
                        ));
                    }
                    // A rule defined again replaces the earlier one.
                    in_force.retain(|(n, _)| !n.trim().eq_ignore_ascii_case(name.trim()));
                    if !disabled
                        && action.is_some_and(|t| t.trim().eq_ignore_ascii_case("AbortRequest"))
                    {
                        in_force.push((name, cve));
                    }
                }
                _ => {}
            }
        }
        config
            .mitigations
            .extend(in_force.into_iter().map(|(rule, cve)| Mitigation {
                rule: rule.trim().to_string(),
                path: if location.is_empty() {
                    display.to_string()
                } else {
                    format!("{display} (location {location})")
                },
                cves: vec![cve.to_string()],
            }));
        if let (Some(c), false) = (cleared, readded) {
            out.push(finding(
                "<clear/> drops every inherited rule, the mitigation rules included, and they are not added again after it".to_string(),
                "",
                None,
                c,
            ));
        }
    }
}
