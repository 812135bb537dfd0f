//! [`Baselines`]: Microsoft's per-build SHA-256 of every server-executed or
//! configuration file Exchange ships in its web folders, and what they say
//! about one file (stock, stock from another build, modified, not stock).
//!
//! The data is CSS-Exchange's `CompareExchangeHashes.ps1` baselines (MIT),
//! regrouped by `scripts/derive-web-baseline.py` into
//! `rules/exchange-web-baseline.tsv` and embedded. Builds are
//! [`exhunt_patch::Version`], the project's one build type.

use exhunt_patch::{parse_version, Parsed, Version};
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

/// The bundled baseline, derived by `scripts/derive-web-baseline.py`.
pub(super) const BASELINE_TSV: &str = include_str!("../../../../rules/exchange-web-baseline.tsv");

/// A set of builds, one bit per index into [`Baselines::builds`]. The source
/// baselines were withdrawn in March 2021 with 108 builds and will not grow,
/// so 128 bits suffice; the parser refuses more.
type BuildSet = u128;
const MAX_BUILDS: usize = 128;

/// Why a baseline TSV could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// A line (1-based) that is malformed or contradicts the others.
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    /// No `@builds` line, or no file rows.
    #[error("no @builds line or no rows")]
    Empty,
}

/// An Exchange build from its text: four numbers, zero-padded ones
/// (`15.01.2242.004`, as HttpProxy log headers write them) included. `None`
/// for anything else, a three-part CU number included: a baseline is per
/// build.
fn parse_build(s: &str) -> Option<Version> {
    match parse_version(s) {
        Ok(Parsed::Full(v)) => Some(v),
        _ => None,
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
    builds: Vec<Version>,
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
    pub fn parse(text: &str) -> Result<Baselines, BaselineError> {
        let mut b = Baselines {
            builds: Vec::new(),
            files: HashMap::new(),
            by_hash: HashMap::new(),
            clientaccess_builds: 0,
            frontend_builds: 0,
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let at = |m: &str| BaselineError::Line {
                line: n + 1,
                message: m.to_string(),
            };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(list) = line.strip_prefix("@builds\t") {
                for s in list.split_whitespace() {
                    b.builds
                        .push(parse_build(s).ok_or_else(|| at(&format!("bad build {s:?}")))?);
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
            return Err(BaselineError::Empty);
        }
        Ok(b)
    }

    /// The builds covered, sorted.
    pub fn builds(&self) -> &[Version] {
        &self.builds
    }

    /// Number of distinct stock paths.
    pub fn path_count(&self) -> usize {
        self.files.len()
    }

    /// The index of a build in [`Baselines::builds`], if covered.
    pub fn build_index(&self, build: &str) -> Option<usize> {
        let b = parse_build(build)?;
        self.builds.binary_search(&b).ok()
    }

    /// The versions Exchange shipped of a path relative to the install
    /// folder (`FrontEnd/HttpProxy/owa/auth/logon.aspx`; any case, `\` or `/`).
    pub fn lookup(&self, path_rel_to_install: &str) -> Option<&[KnownHash]> {
        self.files
            .get(&norm_key(path_rel_to_install))
            .map(Vec::as_slice)
    }

    /// Whether any build ships a file of this name (lower-case) anywhere in
    /// the web folders: requests to such a name say nothing on their own.
    pub fn is_stock_file_name(&self, name_lower: &str) -> bool {
        self.files
            .keys()
            .any(|k| k.rsplit('/').next() == Some(name_lower))
    }

    /// Every install-relative path some build ships (lower case, `/`).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Whether any covered build ships this install-relative path.
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
    pub(super) fn coverage_note(&self, key: &str, build: Option<&str>) -> String {
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
        let mut last: Vec<Version> = Vec::new();
        for b in &self.builds {
            match last.last_mut() {
                Some(l) if l.0[..2] == b.0[..2] => *l = *b,
                _ => last.push(*b),
            }
        }
        last.iter()
            .map(Version::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// File names of the stock files directly in an install-relative folder.
    pub(super) fn stock_names_in(&self, dir: &str) -> BTreeSet<&str> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .collect()
    }

    /// File names Exchange ships directly in any `owa/auth` or `ecp/auth`.
    pub(super) fn auth_names(&self) -> BTreeSet<&str> {
        self.files
            .keys()
            .filter_map(|k| {
                let (dir, name) = k.rsplit_once('/')?;
                (dir.ends_with("/owa/auth") || dir.ends_with("/ecp/auth")).then_some(name)
            })
            .collect()
    }
}

/// A baseline key: `/` separators, no leading one, lower-case.
pub(super) fn norm_key(p: &str) -> String {
    p.replace('\\', "/").trim_start_matches('/').to_lowercase()
}

/// 32 bytes from 64 hex digits (any case, surrounding blanks ignored).
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

/// A set of build indexes (`3-7,9`), each below `n`; `None` when malformed
/// or empty.
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
