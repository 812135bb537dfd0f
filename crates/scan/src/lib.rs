//! The scan pipeline as a library: discover → read → detect → judge.
//!
//! - [`ScanConfigBuilder`] takes what the user asked for (inputs, rule
//!   folders, indicator files, limits) and builds an immutable
//!   [`ScanConfig`]: rules loaded and compiled, detectors and pre-filters
//!   made once (ripgrep's low-args → high-args split).
//! - [`run`] scans with it on all cores: one worker per thread
//!   (`worker.rs`, ripgrep's `SearchWorker`) takes the next file, reads it
//!   through the read seam of `exhunt-sources` and hands records and files
//!   to the seams of `exhunt-detect` (event, line and file detectors).
//!   Every finding goes through one gate (`gate.rs`), which keeps each
//!   rule's earliest findings up to a cap and summarises the rest, so
//!   memory is flat in the number of matching rows; whole-tree checks
//!   (`neighbours.rs`) and the patch status (`patchstatus.rs`) run after.
//!   The result is the [`Evidence`] the judge turns into a report, with the
//!   candidates (for `--collect`).
//! - [`servers`] tells which inputs are which server (the host names their
//!   logs give); [`run_server`] scans one server's inputs, so evidence of
//!   one server never ties to another's.
//! - [`collect_need`] decides what a scan reads of a file, for `exhunt
//!   collect` to copy exactly that.
//! - [`guard`] keeps every output out of the evidence.
//!
//! Two passes over the files, each on all cores: first every file that is
//! not a log by its path (the file sweep, plus logs recognised only by
//! their content), then the logs, so that requests in the IIS logs for a
//! web shell found on disk are tied to it.

#![forbid(unsafe_code)]

mod access;
mod config;
mod engine;
mod gate;
pub mod guard;
mod logs;
mod need;
mod neighbours;
mod patchstatus;
mod servers;
mod worker;

pub use config::{ScanConfig, ScanConfigBuilder, ScanError};
pub use engine::Engine;
pub use exhunt_judge::Evidence;
pub use gate::{FILE_CAP, KEEP_CAP, NOISY_CAP, SEVERE_CAP};
pub use need::{collect_need, Need};
pub use patchstatus::patch_status;
pub use servers::{servers, Server};

use exhunt_core::{ErrorEntry, Skipped, Stats};
use exhunt_detect::shells::RequestedShells;
use exhunt_sources::{discover, path_interest, Candidate, PathInterest};
use gate::FindingGate;
use logs::LogPass;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use worker::{FileOutcome, Worker};

/// Told how far the scan is, in bytes: [`Progress::set_length`] gives the
/// bytes it will read (the sizes of the files it opens; a file it leaves
/// unread counts nothing), then [`Progress::inc`] adds bytes as they are
/// read, every 256 KiB within a big file and the rest when the file is
/// done, so the increments add up to the length. Files are counted beside
/// the bytes ([`Progress::set_files`], [`Progress::file_done`]). Calls come
/// from all the scan's threads.
pub trait Progress: Sync {
    /// The bytes the scan will read.
    fn set_length(&self, _bytes: u64) {}
    /// Bytes read.
    fn inc(&self, _bytes: u64) {}
    /// The number of files the scan will go through (read or not).
    fn set_files(&self, _files: u64) {}
    /// One file done.
    fn file_done(&self) {}
    fn finish(&self) {}
}

/// No progress shown.
impl Progress for () {}

/// What a scan produced.
pub struct ScanOutput {
    /// For the judge.
    pub evidence: Evidence,
    /// Every file seen, for copying flagged ones (`--collect`).
    pub candidates: Vec<Candidate>,
}

/// Scans the configured inputs as one server.
pub fn run(config: &ScanConfig, progress: &dyn Progress) -> ScanOutput {
    let all = Server {
        host: None,
        units: (0..config.units.len()).collect(),
        found: Vec::new(),
    };
    run_server(config, &all, progress)
}

