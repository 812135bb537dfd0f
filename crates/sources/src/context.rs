//! The lines around a hit, for every reader alike (ripgrep's searcher
//! gives its sink the context lines; here the reader puts them on the
//! findings its sink makes).
//!
//! The rule is the same for every format: a finding gets the context known
//! when its sink decides about it (for Exchange's CSV logs, the lines
//! before and after it in the same read buffer; for the streaming readers,
//! the lines before it), and a finding the file keeps (not taken by the
//! noise gate) also gets the lines after it as they are read.

use crate::read::RecordSink;
use exhunt_core::{ContextLine, Finding};

/// Lines kept on each side of a finding for the timeline.
pub const CONTEXT_LINES: usize = 3;
const RING: usize = CONTEXT_LINES + 1;
/// Longest text of one context line.
const CONTEXT_TEXT: usize = 400;

/// The findings one file keeps, and those still waiting for the lines after
/// them.
#[derive(Default)]
pub struct Hits {
    findings: Vec<Finding>,
    /// (index into `findings`, lines still wanted)
    pending: Vec<(usize, usize)>,
}

impl Hits {
    /// Hands the findings of one record to the sink with the context known
    /// now; `after_known` says whether `around` already holds the lines
    /// after the record (otherwise kept findings wait for them).
    pub fn add(
        &mut self,
        sink: &mut dyn RecordSink,
        found: Vec<Finding>,
        around: &[ContextLine],
        after_known: bool,
    ) {
        for mut f in found {
            f.context = around.to_vec();
            if let Some(f) = sink.keep(f) {
                if !after_known {
                    self.pending.push((self.findings.len(), CONTEXT_LINES));
                }
                self.findings.push(f);
            }
        }
    }

    /// Whether a finding is waiting for the lines after it.
    pub fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// A line read after findings that wait for it.
    pub fn after(&mut self, line: ContextLine) {
        let findings = &mut self.findings;
        self.pending.retain_mut(|(i, left)| {
            findings[*i].context.push(line.clone());
            *left -= 1;
            *left > 0
        });
    }

    /// The findings the file kept.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// The last lines a streaming reader saw (kept raw, in reused buffers: most
/// lines never become context).
#[derive(Default)]
pub struct Ring {
    /// The current line and the `CONTEXT_LINES` before it.
    ring: [RawLine; RING],
    /// Slots filled, and the next slot to write.
    filled: usize,
    next: usize,
}

#[derive(Default)]
struct RawLine {
    n: u64,
    time: Option<String>,
    bytes: Vec<u8>,
}

/// A context line from a raw line; a line without a known time (an IIS
/// line the pre-filter skipped) is read for it.
pub fn context_line(n: u64, time: Option<&str>, bytes: &[u8]) -> ContextLine {
    ContextLine {
        time: time
            .map(str::to_string)
            .or_else(|| crate::w3c::line_time(bytes)),
        line: Some(n),
        text: exhunt_core::excerpt(bytes, CONTEXT_TEXT),
    }
}

/// A context line of an Exchange CSV log: its time is the first field.
pub fn csv_context_line(n: u64, bytes: &[u8]) -> ContextLine {
    let text = String::from_utf8_lossy(bytes);
    let first = text.split(',').next().unwrap_or("");
    let time = (first.len() >= 19 && first.as_bytes()[4] == b'-' && first.as_bytes()[10] == b'T')
        .then(|| first.to_string());
    ContextLine {
        time,
        line: Some(n),
        text: exhunt_core::excerpt(bytes, CONTEXT_TEXT),
    }
}

impl Ring {
    /// Sees one record or line: gives it to findings still collecting what
    /// came after them, then remembers it for findings to come.
    pub fn see(&mut self, hits: &mut Hits, n: u64, time: Option<&str>, bytes: &[u8]) {
        if hits.waiting() {
            hits.after(context_line(n, time, bytes));
        }
        let slot = &mut self.ring[self.next];
        slot.n = n;
        slot.time = time.map(str::to_string);
        slot.bytes.clear();
        slot.bytes.extend_from_slice(bytes);
        self.next = (self.next + 1) % RING;
        self.filled = (self.filled + 1).min(RING);
    }

