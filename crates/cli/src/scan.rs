//! `exhunt scan`: the orchestration of discover → read → detect → judge.
//!
//! One immutable [`Engine`] (detectors and their pre-filters) is shared by
//! all worker threads; each thread keeps one [`Worker`] (zip handles and a
//! log scanner with its buffers) for every file it processes.

use exhunt_core::{
    ArtifactKind, ContextLine, ErrorEntry, EventRecord, Finding, FindingKind, Record, Severity,
    Skipped, Stats, Suppressed, Verdict,
};
use exhunt_detect::events::{AttackerIps, EventDetector, SigmaDetector};
use exhunt_detect::iocs::{FileIocs, PathIocKind};
use exhunt_detect::webfiles::{self, Baselines, Known};
use exhunt_detect::{files, DetectorSet, LogContext, LogFamily};
use exhunt_judge::{Evidence, FileWindow};
use exhunt_sources::csvlog::{read_prefix, utf8_reader};
use exhunt_sources::{
    classify_content, discover, path_interest, read_evtx_file, read_evtx_stream, Candidate,
    CsvLogScanner, EventsJsonlReader, Input, Location, MemberOpener, PathInterest, Prefilter,
    SourceError, W3cReader,
};
use exhunt_yara::{FileInfo, FileScanner, YaraRules};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Bytes read from the top of a file to recognise it.
const SNIFF: usize = 16 * 1024;

/// What the file sweep uses: the YARA rules, the known-good baselines of
/// Exchange's web folders, and its limits.
pub struct Sweep {
    pub yara: YaraRules,
    /// File hashes, names and paths of known web shells and tools.
    pub iocs: FileIocs,
    /// Largest file whose content is read whole (hashed, YARA-scanned);
    /// larger ones are named under `skipped` (logs are streamed whatever
    /// their size).
    pub max_file: u64,
    /// Longest a YARA scan of one file may take.
    pub timeout: Duration,
}

/// Detectors and one pre-filter per log family, built once.
pub struct Engine {
    detectors: DetectorSet,
    prefilters: HashMap<LogFamily, Prefilter>,
    sigma: SigmaDetector,
    ips: AttackerIps,
    /// Literal pre-filter for IIS lines (`None`: a rule without declared
    /// literals is loaded, so every line is evaluated).
    iis_prefilter: Option<aho_corasick::AhoCorasick>,
    sweep: Sweep,
    baselines: &'static Baselines,
}

impl Engine {
    pub fn new(
        detectors: DetectorSet,
        rules: exhunt_sigma::RuleSet,
        sweep: Sweep,
    ) -> anyhow::Result<Self> {
        let mut prefilters = HashMap::new();
        for fam in LogFamily::ALL {
            prefilters.insert(
                fam,
                Prefilter::new(&detectors.literals(fam), detectors.case_sensitive(fam))?,
            );
        }
        let sigma = SigmaDetector::new(rules);
        let ips = AttackerIps::bundled();
        let iis = iis_logsource();
        let iis_prefilter = sigma.line_prefilter(&iis, &ips.addresses());
        Ok(Engine {
            detectors,
            prefilters,
            sigma,
            ips,
            iis_prefilter,
            sweep,
            baselines: Baselines::builtin(),
        })
    }

    pub fn rules(&self) -> &exhunt_sigma::RuleSet {
        self.sigma.rules()
    }

    pub fn yara(&self) -> &YaraRules {
        &self.sweep.yara
    }

    /// The IIS pre-filter of the log pass: the engine's, plus the names of
    /// the web shells the file pass found (`None` stays `None`: every line
    /// is read anyway).
    fn iis_prefilter_with(&self, shells: &ShellNames) -> Option<aho_corasick::AhoCorasick> {
        if shells.names.is_empty() || self.iis_prefilter.is_none() {
            return self.iis_prefilter.clone();
        }
        let iis = iis_logsource();
        let mut extra = self.ips.addresses();
        extra.extend(shells.names.keys().map(String::as_str));
        self.sigma.line_prefilter(&iis, &extra)
    }
}

/// The logsource of IIS web logs, as Sigma's webserver rules name it.
fn iis_logsource() -> exhunt_core::LogSource {
    exhunt_core::LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("iis".into()),
    }
}

