//! The literal pre-filter of Exchange's CSV logs: every literal some
//! detector needs, searched for in whole read buffers in one pass
//! (ripgrep's literal optimisation), so that lines no detector could match
//! are never split into fields.

use crate::SourceError;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use exhunt_core::{LineCheck, LineNeed};

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
    /// Literals compared without ASCII case (what a client sends: URL
    /// paths and queries), searched beside the fixed-case ones.
    caseless: Option<Caseless>,
}

/// Where the searches of one haystack stand, so that each searcher scans
/// the haystack once however many hits the caller asks for.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    directive: Option<Option<usize>>,
    /// The next fixed-case hit found, kept while caseless hits before it
    /// are handed out (searching again from each would rescan the buffer).
    fixed: Option<Option<(usize, usize)>>,
    caseless: Option<Option<(usize, usize, usize)>>,
}

/// A literal found: its span, and for a caseless one its index (the line
/// must then pass the checks of the needs it stands for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    caseless: Option<usize>,
}

/// Literals compared without ASCII case, found fast: aho-corasick falls
/// back to a slow rare-byte scan for case-insensitive sets (a whole 2 GB
/// log tree took 5 s instead of 0.1 s), so instead Teddy (SIMD, as ripgrep
/// uses) looks for every case variant of a short window of each literal,
/// the window with fewest letters and rarest bytes; each window hit is
/// then checked against the whole literal.
#[derive(Clone)]
struct Caseless {
    imp: CaselessImp,
    /// The literals, lower-cased (those compared with case as written).
    lits: Vec<Vec<u8>>,
    /// Per literal: compared with case (the fixed-case literals that share
    /// the search, so that a buffer is searched once).
    exact: Vec<bool>,
    /// Per literal: `None` when some need of it asks nothing more of the
    /// line; else the checks of its needs, one of which must accept it.
    checks: Vec<Option<Vec<LineCheck>>>,
}

impl std::fmt::Debug for Caseless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caseless")
            .field("imp", &self.imp)
            .field("lits", &self.lits.len())
            .finish()
    }
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum CaselessImp {
    /// Teddy over the windows' case variants: pattern `i` is a variant of
    /// the window at `windows[i].1` in literal `windows[i].0`.
    Windows {
        searcher: aho_corasick::packed::Searcher,
        windows: Vec<(usize, usize)>,
    },
    /// Too many variants for Teddy: the automaton over the literals.
    Automaton(AhoCorasick),
}

/// Most case variants a window may have (3 letters), and most patterns in
/// all for Teddy.
const MAX_WINDOW: usize = 4;
const MAX_TEDDY_PATTERNS: usize = 64;
const SLIM_TEDDY_PATTERNS: usize = 40;

