//! Web folders: what Exchange ships there, and what does not belong there.
//!
//! The 2021 campaigns left their web shells in a few places: IIS's
//! `aspnet_client` folder, Exchange's `FrontEnd\HttpProxy\owa\auth` (also its
//! `Current` and `<build>` subfolders), `…\ecp\auth` and `…\OAB` (Microsoft's
//! MSERT guidance lists exactly these for a custom scan; CISA AA21-062A and
//! signature-base's `filename-iocs.txt` name the same). Web shells are
//! renamed and rewritten per victim (the OAB-export shells embed per-server
//! data), so their hashes are weak indicators; their *place* is not: Exchange
//! ships no script file in `aspnet_client`, and only a known handful in the
//! `auth` folders. So this module judges web-folder files by where they are
//! and by whether Microsoft shipped them, not by what they contain (the YARA
//! scan does that):
//!
//! - [`Baselines`]: Microsoft's per-build SHA-256 of every server-executed or
//!   configuration file Exchange ships in its web folders (CSS-Exchange's
//!   `CompareExchangeHashes.ps1` baselines, MIT, embedded from
//!   `rules/exchange-web-baseline.tsv`; see `rules/PROVENANCE-baseline.md`).
//! - [`check_web_file`]: a script file in `aspnet_client`; a script file in
//!   Exchange's web folders that no build ships; a stock page whose hash no
//!   build ships; compiled pages in Temporary ASP.NET Files that name a shell.
//! - [`newer_than_neighbours`]: script files much newer than the files beside
//!   them (a lead).
//! - [`check_application_host_config`]: IIS virtual directories pointing into
//!   `C:\ProgramData` or `C:\Users` (ProxyShell, August 2021).
//! - [`check_web_config`]: the EOMT / EOMTv2 URL Rewrite mitigation removed,
//!   cleared or disabled in a web.config.
//!
//! How much each says. A script where Exchange ships none (`aspnet_client`,
//! the auth folders, OAB), or a compiled page from there, is `high` and
//! shows a compromise. An unknown script elsewhere in Exchange's folders is
//! `medium` when compared with the server's own build, a lead otherwise (a
//! later update may have added it). A stock page with unknown content, a
//! copy of a stock page, a script in the web root and a script much newer
//! than its neighbours are `info` leads, raised to `medium` when other
//! findings show exploitation: administrators customise logon pages and put
//! redirect pages in the web root, and the YARA scan reports a real shell on
//! its own. A removed mitigation is a `medium` configuration finding whose
//! verdict is `clean`: it shows a weakened server, not an intruder.
//!
//! Paths handed in are the file's path inside its input, lower-cased, with
//! `/` separators (`Candidate::rel_lower`); the Exchange install folder is
//! found inside them (see [`install_relative`]), so a scan of `V15`, of a
//! mounted drive or of a collected bundle all work.

use exhunt_core::{Finding, FindingKind, Severity, Verdict};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::OnceLock;

/// Sources cited by this module's findings.
pub mod sources {
    pub const MSERT: &str = "microsoft/CSS-Exchange Security/Defender-MSERT-Guidance.md (scan aspnet_client, FrontEnd\\HttpProxy\\owa\\auth, ecp\\auth, Temporary ASP.NET Files)";
    pub const PR150: &str = "microsoft/CSS-Exchange PR #150 (web shells found in C:\\inetpub\\wwwroot\\aspnet_client after exploitation)";
    pub const LOCATIONS: &str = "Microsoft HAFNIUM blog 2021-03-02; CISA AA21-062A; Neo23x0/signature-base iocs/filename-iocs.txt (owa\\auth incl. Current and <build>, ecp\\auth, OAB, aspnet_client)";
    pub const BASELINE: &str = "microsoft/CSS-Exchange Security/Baselines (CompareExchangeHashes.ps1 per-build hashes, MIT, commit 59ace25); rules/exchange-web-baseline.tsv";
    pub const COMPILED: &str = "Neo23x0/signature-base yara/apt_hafnium.yar WEBSHELL_Compiled_Webshell_Mar2021_1 (BSI: App_Web_*.dll naming ~/aspnet_client/ or ~/auth/); Defender-MSERT-Guidance.md (Temporary ASP.NET Files)";
    pub const PROXYSHELL_IIS: &str = "Neo23x0/signature-base yara/expl_proxyshell.yar APT_IIS_Config_ProxyShell_Artifacts, SUSP_IIS_Config_ProxyShell_Artifacts, SUSP_IIS_Config_VirtualDir; Huntress ProxyShell blog 2021-08";
    pub const EOMT: &str = "microsoft/CSS-Exchange Security/src/EOMT.ps1 and EOMTv2.ps1 (URL Rewrite rules 'X-AnonResource-Backend Abort - inbound', 'X-BEResource Abort - inbound', 'PowerShell - inbound'); Health Checker CVE-2022-41040 check (child web.configs that clear or remove the inherited rule); Exchange Emergency Mitigation service M1.1";
    pub const WEBROOT: &str = "Neo23x0/signature-base yara/expl_proxyshell.yar WEBSHELL_ASPX_ProxyShell_Aug15 (iisstart.aspx); microsoft/CSS-Exchange CompareExchangeHashes.ps1 ($KNOWN_ROOT_FILES: no script file in inetpub\\wwwroot)";
}

