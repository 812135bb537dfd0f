//! `exhunt scan`: the orchestration of discover → read → detect → judge.
//!
//! One immutable [`Engine`] (detectors and their pre-filters) is shared by
//! all worker threads; each thread keeps one [`Worker`] (zip handles and a
//! log scanner with its buffers) for every file it processes.

use exhunt_core::{
    ArtifactKind, ContextLine, ErrorEntry, EventRecord, Finding, FindingKind, Stats, Suppressed,
};
use exhunt_detect::events::{AttackerIps, EventDetector, SigmaDetector};
use exhunt_detect::{files, DetectorSet, LogContext, LogFamily};
use exhunt_judge::{Evidence, FileWindow};
use exhunt_sources::csvlog::{read_prefix, utf8_reader};
use exhunt_sources::{
    classify_content, discover, path_interest, read_evtx_file, read_evtx_stream, Candidate,
    CsvLogScanner, EventsJsonlReader, Location, MemberOpener, Prefilter, SourceError, W3cReader,
};
use rayon::prelude::*;
use std::collections::{BinaryHeap, HashMap};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;

/// Bytes read from the top of a file to recognise it.
const SNIFF: usize = 16 * 1024;

/// Detectors and one pre-filter per log family, built once.
pub struct Engine {
    detectors: DetectorSet,
    prefilters: HashMap<LogFamily, Prefilter>,
    sigma: SigmaDetector,
    ips: AttackerIps,
    /// Literal pre-filter for IIS lines (`None`: a rule without declared
    /// literals is loaded, so every line is evaluated).
    iis_prefilter: Option<aho_corasick::AhoCorasick>,
}

impl Engine {
    pub fn new(detectors: DetectorSet, rules: exhunt_sigma::RuleSet) -> anyhow::Result<Self> {
        let mut prefilters = HashMap::new();
        for fam in LogFamily::ALL {
            prefilters.insert(
                fam,
                Prefilter::new(&detectors.literals(fam), detectors.case_sensitive(fam))?,
            );
        }
        let sigma = SigmaDetector::new(rules);
        let ips = AttackerIps::bundled();
        let iis = exhunt_core::LogSource {
            category: Some("webserver".into()),
            product: Some("windows".into()),
            service: Some("iis".into()),
        };
        let iis_prefilter = sigma.line_prefilter(&iis, &ips.addresses());
        Ok(Engine {
            detectors,
            prefilters,
            sigma,
            ips,
            iis_prefilter,
        })
    }

    pub fn rules(&self) -> &exhunt_sigma::RuleSet {
        self.sigma.rules()
    }
}

/// Most findings listed one by one for a noisy rule (scans and failed
/// attempts); the rest are counted. Keeps memory bounded on servers that
/// have been probed every day for years.
pub const NOISY_CAP: u64 = 1000;

/// Shared by all workers: the noisy rules' findings. For each rule it keeps
/// the earliest `NOISY_CAP` (by time, path, line: the same ones whatever
/// order the threads deliver them in) and counts the rest. Only flagged
/// lines reach it, so the lock is rarely taken.
#[derive(Default)]
struct NoiseGate {
    rules: Mutex<HashMap<String, NoisyRule>>,
}

#[derive(Default)]
struct NoisyRule {
    kept: BinaryHeap<Ranked>,
    over: Option<Suppressed>,
}

/// A finding ordered by when and where it was seen.
struct Ranked(Finding);

impl Ranked {
    fn key(&self) -> (bool, Option<&str>, &str, Option<u64>) {
        let f = &self.0;
        (f.time.is_none(), f.time.as_deref(), f.path.as_str(), f.line)
    }
}
impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key().cmp(&o.key())
    }
}

impl NoiseGate {
    /// Takes the finding if its rule is noisy; gives it back otherwise.
    fn offer(&self, f: Finding) -> Option<Finding> {
        if !matches!(f.kind, FindingKind::Scan | FindingKind::Attempt) {
            return Some(f);
        }
        let mut rules = self.rules.lock().expect("no panics while counting");
        let r = rules.entry(f.rule.clone()).or_default();
        r.kept.push(Ranked(f));
        if r.kept.len() as u64 > NOISY_CAP {
            let Ranked(late) = r.kept.pop().expect("over the cap");
            let s = r.over.get_or_insert_with(|| Suppressed {
                rule: late.rule.clone(),
                count: 0,
                first: None,
                last: None,
            });
            s.count += 1;
            if let Some(t) = late.time {
                if s.first.as_ref().is_none_or(|c| &t < c) {
                    s.first = Some(t.clone());
                }
                if s.last.as_ref().is_none_or(|c| &t > c) {
                    s.last = Some(t);
                }
            }
        }
        None
    }

