//! File indicators: hashes, paths, file names and path regexes of the web
//! shells and tools of the Exchange campaigns, as data.
//!
//! The bundled lists (`rules/iocs/webshell-sha256.csv`,
//! `rules/iocs/webshell-paths.csv`, derived by `scripts/derive-iocs.py`;
//! origin and licences in `rules/iocs/PROVENANCE.md`) are embedded in the
//! binary. [`FileIocsBuilder`] adds a user's files (`--iocs FILE`) and reads
//! the format it finds there:
//!
//! - exhunt's own two CSVs (told by their header: `sha256,name,source,note`
//!   and `pattern,kind,score,source`);
//! - Microsoft MSTIC's feed CSV (`DateAdded,FirstSeen,Indicator,IndicatorType,TLP`):
//!   `sha256`/`sha1`/`md5`, `filepath` and `filename` rows are taken, other
//!   types (addresses, domains, …) are counted and reported as unsupported;
//! - signature-base's `hash;comment` lines (`hash-iocs.txt`) and
//!   `regex;score[;false-positive regex]` lines (`filename-iocs.txt`);
//! - a plain list: one MD5, SHA-1 or SHA-256 (optionally followed by a file
//!   name, as `sha256sum` writes it), Windows path or bare file name a line.
//!
//! `#` comments and blank lines are skipped everywhere. A `path` or `name`
//! indicator that names a file Exchange ships there (MSTIC's later feed lists
//! the stock `ecp\auth\TimeoutLogout.aspx`) is skipped with a warning: it
//! would flag every server, and the stock-file hash check of
//! [`crate::webfiles`] reports a modified one. A line that cannot be
//! used is skipped with a warning naming the file and line
//! ([`FileIocsBuilder::warnings`]); a file with content but no usable line at
//! all is refused ([`IocError`]).
//!
//! # Matching paths
//!
//! [`FileIocs::path`] takes a file's path as a scan sees it: inside the
//! scanned input, `/` (or `\`) separators, any case, normally without a drive.
//! ASCII case is ignored throughout.
//!
//! - `path` indicators (full Windows paths such as MSTIC's) are compared on
//!   the path's trailing components: the indicator loses its drive, any
//!   `%VARIABLE%` prefix and what comes before `FrontEnd\`, `ClientAccess\`
//!   or `inetpub\` (else up to `Exchange Server\V15\`), and the rest must end
//!   the scanned path at a component boundary. So a scan of a mounted drive,
//!   of a collected bundle or of the `V15` folder all match.
//! - `name` indicators (bare web-shell file names such as `help.aspx`, which
//!   also exist legitimately elsewhere) match only files in the folders the
//!   2021 shells were dropped in: any `aspnet_client`, the IIS web root
//!   (`inetpub\wwwroot` itself), and Exchange's `owa\auth` and `ecp\auth`
//!   (see [`crate::webfiles::web_place`]).
//! - `regex` indicators (signature-base style, written against `\`-separated
//!   Windows paths) run against the path with `\` separators and a leading
//!   `\`, drive removed, ASCII case-insensitively, as one compiled
//!   [`RegexSet`]. A pattern anchored at a drive (`C:\\ProgramData\\…`) is
//!   anchored at the root of the scanned input instead, or below a folder
//!   named like a drive (`C\`, `c:\`, as collection tools lay drives out).
//!   Each pattern's longest required literal goes into one Aho-Corasick
//!   pre-filter, so the set runs only on paths that hold one of them.

use crate::webfiles::{install_relative, web_place, Baselines, WebPlace};
use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Hir, HirKind};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

/// Where the bundled hash list comes from (used as the origin in messages).
pub const BUNDLED_SHA256_ORIGIN: &str = "rules/iocs/webshell-sha256.csv";
/// Where the bundled path list comes from.
pub const BUNDLED_PATHS_ORIGIN: &str = "rules/iocs/webshell-paths.csv";
const BUNDLED_SHA256_CSV: &str = include_str!("../../../rules/iocs/webshell-sha256.csv");
const BUNDLED_PATHS_CSV: &str = include_str!("../../../rules/iocs/webshell-paths.csv");

/// Score of a user's path, name or regex line that gives none (0–100, the
/// scale signature-base uses).
pub const DEFAULT_SCORE: u8 = 80;
/// Score of an MSTIC feed `filepath` row (signature-base rates the same list
/// 95).
pub const MSTIC_PATH_SCORE: u8 = 95;

/// Why a path or name indicator naming a stock Exchange file is skipped.
const STOCK: &str = "names a file Exchange ships there (rules/exchange-web-baseline.tsv): \
     it would flag every server; skipped (exhunt's stock-file hash check reports a modified one)";

/// The folders `name` indicators fire in that Exchange ships files in.
const STOCK_NAME_DIRS: &[&str] = &[
    "frontend/httpproxy/owa/auth/",
    "frontend/httpproxy/ecp/auth/",
    "clientaccess/owa/auth/",
    "clientaccess/ecp/auth/",
];

/// Shortest required literal worth a pre-filter; a regex with none that long
/// turns the pre-filter off (the set then runs on every path).
const MIN_LITERAL: usize = 3;

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/// What a hash list says about a hash.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashIoc {
    /// What the file is (`HAFNIUM web shell`); may be empty.
    pub name: String,
    /// Every list that holds the hash, `;`-separated.
    pub source: String,
    /// What the lists say about it; may be empty.
    pub note: String,
}

impl HashIoc {
    /// The name, or else the note, or else a stock phrase.
    pub fn describe(&self) -> &str {
        if !self.name.is_empty() {
            &self.name
        } else if !self.note.is_empty() {
            &self.note
        } else {
            "listed file hash"
        }
    }
}

/// The digest types a hash indicator can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    Md5,
    Sha1,
    Sha256,
}

impl HashKind {
    /// By the number of hex digits.
    pub fn of_hex_len(n: usize) -> Option<HashKind> {
        match n {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            _ => None,
        }
    }
}

/// How a path indicator matches (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathIocKind {
    /// A full Windows path, matched on its trailing components.
    Path,
    /// A bare file name, matched only in web folders.
    Name,
    /// A regex over the `\`-separated path.
    Regex,
}

impl PathIocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PathIocKind::Path => "path",
            PathIocKind::Name => "name",
            PathIocKind::Regex => "regex",
        }
    }

    fn parse(s: &str) -> Option<PathIocKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "path" => Some(PathIocKind::Path),
            "name" => Some(PathIocKind::Name),
            "regex" => Some(PathIocKind::Regex),
            _ => None,
        }
    }
}

impl fmt::Display for PathIocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A path, file-name or path-regex indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathIoc {
    /// As the list gives it (a regex as written upstream).
    pub pattern: String,
    pub kind: PathIocKind,
    /// 0–100.
    pub score: u8,
    /// Every list that holds it, `;`-separated.
    pub source: String,
}

/// How many indicators of each kind a set holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IocCounts {
    pub sha256: usize,
    pub sha1: usize,
    pub md5: usize,
    pub path: usize,
    pub name: usize,
    pub regex: usize,
}

impl IocCounts {
    pub fn total(&self) -> usize {
        self.sha256 + self.sha1 + self.md5 + self.path + self.name + self.regex
    }
}

/// Why indicators could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IocError {
    /// The file could not be read, or is not text.
    Read { origin: String, message: String },
    /// A line could not be used (a whole file is refused with its first bad
    /// line when no line of it was usable).
    Line {
        origin: String,
        line: usize,
        message: String,
    },
    /// The file's format is not one exhunt reads.
    Format { origin: String, message: String },
    /// The regexes, each valid, could not be compiled together.
    Compile { message: String },
}

impl IocError {
    /// The file (or bundled list) concerned.
    pub fn origin(&self) -> Option<&str> {
        match self {
            IocError::Read { origin, .. }
            | IocError::Line { origin, .. }
            | IocError::Format { origin, .. } => Some(origin),
            IocError::Compile { .. } => None,
        }
    }

    /// The 1-based line concerned.
    pub fn line(&self) -> Option<usize> {
        match self {
            IocError::Line { line, .. } => Some(*line),
            _ => None,
        }
    }
}

impl fmt::Display for IocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IocError::Read { origin, message } | IocError::Format { origin, message } => {
                write!(f, "{origin}: {message}")
            }
            IocError::Line {
                origin,
                line,
                message,
            } => write!(f, "{origin}:{line}: {message}"),
            IocError::Compile { message } => write!(f, "indicator regexes: {message}"),
        }
    }
}

impl std::error::Error for IocError {}

// ---------------------------------------------------------------------------
// The indicator set
// ---------------------------------------------------------------------------