/// The rules' stable identifiers.
pub mod rules {
    pub const ASPNET_CLIENT: &str = "webshell-aspnet-client";
    pub const AUTH_FOLDER: &str = "webshell-exchange-auth-folder";
    pub const UNKNOWN_SCRIPT: &str = "exchange-web-unknown-script";
    pub const WEBROOT: &str = "webroot-script";
    pub const STOCK_COPY: &str = "exchange-web-stock-copy";
    pub const STOCK_MODIFIED: &str = "exchange-web-stock-modified";
    pub const NEWER: &str = "exchange-web-newer-than-neighbours";
    pub const COMPILED: &str = "webshell-compiled-aspnet";
    pub const IIS_VDIR: &str = "iis-vdir-programdata-users";
    pub const EOMT_REMOVED: &str = "eomt-mitigation-removed";
}

const PROXYSHELL_CVES: &[&str] = &["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"];

// ---------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------

/// The bundled baseline, derived by `scripts/derive-web-baseline.py`.
const BASELINE_TSV: &str = include_str!("../../../rules/exchange-web-baseline.tsv");

/// A set of builds, one bit per index into [`Baselines::builds`]. The source
/// baselines were withdrawn in March 2021 with 108 builds and will not grow,
/// so 128 bits suffice; the parser refuses more.
type BuildSet = u128;
const MAX_BUILDS: usize = 128;

/// An Exchange build, `15.1.2242.4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Build(pub [u32; 4]);

impl Build {
    /// Parses four dot-separated numbers, leading zeros allowed
    /// (`15.01.2242.004`, as HttpProxy log headers write it).
    pub fn parse(s: &str) -> Option<Build> {
        let mut parts = [0u32; 4];
        let mut it = s.trim().split('.');
        for p in parts.iter_mut() {
            *p = it.next()?.trim().parse().ok()?;
        }
        if it.next().is_some() {
            return None;
        }
        Some(Build(parts))
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// One version of a stock file: its hash and the builds that ship it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownHash {
    sha256: [u8; 32],
    builds: BuildSet,
}

impl KnownHash {
    /// The SHA-256 in lower-case hex.
    pub fn sha256_hex(&self) -> String {
        exhunt_core::hex(&self.sha256)
    }
    /// Whether the build at this index of [`Baselines::builds`] ships this version.
    pub fn ships_in(&self, build_index: usize) -> bool {
        build_index < MAX_BUILDS && self.builds & (1u128 << build_index) != 0
    }
    /// Indexes into [`Baselines::builds`] of the builds that ship this version.
    pub fn build_indexes(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_BUILDS).filter(|i| self.ships_in(*i))
    }
}

/// What the baselines say about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Exchange ships this path with this content (in the server's build when
    /// that build is covered; in some build otherwise).
    StockSame,
    /// The content is one Microsoft shipped for this path, but in other builds
    /// than the server's: a genuine Microsoft file (left from an earlier
    /// update, or the build was misread), not a modification.
    StockOtherBuild,
    /// Exchange ships this path, but never with this content.
    StockDiffers,
    /// No covered build ships this path.
    NotStock,
}

