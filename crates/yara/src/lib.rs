//! exhunt-yara: YARA rules over file contents, behind exhunt's own types.
//!
//! One [`YaraRules`] is compiled once from exhunt's bundled rules
//! (`rules/yara/`, embedded at build time) and the user's (`--yara DIR`),
//! then shared by every worker thread (with the bundled rules alone, the
//! compile waits for the first file that needs it: a tree of logs never
//! does); each thread makes its own
//! [`FileScanner`] (yara-x scanners are not `Send`) and reuses it for every
//! file it reads. The engine underneath is yara-x; only this crate names it.
//!
//! Every rule file is loaded on its own: a file that does not compile is
//! reported (its origin and the compiler's message) and the others still
//! load, as with the Sigma rules. Each file gets its own namespace, so two
//! rule sets that reuse an identifier (signature-base and a vendor's set
//! often do) load side by side.
//!
//! Rules may read four string globals, set per file: `filename` (lower-case
//! name), `filepath` (lower-case path inside the input, `/` separators),
//! `extension` (lower-case, no dot) and `filetype` (empty), the external
//! variables LOKI and THOR define, so that signature-base's rules compile.

#![forbid(unsafe_code)]

use exhunt_core::open::{read_capped, Links, OpenError};
use exhunt_core::{Finding, FindingKind, FindingParts, Severity, Verdict};
use std::path::Path;
use std::time::Duration;

include!(concat!(env!("OUT_DIR"), "/bundled_yara.rs"));

/// The string globals every rule may read (set per file by
/// [`FileScanner::scan`]). `owner` is THOR's and always empty here.
pub const GLOBALS: &[&str] = &["filename", "filepath", "extension", "filetype", "owner"];

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum YaraError {
    #[error("cannot read rule path {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("YARA scan failed: {0}")]
    Scan(String),
    #[error("YARA scan stopped after {0:?} (timeout)")]
    Timeout(Duration),
}

/// Whether one rule file could be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLoad {
    /// `bundled:<path>` for exhunt's own files, the file path for the user's.
    pub origin: String,
    /// Rules compiled from it.
    pub rules: usize,
    /// The compiler's errors (the file's rules are then not used).
    pub errors: Vec<String>,
    /// Warnings (slow patterns and the like) that did not stop it.
    pub warnings: Vec<String>,
}

impl FileLoad {
    pub fn is_loaded(&self) -> bool {
        self.errors.is_empty() && self.rules > 0
    }
}