/// One path or name indicator under its lower-case file name.
#[derive(Debug)]
struct NameEntry {
    ioc: usize,
    /// `Some(normalised trailing path)` for a `path` indicator; `None` for a
    /// `name` one.
    key: Option<String>,
}

/// A compiled, immutable set of file indicators, shared by all threads.
#[derive(Debug)]
pub struct FileIocs {
    sha256: HashMap<[u8; 32], HashIoc>,
    sha1: HashMap<[u8; 20], HashIoc>,
    md5: HashMap<[u8; 16], HashIoc>,
    iocs: Vec<PathIoc>,
    by_name: HashMap<String, Vec<NameEntry>>,
    regexes: Option<RegexSet>,
    /// Set pattern index → index into `iocs`.
    regex_iocs: Vec<usize>,
    /// Set pattern index → signature-base's false-positive regex.
    regex_fp: Vec<Option<Regex>>,
    /// `None` with regexes present: some regex has no usable literal, so the
    /// set runs on every path.
    prefilter: Option<AhoCorasick>,
}

impl FileIocs {
    /// The bundled lists, compiled once.
    pub fn bundled() -> &'static FileIocs {
        static B: OnceLock<FileIocs> = OnceLock::new();
        B.get_or_init(|| {
            // Our own data, checked by the unit tests: a failure is a broken
            // build, not bad input.
            FileIocsBuilder::new()
                .bundled()
                .build()
                .expect("bundled rules/iocs lists compile")
        })
    }

    /// The indicator for a SHA-256 (hex, any case).
    pub fn hash(&self, sha256_hex: &str) -> Option<&HashIoc> {
        self.sha256.get(&parse_hex::<32>(sha256_hex)?)
    }

    /// The indicator for a SHA-256 digest.
    pub fn hash_bytes(&self, sha256: &[u8; 32]) -> Option<&HashIoc> {
        self.sha256.get(sha256)
    }

    /// The indicator for a SHA-1 (hex).
    pub fn sha1(&self, sha1_hex: &str) -> Option<&HashIoc> {
        self.sha1.get(&parse_hex::<20>(sha1_hex)?)
    }

    /// The indicator for an MD5 (hex).
    pub fn md5(&self, md5_hex: &str) -> Option<&HashIoc> {
        self.md5.get(&parse_hex::<16>(md5_hex)?)
    }

    /// Whether any SHA-1 or MD5 is held (a scanner need compute them only then).
    pub fn has_weak_hashes(&self) -> bool {
        !self.sha1.is_empty() || !self.md5.is_empty()
    }

    /// Every path, name and regex indicator, in load order.
    pub fn path_iocs(&self) -> &[PathIoc] {
        &self.iocs
    }

    pub fn counts(&self) -> IocCounts {
        let mut c = IocCounts {
            sha256: self.sha256.len(),
            sha1: self.sha1.len(),
            md5: self.md5.len(),
            ..IocCounts::default()
        };
        for i in &self.iocs {
            match i.kind {
                PathIocKind::Path => c.path += 1,
                PathIocKind::Name => c.name += 1,
                PathIocKind::Regex => c.regex += 1,
            }
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.counts().total() == 0
    }

    /// The path, name and regex indicators a file's path matches, highest
    /// score first. `path` is the file's path inside the scanned input
    /// (`Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/bob.aspx`,
    /// `inetpub/wwwroot/aspnet_client/system_web/shell.aspx`); `/` or `\`,
    /// any case, a drive is ignored.
    ///
    /// Cheap for the common case of no match: one hash lookup of the
    /// lower-cased file name (on the stack) and one Aho-Corasick scan.
    pub fn path(&self, path: &str) -> Vec<&PathIoc> {
        let mut out: Vec<&PathIoc> = Vec::new();
        let name = path.rsplit(['/', '\\']).next().unwrap_or("");
        if !name.is_empty() && !self.by_name.is_empty() {
            let mut buf = [0u8; 256];
            let hit = if name.len() <= buf.len() {
                let b = &mut buf[..name.len()];
                b.copy_from_slice(name.as_bytes());
                b.make_ascii_lowercase();
                // ASCII lower-casing keeps UTF-8 valid.
                std::str::from_utf8(b)
                    .ok()
                    .and_then(|n| self.by_name.get(n))
            } else {
                self.by_name.get(&name.to_ascii_lowercase())
            };
            if let Some(entries) = hit {
                let norm = normalise(path);
                for e in entries {
                    let ok = match &e.key {
                        Some(key) => ends_with_components(&norm, key),
                        None => name_place(&norm),
                    };
                    if ok {
                        out.push(&self.iocs[e.ioc]);
                    }
                }
            }
        }
        if let Some(set) = &self.regexes {
            let slashed: Cow<'_, str> = if path.contains('\\') {
                Cow::Owned(path.replace('\\', "/"))
            } else {
                Cow::Borrowed(path)
            };
            let maybe = match &self.prefilter {
                Some(ac) => ac.is_match(slashed.as_bytes()),
                None => true,
            };
            if maybe {
                let win = windows_form(&slashed);
                for i in set.matches(win.as_bytes()).iter() {
                    if let Some(fp) = &self.regex_fp[i] {
                        if fp.is_match(win.as_bytes()) {
                            continue;
                        }
                    }
                    out.push(&self.iocs[self.regex_iocs[i]]);
                }
            }
        }
        out.sort_by_key(|i| (std::cmp::Reverse(i.score), i.kind));
        out
    }
}

/// Whether a `name` indicator may fire for a file (lower-case, `/`): only in
/// the folders the 2021 web shells were dropped in, where Exchange and IIS
/// ship none of the listed names.
fn name_place(norm: &str) -> bool {
    matches!(
        web_place(norm),
        Some(WebPlace::AspnetClient | WebPlace::WebRoot | WebPlace::OwaAuth | WebPlace::EcpAuth)
    )
}

/// `path` without leading separators, `\\?\`, `./` or a drive.
fn strip_root(path: &str) -> &str {
    let mut p = path.trim_start_matches(['/', '\\']);
    if let Some(r) = p.strip_prefix("?/").or_else(|| p.strip_prefix("?\\")) {
        p = r;
    }
    if let Some(r) = p.strip_prefix("./").or_else(|| p.strip_prefix(".\\")) {
        p = r;
    }
    let b = p.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        p = &p[2..];
    }
    p.trim_start_matches(['/', '\\'])
}