/// Known-good hashes of Exchange's web-folder files, per build.
#[derive(Debug)]
pub struct Baselines {
    builds: Vec<Build>,
    /// Install-relative lower-case path → its versions.
    files: HashMap<String, Vec<KnownHash>>,
    /// SHA-256 → the stock paths with that content (for copies).
    by_hash: HashMap<[u8; 32], Vec<String>>,
    /// Builds whose baseline holds any `clientaccess/` file.
    clientaccess_builds: BuildSet,
    /// Builds whose baseline holds any `frontend/` file (the nine CU-release
    /// baselines hold none).
    frontend_builds: BuildSet,
}

impl Baselines {
    /// The bundled baselines, parsed once.
    pub fn builtin() -> &'static Baselines {
        static B: OnceLock<Baselines> = OnceLock::new();
        B.get_or_init(|| {
            // The data is ours and a unit test parses it; a failure here is a
            // broken build, not bad input.
            Baselines::parse(BASELINE_TSV).expect("bundled rules/exchange-web-baseline.tsv")
        })
    }

    /// Parses the TSV written by `scripts/derive-web-baseline.py`: `#`
    /// comments, one `@builds<TAB>b0 b1 …` line, then
    /// `path<TAB>sha256<TAB>ranges` rows (`3-7,9`: indexes into the builds).
    pub fn parse(text: &str) -> Result<Baselines, String> {
        let mut b = Baselines {
            builds: Vec::new(),
            files: HashMap::new(),
            by_hash: HashMap::new(),
            clientaccess_builds: 0,
            frontend_builds: 0,
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let at = |m: &str| format!("line {}: {m}", n + 1);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(list) = line.strip_prefix("@builds\t") {
                for s in list.split_whitespace() {
                    b.builds
                        .push(Build::parse(s).ok_or_else(|| at(&format!("bad build {s:?}")))?);
                }
                if b.builds.len() > MAX_BUILDS {
                    return Err(at("more than 128 builds"));
                }
                continue;
            }
            let mut cols = line.split('\t');
            let (Some(path), Some(sha), Some(ranges), None) =
                (cols.next(), cols.next(), cols.next(), cols.next())
            else {
                return Err(at("expected path, sha256, builds"));
            };
            if b.builds.is_empty() {
                return Err(at("row before the @builds line"));
            }
            let sha = parse_sha256(sha).ok_or_else(|| at("bad sha256"))?;
            let builds = parse_ranges(ranges, b.builds.len()).ok_or_else(|| at("bad builds"))?;
            let path = norm_key(path);
            if path.starts_with("frontend/") {
                b.frontend_builds |= builds;
            } else {
                b.clientaccess_builds |= builds;
            }
            let versions = b.files.entry(path.clone()).or_default();
            if versions.iter().any(|k| k.builds & builds != 0) {
                return Err(at("two hashes for one path in one build"));
            }
            versions.push(KnownHash {
                sha256: sha,
                builds,
            });
            b.by_hash.entry(sha).or_default().push(path);
        }
        if b.builds.is_empty() || b.files.is_empty() {
            return Err("no @builds line or no rows".to_string());
        }
        Ok(b)
    }

    /// The builds covered, sorted.
    pub fn builds(&self) -> &[Build] {
        &self.builds
    }

    /// Number of distinct stock paths.
    pub fn path_count(&self) -> usize {
        self.files.len()
    }

    /// The index of a build in [`Baselines::builds`], if covered.
    pub fn build_index(&self, build: &str) -> Option<usize> {
        let b = Build::parse(build)?;
        self.builds.binary_search(&b).ok()
    }

    /// The versions Exchange shipped of a path relative to the install
    /// folder (`FrontEnd/HttpProxy/owa/auth/logon.aspx`; any case, `\` or `/`).
    pub fn lookup(&self, path_rel_to_install: &str) -> Option<&[KnownHash]> {
        self.files
            .get(&norm_key(path_rel_to_install))
            .map(Vec::as_slice)
    }

    /// Whether any covered build ships this install-relative path.
    /// Whether any build ships a file of this name (lower-case) anywhere in
    /// the web folders: requests to such a name say nothing on their own.
    pub fn is_stock_file_name(&self, name_lower: &str) -> bool {
        self.files
            .keys()
            .any(|k| k.rsplit('/').next() == Some(name_lower))
    }

    pub fn is_stock_path(&self, path_rel_to_install: &str) -> bool {
        self.lookup(path_rel_to_install).is_some()
    }

    /// Compares a file with the stock versions of its path. With a covered
    /// `build`, against that build's version; with no build, a build the
    /// baselines do not cover (anything after March 2021), or a `FrontEnd`
    /// path on a build whose baseline has no `FrontEnd` files, against every
    /// version of every build.
    pub fn hash_known_for(&self, path: &str, sha256: &str, build: Option<&str>) -> Known {
        let key = norm_key(path);
        let Some(versions) = self.files.get(&key) else {
            return Known::NotStock;
        };
        let Some(sha) = parse_sha256(sha256) else {
            return Known::StockDiffers;
        };
        let same = versions.iter().find(|k| k.sha256 == sha);
        match (self.covered_index(&key, build), same) {
            (_, None) => Known::StockDiffers,
            (None, Some(_)) => Known::StockSame,
            (Some(i), Some(k)) if k.ships_in(i) => Known::StockSame,
            (Some(_), Some(_)) => Known::StockOtherBuild,
        }
    }

    /// The stock paths whose content has this SHA-256.
    pub fn stock_paths_with_hash(&self, sha256: &str) -> &[String] {
        parse_sha256(sha256)
            .and_then(|h| self.by_hash.get(&h))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The build's index when its baseline covers this path's area.
    fn covered_index(&self, key: &str, build: Option<&str>) -> Option<usize> {
        let i = self.build_index(build?)?;
        let area = if key.starts_with("frontend/") {
            self.frontend_builds
        } else {
            self.clientaccess_builds
        };
        (area & (1u128 << i) != 0).then_some(i)
    }

    /// Whether the comparison for this path used one build (true) or the
    /// union of all (false).
    pub fn is_covered(&self, path: &str, build: Option<&str>) -> bool {
        self.covered_index(&norm_key(path), build).is_some()
    }

    /// Says, for a finding, what a file was compared with.
    fn coverage_note(&self, key: &str, build: Option<&str>) -> String {
        let last = self.last_builds();
        match build {
            None => format!(
                "server build unknown: compared with all {} builds in the baselines (last: {last})",
                self.builds.len()
            ),
            Some(b) if self.covered_index(key, Some(b)).is_some() => {
                format!("compared with build {b}")
            }
            Some(b) if self.build_index(b).is_some() => format!(
                "the baseline of build {b} has no FrontEnd files: compared with all builds"
            ),
            Some(b) => format!(
                "build {b} is not in the baselines (they end in March 2021: {last}): compared with all builds, and later updates may have added or changed files"
            ),
        }
    }

    /// The newest covered build of each Exchange version.
    fn last_builds(&self) -> String {
        let mut last: Vec<Build> = Vec::new();
        for b in &self.builds {
            match last.last_mut() {
                Some(l) if l.0[..2] == b.0[..2] => *l = *b,
                _ => last.push(*b),
            }
        }
        last.iter()
            .map(Build::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// File names of the stock files directly in an install-relative folder.
    fn stock_names_in(&self, dir: &str) -> BTreeSet<&str> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .collect()
    }

    /// File names Exchange ships directly in any `owa/auth` or `ecp/auth`.
    fn auth_names(&self) -> BTreeSet<&str> {
        self.files
            .keys()
            .filter_map(|k| {
                let (dir, name) = k.rsplit_once('/')?;
                (dir.ends_with("/owa/auth") || dir.ends_with("/ecp/auth")).then_some(name)
            })
            .collect()
    }
}

fn norm_key(p: &str) -> String {
    p.replace('\\', "/").trim_start_matches('/').to_lowercase()
}

fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    let s = s.trim().as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

fn parse_ranges(s: &str, n: usize) -> Option<BuildSet> {
    let mut set: BuildSet = 0;
    for part in s.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?),
            None => {
                let a = part.parse::<usize>().ok()?;
                (a, a)
            }
        };
        if a > b || b >= n {
            return None;
        }
        for i in a..=b {
            set |= 1u128 << i;
        }
    }
    (set != 0).then_some(set)
}