/// Collects rule files, then compiles them into [`YaraRules`].
pub struct YaraRulesBuilder {
    compiler: yara_x::Compiler<'static>,
    /// (load record, namespace) per file, in order.
    loads: Vec<(FileLoad, String)>,
    /// The bundled rules' texts and origins, not compiled yet: compiling
    /// is most of the work (yara-x compiles as a source is added), and
    /// [`YaraRulesBuilder::build_lazy`] may leave it for the first file
    /// that needs the rules. Compiled, in order, before anything else is
    /// added.
    pending: Vec<(&'static str, String)>,
}

impl Default for YaraRulesBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl YaraRulesBuilder {
    /// An empty builder with exhunt's globals defined.
    pub fn new() -> Self {
        let mut compiler = yara_x::Compiler::new();
        for g in GLOBALS {
            compiler
                .define_global(g, "")
                .expect("a fresh compiler takes new string globals");
        }
        YaraRulesBuilder {
            compiler,
            loads: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Adds exhunt's bundled rules (compiled by [`YaraRulesBuilder::build`],
    /// or when a user's file is added after them).
    pub fn bundled(mut self) -> Self {
        self.pending.extend(
            BUNDLED_YARA
                .iter()
                .map(|(path, text)| (*text, format!("bundled:{path}"))),
        );
        self
    }

    /// Compiles the bundled rules still waiting, in the order added.
    fn flush(&mut self) {
        for (text, origin) in std::mem::take(&mut self.pending) {
            self.compile(text.as_bytes(), &origin);
        }
    }

    /// Adds one file's worth of rule text; `origin` names it in reports.
    /// Returns whether it compiled.
    pub fn add_source(&mut self, text: &[u8], origin: &str) -> bool {
        self.flush();
        self.compile(text, origin)
    }

    fn compile(&mut self, text: &[u8], origin: &str) -> bool {
        let ns = format!("f{}_{}", self.loads.len(), namespace_stem(origin));
        self.compiler.new_namespace(&ns);
        let errs_before = self.compiler.errors().len();
        let warns_before = self.compiler.warnings().len();
        let src = yara_x::SourceCode::from(text).with_origin(origin);
        let ok = self.compiler.add_source(src).is_ok();
        let errors = self.compiler.errors()[errs_before..]
            .iter()
            .map(|e| first_lines(&e.to_string()))
            .collect();
        let warnings = self.compiler.warnings()[warns_before..]
            .iter()
            .map(|w| first_lines(&w.to_string()))
            .collect();
        self.loads.push((
            FileLoad {
                origin: origin.to_string(),
                rules: 0,
                errors,
                warnings,
            },
            ns,
        ));
        ok
    }

    /// Adds a rule file, or every `.yar`/`.yara` file under a folder (sorted,
    /// links not followed). Returns the number of files added; a file that
    /// cannot be read is recorded as not loaded.
    pub fn add_path(&mut self, path: &Path) -> Result<usize, YaraError> {
        let meta = std::fs::metadata(path).map_err(|e| YaraError::Read {
            path: path.display().to_string(),
            source: e,
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            collect_rule_files(path, &mut files).map_err(|e| YaraError::Read {
                path: path.display().to_string(),
                source: e,
            })?;
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        for f in &files {
            let origin = f.display().to_string();
            // The user's own rule files: a link to a rule is read; a FIFO,
            // a device or a huge file is named as not loaded.
            self.flush();
            match read_capped(f, Links::Follow, MAX_RULE_FILE) {
                Ok(bytes) => {
                    self.add_source(&bytes, &origin);
                }
                Err(e) => self.loads.push((
                    FileLoad {
                        origin,
                        rules: 0,
                        errors: vec![match e {
                            OpenError::Io(e) => format!("cannot read: {e}"),
                            e => e.to_string(),
                        }],
                        warnings: Vec::new(),
                    },
                    String::new(),
                )),
            }
        }
        Ok(files.len())
    }

    /// Compiles what was added.
    pub fn build(mut self) -> YaraRules {
        self.flush();
        let rules = self.compiler.build();
        let mut loads = self.loads;
        for r in rules.iter() {
            if let Some((l, _)) = loads.iter_mut().find(|(_, ns)| ns == r.namespace()) {
                l.rules += 1;
            }
        }
        YaraRules {
            rules: std::sync::OnceLock::from(rules),
            bundled: Vec::new(),
            loads: loads.into_iter().map(|(l, _)| l).collect(),
        }
    }

    /// As [`YaraRulesBuilder::build`], but when only exhunt's bundled rules
    /// were added their compile (most of a scan's start-up) waits for the
    /// first file that needs them: a tree of logs never does. Their rule
    /// counts come from the parser (the tests check they are the
    /// compiler's). A user's rules are always compiled here, so that their
    /// errors are in the report.
    pub fn build_lazy(self) -> YaraRules {
        if !self.loads.is_empty() || self.pending.is_empty() {
            return self.build();
        }
        let mut loads = Vec::new();
        for (text, origin) in &self.pending {
            let ast = yara_x_parser::ast::AST::from(text.as_bytes());
            if !ast.errors().is_empty() {
                // Not expected of our own rules: the compile says what is wrong.
                return self.build();
            }
            let rules = ast
                .items
                .iter()
                .filter(|i| matches!(i, yara_x_parser::ast::Item::Rule(_)))
                .count();
            loads.push(FileLoad {
                origin: origin.clone(),
                rules,
                errors: Vec::new(),
                warnings: Vec::new(),
            });
        }
        YaraRules {
            rules: std::sync::OnceLock::new(),
            bundled: self.pending,
            loads,
        }
    }
}

/// Largest YARA rule file read (signature-base's largest are a few MB).
pub const MAX_RULE_FILE: u64 = 64 << 20;

fn collect_rule_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        let p = e.path();
        let is_rule = p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("yar") || x.eq_ignore_ascii_case("yara"));
        if ft.is_dir() {
            collect_rule_files(&p, out)?;
        } else if is_rule && !(ft.is_symlink() && p.is_dir()) {
            // Regular files, links to files and special files alike: the
            // read names the ones it refuses, none is left out silently.
            // (A link to a folder is not followed: it could loop.)
            out.push(p);
        }
    }
    Ok(())
}

/// A namespace-safe rendering of a file's stem.
fn namespace_stem(origin: &str) -> String {
    let name = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    let stem = name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name);
    stem.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Compiler messages are multi-line diagrams; the report keeps the gist.
fn first_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out = lines.first().copied().unwrap_or("").to_string();
    if let Some(at) = lines.iter().find(|l| l.trim_start().starts_with("-->")) {
        out.push_str(&format!(
            " ({})",
            at.trim().trim_start_matches("-->").trim()
        ));
    }
    out
}

/// Compiled rules, shared by all threads.
pub struct YaraRules {
    /// Compiled when built, or on first use ([`YaraRulesBuilder::build_lazy`]).
    rules: std::sync::OnceLock<yara_x::Rules>,
    /// The bundled rules' texts and origins, when their compile waits.
    bundled: Vec<(&'static str, String)>,
    loads: Vec<FileLoad>,
}

impl YaraRules {
    /// The compiled rules (compiling the bundled ones now if they waited).
    fn compiled(&self) -> &yara_x::Rules {
        self.rules.get_or_init(|| {
            let mut b = YaraRulesBuilder::new();
            b.pending = self.bundled.clone();
            b.build()
                .rules
                .into_inner()
                .expect("an eagerly built rule set is compiled")
        })
    }