/// Scans the inputs of one server (see [`servers`]): nothing read from
/// another server's inputs ties to its findings.
pub fn run_server(config: &ScanConfig, server: &Server, progress: &dyn Progress) -> ScanOutput {
    let engine = &config.engine;
    let units: Vec<_> = server.units.iter().map(|&u| &config.units[u]).collect();
    let mut input_idx: Vec<usize> = units
        .iter()
        .flat_map(|u| u.inputs.iter().copied())
        .collect();
    input_idx.sort_unstable();
    let mut name_idx: Vec<usize> = units.iter().flat_map(|u| u.names.iter().copied()).collect();
    name_idx.sort_unstable();
    let inputs: Vec<_> = input_idx
        .iter()
        .map(|&i| config.inputs[i].clone())
        .collect();
    // The system root's discovery belongs to the server its places are.
    let root = units.iter().any(|u| u.root);
    // Listed already when the hosts were looked for (`servers`), or now.
    let disc = server
        .discovery_of(&input_idx)
        .unwrap_or_else(|| discover(&inputs));
    let mut candidates = disc.candidates;
    // An exhunt collection among the inputs: its metadata, not its files.
    let mut replay_errors = Vec::new();
    let replayed = exhunt_sources::collection::replay(&mut candidates, &mut replay_errors);
    // Biggest files first, so one large log does not finish last on one core.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.size));
    let gate = FindingGate::default();
    // What the path says, once per file: it splits the passes and guides
    // the reading.
    let interest: Vec<PathInterest> = candidates
        .iter()
        .map(|c| path_interest(&c.rel_lower, &c.rel))
        .collect();
    progress.set_files(candidates.len() as u64);
    progress.set_length(
        candidates
            .iter()
            .zip(&interest)
            .map(|(c, pi)| worker::progress_size(engine.max_file, c, pi))
            .sum(),
    );
    let (logs, others): (Vec<usize>, Vec<usize>) =
        (0..candidates.len()).partition(|&i| interest[i].log.is_some());
    // One worker per thread for the whole pass (a yara-x scanner is costly
    // to make, so not one per rayon split); threads take the next file from
    // a shared counter, biggest files first.
    let pass = |idx: &[usize], lp: &LogPass<'_>| {
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(idx.len()));
        rayon::broadcast(|_| {
            let mut w = Worker::new(engine);
            let mut mine = Vec::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = idx.get(k) else {
                    break;
                };
                let mut o = w.process(lp, &candidates[i], &interest[i], progress);
                // Findings go to the gate as each file is done: kept up to
                // their rule's cap, counted beyond it.
                for f in o.findings.drain(..) {
                    gate.admit(f);
                }
                mine.push((i, o));
                progress.file_done();
            }
            done.lock()
                .expect("no panics while scanning")
                .append(&mut mine);
        });
        let mut done = done.into_inner().expect("no panics while scanning");
        done.sort_by_key(|(i, _)| *i);
        done
    };
    let no_shells = RequestedShells::default();
    let first = engine.event_detectors(&no_shells);
    let iis = engine::iis_prefilter(&first);
    let mut outcomes = pass(
        &others,
        &LogPass {
            engine,
            gate: &gate,
            iis: iis.clone(),
            events: first,
        },
    );
    let shells = gate.with_kept(|found| RequestedShells::from_findings(found, engine.baselines));
    let second = engine.event_detectors(&shells);
    // The shells' names join the IIS pre-filter only when there are any.
    let iis = if shells.is_empty() {
        iis
    } else {
        engine::iis_prefilter(&second)
    };
    outcomes.extend(pass(
        &logs,
        &LogPass {
            engine,
            gate: &gate,
            iis,
            events: second,
        },
    ));
    // What the attack's clients asked of the mailboxes: a third read of
    // the request and protocol logs, only when findings name such clients.
    let severe: Vec<exhunt_core::Finding> = gate.with_kept(|kept| {
        kept.filter(|f| f.severity <= exhunt_core::Severity::Medium)
            .cloned()
            .collect()
    });
    let ties = exhunt_judge::ledger::attack_ties(
        severe
            .iter()
            .chain(outcomes.iter().flat_map(|(_, o)| o.findings.iter())),
    );
    let access = if ties.is_empty() {
        access::AccessOutcome::default()
    } else {
        // What each log read covers: a file wholly outside the attack's
        // window is not read again.
        let mut reach = vec![None; candidates.len()];
        for (i, o) in &outcomes {
            if let Some(w) = &o.window {
                reach[*i] = Some((w.first.clone(), w.last.clone()));
            }
        }
        access::pass(&candidates, &interest, &ties, &reach)
    };
    progress.finish();

    let mut ev = Evidence {
        inputs: name_idx
            .iter()
            .map(|&n| config.input_names[n].clone())
            .collect(),
        host: server.host.clone(),
        stats: Stats {
            files_seen: candidates.len() as u64,
            ..Stats::default()
        },
        ..Evidence::default()
    };
    ev.accesses = access.accesses;
    ev.windows.extend(access.windows);
    ev.errors.extend(access.errors);
    ev.stats.bytes_read += access.bytes;
    ev.stats.lines_read += access.lines;
    if access.dropped > 0 {
        ev.errors.push(ErrorEntry {
            path: String::new(),
            message: format!(
                "{} request(s) of the attack's clients were counted but not told apart (more than 20,000 mailbox and client pairs): the ledger lists the first ones",
                access.dropped
            ),
        });
    }
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
    if let Some(d) = config.discovery.as_ref().filter(|_| root) {
        builds.extend(d.builds.iter().cloned());
        ev.discovery = Some(d.clone());
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
    let stock: Vec<(usize, bool, Option<exhunt_detect::files::Sha256Of>)> = outcomes
        .iter()
        .map(|(i, o)| (*i, o.stock, o.sha256.clone()))
        .collect();
    ev.findings
        .extend(neighbours::newer_than_neighbours(&candidates, &stock));
    // Sign-ins per account (lower case), across the Security logs read.
    let mut sign_ins: std::collections::HashMap<String, exhunt_core::Logon> =
        std::collections::HashMap::new();
    for (_, o) in outcomes {
        let FileOutcome {
            findings,
            window,
            errors,
            skipped,
            builds: b,
            examined,
            content_scanned,
            web,
            mitigations,
            bytes,
            lines,
            logons,
            ..
        } = o;
        for (key, l) in logons.accounts {
            if !merge_logon(&mut sign_ins, key, l) {
                ev.logons.more += 1;
            }
        }
        ev.logons.boots.extend(logons.boots);
        ev.logons.more += logons.more;
        ev.findings.extend(findings);
        ev.windows.extend(window);
        ev.errors.extend(errors);
        ev.skipped.extend(skipped);
        builds.extend(b);
        ev.stats.files_examined += examined as u64;
        ev.stats.files_content_scanned += content_scanned as u64;
        ev.stats.web_files += web as u64;
        ev.stats.bytes_read += bytes;
        ev.stats.lines_read += lines;
        ev.mitigations.extend(mitigations);
    }
    let mut accounts: Vec<exhunt_core::Logon> = sign_ins.into_values().collect();
    accounts.sort_by(|a, b| a.account.cmp(&b.account));
    ev.logons.accounts = accounts;
    // A rule a child configuration overrides no longer counts.
    ev.mitigations = exhunt_detect::webfiles::mitigations_in_force(
        std::mem::take(&mut ev.mitigations),
        &ev.findings,
    );
    ev.patch = patch_status(builds);
    if root {
        ev.errors.extend(config.discovery_errors.iter().cloned());
    }
    ev.rules = config.rule_loads.clone();
    // What the Sigma rules could not see: said on the rule, not taken for
    // a match.
    for (meta, n, fields) in config.engine.sigma_rules().unseen() {
        if let Some(l) = ev.rules.iter_mut().find(|l| {
            l.engine == "sigma"
                && l.origin == meta.origin
                && l.title.as_deref() == Some(meta.title.as_str())
        }) {
            l.note = Some(format!(
                "not applied to {n} event(s) that lack {}, which a filter of the rule needs (there a match would only mean the field is missing)",
                fields.join(" and ")
            ));
        }
    }
    ScanOutput {
        evidence: ev,
        candidates,
    }
}

/// Most accounts kept across all Security logs (the count says the rest).
const SIGN_IN_ACCOUNTS: usize = 20_000;

/// Adds one file's sign-ins of an account to the scan's; false when the
/// account was left out (past the cap).
fn merge_logon(
    all: &mut std::collections::HashMap<String, exhunt_core::Logon>,
    key: String,
    l: exhunt_core::Logon,
) -> bool {
    fn earlier(a: &mut Option<String>, b: Option<String>, keep_smaller: bool) {
        if let Some(b) = b {
            let replace = match a.as_deref() {
                None => true,
                Some(x) => (b.as_str() < x) == keep_smaller,
            };
            if replace {
                *a = Some(b);
            }
        }
    }
    if !all.contains_key(&key) && all.len() >= SIGN_IN_ACCOUNTS {
        return false;
    }
    match all.get_mut(&key) {
        Some(x) => {
            x.count += l.count;
            earlier(&mut x.first, l.first, true);
            earlier(&mut x.last, l.last, false);
        }
        None => {
            all.insert(key, l);
        }
    }
    true
}