// ---------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------

/// A web folder this module judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebPlace {
    /// Any `aspnet_client` folder (IIS: `inetpub\wwwroot\aspnet_client`).
    AspnetClient,
    /// Directly in `inetpub\wwwroot`.
    WebRoot,
    /// `FrontEnd\HttpProxy\owa\auth\**` or `ClientAccess\owa\auth\**`.
    OwaAuth,
    /// `FrontEnd\HttpProxy\ecp\auth\**` or `ClientAccess\ecp\auth\**`.
    EcpAuth,
    /// `FrontEnd\HttpProxy\OAB\**` or `ClientAccess\OAB\**`.
    Oab,
    /// Any other folder under `FrontEnd` or `ClientAccess`.
    ExchangeWeb,
    /// `Temporary ASP.NET Files`: pages compiled on first request.
    TempAspNet,
}

impl WebPlace {
    /// How a finding names the place.
    pub fn describe(self) -> &'static str {
        match self {
            WebPlace::AspnetClient => "aspnet_client",
            WebPlace::WebRoot => "the IIS web root (inetpub\\wwwroot)",
            WebPlace::OwaAuth => "owa\\auth",
            WebPlace::EcpAuth => "ecp\\auth",
            WebPlace::Oab => "the OAB folder",
            WebPlace::ExchangeWeb => "Exchange's web folders",
            WebPlace::TempAspNet => "Temporary ASP.NET Files",
        }
    }
}