/// Web shells found on disk in the file pass, by lower-case file name: the
/// log pass ties requests for them to the file finding.
#[derive(Default)]
struct ShellNames {
    /// name → display path of the file.
    names: BTreeMap<String, String>,
}

impl ShellNames {
    /// Script files that a finding of `high` or above calls a web shell;
    /// names Exchange itself ships (logon.aspx) are left out: requests for
    /// them are everyone's.
    fn from_findings<'f>(
        findings: impl Iterator<Item = &'f Finding>,
        baselines: &Baselines,
    ) -> Self {
        let mut names = BTreeMap::new();
        for f in findings {
            if f.kind != FindingKind::Webshell || f.severity > Severity::High {
                continue;
            }
            let name = f
                .path
                .rsplit(['/', '!'])
                .next()
                .unwrap_or("")
                .to_lowercase();
            if webfiles::is_script_name(&name) && !baselines.is_stock_file_name(&name) {
                names.entry(name).or_insert_with(|| f.path.clone());
            }
        }
        ShellNames { names }
    }

    /// A finding when an IIS request's URI names one of the shells.
    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord) -> Option<Finding> {
        if self.names.is_empty() {
            return None;
        }
        let stem = rec.field("cs-uri-stem")?;
        let name = stem.rsplit('/').next()?.to_lowercase();
        let file = self.names.get(&name)?;
        let status = rec.field("sc-status").unwrap_or("");
        let served = status.starts_with('2');
        let mut f = Finding::new(
            "webshell-requested",
            if served {
                "Request for a web shell found on disk, answered with success: the intruder used it"
            } else {
                "Request for a web shell found on disk (not answered with success)"
            },
            &[],
            FindingKind::Webshell,
            if served {
                Verdict::Compromised
            } else {
                Verdict::Attempted
            },
            if served {
                Severity::Critical
            } else {
                Severity::Medium
            },
            ctx.path,
            "exhunt: the file finding's name in the IIS log's cs-uri-stem (Microsoft HAFNIUM blog 2021-03-02 and CISA AA21-062A: look for requests to the web shells found)",
        );
        f.time = rec.time.clone();
        f.line = Some(rec.line);
        f = f
            .with("file_name", name)
            .with("web_shell_file", file.clone())
            .with("cs-uri-stem", stem)
            .with("sc-status", status)
            .with("c-ip", rec.field("c-ip").unwrap_or(""))
            .with("cs-method", rec.field("cs-method").unwrap_or(""))
            .with("cs(User-Agent)", rec.field("cs(User-Agent)").unwrap_or(""));
        Some(f)
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
struct Worker<'e> {
    opener: MemberOpener,
    scanner: CsvLogScanner,
    w3c: W3cReader,
    jsonl: EventsJsonlReader,
    /// Made on first use (yara-x scanners are not `Send`: each thread makes
    /// its own).
    yara: Option<FileScanner<'e>>,
    /// The current file's bytes in the file sweep (reused).
    buf: Vec<u8>,
}

impl Worker<'_> {
    fn new() -> Self {
        Worker {
            opener: MemberOpener::default(),
            scanner: CsvLogScanner::default(),
            w3c: W3cReader::default(),
            jsonl: EventsJsonlReader::default(),
            yara: None,
            buf: Vec::new(),
        }
    }
}

