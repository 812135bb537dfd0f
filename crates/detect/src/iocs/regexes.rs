//! `regex` indicators (signature-base style, written against `\`-separated
//! Windows paths): the rewrite of drive-anchored patterns, the
//! longest-required-literal Aho-Corasick pre-filter, and the one compiled
//! [`RegexSet`] with signature-base's per-pattern false-positive regexes.

use super::paths::strip_root;
use super::IocError;
use aho_corasick::AhoCorasick;
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Hir, HirKind};
use std::borrow::Cow;

/// Shortest required literal worth a pre-filter; a regex with none that long
/// turns the pre-filter off (the set then runs on every path).
const MIN_LITERAL: usize = 3;

/// A regex indicator as the builder collects it.
#[derive(Debug)]
pub(super) struct RegexEntry {
    /// Index of the indicator.
    pub(super) ioc: usize,
    /// After [`rewrite_drive_anchor`].
    pub(super) compiled: String,
    pub(super) literal: Option<Vec<u8>>,
    pub(super) fp: Option<String>,
    /// `origin:line`, for a compile error.
    pub(super) at: String,
}

/// The compiled regex indicators.
#[derive(Debug)]
pub(super) struct RegexIndex {
    set: Option<RegexSet>,
    /// Set pattern index → index of the indicator.
    iocs: Vec<usize>,
    /// Set pattern index → signature-base's false-positive regex.
    fp: Vec<Option<Regex>>,
    /// `None` with regexes present: some regex has no usable literal, so the
    /// set runs on every path.
    pub(super) prefilter: Option<AhoCorasick>,
}

impl RegexIndex {
    /// Compiles the collected regexes into one set, the pre-filter and the
    /// false-positive regexes.
    pub(super) fn new(entries: &[RegexEntry]) -> Result<RegexIndex, IocError> {
        let (set, prefilter) = if entries.is_empty() {
            (None, None)
        } else {
            let set = RegexSetBuilder::new(entries.iter().map(|r| r.compiled.as_str()))
                .case_insensitive(true)
                .unicode(false)
                .build()
                .map_err(|e| {
                    // Name the culprit if one fails on its own.
                    let culprit = entries
                        .iter()
                        .find(|r| regex_builder(&r.compiled).build().is_err());
                    IocError::Compile {
                        message: match culprit {
                            Some(r) => format!("{}: {e}", r.at),
                            None => e.to_string(),
                        },
                    }
                })?;
            let lits: Option<Vec<&[u8]>> = entries.iter().map(|r| r.literal.as_deref()).collect();
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
        let mut fp = Vec::with_capacity(entries.len());
        for r in entries {
            fp.push(match &r.fp {
                Some(f) => Some(regex_builder(f).build().map_err(|e| IocError::Compile {
                    message: format!("{}: false-positive regex: {e}", r.at),
                })?),
                None => None,
            });
        }
        Ok(RegexIndex {
            set,
            iocs: entries.iter().map(|r| r.ioc).collect(),
            fp,
            prefilter,
        })
    }

    /// Calls `hit` with the index of each regex indicator the scanned `path`
    /// (`/` or `\`, any case) matches, in load order, unless its
    /// false-positive regex matches too.
    pub(super) fn matches(&self, path: &str, mut hit: impl FnMut(usize)) {
        let Some(set) = &self.set else { return };
        let slashed: Cow<'_, str> = if path.contains('\\') {
            Cow::Owned(path.replace('\\', "/"))
        } else {
            Cow::Borrowed(path)
        };
        let maybe = match &self.prefilter {
            Some(ac) => ac.is_match(slashed.as_bytes()),
            None => true,
        };
        if !maybe {
            return;
        }
        let win = windows_form(&slashed);
        for i in set.matches(win.as_bytes()).iter() {
            if let Some(fp) = &self.fp[i] {
                if fp.is_match(win.as_bytes()) {
                    continue;
                }
            }
            hit(self.iocs[i]);
        }
    }
}

/// Checks one regex line: the pattern after [`rewrite_drive_anchor`] and
/// its pre-filter literal, or why the pattern or its false-positive regex
/// does not parse.
pub(super) fn prepare(
    pattern: &str,
    fp: Option<&str>,
) -> Result<(String, Option<Vec<u8>>), String> {
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
    Ok((compiled, literal))
}

/// `\`-separated with one leading `\`, drive removed: what the regexes see.
fn windows_form(path: &str) -> String {
    let p = strip_root(path);
    let mut s = String::with_capacity(p.len() + 1);
    s.push('\\');
    s.extend(p.chars().map(|c| if c == '/' { '\\' } else { c }));
    s
}

/// signature-base writes drive-anchored patterns (`C:\\ProgramData\\…`);
/// scanned paths have no drive. Such a pattern is anchored at the root of the
/// input, or below a drive-like folder (`C\`, `c:\`) as collections lay
/// drives out.
pub(super) fn rewrite_drive_anchor(pattern: &str) -> Cow<'_, str> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let b = body.as_bytes();
    if b.len() >= 4 && b[0].is_ascii_alphabetic() && &b[1..4] == b":\\\\" {
        Cow::Owned(format!(r"(?:^|\\[a-z]:?)\\{}", &body[4..]))
    } else {
        Cow::Borrowed(pattern)
    }
}

pub(super) fn syntax_parser() -> regex_syntax::Parser {
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
pub(super) fn prefilter_literal(hir: &Hir) -> Option<Vec<u8>> {
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