/// Extensions IIS hands to a script engine on request: the ones a web shell
/// needs.
pub const SCRIPT_EXTS: &[&str] = &["aspx", "ashx", "asmx", "asp"];

/// Extensions the baselines hold (server-executed or configuration files).
pub const BASELINE_EXTS: &[&str] = &[
    "aspx", "ashx", "asmx", "asax", "ascx", "master", "svc", "asp", "cshtml", "config",
];

fn ext_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

/// Whether a file name ends in a script extension ([`SCRIPT_EXTS`]).
pub fn is_script_name(name: &str) -> bool {
    let e = ext_of(name);
    SCRIPT_EXTS.iter().any(|x| x.eq_ignore_ascii_case(e))
}

/// The part of a path that is relative to the Exchange install folder: from
/// its `ClientAccess` or `FrontEnd` folder on (`FrontEnd` only when followed
/// by one of Exchange's FrontEnd folders, so that an unrelated folder of that
/// name does not count). `rel_lower` is lower-case with `/` separators.
pub fn install_relative(rel_lower: &str) -> Option<&str> {
    let mut start = 0;
    for comp in rel_lower.split('/') {
        let rest = &rel_lower[start..];
        let next = rest
            .get(comp.len() + 1..)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let tail_is_file = rest.len() > comp.len() + 1;
        if comp == "clientaccess" && tail_is_file {
            return Some(rest);
        }
        if comp == "frontend"
            && tail_is_file
            && matches!(
                next,
                "httpproxy" | "popimap" | "callrouter" | "routingupdates"
            )
        {
            return Some(rest);
        }
        start += comp.len() + 1;
    }
    None
}

/// Which web folder a file is in, if any. `rel_lower` is the file's path
/// inside its input, lower-case, `/` separators.
pub fn web_place(rel_lower: &str) -> Option<WebPlace> {
    let comps: Vec<&str> = rel_lower.split('/').collect();
    let dirs = &comps[..comps.len().saturating_sub(1)];
    if dirs.contains(&"temporary asp.net files") {
        return Some(WebPlace::TempAspNet);
    }
    if dirs.contains(&"aspnet_client") {
        return Some(WebPlace::AspnetClient);
    }
    if let Some(inst) = install_relative(rel_lower) {
        let ic: Vec<&str> = inst.split('/').collect();
        let (vdir, sub) = match ic.as_slice() {
            ["frontend", "httpproxy", v, s, _, ..] => (*v, *s),
            ["frontend", "httpproxy", v, _] => (*v, ""),
            ["clientaccess", v, s, _, ..] => (*v, *s),
            ["clientaccess", v, _] => (*v, ""),
            _ => ("", ""),
        };
        return Some(match (vdir, sub) {
            ("owa", "auth") => WebPlace::OwaAuth,
            ("ecp", "auth") => WebPlace::EcpAuth,
            ("oab", _) => WebPlace::Oab,
            _ => WebPlace::ExchangeWeb,
        });
    }
    if dirs.len() >= 2 && dirs[dirs.len() - 2..] == ["inetpub", "wwwroot"] {
        return Some(WebPlace::WebRoot);
    }
    None
}