impl Caseless {
    fn new(needs: &[LineNeed], exact_lits: &[&str]) -> Result<Option<Self>, SourceError> {
        let mut lits: Vec<Vec<u8>> = exact_lits.iter().map(|l| l.as_bytes().to_vec()).collect();
        let mut checks: Vec<Option<Vec<LineCheck>>> = vec![None; lits.len()];
        let n_exact = lits.len();
        gather(needs, n_exact, &mut lits, &mut checks);
        if lits.len() == n_exact {
            return Ok(None);
        }
        let exact: Vec<bool> = (0..lits.len()).map(|i| i < n_exact).collect();
        let mut pats: Vec<Vec<u8>> = Vec::new();
        let mut windows = Vec::new();
        for (i, lit) in lits.iter().enumerate() {
            let (off, len) = best_window(lit);
            let variants = if exact[i] {
                vec![lit[off..off + len].to_vec()]
            } else {
                case_variants(&lit[off..off + len])
            };
            for v in variants {
                pats.push(v);
                windows.push((i, off));
            }
        }
        if pats.len() <= MAX_TEDDY_PATTERNS {
            if let Some(searcher) = teddy(&pats) {
                return Ok(Some(Caseless {
                    imp: CaselessImp::Windows { searcher, windows },
                    lits,
                    exact,
                    checks,
                }));
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&lits)
            .map_err(|e| SourceError::Format(format!("bad literal set: {e}")))?;
        Ok(Some(Caseless {
            imp: CaselessImp::Automaton(ac),
            lits,
            exact,
            checks,
        }))
    }

    /// Whether `line`, which holds literal `li`, meets one of its needs.
    fn confirms(&self, li: usize, line: &[u8], at: usize) -> bool {
        match &self.checks[li] {
            None => true,
            Some(v) => v.iter().any(|c| c(line, at)),
        }
    }

    /// The first literal that starts at or after `pos`, with its index.
    fn find(&self, hay: &[u8], pos: usize) -> Option<(usize, usize, usize)> {
        match &self.imp {
            CaselessImp::Automaton(ac) => {
                let mut at = pos;
                loop {
                    let m = ac.find(Input::new(hay).span(at..hay.len()))?;
                    let li = m.pattern().as_usize();
                    if !self.exact[li] || hay[m.start()..m.end()] == self.lits[li][..] {
                        return Some((m.start(), m.end(), li));
                    }
                    at = m.start() + 1;
                }
            }
            CaselessImp::Windows { searcher, windows } => {
                // A wanted literal starts at or after `pos`, so its window
                // does too.
                let mut at = pos;
                loop {
                    let m = searcher.find_in(hay, aho_corasick::Span::from(at..hay.len()))?;
                    let (li, off) = windows[m.pattern().as_usize()];
                    let lit = &self.lits[li];
                    if let Some(s) = m.start().checked_sub(off) {
                        let e = s + lit.len();
                        let same = |h: &[u8]| {
                            if self.exact[li] {
                                h == &lit[..]
                            } else {
                                h.eq_ignore_ascii_case(lit)
                            }
                        };
                        if s >= pos && e <= hay.len() && same(&hay[s..e]) {
                            return Some((s, e, li));
                        }
                    }
                    at = m.start() + 1;
                }
            }
        }
    }
}

/// Teddy (SIMD, as ripgrep uses) over `pats`, leftmost-first; `None` where
/// this CPU has no Teddy or the set is too large for it.
fn teddy(pats: &[Vec<u8>]) -> Option<aho_corasick::packed::Searcher> {
    aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        // Slim Teddy (8 buckets) beats fat for up to a few more than 32
        // patterns: 0.63 s against 0.72 s on one core for the HttpProxy set
        // of 35 (bench/RESULTS.md).
        .only_teddy_fat((pats.len() <= SLIM_TEDDY_PATTERNS).then_some(false))
        .builder()
        .extend(pats)
        .build()
}

/// Adds the needs' literals (lower case, each once from `from` on) to
/// `lits`, with per literal `None` when some need of it asks nothing more
/// of the line, else the checks of its needs (one must accept the line).
fn gather(
    needs: &[LineNeed],
    from: usize,
    lits: &mut Vec<Vec<u8>>,
    checks: &mut Vec<Option<Vec<LineCheck>>>,
) {
    for need in needs {
        for l in &need.any {
            let l = l.as_bytes().to_ascii_lowercase();
            if l.is_empty() {
                continue;
            }
            let i = lits[from..]
                .iter()
                .position(|x| *x == l)
                .map(|i| i + from)
                .unwrap_or_else(|| {
                    lits.push(l);
                    checks.push(Some(Vec::new()));
                    lits.len() - 1
                });
            match (&need.check, &mut checks[i]) {
                (None, c) => *c = None,
                (Some(chk), Some(v)) => v.push(chk.clone()),
                (Some(_), None) => {}
            }
        }
    }
}

/// The window of `lit` (at most [`MAX_WINDOW`] bytes) with the fewest
/// letters, then the rarest bytes in Exchange's logs: its case variants
/// are what Teddy looks for. (Shorter windows with fewer letters were
/// tried: Teddy then stops on far more places that are not the literal,
/// and the 2 GB benchmark tree took 0.78 s instead of 0.51 s.)
fn best_window(lit: &[u8]) -> (usize, usize) {
    use memchr::arch::all::packedpair::HeuristicFrequencyRank;
    let len = lit.len().min(MAX_WINDOW);
    (0..=lit.len() - len)
        .min_by_key(|&o| {
            let w = &lit[o..o + len];
            let letters = w.iter().filter(|b| b.is_ascii_alphabetic()).count();
            let common: u32 = w.iter().map(|&b| LogByteRank.rank(b) as u32).sum();
            (letters, common)
        })
        .map_or((0, len), |o| (o, len))
}

/// Every spelling of `w` with its ASCII letters in either case.
fn case_variants(w: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for &b in w {
        let mut next = Vec::with_capacity(out.len() * 2);
        for v in &out {
            let mut lower = v.clone();
            lower.push(b.to_ascii_lowercase());
            next.push(lower);
            if b.is_ascii_alphabetic() {
                let mut upper = v.clone();
                upper.push(b.to_ascii_uppercase());
                next.push(upper);
            }
        }
        out = next;
    }
    out
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
    /// Everything is in the caseless searcher (fixed-case literals as
    /// exact patterns): nothing to search here.
    Fused,
}

impl Prefilter {
    /// Fixed-case literals (`case_sensitive`, or all compared without case)
    /// and further literals always compared without ASCII case.
    pub fn with_caseless<S: AsRef<str>>(
        literals: &[S],
        case_sensitive: bool,
        caseless: &[LineNeed],
    ) -> Result<Self, SourceError> {
        let mut pf = Prefilter::new(literals, case_sensitive)?;
        if case_sensitive && !caseless.is_empty() {
            // One search for both: the fixed-case literals and the header
            // directive join the caseless ones as exact patterns.
            let mut exact: Vec<&str> = literals.iter().map(|l| l.as_ref()).collect();
            exact.push(DIRECTIVE);
            if let Some(c) = Caseless::new(caseless, &exact)? {
                pf.imp = PrefilterImp::Fused;
                pf.caseless = Some(c);
            }
            return Ok(pf);
        }
        pf.caseless = Caseless::new(caseless, &[])?;
        Ok(pf)
    }