    /// The kept findings and the counts beyond the cap.
    fn finish(self) -> (Vec<Finding>, Vec<Suppressed>) {
        let mut kept = Vec::new();
        let mut over = Vec::new();
        for (_, r) in self.rules.into_inner().expect("no panics while counting") {
            kept.extend(r.kept.into_iter().map(|Ranked(f)| f));
            over.extend(r.over);
        }
        (kept, over)
    }
}

/// Per-thread reusable state.
#[derive(Default)]
struct Worker {
    opener: MemberOpener,
    scanner: CsvLogScanner,
    w3c: W3cReader,
    jsonl: EventsJsonlReader,
}

/// What one file contributed.
#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    window: Option<FileWindow>,
    errors: Vec<ErrorEntry>,
    examined: bool,
    bytes: u64,
    lines: u64,
}

impl FileOutcome {
    fn error(&mut self, c: &Candidate, message: String) {
        self.errors.push(ErrorEntry {
            path: c.display.clone(),
            message,
        });
    }
}

/// Runs the scan over the inputs and gathers the evidence for the judge.
/// `progress` is told the number of files, then ticked once per file.
pub fn scan(
    engine: &Engine,
    inputs: &[PathBuf],
    progress: &indicatif::ProgressBar,
) -> (Evidence, Vec<Candidate>) {
    let disc = discover(inputs);
    let mut candidates = disc.candidates;
    progress.set_length(candidates.len() as u64);
    // Biggest files first, so one large log does not finish last on one core.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.size));
    let gate = NoiseGate::default();
    let outcomes: Vec<FileOutcome> = candidates
        .par_iter()
        .map_init(Worker::default, |w, c| {
            let o = process(engine, &gate, w, c);
            progress.inc(1);
            o
        })
        .collect();
    progress.finish_and_clear();

    let mut ev = Evidence {
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        stats: Stats {
            files_seen: candidates.len() as u64,
            ..Stats::default()
        },
        ..Evidence::default()
    };
    let (kept, over) = gate.finish();
    ev.findings.extend(kept);
    ev.suppressed = over;
    ev.errors.extend(
        disc.errors
            .into_iter()
            .map(|(path, message)| ErrorEntry { path, message }),
    );
    for o in outcomes {
        ev.findings.extend(o.findings);
        ev.windows.extend(o.window);
        ev.errors.extend(o.errors);
        ev.stats.files_examined += o.examined as u64;
        ev.stats.bytes_read += o.bytes;
        ev.stats.lines_read += o.lines;
    }
    (ev, candidates)
}

fn process(engine: &Engine, gate: &NoiseGate, w: &mut Worker, c: &Candidate) -> FileOutcome {
    let pi = path_interest(&c.rel_lower, &c.rel);
    let mut out = FileOutcome::default();
    if pi.programdata_archive {
        let mut f = files::check_archive(&c.display, &c.rel_lower).with("size", c.size.to_string());
        if let Some(m) = &c.modified {
            f = f.with("modified", m.clone());
        }
        out.findings.push(f);
        out.examined = true;
    }
    if !pi.needs_open() {
        return out;
    }
    let Worker {
        opener,
        scanner,
        w3c,
        jsonl,
    } = w;
    let res = opener.with_reader(&c.location, |r| {
        let mut dec = utf8_reader(r)?;
        let prefix = read_prefix(&mut dec, SNIFF)?;
        let kind = pi.log.clone().or_else(|| {
            if pi.maybe_log {
                classify_content(&prefix)
            } else {
                None
            }
        });
        if let Some(kind) = kind {
            out.examined = true;
            match LogFamily::of(&kind) {
                Some(fam) => {
                    read_exchange_csv(engine, gate, scanner, c, &kind, fam, &prefix, dec, &mut out)?
                }
                None => read_events(engine, gate, w3c, jsonl, c, &kind, &prefix, dec, &mut out)?,
            }
        } else if pi.dump_place || pi.lsass_name {
            out.examined = true;
            if let Some(mut f) =
                files::check_dump(&c.display, pi.lsass_name, pi.dump_place, &prefix, &mut dec)?
            {
                f = f.with("size", c.size.to_string());
                if let Some(m) = &c.modified {
                    f = f.with("modified", m.clone());
                }
                out.findings.push(f);
            }
        }
        Ok::<(), SourceError>(())
    });
    if let Err(e) = res {
        out.errors.push(ErrorEntry {
            path: c.display.clone(),
            message: e.to_string(),
        });
    }
    out
}