/// Whether [`check_web_file`] can say anything about this file, so that a
/// scanner opens (and hashes) only those: a script in `aspnet_client` or the
/// web root; a file with a baseline extension other than `.config` in
/// Exchange's web folders; an `App_Web_*.dll` or `*.compiled` in Temporary
/// ASP.NET Files.
pub fn wants_file(rel_lower: &str) -> bool {
    let name = rel_lower.rsplit('/').next().unwrap_or(rel_lower);
    match web_place(rel_lower) {
        None => false,
        Some(WebPlace::TempAspNet) => is_app_web_dll(name) || name.ends_with(".compiled"),
        Some(WebPlace::AspnetClient | WebPlace::WebRoot) => is_script_name(name),
        // check_web_file says nothing about a differing .config (Setup
        // rewrites them); their content goes to check_web_config.
        Some(_) => {
            let e = ext_of(name);
            e != "config" && BASELINE_EXTS.contains(&e)
        }
    }
}

fn is_app_web_dll(name: &str) -> bool {
    name.starts_with("app_web_") && name.ends_with(".dll")
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

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
    let mut f = Finding::new(
        rules::STOCK_COPY,
        format!(
            "Copy of a Microsoft Exchange page in {}, where Exchange does not put it",
            place.describe()
        ),
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::Info,
        display,
        sources::BASELINE,
    );
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

fn aspnet_client(display: &str, name: &str, sha256: &str, baselines: &Baselines) -> Finding {
    if let Some(f) = stock_copy(display, name, sha256, WebPlace::AspnetClient, baselines) {
        return f;
    }
    let f = Finding::new(
        rules::ASPNET_CLIENT,
        "Script file in aspnet_client, where neither IIS nor Exchange puts any: a web shell's classic place",
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::High,
        display,
        &format!("{}; {}; {}", sources::MSERT, sources::PR150, sources::LOCATIONS),
    )
    .with("file_name", name)
    .with(
        "why",
        "IIS's aspnet_client holds only client-side files; the March 2021 and ProxyShell intrusions dropped .aspx shells there (shell.aspx, discover.aspx, supp0rt.aspx, random 8-character names)",
    );
    with_lookalike(f, name, &baselines.auth_names(), "Exchange's auth folders")
}

fn webroot(display: &str, name: &str, sha256: &str, baselines: &Baselines) -> Finding {
    if let Some(f) = stock_copy(display, name, sha256, WebPlace::WebRoot, baselines) {
        return f;
    }
    // A lead: administrators do put a redirect page (default.aspx → /owa)
    // in the web root; the YARA scan reports a shell there on its own.
    let mut f = Finding::new(
        rules::WEBROOT,
        "Script file directly in the IIS web root, where Exchange puts none",
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::Info,
        display,
        sources::WEBROOT,
    );
    f.escalate_to = Some(Severity::Medium);
    f.with("file_name", name).with(
        "why",
        "the web root of an Exchange server holds iisstart.htm, iisstart.png and web.config; ProxyShell shells took names like IIS's own files (iisstart.aspx). An administrator's redirect page to /owa would also explain it",
    )
}

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
        WebPlace::OwaAuth | WebPlace::EcpAuth | WebPlace::Oab => Finding::new(
            rules::AUTH_FOLDER,
            format!(
                "Script file in {} that no Exchange build ships: where the 2021 campaigns put their web shells",
                place.describe()
            ),
            &[],
            FindingKind::Webshell,
            Verdict::Compromised,
            Severity::High,
            display,
            &format!("{}; {}; {}", sources::LOCATIONS, sources::MSERT, sources::BASELINE),
        )
        .with(
            "why",
            "Exchange ships only a fixed handful of pages here (owa\\auth: logon, logoff, errorFE, expiredpassword, …; ecp\\auth: TimeoutLogout; OAB: none) and no page in owa\\auth\\Current or the <build> folders",
        ),
        _ => {
            let mut f = Finding::new(
                rules::UNKNOWN_SCRIPT,
                "Script file in Exchange's web folders that no Exchange build ships",
                &[],
                FindingKind::Webshell,
                Verdict::Compromised,
                if covered { Severity::Medium } else { Severity::Info },
                display,
                &format!("{}; {}", sources::BASELINE, sources::LOCATIONS),
            )
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

fn stock_modified(
    display: &str,
    inst: &str,
    place: WebPlace,
    build: Option<&str>,
    baselines: &Baselines,
) -> Finding {
    let covered = baselines.is_covered(inst, build);
    let mut f = Finding::new(
        rules::STOCK_MODIFIED,
        format!(
            "Exchange page in {} whose content no Exchange build ships (modified)",
            place.describe()
        ),
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::Info,
        display,
        sources::BASELINE,
    );
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

/// Compiled pages: `App_Web_*.dll` hold the virtual paths of the pages they
/// were compiled from (`~/auth/shell.aspx` in the owa application,
/// `~/aspnet_client/system_web/x.aspx` in the root one), and `*.compiled`
/// files name them in `virtualPath`. A compiled page proves the page was
/// requested, even after the .aspx was deleted.
fn check_compiled(display: &str, name: &str, bytes: &[u8], baselines: &Baselines) -> Vec<Finding> {
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
    let f = Finding::new(
        rules::COMPILED,
        "ASP.NET compiled a page from a web-shell place (aspnet_client, or a non-stock page in an auth folder): the page was requested",
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::High,
        display,
        sources::COMPILED,
    )
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

// ---------------------------------------------------------------------------
// Newer than the neighbours
// ---------------------------------------------------------------------------

/// A script file is "much newer" when modified this many days after the
/// median of the other files in its folder…
pub const NEWER_DAYS: i64 = 30;
/// …and that folder has at least this many other files with a time.
pub const MIN_NEIGHBOURS: usize = 5;

/// One script file much newer than the files beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewerFile {
    /// Index into the slice given to [`newer_than_neighbours_detail`].
    pub index: usize,
    pub modified: String,
    /// Median modification time of the other files in the folder (UTC).
    pub folder_median: String,
    pub days_after: i64,
    pub neighbours: usize,
}

impl NewerFile {
    /// The lead: `info`, raised to `medium` when other findings show the
    /// server was exploited.
    pub fn finding(&self, display: &str) -> Finding {
        let mut f = Finding::new(
            rules::NEWER,
            "Script file much newer than the files beside it in a web folder",
            &[],
            FindingKind::Webshell,
            Verdict::Compromised,
            Severity::Info,
            display,
            &format!(
                "{}; microsoft/CSS-Exchange CompareExchangeHashes.ps1 (flags web files modified after 2020-12-01)",
                sources::LOCATIONS
            ),
        );
        f.escalate_to = Some(Severity::Medium);
        f.with("modified", self.modified.clone())
            .with("folder_median", self.folder_median.clone())
            .with("days_after", self.days_after.to_string())
            .with("neighbours", self.neighbours.to_string())
            .with(
                "why",
                "web shells are written long after Setup wrote the files around them; Exchange updates also rewrite files, so this is a lead to look at, not a finding on its own",
            )
    }
}

/// Indexes of the script files in web folders that were modified more than
/// [`NEWER_DAYS`] days after the median of the other files in their folder,
/// in folders with at least [`MIN_NEIGHBOURS`] other files with a time.
///
/// `files`: every file of the scan (or at least every file in the web
/// folders) as `(rel_lower, modified ISO 8601 UTC)`. Neighbours may be any
/// file; only script files ([`SCRIPT_EXTS`]) in a [`WebPlace`] other than
/// Temporary ASP.NET Files are judged. Callers should drop files whose
/// content is stock ([`Known::StockSame`]): updates rewrite those.
pub fn newer_than_neighbours(files: &[(String, Option<String>)]) -> Vec<usize> {
    newer_than_neighbours_detail(files)
        .into_iter()
        .map(|n| n.index)
        .collect()
}

/// [`newer_than_neighbours`] with the times, for the finding.
pub fn newer_than_neighbours_detail(files: &[(String, Option<String>)]) -> Vec<NewerFile> {
    let mut by_dir: HashMap<&str, Vec<(usize, i64)>> = HashMap::new();
    for (i, (rel, modified)) in files.iter().enumerate() {
        if let Some(t) = modified.as_deref().and_then(iso_seconds) {
            let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            by_dir.entry(dir).or_default().push((i, t));
        }
    }
    let mut out = Vec::new();
    for (i, (rel, modified)) in files.iter().enumerate() {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        if !is_script_name(name) {
            continue;
        }
        if matches!(web_place(rel), None | Some(WebPlace::TempAspNet)) {
            continue;
        }
        let Some(t) = modified.as_deref().and_then(iso_seconds) else {
            continue;
        };
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let mut others: Vec<i64> = by_dir
            .get(dir)
            .map(|v| v.iter().filter(|(j, _)| *j != i).map(|(_, t)| *t).collect())
            .unwrap_or_default();
        if others.len() < MIN_NEIGHBOURS {
            continue;
        }
        others.sort_unstable();
        let m = others.len() / 2;
        let median = if others.len().is_multiple_of(2) {
            others[m - 1] + (others[m] - others[m - 1]) / 2
        } else {
            others[m]
        };
        let days = (t - median).div_euclid(86_400);
        if t - median > NEWER_DAYS * 86_400 {
            out.push(NewerFile {
                index: i,
                modified: modified.clone().unwrap_or_default(),
                folder_median: iso_from_seconds(median),
                days_after: days,
                neighbours: others.len(),
            });
        }
    }
    out
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SS…` (fraction and zone ignored:
/// every time here is UTC).
fn iso_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn iso_from_seconds(t: i64) -> String {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// A configuration file that could not be read as XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Parses a configuration file (UTF-8 byte-order mark allowed; DTDs
/// refused, as IIS has none; node count bounded).
fn parse_xml(text: &str) -> Result<roxmltree::Document<'_>, ConfigError> {
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

/// IIS `applicationHost.config`: virtual directories and applications whose
/// `physicalPath` points into `C:\ProgramData` or `C:\Users` (ProxyShell
/// intruders served their files from there in August 2021), plus the URL
/// Rewrite checks of [`check_web_config`] for sections kept here.
/// Malformed XML is an error, never a panic.
pub fn check_application_host_config(
    display: &str,
    text: &str,
) -> Result<Vec<Finding>, ConfigError> {
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
        let mut f = Finding::new(
            rules::IIS_VDIR,
            format!(
                "IIS serves a folder under {folder}: intruders' files published as a web folder"
            ),
            PROXYSHELL_CVES,
            FindingKind::Persistence,
            Verdict::Compromised,
            Severity::High,
            display,
            sources::PROXYSHELL_IIS,
        )
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
    out.extend(rewrite_findings(&doc, display));
    Ok(out)
}

/// A web.config (the IIS root `inetpub\wwwroot\web.config`, where EOMT and
/// EOMTv2 put their URL Rewrite rules, or a child application's): the
/// mitigation rules present → nothing; removed (`<remove name=…>`), cleared
/// (`<clear/>` not followed by the rules again), disabled
/// (`enabled="false"`) or with an action other than `AbortRequest` → a
/// medium config finding. Malformed XML is an error, never a panic.
pub fn check_web_config(display: &str, text: &str) -> Result<Vec<Finding>, ConfigError> {
    let doc = parse_xml(text)?;
    Ok(rewrite_findings(&doc, display))
}

/// The CVE each Microsoft mitigation rule name stands for, if it is one.
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

fn rewrite_findings(doc: &roxmltree::Document<'_>, display: &str) -> Vec<Finding> {
    let mut out = Vec::new();
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
            let cves: Vec<&str> = match cve {
                Some(c) => vec![c],
                None => vec!["CVE-2021-26855", "CVE-2022-41040"],
            };
            let mut f = Finding::new(
                rules::EOMT_REMOVED,
                "Microsoft's URL Rewrite mitigation rule is removed or overridden here",
                &cves,
                FindingKind::Config,
                // Medium, so it is listed with the findings, but on its own
                // it shows a weakened server, not an intruder: admins and
                // broken updates also do this, and on a patched server it
                // is harmless.
                Verdict::Clean,
                Severity::Medium,
                display,
                sources::EOMT,
            )
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
        for c in rules_node.children().filter(|c| c.is_element()) {
            let name = c.attribute("name").unwrap_or("");
            match c.tag_name().name() {
                "clear" => {
                    cleared = Some(c);
                    readded = false;
                }
                "remove" => {
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
                    if c.attribute("enabled")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
                    {
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
                }
                _ => {}
            }
        }
        if let (Some(c), false) = (cleared, readded) {
            out.push(finding(
                "<clear/> drops every inherited rule, the mitigation rules included, and they are not added again after it".to_string(),
                "",
                None,
                c,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
