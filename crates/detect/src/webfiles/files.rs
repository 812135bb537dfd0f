//! [`check_web_file`]: one file in a web folder judged by its place and its
//! hash: a script in `aspnet_client` or the web root, a script in
//! Exchange's web folders that no build ships, a stock page whose content
//! no build ships, a copy of a stock page where Exchange does not put it,
//! and a name a few letters off a stock one. Compiled pages are judged in
//! [`super::compiled`].

use super::baselines::{norm_key, Baselines, Known, KnownHash};
use super::compiled::check_compiled;
use super::places::{ext_of, install_relative, is_script_name, web_place, WebPlace};
use super::{rules, sources};
use exhunt_core::{Finding, FindingKind, RuleSpec, Severity, Verdict};
use std::collections::BTreeSet;

/// A script in `aspnet_client` (not a copy of a stock page).
const ASPNET_CLIENT: RuleSpec = RuleSpec {
    id: rules::ASPNET_CLIENT,
    title: "Script file in aspnet_client, where neither IIS nor Exchange puts any: a web shell's classic place",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: sources::ASPNET_CLIENT,
    next_step: None,
};

/// A script directly in the IIS web root: a lead, raised when other findings
/// show exploitation.
const WEBROOT: RuleSpec = RuleSpec {
    id: rules::WEBROOT,
    title: "Script file directly in the IIS web root, where Exchange puts none",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Info,
    source: sources::WEBROOT,
    next_step: None,
};

/// A script no build ships in owa\auth, ecp\auth or OAB; each hit's title
/// names the folder.
const AUTH_FOLDER: RuleSpec = RuleSpec {
    id: rules::AUTH_FOLDER,
    title: "Script file in an auth or OAB folder that no Exchange build ships: where the 2021 campaigns put their web shells",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: sources::AUTH_FOLDER,
    next_step: None,
};

/// A script no build ships elsewhere in Exchange's web folders: medium when
/// compared with the server's own build, an `info` lead otherwise.
const UNKNOWN_SCRIPT: RuleSpec = RuleSpec {
    id: rules::UNKNOWN_SCRIPT,
    title: "Script file in Exchange's web folders that no Exchange build ships",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Medium,
    source: sources::UNKNOWN_SCRIPT,
    next_step: None,
};

/// A copy of a stock page where Exchange does not put it: a lead; each
/// hit's title names the folder.
const STOCK_COPY: RuleSpec = RuleSpec {
    id: rules::STOCK_COPY,
    title: "Copy of a Microsoft Exchange page where Exchange does not put it",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Info,
    source: sources::BASELINE,
    next_step: None,
};

/// A stock page whose content no build ships: a lead; each hit's title
/// names the folder.
const STOCK_MODIFIED: RuleSpec = RuleSpec {
    id: rules::STOCK_MODIFIED,
    title: "Exchange page whose content no Exchange build ships (modified)",
    cves: &[],
    kind: FindingKind::Webshell,
    verdict: Verdict::Compromised,
    severity: Severity::Info,
    source: sources::BASELINE,
    next_step: None,
};