    /// Sees a run of lines skipped unsplit (`first` the number of the
    /// first, each line ending with `\n`), as [`Ring::see`] of each would:
    /// only the lines findings still wait for and the last few are looked
    /// at.
    pub fn see_run(&mut self, hits: &mut Hits, first: u64, run: &[u8]) {
        let mut n = first;
        let mut at = 0;
        while hits.waiting() && at < run.len() {
            let end = memchr::memchr(b'\n', &run[at..]).map_or(run.len(), |i| at + i);
            self.see(hits, n, None, crate::lines::trim_cr(&run[at..end]));
            n += 1;
            at = end + 1;
        }
        if at >= run.len() {
            return;
        }
        let rest = &run[at..];
        // The start of the last RING lines of the rest.
        let body = rest.strip_suffix(b"\n").unwrap_or(rest);
        let mut tail = 0;
        let mut end = body.len();
        for _ in 0..RING {
            match memchr::memrchr(b'\n', &body[..end]) {
                Some(i) => {
                    tail = i + 1;
                    end = i;
                }
                None => {
                    tail = 0;
                    break;
                }
            }
        }
        n += memchr::memchr_iter(b'\n', &rest[..tail]).count() as u64;
        for l in crate::lines::chunk_lines(&rest[tail..]) {
            self.see(hits, n, None, l);
            n += 1;
        }
    }

    /// The remembered lines, oldest first, without the one just seen.
    pub fn before(&self) -> Vec<ContextLine> {
        // `see` has already stored the current record: skip it.
        let mut out = Vec::new();
        for k in (1..self.filled).rev() {
            let i = (self.next + RING - 1 - k) % RING;
            let l = &self.ring[i];
            out.push(context_line(l.n, l.time.as_deref(), &l.bytes));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Rec;
    use exhunt_core::{FindingKind, RuleSpec, Severity, Verdict};

    const R: RuleSpec = RuleSpec {
        id: "r",
        title: "t",
        cves: &[],
        kind: FindingKind::Attempt,
        verdict: Verdict::Attempted,
        severity: Severity::Low,
        source: "s",
        next_step: None,
    };

    /// Keeps every finding.
    struct KeepAll;
    impl RecordSink for KeepAll {
        fn record(&mut self, _rec: Rec<'_>) -> Vec<Finding> {
            Vec::new()
        }
    }

    #[test]
    fn ring_before_and_hits_after() {
        let mut ring = Ring::default();
        let mut hits = Hits::default();
        for n in 1..=5u64 {
            ring.see(&mut hits, n, None, format!("line {n}").as_bytes());
        }
        let before = ring.before();
        assert_eq!(
            before.iter().map(|c| c.line.unwrap()).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        let f = Finding::from_spec(&R, "p");
        hits.add(&mut KeepAll, vec![f], &before, false);
        for n in 6..=10u64 {
            ring.see(&mut hits, n, Some("2021-03-03T00:00:00Z"), b"x");
        }
        let got = hits.into_findings();
        let lines: Vec<u64> = got[0].context.iter().map(|c| c.line.unwrap()).collect();
        assert_eq!(lines, vec![2, 3, 4, 6, 7, 8]);
        let mut short = Ring::default();
        short.see(&mut Hits::default(), 1, None, b"only");
        assert!(short.before().is_empty());
    }

    /// A run of skipped lines leaves the ring and the waiting findings as
    /// seeing each line would, for runs shorter and longer than the ring.
    #[test]
    fn a_skipped_run_is_seen_as_its_lines() {
        for len in [1usize, 2, 3, 4, 5, 9] {
            let lines: Vec<String> = (0..len).map(|i| format!("line {}", 11 + i)).collect();
            let run = lines.iter().map(|l| format!("{l}\r\n")).collect::<String>();
            let (mut a, mut ha) = (Ring::default(), Hits::default());
            let (mut b, mut hb) = (Ring::default(), Hits::default());
            for (ring, hits) in [(&mut a, &mut ha), (&mut b, &mut hb)] {
                for n in 1..=10u64 {
                    ring.see(hits, n, None, format!("line {n}").as_bytes());
                }
                let before = ring.before();
                hits.add(
                    &mut KeepAll,
                    vec![Finding::from_spec(&R, "p")],
                    &before,
                    false,
                );
            }
            for (i, l) in lines.iter().enumerate() {
                a.see(&mut ha, 11 + i as u64, None, l.as_bytes());
            }
            b.see_run(&mut hb, 11, run.as_bytes());
            let text = |v: Vec<ContextLine>| -> Vec<(u64, String)> {
                v.into_iter().map(|c| (c.line.unwrap(), c.text)).collect()
            };
            assert_eq!(text(a.before()), text(b.before()), "run of {len}");
            let (fa, fb) = (ha.into_findings(), hb.into_findings());
            assert_eq!(
                text(fa[0].context.clone()),
                text(fb[0].context.clone()),
                "run of {len}"
            );
        }
    }
}