/// Lower-case, `/`-separated, rootless.
fn normalise(path: &str) -> String {
    strip_root(path)
        .chars()
        .map(|c| {
            if c == '\\' {
                '/'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// `\`-separated with one leading `\`, drive removed: what the regexes see.
fn windows_form(path: &str) -> String {
    let p = strip_root(path);
    let mut s = String::with_capacity(p.len() + 1);
    s.push('\\');
    s.extend(p.chars().map(|c| if c == '/' { '\\' } else { c }));
    s
}

/// Whether `path` ends with the components of `key` (both normalised).
fn ends_with_components(path: &str, key: &str) -> bool {
    path.ends_with(key)
        && (path.len() == key.len() || path.as_bytes()[path.len() - key.len() - 1] == b'/')
}

/// Where a component starts in a `/`-separated path, if present.
fn component_start(p: &str, comp: &str) -> Option<usize> {
    let mut start = 0;
    for c in p.split('/') {
        if c == comp {
            return Some(start);
        }
        start += c.len() + 1;
    }
    None
}

/// The trailing components a `path` indicator is compared on, lower-case
/// with `/`: drive, `%VAR%` and install prefixes dropped.
fn path_key(pattern: &str) -> Result<String, String> {
    if pattern.contains(['*', '?', '<', '>', '|', '"']) {
        return Err(format!(
            "{pattern:?}: wildcards are not supported in a path (write a `regex;score` line)"
        ));
    }
    let mut s = pattern.trim().replace('\\', "/").to_ascii_lowercase();
    if s.starts_with('%') {
        if let Some(end) = s[1..].find('%') {
            s = s[end + 2..].to_string();
        }
    }
    let s = normalise(&s);
    if s.is_empty() {
        return Err(format!("{pattern:?}: an empty path"));
    }
    if pattern.trim_end().ends_with(['/', '\\']) {
        return Err(format!(
            "{pattern:?}: a folder, not a file (write a `regex;score` line for a folder)"
        ));
    }
    if let Some(rel) = install_relative(&s) {
        return Ok(rel.to_string());
    }
    if let Some(i) = component_start(&s, "inetpub") {
        return Ok(s[i..].to_string());
    }
    for v in ["v15", "v14"] {
        let marker = format!("exchange server/{v}/");
        if let Some(i) = s.find(&marker) {
            if i == 0 || s.as_bytes()[i - 1] == b'/' {
                let rest = &s[i + marker.len()..];
                if !rest.is_empty() {
                    return Ok(rest.to_string());
                }
            }
        }
    }
    Ok(s)
}

/// A file name fit to be a `name` indicator, lower-cased.
fn name_key(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty()
        || n.len() > 255
        || n.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|'])
        || n.chars().any(char::is_control)
    {
        return Err(format!("{name:?}: not a file name"));
    }
    match n.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Ok(n.to_ascii_lowercase()),
        _ => Err(format!(
            "{name:?}: not a hash, path, file name (with an extension) or `regex;score` line"
        )),
    }
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim().as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Adds the `;`-separated parts of `add` that `dst` lacks.
fn merge_list(dst: &mut String, add: &str) {
    for part in add.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if !dst.split(';').any(|d| d.trim() == part) {
            if !dst.is_empty() {
                dst.push(';');
            }
            dst.push_str(part);
        }
    }
}

// ---------------------------------------------------------------------------
// Regexes
// ---------------------------------------------------------------------------

/// signature-base writes drive-anchored patterns (`C:\\ProgramData\\…`);
/// scanned paths have no drive. Such a pattern is anchored at the root of the
/// input, or below a drive-like folder (`C\`, `c:\`) as collections lay
/// drives out.
fn rewrite_drive_anchor(pattern: &str) -> Cow<'_, str> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let b = body.as_bytes();
    if b.len() >= 4 && b[0].is_ascii_alphabetic() && &b[1..4] == b":\\\\" {
        Cow::Owned(format!(r"(?:^|\\[a-z]:?)\\{}", &body[4..]))
    } else {
        Cow::Borrowed(pattern)
    }
}

fn syntax_parser() -> regex_syntax::Parser {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
}

/// The literal runs every match of `hir` contains.
fn required_literals(hir: &Hir, out: &mut Vec<Vec<u8>>) {
    match hir.kind() {
        HirKind::Literal(l) => out.push(l.0.to_vec()),
        HirKind::Capture(c) => required_literals(&c.sub, out),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub, out),
        HirKind::Concat(subs) => {
            let mut run: Vec<u8> = Vec::new();
            for s in subs {
                if let HirKind::Literal(l) = s.kind() {
                    run.extend_from_slice(&l.0);
                } else {
                    if !run.is_empty() {
                        out.push(std::mem::take(&mut run));
                    }
                    required_literals(s, out);
                }
            }
            if !run.is_empty() {
                out.push(run);
            }
        }
        _ => {}
    }
}

/// The pre-filter literal of a (rewritten) regex: its longest required
/// literal, `/`-separated, without a leading separator (the one the
/// `\`-form adds is not in the scanned path), lower-case.
fn prefilter_literal(hir: &Hir) -> Option<Vec<u8>> {
    let mut lits = Vec::new();
    required_literals(hir, &mut lits);
    let best = lits.into_iter().max_by_key(Vec::len)?;
    let start = best.iter().position(|&b| b != b'\\').unwrap_or(best.len());
    let lit: Vec<u8> = best[start..]
        .iter()
        .map(|&b| {
            if b == b'\\' {
                b'/'
            } else {
                b.to_ascii_lowercase()
            }
        })
        .collect();
    (lit.len() >= MIN_LITERAL).then_some(lit)
}

fn regex_builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.case_insensitive(true).unicode(false);
    b
}

// ---------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct RegexEntry {
    ioc: usize,
    /// After [`rewrite_drive_anchor`].
    compiled: String,
    literal: Option<Vec<u8>>,
    fp: Option<String>,
    /// `origin:line`, for a compile error.
    at: String,
}

/// Collects indicators from the bundled lists and users' files; [`build`]
/// compiles them.
///
/// [`build`]: FileIocsBuilder::build
#[derive(Debug, Default)]
pub struct FileIocsBuilder {
    sha256: HashMap<[u8; 32], HashIoc>,
    sha1: HashMap<[u8; 20], HashIoc>,
    md5: HashMap<[u8; 16], HashIoc>,
    iocs: Vec<PathIoc>,
    /// Per indicator: the path key (`path`), lower-case name (`name`) or
    /// nothing (`regex`).
    keys: Vec<Option<String>>,
    dedup: HashMap<(PathIocKind, String), usize>,
    regexes: Vec<RegexEntry>,
    warnings: Vec<String>,
}

/// What one file's lines are.
enum Format {
    HashCsv {
        hash: usize,
        name: Option<usize>,
        source: Option<usize>,
        note: Option<usize>,
    },
    PathCsv {
        pattern: usize,
        kind: usize,
        score: Option<usize>,
        source: Option<usize>,
    },
    Mstic {
        indicator: usize,
        typ: usize,
        added: Option<usize>,
        first: Option<usize>,
    },
    Lines,
}

/// Per-file tally.
#[derive(Default)]
struct Tally {
    taken: usize,
    first_bad: Option<(usize, String)>,
    unsupported: Vec<(String, usize)>,
}