/// Exchange's own CSV logs: literal pre-filter, then the built-in detectors.
#[allow(clippy::too_many_arguments)]
fn read_exchange_csv(
    engine: &Engine,
    gate: &NoiseGate,
    scanner: &mut CsvLogScanner,
    c: &Candidate,
    kind: &ArtifactKind,
    fam: LogFamily,
    prefix: &[u8],
    dec: Box<dyn Read + '_>,
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    let pf = &engine.prefilters[&fam];
    let detectors: Vec<_> = engine.detectors.for_family(fam).collect();
    let ctx = LogContext {
        path: &c.display,
        kind,
    };
    let mut findings = Vec::new();
    let mut chained = io::Cursor::new(prefix).chain(dec);
    let lo = scanner.scan(&mut chained, pf, &mut |rec| {
        let mut here = Vec::new();
        for d in &detectors {
            d.check(&ctx, rec, &mut here);
        }
        if !here.is_empty() {
            let around = context_of(rec);
            for f in &mut here {
                f.context = around.clone();
                engine.ips.annotate(f);
            }
        }
        // Gate as we go, so a flood of probe rows never piles up.
        findings.extend(here.into_iter().filter_map(|f| gate.offer(f)));
    })?;
    out.findings.extend(findings);
    out.bytes += lo.bytes;
    out.lines += lo.lines;
    for msg in lo.warnings {
        out.error(c, msg);
    }
    if fam == LogFamily::HttpProxy {
        let has = |n: &str| lo.fields.iter().any(|f| f.eq_ignore_ascii_case(n));
        if lo.fields.is_empty() {
            out.error(c, "HttpProxy log without a column header (no #Fields: line and no header line): its rows could not be checked".into());
        } else if !has("AnchorMailbox") {
            out.error(c, "HttpProxy log without an AnchorMailbox column: the CVE-2021-26855 check could not run on it".into());
        }
    }
    out.window = Some(FileWindow {
        family: kind.family().expect("log kinds have a family"),
        first: lo.first_time,
        last: lo.last_time,
    });
    Ok(())
}

/// Event logs and IIS web logs: every record goes through the Sigma rules
/// of its logsource (and web requests through the attacker address list).
#[allow(clippy::too_many_arguments)]
fn read_events(
    engine: &Engine,
    gate: &NoiseGate,
    w3c: &mut W3cReader,
    jsonl: &mut EventsJsonlReader,
    c: &Candidate,
    kind: &ArtifactKind,
    prefix: &[u8],
    dec: Box<dyn Read + '_>,
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    let ctx = LogContext {
        path: &c.display,
        kind,
    };
    let st = std::cell::RefCell::new(EventContext::default());
    let skipped = &st;
    let mut on_record = |rec: &EventRecord| {
        let mut st = st.borrow_mut();
        st.see(rec.line, rec.time.as_deref(), rec.raw.as_bytes());
        let mut here = Vec::new();
        engine.sigma.check(&ctx, rec, &mut here);
        if matches!(kind, ArtifactKind::IisLog { .. }) {
            engine.ips.check(&ctx, rec, &mut here);
        }
        for mut f in here {
            f.context = st.before();
            engine.ips.annotate(&mut f);
            if let Some(f) = gate.offer(f) {
                let at = st.findings.len();
                st.pending.push((at, CONTEXT_LINES));
                st.findings.push(f);
            }
        }
    };
    let mut chained = io::Cursor::new(prefix).chain(dec);
    let (first, last, warnings) = match kind {
        ArtifactKind::IisLog { .. } => {
            let o = match &engine.iis_prefilter {
                Some(pf) => w3c.scan_filtered(
                    &mut chained,
                    &|line| pf.is_match(line),
                    &mut on_record,
                    &mut |n, raw| skipped.borrow_mut().see(n, None, raw),
                )?,
                None => w3c.scan(&mut chained, &mut on_record)?,
            };
            out.bytes += o.bytes;
            out.lines += o.lines;
            (o.first_time, o.last_time, o.warnings)
        }
        ArtifactKind::EventJsonl => {
            let o = jsonl.scan(&mut chained, &mut on_record)?;
            out.bytes += o.bytes;
            out.lines += o.lines;
            let mut w = o.warnings;
            w.extend(lost(o.failed, &o.errors, "line(s) are not JSON events"));
            (o.first_time, o.last_time, w)
        }
        _ => {
            // EVTX needs to seek: a file is reopened by path, a zip member
            // is read into memory (capped).
            let o = match &c.location {
                Location::File(p) => read_evtx_file(p, &mut on_record)?,
                Location::ZipMember { .. } => read_evtx_stream(&mut chained, &mut on_record)?,
            };
            out.bytes += c.size;
            out.lines += o.records;
            let w = lost(o.failed, &o.errors, "event record(s) could not be parsed");
            (o.first_time, o.last_time, w.into_iter().collect())
        }
    };
    out.findings.extend(st.into_inner().findings);
    for msg in warnings {
        out.error(c, msg);
    }
    out.window = Some(FileWindow {
        family: kind.family().expect("log kinds have a family"),
        first,
        last,
    });
    Ok(())
}