/// Judges one file in a web folder by its place and its hash.
///
/// - `rel_lower`: the path inside its input, lower-case, `/` separators.
/// - `display`: the path for the finding.
/// - `sha256`: the file's SHA-256 in hex (any case).
/// - `bytes_head`: the start of the file; for `App_Web_*.dll` the whole file
///   up to 1 MiB (compiled pages are a few kilobytes; the YARA rule bounds
///   them at 40 KB), for `*.compiled` the whole (small) file. Unused for other
///   files.
/// - `build`: the server's Exchange build (`15.1.2242.4`), if known.
///
/// Files outside the web folders, and files the rules have nothing to say
/// about, give no finding.
pub fn check_web_file(
    rel_lower: &str,
    display: &str,
    sha256: &str,
    bytes_head: &[u8],
    build: Option<&str>,
    baselines: &Baselines,
) -> Vec<Finding> {
    let Some(place) = web_place(rel_lower) else {
        return Vec::new();
    };
    let name = rel_lower.rsplit('/').next().unwrap_or(rel_lower);
    let script = is_script_name(name);
    let mut out = Vec::new();
    match place {
        WebPlace::TempAspNet => {
            out.extend(check_compiled(display, name, bytes_head, baselines));
        }
        WebPlace::AspnetClient if script => {
            out.push(aspnet_client(display, name, sha256, baselines));
        }
        WebPlace::WebRoot if script => {
            out.push(webroot(display, name, sha256, baselines));
        }
        WebPlace::AspnetClient | WebPlace::WebRoot => {}
        WebPlace::OwaAuth | WebPlace::EcpAuth | WebPlace::Oab | WebPlace::ExchangeWeb => {
            let Some(inst) = install_relative(rel_lower) else {
                return out;
            };
            match baselines.hash_known_for(inst, sha256, build) {
                Known::NotStock if script => {
                    out.push(not_stock(display, inst, place, sha256, build, baselines));
                }
                Known::StockDiffers if ext_of(name) != "config" => {
                    out.push(stock_modified(display, inst, place, build, baselines));
                }
                // Setup and administrators rewrite web.config files (the real
                // ones in tests/data match no baseline hash): a differing
                // .config says nothing. Configuration is judged by content
                // (check_web_config). Stock content, from this build or
                // another, is Microsoft's.
                _ => {}
            }
        }
    }
    out
}

/// When a file is byte-for-byte a stock Exchange file, says which.
fn stock_copy(
    display: &str,
    name: &str,
    sha256: &str,
    place: WebPlace,
    baselines: &Baselines,
) -> Option<Finding> {
    let copies = baselines.stock_paths_with_hash(sha256);
    if copies.is_empty() {
        return None;
    }
    let mut f = Finding::from_spec(&STOCK_COPY, display).titled(format!(
        "Copy of a Microsoft Exchange page in {}, where Exchange does not put it",
        place.describe()
    ));
    f.escalate_to = Some(Severity::Medium);
    Some(
        f.with("file_name", name)
            .with("identical_to", copies.iter().take(3).cloned().collect::<Vec<_>>().join(", "))
            .with(
                "why",
                "its content is a stock Exchange file, so it is not a web shell itself (often an administrator's copy); but it sits where web shells were put, and is raised if exploitation was found",
            ),
    )
}

/// A script in `aspnet_client`: high, unless it is a copy of a stock page.
fn aspnet_client(display: &str, name: &str, sha256: &str, baselines: &Baselines) -> Finding {
    if let Some(f) = stock_copy(display, name, sha256, WebPlace::AspnetClient, baselines) {
        return f;
    }
    let f = Finding::from_spec(&ASPNET_CLIENT, display)
        .with("file_name", name)
        .with(
            "why",
            "IIS's aspnet_client holds only client-side files; the March 2021 and ProxyShell intrusions dropped .aspx shells there (shell.aspx, discover.aspx, supp0rt.aspx, random 8-character names)",
        );
    with_lookalike(f, name, &baselines.auth_names(), "Exchange's auth folders")
}

/// A script directly in the IIS web root: a lead, unless a stock copy.
fn webroot(display: &str, name: &str, sha256: &str, baselines: &Baselines) -> Finding {
    if let Some(f) = stock_copy(display, name, sha256, WebPlace::WebRoot, baselines) {
        return f;
    }
    // A lead: administrators do put a redirect page (default.aspx → /owa)
    // in the web root; the YARA scan reports a shell there on its own.
    let mut f = Finding::from_spec(&WEBROOT, display);
    f.escalate_to = Some(Severity::Medium);
    f.with("file_name", name).with(
        "why",
        "the web root of an Exchange server holds iisstart.htm, iisstart.png and web.config; ProxyShell shells took names like IIS's own files (iisstart.aspx). An administrator's redirect page to /owa would also explain it",
    )
}