impl FileIocsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the bundled lists.
    pub fn bundled(mut self) -> Self {
        for (origin, text) in [
            (BUNDLED_SHA256_ORIGIN, BUNDLED_SHA256_CSV),
            (BUNDLED_PATHS_ORIGIN, BUNDLED_PATHS_CSV),
        ] {
            if let Err(e) = self.add_text(origin, text) {
                self.warnings.push(e.to_string());
            }
        }
        self
    }

    /// Adds a user's file (UTF-8, or UTF-16 with a byte-order mark). Returns
    /// the number of indicators taken.
    pub fn add_file(&mut self, path: &Path) -> Result<usize, IocError> {
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| IocError::Read {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        let text = decode_text(&bytes).ok_or_else(|| IocError::Read {
            origin: origin.clone(),
            message: "not UTF-8 or UTF-16 text".to_string(),
        })?;
        self.add_text(&origin, &text)
    }

    /// Adds indicators from text in any of the formats the module
    /// documentation lists. `origin` names the text in warnings and errors and
    /// is the `source` of lines that give none. Returns the number of
    /// indicators taken; unusable lines are skipped with a warning, and text
    /// with no usable line at all is refused.
    pub fn add_text(&mut self, origin: &str, text: &str) -> Result<usize, IocError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        let Some(first) = first else {
            self.warnings
                .push(format!("{origin}: no indicators (empty or only comments)"));
            return Ok(0);
        };
        let format = detect(first).ok_or_else(|| IocError::Format {
            origin: origin.to_string(),
            message: format!(
                "unrecognised CSV header {first:?}; expected `sha256,name,source,note`, \
                 `pattern,kind,score,source` or MSTIC's `DateAdded,FirstSeen,Indicator,IndicatorType,TLP`"
            ),
        })?;
        let warnings_before = self.warnings.len();
        let mut t = Tally::default();
        match format {
            Format::Lines => self.read_lines(origin, text, &mut t),
            csv_format => self.read_csv(origin, text, &csv_format, &mut t),
        }
        if !t.unsupported.is_empty() {
            let n: usize = t.unsupported.iter().map(|(_, n)| n).sum();
            let list: Vec<String> = t
                .unsupported
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            self.warnings.push(format!(
                "{origin}: {n} indicator(s) of types not matched on files skipped ({})",
                list.join(", ")
            ));
        }
        if t.taken == 0 {
            if let Some((line, message)) = t.first_bad {
                // Nothing usable: the file is refused, its line warnings with it.
                self.warnings.truncate(warnings_before);
                return Err(IocError::Line {
                    origin: origin.to_string(),
                    line,
                    message: format!("{message} (no usable line in the file)"),
                });
            }
        }
        Ok(t.taken)
    }

    /// Problems met so far, one line each (`file:line: message`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Compiles the indicators.
    pub fn build(self) -> Result<FileIocs, IocError> {
        let mut by_name: HashMap<String, Vec<NameEntry>> = HashMap::new();
        for (i, (ioc, key)) in self.iocs.iter().zip(&self.keys).enumerate() {
            let Some(key) = key else { continue };
            let (name, key) = match ioc.kind {
                PathIocKind::Path => (
                    key.rsplit('/').next().unwrap_or(key).to_string(),
                    Some(key.clone()),
                ),
                PathIocKind::Name => (key.clone(), None),
                PathIocKind::Regex => continue,
            };
            by_name
                .entry(name)
                .or_default()
                .push(NameEntry { ioc: i, key });
        }
        let (regexes, prefilter) = if self.regexes.is_empty() {
            (None, None)
        } else {
            let set = RegexSetBuilder::new(self.regexes.iter().map(|r| r.compiled.as_str()))
                .case_insensitive(true)
                .unicode(false)
                .build()
                .map_err(|e| {
                    // Name the culprit if one fails on its own.
                    let culprit = self
                        .regexes
                        .iter()
                        .find(|r| regex_builder(&r.compiled).build().is_err());
                    IocError::Compile {
                        message: match culprit {
                            Some(r) => format!("{}: {e}", r.at),
                            None => e.to_string(),
                        },
                    }
                })?;
            let lits: Option<Vec<&[u8]>> =
                self.regexes.iter().map(|r| r.literal.as_deref()).collect();
            let prefilter = match lits {
                Some(l) => Some(
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(l)
                        .map_err(|e| IocError::Compile {
                            message: format!("pre-filter: {e}"),
                        })?,
                ),
                None => None,
            };
            (Some(set), prefilter)
        };
        let mut regex_fp = Vec::with_capacity(self.regexes.len());
        for r in &self.regexes {
            regex_fp.push(match &r.fp {
                Some(fp) => Some(regex_builder(fp).build().map_err(|e| IocError::Compile {
                    message: format!("{}: false-positive regex: {e}", r.at),
                })?),
                None => None,
            });
        }
        Ok(FileIocs {
            sha256: self.sha256,
            sha1: self.sha1,
            md5: self.md5,
            regex_iocs: self.regexes.iter().map(|r| r.ioc).collect(),
            iocs: self.iocs,
            by_name,
            regexes,
            regex_fp,
            prefilter,
        })
    }

    // --- readers ----------------------------------------------------------

    fn read_csv(&mut self, origin: &str, text: &str, format: &Format, t: &mut Tally) {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut header_seen = false;
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    self.bad(origin, line, format!("unreadable CSV record: {e}"), t);
                    continue;
                }
            };
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if rec.iter().all(str::is_empty) {
                continue;
            }
            if !header_seen {
                header_seen = true;
                continue;
            }
            let col = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("");
            let res = match *format {
                Format::HashCsv {
                    hash,
                    name,
                    source,
                    note,
                } => match rec.get(hash) {
                    None => Err("no sha256 column".to_string()),
                    Some(h) => {
                        let src = or_origin(col(source), origin);
                        self.take_hash(h, col(name), src, col(note))
                    }
                },
                Format::PathCsv {
                    pattern,
                    kind,
                    score,
                    source,
                } => match (rec.get(pattern), rec.get(kind)) {
                    (Some(p), Some(k)) => match PathIocKind::parse(k) {
                        None => Err(format!("kind {k:?}: expected path, name or regex")),
                        Some(kind) => parse_score_opt(col(score)).and_then(|score| {
                            let src = or_origin(col(source), origin);
                            self.take(kind, p, score, src, None, origin, line)
                        }),
                    },
                    _ => Err("expected pattern,kind,score,source".to_string()),
                },
                Format::Mstic {
                    indicator,
                    typ,
                    added,
                    first,
                } => match (rec.get(indicator), rec.get(typ)) {
                    (Some(ind), Some(ty)) => {
                        let ty = ty.to_ascii_lowercase();
                        match ty.as_str() {
                            "sha256" | "sha1" | "md5" => {
                                let mut note = String::new();
                                if !col(added).is_empty() {
                                    note = format!("DateAdded {}", col(added));
                                }
                                if !col(first).is_empty() {
                                    if !note.is_empty() {
                                        note.push(' ');
                                    }
                                    note.push_str(&format!("FirstSeen {}", col(first)));
                                }
                                match HashKind::of_hex_len(ind.len()) {
                                    Some(k) if k == hash_kind_named(&ty) => {
                                        self.take_hash(ind, "", origin, &note)
                                    }
                                    _ => Err(format!("{ind:?} is not a {ty}")),
                                }
                            }
                            "filepath" => self.take(
                                PathIocKind::Path,
                                ind,
                                MSTIC_PATH_SCORE,
                                origin,
                                None,
                                origin,
                                line,
                            ),
                            "filename" => self.take(
                                PathIocKind::Name,
                                ind,
                                DEFAULT_SCORE,
                                origin,
                                None,
                                origin,
                                line,
                            ),
                            _ => {
                                let ty = if ty.is_empty() { "(none)".into() } else { ty };
                                match t.unsupported.iter_mut().find(|(k, _)| *k == ty) {
                                    Some((_, n)) => *n += 1,
                                    None => t.unsupported.push((ty, 1)),
                                }
                                continue;
                            }
                        }
                    }
                    _ => Err("expected an Indicator and an IndicatorType".to_string()),
                },
                Format::Lines => unreachable!("read_lines reads these"),
            };
            match res {
                Ok(()) => t.taken += 1,
                Err(m) => self.bad(origin, line, m, t),
            }
        }
    }

    fn read_lines(&mut self, origin: &str, text: &str, t: &mut Tally) {
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let res = self.take_line(line, origin, n + 1);
            match res {
                Ok(()) => t.taken += 1,
                Err(m) => self.bad(origin, n + 1, m, t),
            }
        }
    }

    /// One line of a signature-base file or a plain list.
    fn take_line(&mut self, line: &str, origin: &str, n: usize) -> Result<(), String> {
        if let Some((first, rest)) = line.split_once(';') {
            let first = first.trim();
            if is_hex(first) && HashKind::of_hex_len(first.len()).is_some() {
                return self.take_hash(first, "", origin, rest.trim());
            }
            if is_hex(first) && first.len() >= 16 {
                return Err(format!(
                    "{} hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64)",
                    first.len()
                ));
            }
            // regex;score or regex;score;false-positive regex
            let fields: Vec<&str> = line.split(';').collect();
            let k = fields.len();
            let parsed = if let Some(s) = parse_score(fields[k - 1]) {
                Some((fields[..k - 1].join(";"), s, None))
            } else if k >= 3 {
                parse_score(fields[k - 2]).map(|s| {
                    let fp = fields[k - 1].trim();
                    (fields[..k - 2].join(";"), s, (!fp.is_empty()).then_some(fp))
                })
            } else {
                None
            };
            let Some((pattern, score, fp)) = parsed else {
                return Err(
                    "expected `hash;comment` or `regex;score[;false-positive regex]`".to_string(),
                );
            };
            let score = score?;
            return self.take(PathIocKind::Regex, &pattern, score, origin, fp, origin, n);
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if is_hex(first) && first.len() >= 16 {
            if HashKind::of_hex_len(first.len()).is_none() {
                return Err(format!(
                    "{} hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64)",
                    first.len()
                ));
            }
            // `sha256sum` output: hash, blanks, optional `*`, file name.
            let name = line[first.len()..].trim().trim_start_matches('*');
            return self.take_hash(first, name, origin, "");
        }
        if let Some(name) = markdown_name(line) {
            return self.take(
                PathIocKind::Name,
                &name,
                DEFAULT_SCORE,
                origin,
                None,
                origin,
                n,
            );
        }
        if line.contains(['/', '\\']) {
            self.take(
                PathIocKind::Path,
                line,
                DEFAULT_SCORE,
                origin,
                None,
                origin,
                n,
            )
        } else {
            self.take(
                PathIocKind::Name,
                line,
                DEFAULT_SCORE,
                origin,
                None,
                origin,
                n,
            )
        }
    }

    fn bad(&mut self, origin: &str, line: usize, message: String, t: &mut Tally) {
        self.warnings.push(
            IocError::Line {
                origin: origin.to_string(),
                line,
                message: message.clone(),
            }
            .to_string(),
        );
        if t.first_bad.is_none() {
            t.first_bad = Some((line, message));
        }
    }

    // --- takers -----------------------------------------------------------

    fn take_hash(&mut self, hex: &str, name: &str, source: &str, note: &str) -> Result<(), String> {
        let hex = hex.trim();
        let entry = match HashKind::of_hex_len(hex.len()) {
            Some(HashKind::Sha256) => {
                parse_hex::<32>(hex).map(|h| self.sha256.entry(h).or_default())
            }
            Some(HashKind::Sha1) => parse_hex::<20>(hex).map(|h| self.sha1.entry(h).or_default()),
            Some(HashKind::Md5) => parse_hex::<16>(hex).map(|h| self.md5.entry(h).or_default()),
            None => None,
        };
        let Some(e) = entry else {
            return Err(format!("{hex:?} is not an MD5, SHA-1 or SHA-256 in hex"));
        };
        if e.name.is_empty() {
            e.name = name.trim().to_string();
        }
        merge_list(&mut e.source, source);
        let note = note.trim();
        if !note.is_empty() && !e.note.split(" | ").any(|n| n == note) {
            if !e.note.is_empty() {
                e.note.push_str(" | ");
            }
            e.note.push_str(note);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        kind: PathIocKind,
        pattern: &str,
        score: u8,
        source: &str,
        fp: Option<&str>,
        origin: &str,
        line: usize,
    ) -> Result<(), String> {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Err("an empty pattern".to_string());
        }
        let (dedup_key, key, regex) = match kind {
            PathIocKind::Path => {
                let k = path_key(pattern)?;
                if Baselines::builtin().is_stock_path(&k) {
                    return Err(format!("{pattern:?} {STOCK}"));
                }
                (k.clone(), Some(k), None)
            }
            PathIocKind::Name => {
                let k = name_key(pattern)?;
                if STOCK_NAME_DIRS
                    .iter()
                    .any(|d| Baselines::builtin().is_stock_path(&format!("{d}{k}")))
                {
                    return Err(format!("{pattern:?} {STOCK}"));
                }
                (k.clone(), Some(k), None)
            }
            PathIocKind::Regex => {
                let compiled = rewrite_drive_anchor(pattern).into_owned();
                let hir = syntax_parser()
                    .parse(&compiled)
                    .map_err(|e| format!("bad regex {pattern:?}: {e}"))?;
                if let Some(fp) = fp {
                    syntax_parser()
                        .parse(fp)
                        .map_err(|e| format!("bad false-positive regex {fp:?}: {e}"))?;
                }
                let literal = prefilter_literal(&hir);
                (pattern.to_string(), None, Some((compiled, literal)))
            }
        };
        if let Some(&i) = self.dedup.get(&(kind, dedup_key.clone())) {
            let ioc = &mut self.iocs[i];
            ioc.score = ioc.score.max(score);
            merge_list(&mut ioc.source, source);
            return Ok(());
        }
        let i = self.iocs.len();
        self.iocs.push(PathIoc {
            pattern: pattern.to_string(),
            kind,
            score,
            source: String::new(),
        });
        merge_list(&mut self.iocs[i].source, source);
        self.keys.push(key);
        self.dedup.insert((kind, dedup_key), i);
        if let Some((compiled, literal)) = regex {
            self.regexes.push(RegexEntry {
                ioc: i,
                compiled,
                literal,
                fp: fp.map(str::to_string),
                at: format!("{origin}:{line}"),
            });
        }
        Ok(())
    }
}