    /// Every file added, loaded or not.
    pub fn loads(&self) -> &[FileLoad] {
        &self.loads
    }

    /// Number of compiled rules.
    pub fn len(&self) -> usize {
        self.loads.iter().map(|l| l.rules).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Identifiers of all rules, as `namespace:identifier`.
    pub fn identifiers(&self) -> Vec<String> {
        self.compiled()
            .iter()
            .map(|r| format!("{}:{}", r.namespace(), r.identifier()))
            .collect()
    }
}

/// What a scan is told about the file.
#[derive(Debug, Clone, Copy)]
pub struct FileInfo<'a> {
    /// Lower-case file name.
    pub name: &'a str,
    /// Lower-case path inside the input, `/` separators.
    pub path: &'a str,
}

impl FileInfo<'_> {
    fn extension(&self) -> &str {
        self.name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
    }
}

/// One rule that matched one file.
#[derive(Debug, Clone, PartialEq)]
pub struct YaraHit {
    pub namespace: String,
    pub identifier: String,
    pub tags: Vec<String>,
    /// Metadata as (key, value rendered as text).
    pub meta: Vec<(String, String)>,
    /// The first matches of its patterns.
    pub strings: Vec<StringHit>,
    /// The rule file it came from.
    pub origin: String,
}

impl YaraHit {
    /// A metadata value by key (first one when repeated).
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One matched pattern occurrence.
#[derive(Debug, Clone, PartialEq)]
pub struct StringHit {
    pub id: String,
    pub offset: usize,
    /// The matched bytes, cut to [`STRING_EXCERPT`].
    pub data: Vec<u8>,
}

/// Longest matched-bytes excerpt kept per pattern occurrence.
pub const STRING_EXCERPT: usize = 64;
/// Pattern occurrences kept per hit.
const MAX_STRINGS: usize = 8;

/// A reusable scanner for one thread.
pub struct FileScanner<'r> {
    inner: yara_x::Scanner<'r>,
    rules: &'r YaraRules,
    timeout: Duration,
}

impl<'r> FileScanner<'r> {
    /// A scanner over `rules`, giving up on one file after `timeout`.
    pub fn new(rules: &'r YaraRules, timeout: Duration) -> Self {
        let mut inner = yara_x::Scanner::new(rules.compiled());
        inner.set_timeout(timeout);
        FileScanner {
            inner,
            rules,
            timeout,
        }
    }

    /// Scans one file's bytes; returns the rules that matched.
    pub fn scan(&mut self, data: &[u8], file: FileInfo<'_>) -> Result<Vec<YaraHit>, YaraError> {
        let set = |s: &mut yara_x::Scanner<'r>, k: &str, v: &str| {
            s.set_global(k, v)
                .map(|_| ())
                .map_err(|e| YaraError::Scan(format!("global {k}: {e}")))
        };
        set(&mut self.inner, "filename", file.name)?;
        set(&mut self.inner, "filepath", file.path)?;
        set(&mut self.inner, "extension", file.extension())?;
        let results = match self.inner.scan(data) {
            Ok(r) => r,
            Err(yara_x::errors::ScanError::Timeout) => {
                return Err(YaraError::Timeout(self.timeout))
            }
            Err(e) => return Err(YaraError::Scan(e.to_string())),
        };
        let mut hits = Vec::new();
        for r in results.matching_rules() {
            let ns = r.namespace();
            // Namespaces are `f<index of the file>_<stem>`.
            let origin = ns
                .strip_prefix('f')
                .and_then(|r| r.split('_').next())
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|i| self.rules.loads.get(i))
                .map(|l| l.origin.clone())
                .unwrap_or_default();
            let meta = r
                .metadata()
                .map(|(k, v)| (k.to_string(), meta_text(&v)))
                .collect();
            let mut strings = Vec::new();
            'pats: for p in r.patterns() {
                for m in p.matches() {
                    if strings.len() >= MAX_STRINGS {
                        break 'pats;
                    }
                    let d = m.data();
                    strings.push(StringHit {
                        id: p.identifier().to_string(),
                        offset: m.range().start,
                        data: d[..d.len().min(STRING_EXCERPT)].to_vec(),
                    });
                }
            }
            hits.push(YaraHit {
                namespace: ns.to_string(),
                identifier: r.identifier().to_string(),
                tags: r.tags().map(|t| t.identifier().to_string()).collect(),
                meta,
                strings,
                origin,
            });
        }
        Ok(hits)
    }
}

