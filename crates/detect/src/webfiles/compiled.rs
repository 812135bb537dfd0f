//! Compiled pages in `Temporary ASP.NET Files`: ASP.NET compiles a page on
//! its first request and keeps the result there, also after the page itself
//! was deleted, so a compiled page from a web-shell place proves the shell
//! was requested.

use super::baselines::Baselines;
use super::config::parse_xml;
use super::places::{is_app_web_dll, is_script_name};
use super::{rules, sources};
use exhunt_core::{Finding, FindingKind, RuleSpec, Severity, Verdict};

/// A compiled page from `aspnet_client` or a non-stock page of an auth folder.
const COMPILED: RuleSpec = RuleSpec {
    id: rules::COMPILED,
    title: "ASP.NET compiled a page from a web-shell place (aspnet_client, or a non-stock page in an auth folder): the page was requested",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: sources::COMPILED,
    next_step: None,
};

/// Compiled pages: `App_Web_*.dll` hold the virtual paths of the pages they
/// were compiled from (`~/auth/shell.aspx` in the owa application,
/// `~/aspnet_client/system_web/x.aspx` in the root one), and `*.compiled`
/// files name them in `virtualPath`. A compiled page proves the page was
/// requested, even after the .aspx was deleted.
pub(super) fn check_compiled(
    display: &str,
    name: &str,
    bytes: &[u8],
    baselines: &Baselines,
) -> Vec<Finding> {
    let auth = baselines.auth_names();
    let mut bad: Vec<String> = Vec::new();
    let mut kind = "";
    if is_app_web_dll(name) {
        kind = "compiled assembly";
        for s in printable_runs(bytes) {
            let lower = s.to_ascii_lowercase();
            for needle in ["~/aspnet_client/", "~/auth/"] {
                let mut from = 0;
                while let Some(p) = lower[from..].find(needle) {
                    let start = from + p;
                    let end = lower[start..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || "~/._-".contains(c)))
                        .map_or(lower.len(), |e| start + e);
                    let vp = &lower[start..end];
                    // Only a page's own path counts (a script name at the
                    // end), not a folder or a client script it refers to.
                    let page = vp.rsplit('/').next().is_some_and(is_script_name);
                    let shell = page
                        && match vp.strip_prefix("~/auth/") {
                            Some(tail) => !auth.contains(tail),
                            None => true,
                        };
                    if shell && !bad.iter().any(|b| b == vp) {
                        bad.push(vp.to_string());
                    }
                    from = end.max(start + 1);
                }
            }
        }
    } else if name.ends_with(".compiled") {
        kind = "compilation record";
        if let Some(vp) = compiled_virtual_path(bytes) {
            if virtual_path_is_shell(&vp, baselines) {
                bad.push(vp);
            }
        }
    }
    if bad.is_empty() {
        return Vec::new();
    }
    let jscript = printable_runs(bytes)
        .iter()
        .any(|s| s.contains("JScriptEvaluate"));
    let f = Finding::from_spec(&COMPILED, display)
        .with("artifact", kind)
        .with("virtual_paths", bad.join(", "))
        .with(
            "jscript_evaluate",
            if jscript {
                "yes (JScript eval, as China Chopper compiles)"
            } else {
                ""
            },
        )
        .with(
            "why",
            "ASP.NET compiles a page on its first request and keeps the result in Temporary ASP.NET Files, also after the page itself was deleted; Exchange ships no page in aspnet_client and only a known handful in the auth folders",
        );
    vec![f]
}

/// `virtualPath` of the `<preserve>` element of a `.compiled` file.
fn compiled_virtual_path(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let doc = parse_xml(&text).ok()?;
    let vp = doc
        .descendants()
        .find(|n| n.has_tag_name("preserve"))?
        .attribute("virtualPath")?;
    Some(vp.to_lowercase())
}

/// Whether a site-relative virtual path (`/owa/auth/x.aspx`) names a script
/// in a web-shell place that Exchange does not ship.
fn virtual_path_is_shell(vp: &str, baselines: &Baselines) -> bool {
    let vp = vp.trim_start_matches('~');
    let name = vp.rsplit('/').next().unwrap_or(vp);
    if !is_script_name(name) {
        return false;
    }
    if vp.split('/').any(|c| c == "aspnet_client") {
        return true;
    }
    let comps: Vec<&str> = vp.trim_start_matches('/').split('/').collect();
    let in_place = matches!(
        comps.as_slice(),
        ["owa" | "ecp", "auth", _, ..] | ["oab", _, ..]
    );
    if !in_place {
        return false;
    }
    let rest = comps.join("/");
    !["frontend/httpproxy/", "clientaccess/"]
        .iter()
        .any(|p| baselines.is_stock_path(&format!("{p}{rest}")))
}

/// Printable ASCII runs and UTF-16LE runs (both byte alignments) of at
/// least six characters, as `strings` would list them: .NET keeps literal
/// strings (the page's virtual path) in UTF-16 and names in ASCII.
fn printable_runs(bytes: &[u8]) -> Vec<String> {
    const MIN: usize = 6;
    let printable = |b: u8| (0x20..0x7f).contains(&b);
    let mut out = Vec::new();
    let mut cur = String::new();
    for &b in bytes {
        if printable(b) {
            cur.push(b as char);
        } else {
            if cur.len() >= MIN {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
    }
    if cur.len() >= MIN {
        out.push(std::mem::take(&mut cur));
    }
    for align in 0..2 {
        cur.clear();
        let mut i = align;
        while i + 1 < bytes.len() {
            let (lo, hi) = (bytes[i], bytes[i + 1]);
            if hi == 0 && printable(lo) {
                cur.push(lo as char);
            } else {
                if cur.len() >= MIN {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
            i += 2;
        }
        if cur.len() >= MIN {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}