/// A file name copied from markdown (`aspnet\_www.aspx`: IOC lists on
/// GitHub and in blog posts escape `_`): every `\` escapes a `_` and there is
/// no other separator.
fn markdown_name(line: &str) -> Option<String> {
    if !line.contains("\\_") || line.contains(['/', ':']) {
        return None;
    }
    let mut parts = line.split('\\');
    parts.next();
    if parts.all(|part| part.starts_with('_')) {
        Some(line.replace("\\_", "_"))
    } else {
        None
    }
}

fn or_origin<'a>(s: &'a str, origin: &'a str) -> &'a str {
    if s.trim().is_empty() {
        origin
    } else {
        s
    }
}

fn hash_kind_named(ty: &str) -> HashKind {
    match ty {
        "md5" => HashKind::Md5,
        "sha1" => HashKind::Sha1,
        _ => HashKind::Sha256,
    }
}

/// A signature-base score: an integer, capped at 100; a negative one (a
/// false-positive rule) is refused. `None`: not an integer.
fn parse_score(s: &str) -> Option<Result<u8, String>> {
    let v: i64 = s.trim().parse().ok()?;
    Some(if v < 0 {
        Err(format!(
            "score {v}: a negative score marks a false-positive rule; not used"
        ))
    } else {
        Ok(v.min(100) as u8)
    })
}

fn parse_score_opt(s: &str) -> Result<u8, String> {
    if s.trim().is_empty() {
        return Ok(DEFAULT_SCORE);
    }
    parse_score(s).unwrap_or_else(|| Err(format!("score {s:?}: expected an integer 0-100")))
}

/// The format of a file, from its first content line; `None`: a CSV header
/// exhunt does not read.
fn detect(first: &str) -> Option<Format> {
    let cols: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| cols.iter().position(|c| c == name);
    if let (Some(indicator), Some(typ)) = (find("indicator"), find("indicatortype")) {
        return Some(Format::Mstic {
            indicator,
            typ,
            added: find("dateadded"),
            first: find("firstseen"),
        });
    }
    if let Some(hash) = find("sha256") {
        if cols.len() > 1 {
            return Some(Format::HashCsv {
                hash,
                name: find("name"),
                source: find("source"),
                note: find("note"),
            });
        }
    }
    if let (Some(pattern), Some(kind)) = (find("pattern"), find("kind")) {
        return Some(Format::PathCsv {
            pattern,
            kind,
            score: find("score"),
            source: find("source"),
        });
    }
    // Several bare words separated by commas: a header of some other CSV.
    let looks_like_header = cols.len() > 1
        && !first.contains(';')
        && cols.iter().all(|c| {
            !c.is_empty()
                && !c.contains('.')
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
                && !is_hex(c)
        });
    if looks_like_header {
        return None;
    }
    Some(Format::Lines)
}