/// What one file contributed.
#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    window: Option<FileWindow>,
    errors: Vec<ErrorEntry>,
    skipped: Vec<Skipped>,
    /// Exchange builds this file shows (log header, file version, registry).
    builds: Vec<exhunt_core::BuildSeen>,
    examined: bool,
    content_scanned: bool,
    /// Its content is a file Microsoft ships there (not judged as newer
    /// than its neighbours: updates rewrite such files).
    stock: bool,
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
///
/// Two passes over the candidates, each on all cores: first every file that
/// is not a log by its path (the file sweep, plus logs recognised only by
/// their content), then the logs, so that requests in the IIS logs for a
/// web shell found on disk are tied to it.
pub fn scan(
    engine: &Engine,
    inputs: &[Input],
    input_names: Vec<String>,
    discovery: Option<exhunt_core::SystemDiscovery>,
    progress: &indicatif::ProgressBar,
) -> (Evidence, Vec<Candidate>) {
    let disc = discover(inputs);
    let mut candidates = disc.candidates;
    // An exhunt collection among the inputs: its metadata, not its files.
    let mut replay_errors = Vec::new();
    let replayed = crate::bundle::replay(&mut candidates, &mut replay_errors);
    progress.set_length(candidates.len() as u64);
    // Biggest files first, so one large log does not finish last on one core.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.size));
    let gate = NoiseGate::default();
    // What the path says, once per file: it splits the passes and guides
    // the reading.
    let interest: Vec<PathInterest> = candidates
        .iter()
        .map(|c| path_interest(&c.rel_lower, &c.rel))
        .collect();
    let (logs, others): (Vec<usize>, Vec<usize>) =
        (0..candidates.len()).partition(|&i| interest[i].log.is_some());
    let no_shells = ShellNames::default();
    // One worker per thread for the whole pass (a yara-x scanner is costly
    // to make, so not one per rayon split); threads take the next file from
    // a shared counter, biggest files first.
    let pass = |idx: &[usize], shells: &ShellNames, iis: Option<&aho_corasick::AhoCorasick>| {
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(idx.len()));
        rayon::broadcast(|_| {
            let mut w = Worker::new();
            let mut mine = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = idx.get(k) else {
                    break;
                };
                mine.push((
                    i,
                    process(
                        engine,
                        &gate,
                        shells,
                        iis,
                        &mut w,
                        &candidates[i],
                        &interest[i],
                    ),
                ));
                progress.inc(1);
            }
            done.lock()
                .expect("no panics while scanning")
                .append(&mut mine);
        });
        let mut done = done.into_inner().expect("no panics while scanning");
        done.sort_by_key(|(i, _)| *i);
        done
    };
    let mut outcomes = pass(&others, &no_shells, engine.iis_prefilter.as_ref());
    let shells = ShellNames::from_findings(
        outcomes.iter().flat_map(|(_, o)| &o.findings),
        engine.baselines,
    );
    let iis = engine.iis_prefilter_with(&shells);
    outcomes.extend(pass(&logs, &shells, iis.as_ref()));
    progress.finish_and_clear();

    let mut ev = Evidence {
        inputs: input_names,
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
    ev.errors.extend(replay_errors);
    let mut builds = Vec::new();
    if let Some(d) = discovery {
        builds.extend(d.builds.iter().cloned());
        ev.discovery = Some(d);
    }
    for r in replayed {
        ev.errors.extend(r.errors);
        ev.skipped.extend(r.skipped);
        builds.extend(r.discovery.builds.iter().cloned());
        ev.discovery.get_or_insert(r.discovery);
    }
    ev.skipped.extend(
        disc.skipped
            .into_iter()
            .map(|(path, reason)| Skipped { path, reason }),
    );
    ev.findings
        .extend(newer_than_neighbours(&candidates, &outcomes));
    for (_, o) in outcomes {
        ev.findings.extend(o.findings);
        ev.windows.extend(o.window);
        ev.errors.extend(o.errors);
        ev.skipped.extend(o.skipped);
        builds.extend(o.builds);
        ev.stats.files_examined += o.examined as u64;
        ev.stats.files_content_scanned += o.content_scanned as u64;
        ev.stats.bytes_read += o.bytes;
        ev.stats.lines_read += o.lines;
    }
    ev.patch = crate::patchstatus::patch_status(builds);
    (ev, candidates)
}

/// Script files in web folders much newer than the files beside them
/// (leads). Stock content is not judged (updates rewrite it) but still
/// counts as a neighbour.
fn newer_than_neighbours(
    candidates: &[Candidate],
    outcomes: &[(usize, FileOutcome)],
) -> Vec<Finding> {
    let mut stock = vec![false; candidates.len()];
    for (i, o) in outcomes {
        stock[*i] = o.stock;
    }
    // Only folders that hold a web-folder script file matter.
    let mut dirs = std::collections::HashSet::new();
    for c in candidates {
        if webfiles::is_script_name(&c.rel_lower) && webfiles::web_place(&c.rel_lower).is_some() {
            dirs.insert(c.rel_lower.rsplit_once('/').map_or("", |(d, _)| d));
        }
    }
    let picked: Vec<usize> = (0..candidates.len())
        .filter(|&i| {
            let d = candidates[i]
                .rel_lower
                .rsplit_once('/')
                .map_or("", |(d, _)| d);
            dirs.contains(d)
        })
        .collect();
    let files: Vec<(String, Option<String>)> = picked
        .iter()
        .map(|&i| {
            (
                candidates[i].rel_lower.clone(),
                candidates[i].modified.clone(),
            )
        })
        .collect();
    webfiles::newer_than_neighbours_detail(&files)
        .into_iter()
        .filter(|n| !stock[picked[n.index]])
        .map(|n| {
            let c = &candidates[picked[n.index]];
            let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
            n.finding(&c.display).with("file_name", name)
        })
        .collect()
}

