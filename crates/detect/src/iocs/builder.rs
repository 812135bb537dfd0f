//! [`FileIocsBuilder`]: collects indicators from the bundled lists and
//! users' files, merges duplicates (sources joined, highest score kept),
//! skips `path` and `name` indicators that name a stock Exchange file, and
//! compiles the result into a [`FileIocs`].

use super::hashes::Hashes;
use super::parse::{decode_text, detect, Format, Tally};
use super::paths::{name_key, path_key, NameIndex};
use super::regexes::{self, RegexEntry, RegexIndex};
use super::{
    merge_list, FileIocs, IocError, PathIoc, PathIocKind, BUNDLED_PATHS_ORIGIN,
    BUNDLED_SHA256_ORIGIN,
};
use crate::webfiles::Baselines;
use exhunt_core::open::{read_capped, Links};
use std::collections::HashMap;
use std::path::Path;

/// Largest indicator list read (a million SHA-256 lines is about 70 MB).
pub const MAX_IOC_FILE: u64 = 512 << 20;

/// The bundled lists, derived by `scripts/derive-iocs.py`.
const BUNDLED_SHA256_CSV: &str = include_str!("../../../../rules/iocs/webshell-sha256.csv");
const BUNDLED_PATHS_CSV: &str = include_str!("../../../../rules/iocs/webshell-paths.csv");

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

/// Collects indicators from the bundled lists and users' files; [`build`]
/// compiles them.
///
/// [`build`]: FileIocsBuilder::build
#[derive(Debug, Default)]
pub struct FileIocsBuilder {
    hashes: Hashes,
    iocs: Vec<PathIoc>,
    /// Per indicator: the path key (`path`), lower-case name (`name`) or
    /// nothing (`regex`).
    keys: Vec<Option<String>>,
    dedup: HashMap<(PathIocKind, String), usize>,
    regexes: Vec<RegexEntry>,
    pub(super) warnings: Vec<String>,
}

impl FileIocsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The indicators added so far, by kind.
    pub fn counts(&self) -> super::IocCounts {
        super::set::counts(&self.hashes, &self.iocs)
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
        // The user's own list: a link to it is read; a FIFO, a device
        // (`/dev/zero`) or a file beyond the cap is refused, not read
        // without end.
        let bytes = read_capped(path, Links::Follow, MAX_IOC_FILE).map_err(|e| IocError::Read {
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
        let names = NameIndex::new(&self.iocs, &self.keys);
        let regexes = RegexIndex::new(&self.regexes)?;
        Ok(FileIocs {
            hashes: self.hashes,
            iocs: self.iocs,
            names,
            regexes,
        })
    }

    // --- takers -----------------------------------------------------------

    /// Adds a hash indicator (see [`Hashes::add`]).
    pub(super) fn take_hash(
        &mut self,
        hex: &str,
        name: &str,
        source: &str,
        note: &str,
    ) -> Result<(), String> {
        self.hashes.add(hex, name, source, note)
    }

    /// Adds a path, name or regex indicator, or merges it into the same one
    /// already held; `at` names the file and line it came from.
    pub(super) fn take(
        &mut self,
        kind: PathIocKind,
        pattern: &str,
        score: u8,
        source: &str,
        fp: Option<&str>,
        at: At<'_>,
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
                let (compiled, literal) = regexes::prepare(pattern, fp)?;
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
                at: format!("{}:{}", at.origin, at.line),
            });
        }
        Ok(())
    }
}

/// Where an indicator was read: the file (or `--iocs` argument) and its line.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    pub(super) origin: &'a str,
    pub(super) line: usize,
}