    /// Whether the line holding `hit` is a candidate: always for a
    /// fixed-case literal or a directive; for a caseless one, when the line
    /// meets one of that literal's needs.
    pub(crate) fn confirms(&self, hit: Hit, line: &[u8], line_start: usize) -> bool {
        match (hit.caseless, &self.caseless) {
            (Some(li), Some(c)) => c.confirms(li, line, hit.start - line_start),
            _ => true,
        }
    }

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
                    caseless: None,
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
                    caseless: None,
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
            caseless: None,
        })
    }

    /// The first literal at or after `pos`, as a byte span. `cursor` keeps
    /// where the searches of one haystack stand (start with a new one per
    /// haystack): without it, every hit would search the rest of the
    /// buffer again.
    pub(crate) fn find(&self, hay: &[u8], pos: usize, cursor: &mut Cursor) -> Option<Hit> {
        let Some(cl) = &self.caseless else {
            return self
                .find_fixed(hay, pos, &mut cursor.directive)
                .map(|(start, end)| Hit {
                    start,
                    end,
                    caseless: None,
                });
        };
        if cursor.fixed.is_none_or(|c| c.is_some_and(|(s, _)| s < pos)) {
            cursor.fixed = Some(self.find_fixed(hay, pos, &mut cursor.directive));
        }
        let fixed = cursor.fixed.flatten().map(|(start, end)| Hit {
            start,
            end,
            caseless: None,
        });
        if cursor
            .caseless
            .is_none_or(|c| c.is_some_and(|(s, _, _)| s < pos))
        {
            cursor.caseless = Some(cl.find(hay, pos));
        }
        let c = cursor.caseless.flatten().map(|(start, end, li)| Hit {
            start,
            end,
            caseless: Some(li),
        });
        match (fixed, c) {
            (Some(f), Some(c)) => Some(if c.start < f.start { c } else { f }),
            (f, c) => f.or(c),
        }
    }

    fn find_fixed(
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
            PrefilterImp::Fused => None,
        }
    }
}

/// The line filter of text logs (IIS W3C): a line is a record when it
/// holds a literal of some need (without ASCII case) and meets that need's
/// check. [`LineKeep::next_line`] searches a whole read buffer at once, as
/// the CSV logs' [`Prefilter`] does; [`LineKeep::is_match`] asks about one
/// line.
#[derive(Clone)]
pub struct LineKeep {
    /// Every literal, those of needs without a check first (so that at
    /// one position they win); most lines hold none, and one search says so.
    all: AhoCorasick,
    /// How many of `all`'s patterns need no check.
    plain: usize,
    /// Needs with a check: their literals (lower case) and the check.
    checked: Vec<(Vec<Vec<u8>>, LineCheck)>,
    /// The buffer search: over a lower-cased copy of the buffer, so that
    /// one spelling of each literal is searched for.
    buffer: BufferKeep,
}