/// UTF-8 (BOM optional) or UTF-16 with a BOM.
fn decode_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |b: &[u8], le: bool| {
        let units = b.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 8 SHA-256 of Microsoft's HAFNIUM blog (2021-03-02), as in
    /// scs-labs-hafnium/hashes.txt and signature-base's hash-iocs.txt.
    const BLOG: [&str; 8] = [
        "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0",
        "097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e",
        "2b6f1ebb2208e93ade4a6424555d6a8341fd6d9f60c25e44afe11008f5c1aad1",
        "65149e036fff06026d80ac9ad4d156332822dc93142cf1a122b1841ec8de34b5",
        "511df0e2df9bfa5521b588cc4bb5f8c5a321801b803394ebc493db1ef3c78fa1",
        "4edc7770464a14f54d17f36dc9d0fe854f68b346b27b35a6f5839adf1f13f8ea",
        "811157f9c7003ba8d17b45eb3cf09bef2cecd2701cedb675274949296a6a183d",
        "1631a90eb5395c4e19c7dbcbf611bbe6444ff312eb7937e286e4637cb9e72944",
    ];

    const V15: &str = "Program Files/Microsoft/Exchange Server/V15/";

    fn from(text: &str) -> (FileIocs, Vec<String>, usize) {
        let mut b = FileIocsBuilder::new();
        let n = b.add_text("user.txt", text).expect("accepted");
        let w = b.warnings().to_vec();
        (b.build().expect("builds"), w, n)
    }

    fn kinds(v: &[&PathIoc]) -> Vec<PathIocKind> {
        v.iter().map(|i| i.kind).collect()
    }

    fn patterns(iocs: &FileIocs, path: &str) -> Vec<String> {
        iocs.path(path).iter().map(|i| i.pattern.clone()).collect()
    }

    // --- bundled data -------------------------------------------------

    #[test]
    fn iocs_bundled_loads_without_warnings() {
        let b = FileIocsBuilder::new().bundled();
        assert_eq!(b.warnings(), &[] as &[String]);
        let iocs = b.build().unwrap();
        let c = iocs.counts();
        assert_eq!(
            c,
            IocCounts {
                sha256: 17,
                sha1: 0,
                md5: 0,
                path: 42,
                name: 18,
                regex: 93,
            }
        );
        // Every bundled regex has a literal: the pre-filter is on.
        assert!(iocs.prefilter.is_some());
        assert!(!FileIocs::bundled().is_empty());
    }

    #[test]
    fn iocs_bundled_has_the_eight_hafnium_blog_hashes() {
        let iocs = FileIocs::bundled();
        for h in BLOG {
            let ioc = iocs.hash(h).unwrap_or_else(|| panic!("{h} missing"));
            assert_eq!(ioc.name, "HAFNIUM web shell");
            assert!(ioc.source.contains("SCS-Labs HAFNIUM list"), "{ioc:?}");
            assert!(ioc.source.contains("signature-base"), "{ioc:?}");
            assert!(iocs.hash(&h.to_ascii_uppercase()).is_some());
        }
        // Found in all three lists: one row, three sources.
        let b75 = iocs.hash(BLOG[0]).unwrap();
        assert_eq!(b75.source.split(';').count(), 3, "{b75:?}");
        // MSTIC-only hashes are there too.
        let m = iocs
            .hash("8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc")
            .unwrap();
        assert_eq!(m.source, "MSTIC Azure-Sentinel feed");
        assert!(m.note.contains("FirstSeen 2021-03-05"), "{m:?}");
        assert!(iocs.hash(&"0".repeat(64)).is_none());
        assert!(iocs.hash("not hex").is_none());
    }

    #[test]
    fn iocs_bundled_sources_keep_the_drl_attribution() {
        for i in FileIocs::bundled().path_iocs() {
            if i.kind == PathIocKind::Regex {
                assert!(
                    i.source
                        .starts_with("signature-base by Florian Roth (DRL 1.1)"),
                    "{i:?}"
                );
            }
        }
    }

    // --- formats ------------------------------------------------------

    #[test]
    fn iocs_reads_our_hash_csv() {
        let (iocs, w, n) = from(
            "# comment\nsha256,name,source,note\n\
             B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0,shell,\"a;b\",\"x, y\"\n\
             d41d8cd98f00b204e9800998ecf8427e,empty,,md5 here\n",
        );
        assert_eq!((n, w.len()), (2, 0), "{w:?}");
        let h = iocs.hash(BLOG[0]).unwrap();
        assert_eq!((h.name.as_str(), h.source.as_str()), ("shell", "a;b"));
        assert_eq!(h.note, "x, y");
        let m = iocs.md5("d41d8cd98f00b204e9800998ecf8427e").unwrap();
        assert_eq!(m.source, "user.txt");
        assert_eq!(iocs.counts().md5, 1);
        assert!(iocs.has_weak_hashes());
    }

    #[test]
    fn iocs_reads_our_path_csv() {
        let (iocs, w, n) = from(
            "pattern,kind,score,source\n\
             C:\\inetpub\\wwwroot\\aspnet_client\\evil.aspx,path,90,me\n\
             evil2.aspx,name,,\n\
             \"\\\\Windows\\\\Temp\\\\[a-z]{1,3}\\.exe$\",regex,60,them\n",
        );
        assert_eq!((n, w.len()), (3, 0), "{w:?}");
        assert_eq!(
            iocs.counts(),
            IocCounts {
                path: 1,
                name: 1,
                regex: 1,
                ..IocCounts::default()
            }
        );
        let p = iocs.path("inetpub/wwwroot/aspnet_client/evil.aspx");
        assert_eq!(kinds(&p), [PathIocKind::Path]);
        assert_eq!((p[0].score, p[0].source.as_str()), (90, "me"));
        let p = iocs.path("inetpub/wwwroot/aspnet_client/Evil2.aspx");
        assert_eq!((p[0].kind, p[0].score), (PathIocKind::Name, DEFAULT_SCORE));
        assert_eq!(p[0].source, "user.txt");
        assert_eq!(iocs.path("Windows/Temp/ab.exe")[0].score, 60);
        assert!(iocs.path("Windows/Temp/abcd.exe").is_empty());
    }

    #[test]
    fn iocs_reads_the_mstic_feed_and_reports_unsupported_types() {
        let (iocs, w, n) = from(
            "DateAdded,FirstSeen,Indicator,IndicatorType,TLP\n\
             2021-03-10,2021-03-05T10:07:29Z,8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc,sha256,White\n\
             2021-03-09,,C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx,filepath,White\n\
             2021-03-09,,103.77.192.219,ipv4,White\n\
             2021-03-09,,104.140.114.110,ipv4,White\n\
             2021-03-09,,evil.example,domain,White\n",
        );
        assert_eq!(n, 2);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("3 indicator(s)"), "{w:?}");
        assert!(
            w[0].contains("ipv4: 2") && w[0].contains("domain: 1"),
            "{w:?}"
        );
        let h = iocs
            .hash("8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc")
            .unwrap();
        assert!(h.note.contains("DateAdded 2021-03-10"), "{h:?}");
        let p = iocs.path("inetpub/wwwroot/aspnet_client/shell.aspx");
        assert_eq!(p[0].score, MSTIC_PATH_SCORE);
    }

    #[test]
    fn iocs_reads_signature_base_hash_and_filename_lines() {
        let (iocs, w, n) = from(
            "# HAFNIUM\n\
             b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0;HAFNIUM Webshells - Exchange Exploitation\n\
             \n\
             \\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\\"]{1,20}\\.aspx;90\n\
             \\\\Windows\\\\Temp\\\\cw\\.exe$;75\n\
             \\\\Temp\\\\[a-z]\\.exe;60;\\\\Temp\\\\x\\.exe\n\
             \\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\\"]{1,20}\\.aspx;95\n",
        );
        assert_eq!((n, w.len()), (5, 0), "{w:?}");
        assert_eq!(
            iocs.hash(BLOG[0]).unwrap().note,
            "HAFNIUM Webshells - Exchange Exploitation"
        );
        // The duplicate regex merged, highest score kept.
        assert_eq!(iocs.counts().regex, 3);
        let p = iocs.path("inetpub/wwwroot/aspnet_client/a.aspx");
        assert_eq!((p.len(), p[0].score), (1, 95));
        assert_eq!(iocs.path("Windows/Temp/cw.exe").len(), 1);
        assert!(iocs.path("Windows/Temp/cw.exe.bak").is_empty());
        // The third field is signature-base's false-positive regex.
        assert_eq!(iocs.path("Temp/y.exe").len(), 1);
        assert!(iocs.path("Temp/x.exe").is_empty());
    }

    /// A source list under shared/testdata-public, when that folder is laid
    /// beside the repository (as the generator expects); `None` otherwise.
    fn shared(rel: &str) -> Option<String> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata-public")
            .join(rel);
        let text = std::fs::read_to_string(&p).ok();
        if text.is_none() {
            eprintln!("{} not present; skipped", p.display());
        }
        text
    }

    /// The real source lists load in their own formats, without warnings,
    /// and everything in them is in the bundled data (read independently of
    /// scripts/derive-iocs.py).
    #[test]
    fn iocs_reads_the_real_source_lists_when_present() {
        let bundled = FileIocs::bundled();
        let sources = [
            ("mstic-azure-sentinel-feed/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.at-03ba89f6.csv", 61, 14, 42, 0),
            ("signature-base/hash-iocs.exchange-subset.txt", 8, 8, 0, 0),
            ("signature-base/filename-iocs.exchange-subset.txt", 99, 0, 0, 93),
            ("scs-labs-hafnium/hashes.txt", 8, 8, 0, 0),
            ("scs-labs-hafnium/webshell_names.txt", 14, 0, 0, 0),
        ];
        for (rel, lines, sha256, path, regex) in sources {
            let Some(text) = shared(rel) else { continue };
            let (iocs, w, n) = from(&text);
            assert_eq!(w, [] as [String; 0], "{rel}");
            assert_eq!(n, lines, "{rel}");
            let c = iocs.counts();
            assert_eq!((c.sha256, c.path, c.regex), (sha256, path, regex), "{rel}");
            for h in iocs.sha256.keys() {
                let hex = exhunt_core::hex(h);
                assert!(bundled.hash(&hex).is_some(), "{rel}: {hex}");
            }
            for i in iocs.path_iocs() {
                assert!(
                    bundled
                        .path_iocs()
                        .iter()
                        .any(|b| b.kind == i.kind && b.pattern.eq_ignore_ascii_case(&i.pattern)),
                    "{rel}: {i:?}"
                );
            }
        }
    }

    #[test]
    fn iocs_reads_a_plain_list_of_hashes_by_type() {
        let (iocs, w, n) = from(
            "d41d8cd98f00b204e9800998ecf8427e\n\
             DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0  web/shell.aspx\n\
             097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e *bin.aspx\n",
        );
        assert_eq!((n, w.len()), (5, 0), "{w:?}");
        let c = iocs.counts();
        assert_eq!((c.md5, c.sha1, c.sha256), (1, 1, 3));
        assert!(iocs.md5("D41D8CD98F00B204E9800998ECF8427E").is_some());
        assert!(iocs
            .sha1("da39a3ee5e6b4b0d3255bfef95601890afd80709")
            .is_some());
        assert_eq!(iocs.hash(BLOG[0]).unwrap().name, "web/shell.aspx");
        assert_eq!(iocs.hash(BLOG[1]).unwrap().name, "bin.aspx");
        assert_eq!(iocs.hash(BLOG[1]).unwrap().describe(), "bin.aspx");
    }

    #[test]
    fn iocs_reads_a_plain_list_of_names_and_paths() {
        let names = "web.aspx\nhelp.aspx\naspnet\\_www.aspx\naspnet\\_client.aspx\n";
        let (iocs, w, n) = from(names);
        // The list is markdown: `aspnet\_www.aspx` is `aspnet_www.aspx`.
        assert_eq!((n, w.len()), (4, 0), "{w:?}");
        assert_eq!(iocs.counts().name, 4);
        assert_eq!(
            kinds(&iocs.path("inetpub/wwwroot/aspnet_client/aspnet_www.aspx")),
            [PathIocKind::Name]
        );
        let (iocs2, w, n) = from(
            "shell2.aspx\n\
             %PROGRAMFILES%\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x1.aspx\n\
             D:\\Exchange\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\y1.aspx\n\
             \\Users\\Public\\tool.exe\n",
        );
        assert_eq!((n, w.len()), (4, 0), "{w:?}");
        assert_eq!(
            kinds(&iocs2.path("inetpub/wwwroot/aspnet_client/shell2.aspx")),
            [PathIocKind::Name]
        );
        assert_eq!(
            iocs2
                .path(&format!("{V15}FrontEnd/HttpProxy/owa/auth/x1.aspx"))
                .len(),
            1
        );
        assert_eq!(iocs2.path("FrontEnd/HttpProxy/ecp/auth/y1.aspx").len(), 1);
        assert_eq!(iocs2.path("mnt/c/users/public/TOOL.EXE").len(), 1);
        assert!(iocs2.path("users/public/x/tool.exe").is_empty());
        assert!(iocs.path("inetpub/wwwroot/aspnet_client/help.aspx").len() == 1);
    }

    #[test]
    fn iocs_reads_utf16_files_and_names_the_file() {
        let dir = std::env::temp_dir().join(format!("exhunt-iocs-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("list.txt");
        let mut bytes = vec![0xFF, 0xFE];
        for u in "shell9.aspx\r\nbad line\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        std::fs::write(&f, bytes).unwrap();
        let mut b = FileIocsBuilder::new();
        assert_eq!(b.add_file(&f).unwrap(), 1);
        assert_eq!(b.warnings().len(), 1);
        assert!(
            b.warnings()[0].starts_with(&format!("{}:2: ", f.display())),
            "{:?}",
            b.warnings()
        );
        let missing = dir.join("missing.txt");
        let e = b.add_file(&missing).unwrap_err();
        assert!(matches!(e, IocError::Read { .. }), "{e:?}");
        assert_eq!(e.origin(), Some(missing.display().to_string().as_str()));
        std::fs::write(&f, [0xC3u8, 0x28]).unwrap();
        assert!(matches!(b.add_file(&f), Err(IocError::Read { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    // --- malformed input ------------------------------------------------

    #[test]
    fn iocs_malformed_lines_warn_and_keep_the_rest() {
        let (iocs, w, n) = from(
            "shell.aspx\n\
             b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d1\n\
             \\\\inetpub\\\\(unclosed;80\n\
             \\\\inetpub\\\\x\\.aspx;high\n\
             \\\\inetpub\\\\y\\.aspx;-20\n\
             C:\\inetpub\\wwwroot\\aspnet_client\\\n\
             C:\\inetpub\\*.aspx\n\
             no extension\n\
             b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\n",
        );
        assert_eq!(n, 2);
        assert_eq!(iocs.counts().total(), 2);
        let lines: Vec<&str> = w.iter().map(|w| w.split(": ").next().unwrap()).collect();
        assert_eq!(
            lines,
            [
                "user.txt:2",
                "user.txt:3",
                "user.txt:4",
                "user.txt:5",
                "user.txt:6",
                "user.txt:7",
                "user.txt:8"
            ],
            "{w:#?}"
        );
        assert!(w[0].contains("61 hex digits"), "{w:?}");
        assert!(w[1].contains("bad regex"), "{w:?}");
        assert!(w[3].contains("negative score"), "{w:?}");
        assert!(w[4].contains("a folder"), "{w:?}");
        assert!(w[5].contains("wildcards"), "{w:?}");

        let mut b = FileIocsBuilder::new();
        b.add_text(
            "ours.csv",
            "pattern,kind,score,source\nx.aspx,glob,1,\nx.aspx,name,abc,\ny.aspx,name,50,\n",
        )
        .unwrap();
        assert_eq!(b.warnings().len(), 2, "{:?}", b.warnings());
        assert!(
            b.warnings()[0].starts_with("ours.csv:2: kind \"glob\""),
            "{:?}",
            b.warnings()
        );
        assert!(
            b.warnings()[1].starts_with("ours.csv:3: score"),
            "{:?}",
            b.warnings()
        );
        b.add_text("h.csv", "sha256,name,source,note\nxyz,a,b,c\n# c\n\n00,a\n")
            .unwrap_err();
    }

    /// MSTIC's later feed lists the stock `ecp\\auth\\TimeoutLogout.aspx`: as
    /// a path (or a name) it would flag every server.
    #[test]
    fn iocs_path_and_name_iocs_naming_stock_files_are_skipped() {
        let (iocs, w, n) = from(
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx\n\
             logon.aspx\n\
             errorFE.aspx\n\
             C:\\inetpub\\wwwroot\\aspnet_client\\logon.aspx\n",
        );
        assert_eq!(n, 1, "{w:?}");
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().all(|w| w.contains("Exchange ships")), "{w:?}");
        assert!(iocs
            .path("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx")
            .is_empty());
        assert_eq!(
            iocs.path("inetpub/wwwroot/aspnet_client/logon.aspx").len(),
            1
        );
    }

    #[test]
    fn iocs_a_file_with_nothing_usable_is_refused() {
        let mut b = FileIocsBuilder::new();
        b.add_text("good.txt", "shell.aspx\n").unwrap();
        let e = b
            .add_text("junk.txt", "# header\n\nhello world\nfoo;bar\n")
            .unwrap_err();
        assert_eq!((e.origin(), e.line()), (Some("junk.txt"), Some(3)));
        assert!(e.to_string().starts_with("junk.txt:3: "), "{e}");
        // The refused file's line warnings go with it.
        assert_eq!(b.warnings(), &[] as &[String]);
        let e = b
            .add_text("ips.csv", "ip,campaign,source\n5.2.69.14,x,y\n")
            .unwrap_err();
        assert!(matches!(e, IocError::Format { .. }), "{e:?}");
        assert_eq!(b.add_text("empty.txt", "# nothing\n\n").unwrap(), 0);
        assert_eq!(b.warnings().len(), 1);
        assert_eq!(b.build().unwrap().counts().name, 1);
    }

    #[test]
    fn iocs_duplicates_merge_their_sources() {
        let mut b = FileIocsBuilder::new().bundled();
        b.add_text("mine.txt", &format!("{}\nshell.aspx\n", BLOG[0]))
            .unwrap();
        let iocs = b.build().unwrap();
        assert_eq!(iocs.counts().sha256, 17);
        assert!(iocs.hash(BLOG[0]).unwrap().source.ends_with(";mine.txt"));
        let names: Vec<&PathIoc> = iocs
            .path_iocs()
            .iter()
            .filter(|i| i.pattern.eq_ignore_ascii_case("shell.aspx"))
            .collect();
        assert_eq!(names.len(), 1);
        assert!(names[0].source.ends_with(";mine.txt"), "{names:?}");
    }

    // --- path matching ----------------------------------------------------

    #[test]
    fn iocs_path_matches_v15_relative_drive_relative_and_mounted_layouts() {
        let iocs = FileIocs::bundled();
        let rel = "FrontEnd/HttpProxy/owa/auth/bob.aspx";
        for p in [
            rel.to_string(),
            format!("{V15}{rel}"),
            format!("mnt/image/{V15}{rel}"),
            format!("C/{V15}{rel}"),
            format!("C:/{V15}{rel}"),
            format!("C:\\{}", format!("{V15}{rel}").replace('/', "\\")),
            format!("/{}", format!("{V15}{rel}").to_uppercase()),
            format!("D/Exchange/{rel}"),
        ] {
            let m = iocs.path(&p);
            assert!(
                m.iter()
                    .any(|i| i.kind == PathIocKind::Path
                        && i.pattern.ends_with("\\owa\\auth\\bob.aspx")),
                "{p}: {m:?}"
            );
            // signature-base's regex for the same MSTIC path fires as well.
            assert!(m.iter().any(|i| i.kind == PathIocKind::Regex), "{p}: {m:?}");
        }
        for p in [
            "inetpub/wwwroot/aspnet_client/system_web/log.aspx",
            "INETPUB/WWWROOT/ASPNET_CLIENT/SYSTEM_WEB/LOG.ASPX",
            "mnt/c/inetpub/wwwroot/aspnet_client/system_web/log.aspx",
        ] {
            assert!(kinds(&iocs.path(p)).contains(&PathIocKind::Path), "{p}");
        }
        // Same name elsewhere: not the MSTIC path.
        assert!(!kinds(&iocs.path("FrontEnd/HttpProxy/ecp/bob.aspx")).contains(&PathIocKind::Path));
        assert!(
            !kinds(&iocs.path("inetpub/wwwroot/aspnet_client/x/log.aspx"))
                .contains(&PathIocKind::Path)
        );
        assert!(iocs
            .path("FrontEnd/HttpProxy/owa/auth/notbob.aspx")
            .is_empty());
        // Highest score first.
        let m = iocs.path("inetpub/wwwroot/aspnet_client/shell.aspx");
        assert!(m.windows(2).all(|w| w[0].score >= w[1].score), "{m:?}");
        assert_eq!(
            {
                let mut k = kinds(&m);
                k.sort();
                k.dedup();
                k
            },
            [PathIocKind::Path, PathIocKind::Name, PathIocKind::Regex]
        );
    }

    #[test]
    fn iocs_regex_iocs_match_windows_paths() {
        let iocs = FileIocs::bundled();
        let hits = |p: &str| patterns(iocs, p);
        // Volexity's aspnet_client patterns (any .aspx one or two levels down).
        assert!(hits("inetpub/wwwroot/aspnet_client/anything.aspx")
            .contains(&r#"\\inetpub\\wwwroot\\aspnet_client\\[^\\"]{1,20}\.aspx"#.to_string()));
        assert!(
            hits("inetpub/wwwroot/aspnet_client/system_web/zz.aspx").contains(
                &r#"\\inetpub\\wwwroot\\aspnet_client\\[^\\"]{1,20}\\[^\\"]{1,20}\.aspx"#
                    .to_string()
            )
        );
        // ecp\auth: anything not starting with T (TimeoutLogout.aspx is stock).
        assert_eq!(
            hits("FrontEnd/HttpProxy/ecp/auth/x.aspx"),
            [r"\\FrontEnd\\HttpProxy\\ecp\\auth\\[^T]"]
        );
        assert!(hits("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx").is_empty());
        // End-anchored.
        assert_eq!(hits("Windows/Temp/cw.exe"), [r"\\Windows\\Temp\\cw\.exe$"]);
        // Drive-anchored patterns: at the root of the input or under a drive folder.
        let mscoree = r"C:\\mscoree\.dll".to_string();
        assert!(hits("mscoree.dll").contains(&mscoree));
        assert!(hits("C:/mscoree.dll").contains(&mscoree));
        assert!(hits("C/mscoree.dll").contains(&mscoree));
        assert!(!hits("Windows/System32/mscoree.dll").contains(&mscoree));
        assert!(hits("Windows/System32/mscoree.dll").is_empty());
        assert_eq!(
            hits("ProgramData/COM1/abc.aspx"),
            [r"C:\\ProgramData\\COM1\\[^\.]{1,40}\.aspx"]
        );
        assert!(hits("Windows/Help/mui/0109/mscoree.dll")
            .contains(&r"C:\\Windows\\Help\\mui\\0109\\mscoree\.dll".to_string()));
        assert!(hits("data/ProgramData/COM1/abc.aspx").is_empty());
    }

    #[test]
    fn iocs_name_iocs_match_only_in_web_folders() {
        let iocs = FileIocs::bundled();
        let has_name = |p: &str| kinds(&iocs.path(p)).contains(&PathIocKind::Name);
        for p in [
            "inetpub/wwwroot/aspnet_client/help.aspx",
            "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/Help.aspx",
            "inetpub/wwwroot/help.aspx",
            "FrontEnd/HttpProxy/owa/auth/help.aspx",
            "FrontEnd/HttpProxy/owa/auth/Current/help.aspx",
            "FrontEnd/HttpProxy/ecp/auth/help.aspx",
            "ClientAccess/owa/auth/web.aspx",
            "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/HealthCheck.aspx",
            "inetpub/wwwroot/OutlookEN.aspx",
        ] {
            assert!(has_name(p), "{p}");
        }
        for p in [
            "Windows/System32/help.aspx",
            "Program Files/Some App/web.aspx",
            "inetpub/wwwroot/site/help.aspx",
            "FrontEnd/HttpProxy/owa/help.aspx",
            "ClientAccess/ecp/help.aspx",
            "ClientAccess/Owa/client.aspx",
            "FrontEnd/HttpProxy/oab/document.aspx",
        ] {
            assert!(iocs.path(p).is_empty(), "{p}: {:?}", iocs.path(p));
        }
    }

    /// Every file Exchange 2013–2019 ships in its web folders (the bundled
    /// baseline), and the stock non-script resources of the folders the
    /// regexes watch, in three layouts: no bundled indicator may fire.
    ///
    /// Checked upstream behaviour: signature-base's
    /// `\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\"]{1,20}\.aspx`
    /// fires on an `.aspx` directly in a `owa\auth\<build>` folder, and no
    /// build ships one there (the stock files below it are themes, scripts
    /// and images, in subfolders); the `Current\themes\resources` and
    /// `aspnet_client` patterns likewise need an `.aspx` where none is
    /// stock. So no upstream pattern had to be dropped.
    #[test]
    fn iocs_no_bundled_ioc_matches_a_stock_exchange_file() {
        let iocs = FileIocs::bundled();
        let baseline = include_str!("../../../rules/exchange-web-baseline.tsv");
        let mut paths: Vec<String> = baseline
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('@') && !l.is_empty())
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        paths.dedup();
        assert!(paths.len() > 1000);
        for stock in [
            "logon.aspx",
            "logoff.aspx",
            "errorFE.aspx",
            "expiredpassword.aspx",
            "frowny.aspx",
            "RedirSuiteServiceProxy.aspx",
            "signout.aspx",
            "OutlookCN.aspx",
            "SvmFeedback.aspx",
            "15.1.2106/themes/resources/logon.css",
            "15.1.2106/themes/resources/favicon.ico",
            "15.1.2106/scripts/premium/flogon.js",
            "15.2.858/themes/resources/owa_text_blue.png",
            "Current/themes/resources/logon.css",
            "Current/scripts/premium/flogon.js",
        ] {
            assert!(
                paths.iter().any(
                    |p| p.eq_ignore_ascii_case(&format!("frontend/httpproxy/owa/auth/{stock}"))
                ) || stock.contains('/'),
                "{stock} is not in the baseline"
            );
            paths.push(format!("FrontEnd/HttpProxy/owa/auth/{stock}"));
        }
        paths.push("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx".into());
        for iis in [
            "inetpub/wwwroot/iisstart.htm",
            "inetpub/wwwroot/iisstart.png",
            "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
        ] {
            paths.push(iis.into());
        }
        let mut fired = Vec::new();
        for p in &paths {
            let layouts = if p.starts_with("inetpub") {
                vec![p.clone(), format!("mnt/c/{p}")]
            } else {
                vec![p.clone(), format!("{V15}{p}"), format!("mnt/c/{V15}{p}")]
            };
            for l in layouts {
                let m = iocs.path(&l);
                if !m.is_empty() {
                    fired.push(format!("{l}: {:?}", patterns(iocs, &l)));
                }
            }
        }
        assert!(fired.is_empty(), "{fired:#?}");
        // The upstream version-folder pattern does fire on a script there.
        assert_eq!(
            patterns(iocs, "FrontEnd/HttpProxy/owa/auth/15.1.2106/x.aspx"),
            [r#"\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\"]{1,20}\.aspx"#]
        );
    }

    // --- internals ----------------------------------------------------------

    #[test]
    fn iocs_prefilter_literals_and_fallback() {
        let lit = |p: &str| {
            prefilter_literal(&syntax_parser().parse(&rewrite_drive_anchor(p)).unwrap())
                .map(|l| String::from_utf8(l).unwrap())
        };
        assert_eq!(
            lit(r"\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\]{1,20}\.aspx").as_deref(),
            Some("frontend/httpproxy/owa/auth/")
        );
        assert_eq!(lit(r"C:\\mscoree\.dll").as_deref(), Some("mscoree.dll"));
        assert_eq!(lit(r"(a|b)\.x"), None);
        // A regex without a literal turns the pre-filter off and still matches.
        let (iocs, w, _) = from("[a-z]{2}\\d;50\nshell.aspx\n");
        assert!(w.is_empty(), "{w:?}");
        assert!(iocs.prefilter.is_none());
        assert_eq!(iocs.path("x/ab1").len(), 1);
        // Backslash input goes through the same pre-filter.
        let (iocs, _, _) = from("\\\\Temp\\\\zz\\.exe;50\n");
        assert!(iocs.prefilter.is_some());
        assert_eq!(iocs.path("C:\\Temp\\ZZ.exe").len(), 1);
        assert_eq!(iocs.path("Temp/zz.exe").len(), 1);
    }

    #[test]
    fn iocs_path_keys() {
        assert_eq!(
            path_key(r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\bob.aspx").unwrap(),
            "frontend/httpproxy/owa/auth/bob.aspx"
        );
        assert_eq!(
            path_key(r"%ExchangeInstallPath%FrontEnd\HttpProxy\owa\auth\a.aspx").unwrap(),
            "frontend/httpproxy/owa/auth/a.aspx"
        );
        assert_eq!(
            path_key(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\x.dll").unwrap(),
            "bin/x.dll"
        );
        assert_eq!(
            path_key(r"C:\inetpub\wwwroot\aspnet_client\s.aspx").unwrap(),
            "inetpub/wwwroot/aspnet_client/s.aspx"
        );
        assert_eq!(
            path_key(r"C:\users\public\opera\opera_browser.exe").unwrap(),
            "users/public/opera/opera_browser.exe"
        );
    }

    #[test]
    fn iocs_file_iocs_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FileIocs>();
        check::<IocError>();
    }
}