fn meta_text(v: &yara_x::MetaValue<'_>) -> String {
    match v {
        yara_x::MetaValue::Integer(i) => i.to_string(),
        yara_x::MetaValue::Float(f) => f.to_string(),
        yara_x::MetaValue::Bool(b) => b.to_string(),
        yara_x::MetaValue::String(s) => s.to_string(),
        yara_x::MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// Score at or above which a user's rule without a `severity` reads as a
/// finding (`high`); below it, as a lead. signature-base gives its web-shell
/// rules 70–85 and its "suspicious" rules 50–65 (`score` is LOKI/THOR's
/// 0–100 scale).
pub const SCORE_FINDING: i64 = 70;

/// Turns a hit into a finding. Our rules say what a match means in their
/// metadata (`exhunt_rule`, `kind`, `verdict`, `severity`, `source`). A
/// user's rule does not: a `severity` meta is used when it has one, else its
/// `score` (at least [`SCORE_FINDING`] reads `high`, less an `info` lead
/// raised to `medium` when exploitation is found), else `high`. A file
/// matching a web-shell rule is the intruder's work: verdict `compromised`.
pub fn hit_finding(hit: &YaraHit, path: &str) -> Finding {
    let sev = hit.meta("severity").and_then(severity_of);
    let score = hit.meta("score").and_then(|s| s.parse::<i64>().ok());
    let (severity, lead) = match (sev, score) {
        (Some(s), _) => (s, false),
        (None, Some(sc)) if sc < SCORE_FINDING => (Severity::Info, true),
        _ => (Severity::High, false),
    };
    let kind = hit
        .meta("kind")
        .and_then(kind_of)
        .unwrap_or(FindingKind::Webshell);
    let verdict = hit
        .meta("verdict")
        .and_then(verdict_of)
        .unwrap_or(Verdict::Compromised);
    let rule = hit
        .meta("exhunt_rule")
        .map(str::to_string)
        .unwrap_or_else(|| format!("yara:{}", hit.identifier));
    let title = hit
        .meta("title")
        .or(hit.meta("description"))
        .map(str::to_string)
        .unwrap_or_else(|| format!("YARA rule {} matched", hit.identifier));
    let mut source = hit
        .meta("source")
        .or(hit.meta("reference"))
        .unwrap_or("")
        .to_string();
    if !hit.meta.iter().any(|(k, _)| k == "exhunt_rule") {
        let by = hit
            .meta("author")
            .map(|a| format!(" by {a}"))
            .unwrap_or_default();
        let rf = if source.is_empty() {
            String::new()
        } else {
            format!("; {source}")
        };
        source = format!("YARA rule {}{by} ({}){rf}", hit.identifier, hit.origin);
    }
    let cves: Vec<String> = hit
        .meta("cves")
        .map(|c| {
            c.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let parts = FindingParts {
        rule,
        title,
        cves,
        kind,
        verdict,
        severity,
        source,
        next_step: None,
    };
    let mut f = Finding::from_parts(parts, path);
    if lead {
        f.escalate_to = Some(Severity::Medium);
    }
    let strings: Vec<String> = hit
        .strings
        .iter()
        .map(|s| format!("{}@{:#x}: {}", s.id, s.offset, printable(&s.data)))
        .collect();
    f.with("yara_rule", format!("{}:{}", hit.namespace, hit.identifier))
        .with("rule_file", hit.origin.clone())
        .with("matched", strings.join(" | "))
        .with("score", score.map(|s| s.to_string()).unwrap_or_default())
        .with("tags", hit.tags.join(" "))
}

fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                (c as char).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}

fn severity_of(s: &str) -> Option<Severity> {
    serde_json::from_value(serde_json::Value::String(s.to_ascii_lowercase())).ok()
}
fn kind_of(s: &str) -> Option<FindingKind> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}
fn verdict_of(s: &str) -> Option<Verdict> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

#[cfg(test)]
mod tests;
