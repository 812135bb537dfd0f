//! The literal pre-filter of Exchange's CSV logs: every literal some
//! detector needs, searched for in whole read buffers in one pass
//! (ripgrep's literal optimisation), so that lines no detector could match
//! are never split into fields.

use crate::SourceError;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

/// The header directive, always searched for so that a header change
/// mid-file is seen.
pub(crate) const DIRECTIVE: &str = "#Fields:";

/// The literals any detector needs, searched for in one pass. `#Fields:` is
/// always added so that a header change mid-file is seen.
///
/// Case-insensitive search costs: with ASCII case folding the searcher falls
/// back to a rare-byte scan, and `~` (in `ServerInfo~`) sits in nearly every
/// HttpProxy row (`Smtp~user@...`), which made the whole scan 1.5x slower.
/// Detectors whose literals Exchange itself writes in a fixed case ask for a
/// case-sensitive search (see `LineDetector::literals_case_sensitive`).
#[derive(Debug, Clone)]
pub struct Prefilter {
    imp: PrefilterImp,
}

// Built once per log family and never moved on the hot path: its size does
// not matter, a box would only add an indirection to every search.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum PrefilterImp {
    /// Case-sensitive literals that share a prefix of 4 bytes or more
    /// (`ServerInfo~` and `Server~` share `Server`): one memmem search for
    /// the prefix, the fastest single-literal search there is; header
    /// directives are found by a second memmem for `\n#Fields:`.
    Prefix {
        prefix: memchr::memmem::Finder<'static>,
        literals: Vec<Vec<u8>>,
        directive: memchr::memmem::Finder<'static>,
    },
    /// Case-sensitive: Teddy, a SIMD multi-literal searcher (what ripgrep
    /// uses for small literal sets).
    Packed(aho_corasick::packed::Searcher),
    /// Case-insensitive, or where Teddy is not available on this CPU.
    Automaton(AhoCorasick),
}

impl Prefilter {
    pub fn new<S: AsRef<str>>(literals: &[S], case_sensitive: bool) -> Result<Self, SourceError> {
        let mut pats: Vec<&str> = literals.iter().map(|s| s.as_ref()).collect();
        if case_sensitive && !pats.is_empty() {
            let first = pats[0].as_bytes();
            let common = pats.iter().fold(first.len(), |n, p| {
                first
                    .iter()
                    .zip(p.as_bytes())
                    .take(n)
                    .take_while(|(a, b)| a == b)
                    .count()
            });
            if common >= 4 {
                return Ok(Prefilter {
                    imp: PrefilterImp::Prefix {
                        prefix: memchr::memmem::FinderBuilder::new()
                            .build_forward_with_ranker(LogByteRank, &first[..common])
                            .into_owned(),
                        literals: pats.iter().map(|p| p.as_bytes().to_vec()).collect(),
                        directive: memchr::memmem::Finder::new(b"\n#Fields:").into_owned(),
                    },
                });
            }
        }
        pats.push(DIRECTIVE);
        if case_sensitive {
            let packed = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(&pats)
                .build();
            if let Some(p) = packed {
                return Ok(Prefilter {
                    imp: PrefilterImp::Packed(p),
                });
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(!case_sensitive)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&pats)
            .map_err(|e| SourceError::Format(format!("bad literal set: {e}")))?;
        Ok(Prefilter {
            imp: PrefilterImp::Automaton(ac),
        })
    }

    /// The first literal at or after `pos`, as a byte span. `next_directive`
    /// caches the directive search over one haystack (start it at `None`):
    /// without it, every hit would search the rest of the buffer again.
    pub(crate) fn find(
        &self,
        hay: &[u8],
        pos: usize,
        next_directive: &mut Option<Option<usize>>,
    ) -> Option<(usize, usize)> {
        match &self.imp {
            PrefilterImp::Prefix {
                prefix,
                literals,
                directive,
            } => {
                // The directive search looks one byte back for its newline.
                if next_directive.is_none_or(|d| d.is_some_and(|s| s < pos)) {
                    let dpos = pos.saturating_sub(1);
                    *next_directive = Some(directive.find(&hay[dpos..]).map(|i| dpos + i + 1));
                }
                let d = next_directive.flatten().map(|s| (s, s + DIRECTIVE.len()));
                let mut at = pos;
                let lit = loop {
                    let Some(i) = prefix.find(&hay[at..]) else {
                        break None;
                    };
                    let s = at + i;
                    if d.is_some_and(|(ds, _)| ds < s) {
                        break None;
                    }
                    if let Some(l) = literals.iter().find(|l| hay[s..].starts_with(l)) {
                        break Some((s, s + l.len()));
                    }
                    at = s + 1;
                };
                match (lit, d) {
                    (Some(l), Some(d)) => Some(if l.0 < d.0 { l } else { d }),
                    (l, d) => l.or(d),
                }
            }
            PrefilterImp::Packed(p) => p
                .find_in(hay, aho_corasick::Span::from(pos..hay.len()))
                .map(|m| (m.start(), m.end())),
            PrefilterImp::Automaton(ac) => ac
                .find(Input::new(hay).span(pos..hay.len()))
                .map(|m| (m.start(), m.end())),
        }
    }
}

/// Byte frequencies of Exchange's CSV logs, for choosing the two bytes the
/// SIMD substring search keys on. memchr's default table is tuned for
/// prose and picks `e`/`r` out of `Server`, which sit side by side all
/// over a log; an upper-case letter and a rarer lower-case one (`S`...`v`)
/// almost never line up at the same distance outside the literal.
struct LogByteRank;

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for LogByteRank {
    fn rank(&self, b: u8) -> u8 {
        const LOWER_BY_FREQUENCY: &[u8] = b"etaoinsrhlcdumpfgwybvkxjqz";
        match b {
            b'0'..=b'9' | b',' | b'.' | b'-' | b':' | b'/' | b' ' | b'"' => 255,
            b'a'..=b'z' => {
                let i = LOWER_BY_FREQUENCY.iter().position(|&c| c == b).unwrap_or(0);
                250 - i as u8 * 2
            }
            b'A'..=b'Z' => 150,
            b'~' | b'=' | b'_' => 200,
            _ => 100,
        }
    }
}