/// A script no build ships at this install-relative path: high in the
/// auth folders and OAB, medium or a lead elsewhere (by build coverage).
fn not_stock(
    display: &str,
    inst: &str,
    place: WebPlace,
    sha256: &str,
    build: Option<&str>,
    baselines: &Baselines,
) -> Finding {
    let name = inst.rsplit('/').next().unwrap_or(inst);
    if let Some(f) = stock_copy(display, name, sha256, place, baselines) {
        return f;
    }
    let covered = baselines.is_covered(inst, build);
    let note = baselines.coverage_note(&norm_key(inst), build);
    let dir = inst.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let stock_here = baselines.stock_names_in(dir);
    let mut f = match place {
        WebPlace::OwaAuth | WebPlace::EcpAuth | WebPlace::Oab => {
            Finding::from_spec(&AUTH_FOLDER, display)
                .titled(format!(
                    "Script file in {} that no Exchange build ships: where the 2021 campaigns put their web shells",
                    place.describe()
                ))
                .with(
                    "why",
                    "Exchange ships only a fixed handful of pages here (owa\\auth: logon, logoff, errorFE, expiredpassword, …; ecp\\auth: TimeoutLogout; OAB: none) and no page in owa\\auth\\Current or the <build> folders",
                )
        }
        _ => {
            let mut f = Finding::from_spec(&UNKNOWN_SCRIPT, display)
                .with_severity(if covered { Severity::Medium } else { Severity::Info })
                .with(
                    "why",
                    "not among the files Microsoft shipped in this folder; intruders also hid shells beside Exchange's own pages",
                );
            if !covered {
                // An update after March 2021 may have added the page.
                f.escalate_to = Some(Severity::Medium);
            }
            f
        }
    };
    f = f.with("install_path", inst).with("baseline", note).with(
        "stock_files_here",
        stock_here.iter().copied().collect::<Vec<_>>().join(", "),
    );
    with_lookalike(f, name, &stock_here, "this folder")
}

/// Adds `resembles_stock` when a name is a few letters off a stock name
/// (two, or one in eight for long names): intruders named shells
/// RedirSuiteServerProxy.aspx after RedirSuiteServiceProxy.aspx
/// (CSS-Exchange PR #150).
fn with_lookalike(f: Finding, name: &str, stock: &BTreeSet<&str>, where_: &str) -> Finding {
    let max = (name.len() / 8).max(2);
    let near: Vec<&str> = stock
        .iter()
        .copied()
        .filter(|s| *s != name && is_script_name(s) && edit_distance(s, name) <= max)
        .collect();
    if near.is_empty() {
        return f;
    }
    f.with(
        "resembles_stock",
        format!("{} (stock in {where_})", near.join(", ")),
    )
}

/// Levenshtein distance, by `char`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A stock page whose content no build ships: a lead.
fn stock_modified(
    display: &str,
    inst: &str,
    place: WebPlace,
    build: Option<&str>,
    baselines: &Baselines,
) -> Finding {
    let covered = baselines.is_covered(inst, build);
    let mut f = Finding::from_spec(&STOCK_MODIFIED, display).titled(format!(
        "Exchange page in {} whose content no Exchange build ships (modified)",
        place.describe()
    ));
    // A lead, not a verdict: administrators customise logon pages, and a
    // build the baselines do not cover changes some pages. When a
    // comparison with the server's own build shows the change, it is raised
    // once other findings show the server was exploited (intruders also
    // planted code in logon pages); the YARA scan reports it on its own when
    // a shell rule matches the content.
    if covered {
        f.escalate_to = Some(Severity::Medium);
    }
    let versions = baselines.lookup(inst).map(<[KnownHash]>::len).unwrap_or(0);
    f.with("install_path", inst)
        .with("baseline", baselines.coverage_note(&norm_key(inst), build))
        .with("stock_versions", versions.to_string())
        .with(
            "why",
            "a stock file that differs: administrators customise logon pages, and updates after March 2021 change pages too; compare it with a clean copy of the same build, or look for code that handles requests (Request, eval, Process.Start)",
        )
}