/// The distinct literals (lower case), each with what a line holding it
/// must also meet, and the searcher that finds them in a lower-cased
/// buffer.
#[derive(Clone)]
struct BufferKeep {
    lits: Vec<Vec<u8>>,
    /// Per literal: `None` when some need of it asks nothing more of the
    /// line; else the checks of its needs, one of which must accept it.
    checks: Vec<Option<Vec<LineCheck>>>,
    imp: BufferImp,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
enum BufferImp {
    /// Teddy over one window of [`KEEP_WINDOW`] bytes per literal, the
    /// rarest in IIS logs (`2704` of `chrome/51.0.2704.103`, not `chro`,
    /// which every Chrome request holds): pattern `i` stands for the
    /// literals (index, window offset) in `windows[i]`. All windows have
    /// one length, so at most one matches at a position.
    Windows {
        searcher: aho_corasick::packed::Searcher,
        windows: Vec<Vec<(usize, usize)>>,
    },
    /// A literal shorter than a window, or no Teddy on this CPU: the
    /// automaton over the literals; at each hit every literal starting
    /// there is tried.
    Automaton(AhoCorasick),
}

/// The window length of [`BufferImp::Windows`].
const KEEP_WINDOW: usize = 4;

impl BufferKeep {
    fn new(needs: &[LineNeed]) -> Result<Self, SourceError> {
        let mut lits: Vec<Vec<u8>> = Vec::new();
        let mut checks: Vec<Option<Vec<LineCheck>>> = Vec::new();
        gather(needs, 0, &mut lits, &mut checks);
        let windowed = lits.len() <= MAX_TEDDY_PATTERNS
            && lits
                .iter()
                .all(|l| l.len() >= KEEP_WINDOW && !l.contains(&b'\n'));
        if windowed {
            let mut pats: Vec<Vec<u8>> = Vec::new();
            let mut windows: Vec<Vec<(usize, usize)>> = Vec::new();
            for (i, lit) in lits.iter().enumerate() {
                let off = rarest_window(lit, KEEP_WINDOW);
                let w = &lit[off..off + KEEP_WINDOW];
                match pats.iter().position(|p| p == w) {
                    Some(k) => windows[k].push((i, off)),
                    None => {
                        pats.push(w.to_vec());
                        windows.push(vec![(i, off)]);
                    }
                }
            }
            if let Some(searcher) = teddy(&pats) {
                return Ok(BufferKeep {
                    lits,
                    checks,
                    imp: BufferImp::Windows { searcher, windows },
                });
            }
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&lits)
            .map_err(|e| SourceError::Format(format!("bad literal set: {e}")))?;
        Ok(BufferKeep {
            lits,
            checks,
            imp: BufferImp::Automaton(ac),
        })
    }

    /// Whether literal `li` is at `p` of `lower` and its line (`orig`'s
    /// line from `ls` to `le`, ending excluded) meets its need.
    fn holds(&self, li: usize, lower: &[u8], orig: &[u8], p: usize, ls: usize, le: usize) -> bool {
        let lit = &self.lits[li];
        if p < ls || p + lit.len() > le || lower[p..p + lit.len()] != lit[..] {
            return false;
        }
        match &self.checks[li] {
            None => true,
            Some(v) => {
                let line = crate::lines::trim_cr(&orig[ls..le]);
                v.iter().any(|c| c(line, p - ls))
            }
        }
    }
}

/// The offset of the window of `len` bytes of `lit` whose bytes are the
/// rarest in IIS logs (digits, separators and common letters are in every
/// request line).
fn rarest_window(lit: &[u8], len: usize) -> usize {
    fn common(b: u8) -> u32 {
        const LOWER_BY_FREQUENCY: &[u8] = b"etaoinsrhlcdumpfgwybvkxjqz";
        match b {
            b'0'..=b'9' | b'.' | b'-' | b':' | b'/' | b' ' | b'+' => 60,
            b'a'..=b'z' => 50 - LOWER_BY_FREQUENCY.iter().position(|&c| c == b).unwrap_or(0) as u32,
            b'(' | b')' | b';' | b'=' | b'&' | b'_' | b',' => 30,
            _ => 10,
        }
    }
    (0..=lit.len() - len)
        .min_by_key(|&o| lit[o..o + len].iter().map(|&b| common(b)).sum::<u32>())
        .unwrap_or(0)
}

impl LineKeep {
    pub fn new(needs: &[LineNeed]) -> Result<Self, SourceError> {
        fn lits(n: &LineNeed) -> impl Iterator<Item = &String> {
            n.any.iter().filter(|l| !l.is_empty())
        }
        let mut pats: Vec<&String> = needs
            .iter()
            .filter(|n| n.check.is_none())
            .flat_map(lits)
            .collect();
        let plain = pats.len();
        let mut checked = Vec::new();
        for n in needs {
            if let Some(c) = &n.check {
                pats.extend(lits(n));
                checked.push((
                    lits(n).map(|l| l.as_bytes().to_ascii_lowercase()).collect(),
                    c.clone(),
                ));
            }
        }
        let all = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&pats)
            .map_err(|e| SourceError::Format(format!("bad literal set: {e}")))?;
        Ok(LineKeep {
            all,
            plain,
            checked,
            buffer: BufferKeep::new(needs)?,
        })
    }