fn process<'e>(
    engine: &'e Engine,
    gate: &NoiseGate,
    shells: &ShellNames,
    iis: Option<&aho_corasick::AhoCorasick>,
    w: &mut Worker<'e>,
    c: &Candidate,
    pi: &PathInterest,
) -> FileOutcome {
    let mut out = FileOutcome::default();
    if pi.programdata_archive {
        let mut f = files::check_archive(&c.display, &c.rel_lower).with("size", c.size.to_string());
        if let Some(m) = &c.modified {
            f = f.with("modified", m.clone());
        }
        out.findings.push(f);
        out.examined = true;
    }
    out.findings.extend(path_ioc_findings(engine, c));
    if let Location::Absent { reason, skipped } = &c.location {
        // Left out of a collection: what its path says is all there is.
        if *skipped {
            out.skipped.push(Skipped {
                path: c.display.clone(),
                reason: reason.clone(),
            });
        }
        return out;
    }
    let Worker {
        opener,
        scanner,
        w3c,
        jsonl,
        yara,
        buf,
    } = w;
    let logs = LogReaders {
        scanner,
        w3c,
        jsonl,
        shells,
        iis,
    };
    let sweep = pi.log.is_none() && c.size <= engine.sweep.max_file;
    if !sweep && pi.log.is_none() {
        out.skipped.push(Skipped {
            path: c.display.clone(),
            reason: too_large(c.size, engine.sweep.max_file),
        });
    }
    if !sweep && !pi.needs_open() {
        return out;
    }
    let res = opener.with_reader(&c.location, |r| {
        if !sweep {
            // Too large for the sweep, but maybe a log (streamed whatever
            // its size) or a dump (checked from its start).
            let mut dec = utf8_reader(r)?;
            let prefix = read_prefix(&mut dec, SNIFF)?;
            if log_kind(pi, &prefix).is_some() {
                out.skipped.retain(|s| s.path != c.display);
                read_if_log(engine, gate, logs, c, pi, &prefix, dec, &mut out)?;
            } else if pi.dump_place || pi.lsass_name {
                out.examined = true;
                check_dump(c, pi, &prefix, &mut dec, &mut out)?;
            }
            return Ok(());
        }
        // The file sweep reads a file once, whole: hash, YARA and the web
        // checks all look at the same bytes.
        let n = read_whole(r, buf, c.size, engine.sweep.max_file)?;
        let buf = &buf[..n];
        if pi.maybe_log {
            let mut dec = utf8_reader(io::Cursor::new(buf))?;
            let prefix = read_prefix(&mut dec, SNIFF)?;
            if read_if_log(engine, gate, logs, c, pi, &prefix, dec, &mut out)? {
                return Ok(());
            }
        }
        let scanner =
            yara.get_or_insert_with(|| FileScanner::new(&engine.sweep.yara, engine.sweep.timeout));
        sweep_file(engine, scanner, c, pi, buf, &mut out)
    });
    if let Err(e) = res {
        out.errors.push(ErrorEntry {
            path: c.display.clone(),
            message: e.to_string(),
        });
    }
    // A zip member's buffer can be large: do not keep a big one around.
    if w.buf.len() > 8 << 20 {
        w.buf = Vec::new();
    }
    out
}