/// One warning for the records a reader could not use, naming the first.
fn lost(failed: u64, errors: &[String], what: &str) -> Option<String> {
    (failed > 0).then(|| {
        format!(
            "{failed} {what} (first: {})",
            errors.first().map(String::as_str).unwrap_or("?")
        )
    })
}

/// The records around event findings: the last few seen (kept raw, in
/// reused buffers: most lines never become context), and findings still
/// waiting for the records after them.
#[derive(Default)]
struct EventContext {
    /// The current record and the `CONTEXT_LINES` before it.
    ring: [RawLine; RING],
    /// Slots filled, and the next slot to write.
    filled: usize,
    next: usize,
    pending: Vec<(usize, usize)>,
    findings: Vec<Finding>,
}

#[derive(Default)]
struct RawLine {
    n: u64,
    time: Option<String>,
    bytes: Vec<u8>,
}

impl RawLine {
    fn to_context(&self) -> ContextLine {
        ContextLine {
            // A record knows its time; a skipped IIS line is read for it.
            time: self
                .time
                .clone()
                .or_else(|| exhunt_sources::w3c::line_time(&self.bytes)),
            line: Some(self.n),
            text: exhunt_detect::excerpt(&self.bytes, 400),
        }
    }
}

impl EventContext {
    /// Sees one record or line: gives it to findings still collecting what
    /// came after them, then remembers it for findings to come.
    fn see(&mut self, n: u64, time: Option<&str>, bytes: &[u8]) {
        if !self.pending.is_empty() {
            let line = RawLine {
                n,
                time: time.map(str::to_string),
                bytes: bytes.to_vec(),
            }
            .to_context();
            let findings = &mut self.findings;
            self.pending.retain_mut(|(i, left)| {
                findings[*i].context.push(line.clone());
                *left -= 1;
                *left > 0
            });
        }
        let slot = &mut self.ring[self.next];
        slot.n = n;
        slot.time = time.map(str::to_string);
        slot.bytes.clear();
        slot.bytes.extend_from_slice(bytes);
        self.next = (self.next + 1) % RING;
        self.filled = (self.filled + 1).min(RING);
    }

    /// The remembered lines, oldest first, without the one just seen.
    fn before(&self) -> Vec<ContextLine> {
        // `see` has already stored the current record: skip it.
        let mut out = Vec::new();
        for k in (1..self.filled).rev() {
            let i = (self.next + RING - 1 - k) % RING;
            out.push(self.ring[i].to_context());
        }
        out
    }
}

/// Lines kept on each side of a finding for the timeline.
const CONTEXT_LINES: usize = 3;
const RING: usize = CONTEXT_LINES + 1;

/// The lines around a flagged log line, with their timestamps (the first
/// field of Exchange's CSV logs).
fn context_of(rec: &exhunt_sources::CsvRecord<'_>) -> Vec<ContextLine> {
    rec.around(CONTEXT_LINES)
        .into_iter()
        .map(|(n, l)| {
            let text = String::from_utf8_lossy(l);
            let first = text.split(',').next().unwrap_or("");
            let time =
                (first.len() >= 19 && first.as_bytes()[4] == b'-' && first.as_bytes()[10] == b'T')
                    .then(|| first.to_string());
            ContextLine {
                time,
                line: Some(n),
                text: exhunt_detect::excerpt(l, 400),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_context_before_and_after() {
        let mut st = EventContext::default();
        for n in 1..=5u64 {
            st.see(n, None, format!("line {n}").as_bytes());
        }
        let before = st.before();
        assert_eq!(
            before.iter().map(|c| c.line.unwrap()).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        st.findings.push(Finding::new(
            "r",
            "t",
            &[],
            FindingKind::Attempt,
            exhunt_core::Verdict::Attempted,
            exhunt_core::Severity::Low,
            "p",
            "s",
        ));
        st.pending.push((0, CONTEXT_LINES));
        for n in 6..=10u64 {
            st.see(n, Some("2021-03-03T00:00:00Z"), b"x");
        }
        let after: Vec<u64> = st.findings[0]
            .context
            .iter()
            .map(|c| c.line.unwrap())
            .collect();
        assert_eq!(after, vec![6, 7, 8]);
        assert!(st.pending.is_empty());
        let mut short = EventContext::default();
        short.see(1, None, b"only");
        assert!(short.before().is_empty());
    }
}