    /// Whether `line` may hold what some detector looks for.
    pub fn is_match(&self, line: &[u8]) -> bool {
        let mut at = 0;
        // Each hit in turn, restarting one byte after the last one's start
        // so that no literal is hidden by another.
        while let Some(m) = self.all.find(Input::new(line).span(at..line.len())) {
            if m.pattern().as_usize() < self.plain {
                return true;
            }
            let p = m.start();
            let here = |l: &Vec<u8>| {
                line.len() - p >= l.len() && line[p..p + l.len()].eq_ignore_ascii_case(l)
            };
            if self
                .checked
                .iter()
                .any(|(lits, check)| lits.iter().any(here) && check(line, p))
            {
                return true;
            }
            at = p + 1;
        }
        false
    }

    /// The first line of `orig` at or after `pos` (a line start) that
    /// [`LineKeep::is_match`] would keep, as its span without the `\n`.
    /// `lower` is `orig` with ASCII letters lower-cased (the caller makes it
    /// once per buffer). One search runs over the buffer; lines without a
    /// literal are never looked at one by one.
    pub fn next_line(&self, lower: &[u8], orig: &[u8], pos: usize) -> Option<(usize, usize)> {
        debug_assert_eq!(lower.len(), orig.len());
        let b = &self.buffer;
        let line_of = |p: usize| {
            let ls = memchr::memrchr(b'\n', &orig[pos..p]).map_or(pos, |i| pos + i + 1);
            let le = memchr::memchr(b'\n', &orig[p..]).map_or(orig.len(), |i| p + i);
            (ls, le)
        };
        let mut at = pos;
        loop {
            match &b.imp {
                BufferImp::Windows { searcher, windows } => {
                    let m = searcher.find_in(lower, aho_corasick::Span::from(at..lower.len()))?;
                    let q = m.start();
                    let (ls, le) = line_of(q);
                    for &(li, off) in &windows[m.pattern().as_usize()] {
                        if q >= off && b.holds(li, lower, orig, q - off, ls, le) {
                            return Some((ls, le));
                        }
                    }
                    at = q + 1;
                }
                BufferImp::Automaton(ac) => {
                    let m = ac.find(Input::new(lower).span(at..lower.len()))?;
                    let p = m.start();
                    let (ls, le) = line_of(p);
                    if (0..b.lits.len()).any(|li| b.holds(li, lower, orig, p, ls, le)) {
                        return Some((ls, le));
                    }
                    at = p + 1;
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pf: &Prefilter, hay: &[u8]) -> Vec<String> {
        let mut cursor = Cursor::default();
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some(h) = pf.find(hay, pos, &mut cursor) {
            out.push(String::from_utf8_lossy(&hay[h.start..h.end]).into_owned());
            pos = h.end;
        }
        out
    }

    #[test]
    fn caseless_literals_beside_fixed_ones() {
        let pf = Prefilter::with_caseless(
            &["ServerInfo~", "Server~"],
            true,
            &[LineNeed::any(&[
                "autodiscover.json",
                "X-Rps-CAT",
                "/powershell",
            ])],
        )
        .unwrap();
        assert!(matches!(
            pf.caseless.as_ref().unwrap().imp,
            CaselessImp::Windows { .. }
        ));
        // One search for all: the fixed-case literals joined the Teddy set
        // (and stay case-sensitive: `serverinfo~` below is no hit).
        assert!(matches!(pf.imp, PrefilterImp::Fused));
        let hay = b"a,ServerInfo~x/y\nb,/AutoDiscover/AUTODISCOVER.json,?@x/PowerShell/?x-rps-cat=1\nserverinfo~ no\n#Fields: x\n/autodiscover.jso\n";
        assert_eq!(
            all(&pf, hay),
            [
                "ServerInfo~",
                "AUTODISCOVER.json",
                "/PowerShell",
                "x-rps-cat",
                "#Fields:"
            ]
        );
        // A literal that starts before `pos` is not found again.
        let mut cursor = Cursor::default();
        let at = hay.windows(4).position(|w| w == b"UTOD").unwrap();
        let h = pf.find(hay, at, &mut cursor).unwrap();
        assert!(hay[h.start..].starts_with(b"/PowerShell"));
    }

    #[test]
    fn a_caseless_literal_is_a_candidate_only_where_its_need_is_met() {
        let ps_via_owa: LineCheck = std::sync::Arc::new(|l: &[u8], _| {
            l.to_ascii_lowercase().windows(5).any(|w| w == b"/owa/")
        });
        let pf = Prefilter::with_caseless(
            &["ServerInfo~"],
            true,
            &[
                LineNeed {
                    any: vec!["/powershell".into()],
                    check: Some(ps_via_owa),
                },
                LineNeed::any(&["X-Rps-CAT"]),
            ],
        )
        .unwrap();
        let confirmed = |line: &[u8]| {
            let mut c = Cursor::default();
            let h = pf.find(line, 0, &mut c).unwrap();
            pf.confirms(h, line, 0)
        };
        assert!(!confirmed(b"2021,/PowerShell,user"));
        assert!(confirmed(b"2021,/OWA/x@y/PowerShell,user"));
        assert!(confirmed(b"2021,/x-rps-cat=1"));
        assert!(confirmed(b"2021,ServerInfo~a/b"));
    }

    #[test]
    fn line_keep_sees_a_literal_hidden_by_a_checked_one() {
        let never: LineCheck = std::sync::Arc::new(|_: &[u8], _| false);
        let long: LineCheck = std::sync::Arc::new(|l: &[u8], _| l.len() > 30);
        let keep = LineKeep::new(&[
            LineNeed {
                any: vec!["/owa/auth/".into()],
                check: Some(never),
            },
            LineNeed {
                any: vec!["/OWA/".into()],
                check: Some(long),
            },
            LineNeed::any(&["/owa/auth/Current/", "auth/x"]),
        ])
        .unwrap();
        // A plain literal at the same place, or starting inside the hit.
        assert!(keep.is_match(b"GET /OWA/auth/current/a.aspx"));
        assert!(keep.is_match(b"GET /owa/auth/x.aspx"));
        // Only checked literals, whose checks fail (the line is short)...
        assert!(!keep.is_match(b"GET /owa/auth/logon.aspx"));
        // ...or where one of them passes.
        assert!(keep.is_match(b"GET /owa/auth/logon.aspx?url=https://x/y"));
        assert!(!keep.is_match(b"GET /ews/exchange.asmx"));
    }

    #[test]
    fn windows_have_few_letters_and_every_spelling() {
        assert_eq!(case_variants(b"a.j").len(), 4);
        assert!(case_variants(b"ab").contains(&b"aB".to_vec()));
        let (o, n) = best_window(b"autodiscover.json");
        let w = &b"autodiscover.json"[o..o + n];
        assert_eq!(n, 4);
        assert!(w.contains(&b'.'), "{}", String::from_utf8_lossy(w));
        // Too many variants for Teddy: the automaton, same answers.
        let many: Vec<String> = (0..20).map(|i| format!("word{i}abcdefgh")).collect();
        let pf = Prefilter::with_caseless(&["Server~"], true, &[LineNeed::any(&many)]).unwrap();
        assert!(matches!(
            pf.caseless.as_ref().unwrap().imp,
            CaselessImp::Automaton(_)
        ));
        assert_eq!(
            all(&pf, b"x WORD7ABCDEFGH y Server~"),
            ["WORD7ABCDEFGH", "Server~"]
        );
    }
}