/// Reads a whole file (at most `max` bytes) into `buf`, which only ever
/// grows: it stays initialised between files, so no file pays for zeroing
/// memory (`read_to_end` on a cleared buffer does, every time). `size` is
/// what the walk saw; the file may have grown or shrunk since.
fn read_whole(r: &mut dyn Read, buf: &mut Vec<u8>, size: u64, max: u64) -> io::Result<usize> {
    let mut n = 0;
    let mut want = (size.min(max) as usize).saturating_add(1);
    loop {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match r.read(&mut buf[n..want]) {
            Ok(0) => return Ok(n),
            Ok(k) => {
                n += k;
                if n as u64 > max {
                    return Ok(max as usize);
                }
                if n == want {
                    want = want.saturating_mul(2).min(max as usize + 1);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The log readers of one worker, and what the log pass knows of the file
/// pass.
struct LogReaders<'a> {
    scanner: &'a mut CsvLogScanner,
    w3c: &'a mut W3cReader,
    jsonl: &'a mut EventsJsonlReader,
    shells: &'a ShellNames,
    iis: Option<&'a aho_corasick::AhoCorasick>,
}

/// Reads the file as a log if its path or its first lines say it is one;
/// returns whether it did.
#[allow(clippy::too_many_arguments)]
fn read_if_log(
    engine: &Engine,
    gate: &NoiseGate,
    logs: LogReaders<'_>,
    c: &Candidate,
    pi: &exhunt_sources::PathInterest,
    prefix: &[u8],
    dec: Box<dyn Read + '_>,
    out: &mut FileOutcome,
) -> Result<bool, SourceError> {
    let Some(kind) = log_kind(pi, prefix) else {
        return Ok(false);
    };
    out.examined = true;
    match LogFamily::of(&kind) {
        Some(fam) => {
            read_exchange_csv(engine, gate, logs.scanner, c, &kind, fam, prefix, dec, out)?
        }
        None => read_events(engine, gate, logs, c, &kind, prefix, dec, out)?,
    }
    Ok(true)
}

/// The log kind of a file, from its path or its first lines.
/// Why a file's content is not read (the scan and the collection say it alike).
fn too_large(size: u64, max_file: u64) -> String {
    format!(
        "larger than --max-filesize ({size} bytes > {max_file}): content not hashed or YARA-scanned"
    )
}

/// What a scan reads of a file, for `exhunt collect`: the whole file, or
/// nothing but its path, size and time.
pub enum Need {
    /// `text_log`: an Exchange or IIS text log (limited by `--since`).
    Whole { text_log: bool },
    /// The scan reads none of it beyond its first bytes; the reason is the
    /// one the scan would give.
    Skip(String),
}

/// Decides as [`process`] does: logs whole whatever their size, other
/// files whole up to `max_file`; a larger file only when its first bytes
/// make it a log or a memory dump the scan reads through.
pub fn collect_need(
    c: &Candidate,
    pi: &PathInterest,
    max_file: u64,
    opener: &mut MemberOpener,
) -> Result<Need, SourceError> {
    let is_evtx = matches!(pi.log, Some(ArtifactKind::EventLog { .. }));
    if pi.log.is_some() {
        return Ok(Need::Whole { text_log: !is_evtx });
    }
    let small = c.size <= max_file;
    if small && !pi.maybe_log {
        return Ok(Need::Whole { text_log: false });
    }
    let skip = too_large(c.size, max_file);
    if !small && !pi.needs_open() {
        return Ok(Need::Skip(skip));
    }
    opener.with_reader(&c.location, |r| {
        let mut dec = utf8_reader(r)?;
        let prefix = read_prefix(&mut dec, SNIFF)?;
        if log_kind(pi, &prefix).is_some() {
            return Ok(Need::Whole { text_log: true });
        }
        if small {
            return Ok(Need::Whole { text_log: false });
        }
        let dump = pi.lsass_name || (pi.dump_place && prefix.starts_with(b"MDMP"));
        Ok(if dump {
            Need::Whole { text_log: false }
        } else {
            Need::Skip(skip)
        })
    })
}

fn log_kind(pi: &exhunt_sources::PathInterest, prefix: &[u8]) -> Option<ArtifactKind> {
    pi.log.clone().or_else(|| {
        if pi.maybe_log {
            classify_content(prefix)
        } else {
            None
        }
    })
}

fn check_dump(
    c: &Candidate,
    pi: &exhunt_sources::PathInterest,
    prefix: &[u8],
    rest: &mut dyn Read,
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    if let Some(mut f) = files::check_dump(&c.display, pi.lsass_name, pi.dump_place, prefix, rest)?
    {
        f = f.with("size", c.size.to_string());
        if let Some(m) = &c.modified {
            f = f.with("modified", m.clone());
        }
        out.findings.push(f);
    }
    Ok(())
}

/// Score (0–100, as the lists give it) from which a path indicator is a
/// finding on its own; below it, a lead.
const IOC_PATH_FINDING: u8 = 75;

/// Findings for a file whose path or name is on an indicator list: the
/// name alone is enough, the file need not be read.
fn path_ioc_findings(engine: &Engine, c: &Candidate) -> Vec<Finding> {
    let hits = engine.sweep.iocs.path(&c.rel);
    // The best match speaks for all (the lists overlap).
    let Some(best) = hits.first() else {
        return Vec::new();
    };
    let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
    let strong = best.score >= IOC_PATH_FINDING;
    let what = match best.kind {
        PathIocKind::Path => "the path of a web shell",
        PathIocKind::Name => "the name of a web shell",
        PathIocKind::Regex => "a web-shell place and name",
    };
    let mut f = Finding::new(
        "ioc-path",
        format!("File at {what} published after the 2021 intrusions"),
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        if strong {
            Severity::High
        } else {
            Severity::Info
        },
        &c.display,
        &best.source,
    );
    if !strong {
        f.escalate_to = Some(Severity::Medium);
    }
    let mut f = f
        .with("file_name", name)
        .with("ioc_pattern", best.pattern.clone())
        .with("ioc_kind", best.kind.as_str())
        .with("ioc_score", best.score.to_string())
        .with("size", c.size.to_string());
    if hits.len() > 1 {
        f = f.with("ioc_also", format!("{} more list entries", hits.len() - 1));
    }
    if let Some(m) = &c.modified {
        f = f.with("modified", m.clone());
    }
    vec![f]
}

/// Largest start of a file handed to the web-folder checks (compiled pages
/// are a few kilobytes).
const WEB_HEAD: usize = 1 << 20;

/// The file sweep over one file's bytes: YARA, the web-folder checks, the
/// IIS configuration checks and the dump check.
fn sweep_file(
    engine: &Engine,
    yara: &mut FileScanner<'_>,
    c: &Candidate,
    pi: &exhunt_sources::PathInterest,
    data: &[u8],
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    out.examined = true;
    out.content_scanned = true;
    out.bytes += data.len() as u64;
    let name_lower = c.rel_lower.rsplit('/').next().unwrap_or(&c.rel_lower);
    let name = c.rel.rsplit('/').next().unwrap_or(&c.rel);
    let mut found = Vec::new();
    match yara.scan(
        data,
        FileInfo {
            name: name_lower,
            path: &c.rel_lower,
        },
    ) {
        Ok(hits) => {
            let quoted = is_document(name_lower) && !in_web_tree(&c.rel_lower);
            for h in &hits {
                let mut f = exhunt_yara::hit_finding(h, &c.display).with("file_name", name);
                if quoted {
                    // Write-ups, notes and IOC reports quote shell code; IIS
                    // does not run a .md or .txt. A lead, not a finding.
                    f.severity = Severity::Info;
                    f.escalate_to = None;
                    f = f.with(
                        "why",
                        "the code is in a text document outside the web folders, where IIS does not run it (a write-up or notes quoting a shell, or a shell staged under another name)",
                    );
                }
                found.push(f);
            }
        }
        Err(e) => out.error(c, format!("YARA scan incomplete: {e}")),
    }
    // Every file read is hashed: the indicator lists (ours and the user's)
    // name files by SHA-256, and every finding carries it.
    let digest: [u8; 32] = Sha256::digest(data).into();
    let sha = exhunt_core::hex(&digest);
    if let Some(ioc) = engine.sweep.iocs.hash_bytes(&digest) {
        found.push(
            Finding::new(
                "ioc-sha256",
                format!(
                    "File is a known web shell or intrusion tool ({})",
                    ioc.describe()
                ),
                &[],
                FindingKind::Webshell,
                Verdict::Compromised,
                Severity::Critical,
                &c.display,
                &ioc.source,
            )
            .with("file_name", name)
            .with("ioc", ioc.describe())
            .with("ioc_note", ioc.note.clone()),
        );
    }
    if webfiles::wants_file(&c.rel_lower) {
        let sha = &sha;
        let head = &data[..data.len().min(WEB_HEAD)];
        found.extend(webfiles::check_web_file(
            &c.rel_lower,
            &c.display,
            sha,
            head,
            None,
            engine.baselines,
        ));
        out.stock = webfiles::install_relative(&c.rel_lower).is_some_and(|inst| {
            matches!(
                engine.baselines.hash_known_for(inst, sha, None),
                Known::StockSame | Known::StockOtherBuild
            )
        });
    }
    if name_lower == "applicationhost.config"
        || (name_lower == "web.config" && in_web_tree(&c.rel_lower))
    {
        let text = String::from_utf8_lossy(data);
        let res = if name_lower == "web.config" {
            webfiles::check_web_config(&c.display, &text)
        } else {
            webfiles::check_application_host_config(&c.display, &text)
        };
        match res {
            Ok(f) => found.extend(f),
            Err(e) => out.error(c, format!("IIS configuration not checked: {e}")),
        }
    }
    if pi.dump_place || pi.lsass_name {
        check_dump(c, pi, data, &mut io::empty(), out)?;
    }
    build_evidence(c, name_lower, data, out);
    for mut f in found {
        f = f
            .with("sha256", sha.clone())
            .with("size", c.size.to_string());
        if let Some(m) = &c.modified {
            f = f.with("modified", m.clone());
        }
        out.findings.push(f);
    }
    Ok(())
}

/// The build a file shows: ExSetup.exe's version resource (what Health
/// Checker reads), or an exported Exchange Setup registry key.
fn build_evidence(c: &Candidate, name_lower: &str, data: &[u8], out: &mut FileOutcome) {
    let (build, source) = if name_lower == "exsetup.exe" {
        match exhunt_sources::buildinfo::pe_file_version(data) {
            Some([a, b, cc, d]) => (
                format!("{a}.{b}.{cc}.{d}"),
                "ExSetup.exe file version".to_string(),
            ),
            None => return,
        }
    } else if name_lower.ends_with(".reg") {
        match exhunt_sources::buildinfo::reg_exchange_build(data) {
            Some((b, key)) => (b, format!("registry export ({key})")),
            None => return,
        }
    } else {
        return;
    };
    out.builds.push(exhunt_core::BuildSeen {
        build,
        source,
        path: c.display.clone(),
        first: None,
        last: c.modified.clone(),
        files: 1,
    });
}

/// Whether a web.config is one IIS serves Exchange from (under inetpub or
/// Exchange's web folders): others belong to unrelated software.
fn in_web_tree(rel_lower: &str) -> bool {
    webfiles::web_place(rel_lower).is_some() || rel_lower.split('/').any(|c| c == "inetpub")
}

/// Text documents (reports, notes, data): shell code in them is quoted,
/// not served.
fn is_document(name_lower: &str) -> bool {
    let ext = name_lower.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(
        ext,
        "md" | "markdown"
            | "rst"
            | "txt"
            | "log"
            | "csv"
            | "tsv"
            | "json"
            | "jsonl"
            | "yml"
            | "yaml"
            | "pdf"
            // Detection rules quote what they detect.
            | "yar"
            | "yara"
    )
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
    if let Some(v) = lo.version.as_deref() {
        if let Ok(exhunt_patch::Parsed::Full(b)) = exhunt_patch::parse_version(v) {
            out.builds.push(exhunt_core::BuildSeen {
                build: b.to_string(),
                source: format!(
                    "{} log header (#Version)",
                    match fam {
                        LogFamily::HttpProxy => "HttpProxy",
                        LogFamily::EcpServer => "ECP Server",
                        LogFamily::OabGenerator => "OABGenerator",
                    }
                ),
                path: c.display.clone(),
                first: lo.first_time.clone(),
                last: lo.last_time.clone(),
                files: 1,
            });
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
    logs: LogReaders<'_>,
    c: &Candidate,
    kind: &ArtifactKind,
    prefix: &[u8],
    dec: Box<dyn Read + '_>,
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    let LogReaders {
        w3c,
        jsonl,
        shells,
        iis,
        ..
    } = logs;
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
            here.extend(shells.check(&ctx, rec));
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
            let o = match iis {
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
                Location::ZipMember { .. } | Location::Absent { .. } => {
                    read_evtx_stream(&mut chained, &mut on_record)?
                }
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
