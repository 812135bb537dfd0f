//! `exhunt scan`: the orchestration of discover → read → detect → judge.
//!
//! One immutable [`Engine`] (detectors and their pre-filters) is shared by
//! all worker threads; each thread keeps one [`Worker`] (zip handles and a
//! log scanner with its buffers) for every file it processes.

use exhunt_core::{ErrorEntry, Finding, Stats};
use exhunt_detect::{files, DetectorSet, LogContext, LogFamily};
use exhunt_judge::{Evidence, FileWindow};
use exhunt_sources::csvlog::{read_prefix, utf8_reader};
use exhunt_sources::{
    classify_content, discover, path_interest, Candidate, CsvLogScanner, MemberOpener, Prefilter,
    SourceError,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;

/// Bytes read from the top of a file to recognise it.
const SNIFF: usize = 16 * 1024;

/// Detectors and one pre-filter per log family, built once.
pub struct Engine {
    detectors: DetectorSet,
    prefilters: HashMap<LogFamily, Prefilter>,
}

impl Engine {
    pub fn new(detectors: DetectorSet) -> anyhow::Result<Self> {
        let mut prefilters = HashMap::new();
        for fam in LogFamily::ALL {
            prefilters.insert(
                fam,
                Prefilter::new(&detectors.literals(fam), detectors.case_sensitive(fam))?,
            );
        }
        Ok(Engine {
            detectors,
            prefilters,
        })
    }
}

/// Per-thread reusable state.
#[derive(Default)]
struct Worker {
    opener: MemberOpener,
    scanner: CsvLogScanner,
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

/// Runs the scan over the inputs and gathers the evidence for the judge.
pub fn scan(engine: &Engine, inputs: &[PathBuf]) -> Evidence {
    let disc = discover(inputs);
    let mut candidates = disc.candidates;
    // Biggest files first, so one large log does not finish last on one core.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.size));
    let outcomes: Vec<FileOutcome> = candidates
        .par_iter()
        .map_init(Worker::default, |w, c| process(engine, w, c))
        .collect();

    let mut ev = Evidence {
        inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
        stats: Stats {
            files_seen: candidates.len() as u64,
            ..Stats::default()
        },
        ..Evidence::default()
    };
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
    ev
}

fn process(engine: &Engine, w: &mut Worker, c: &Candidate) -> FileOutcome {
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
    let Worker { opener, scanner } = w;
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
            let fam = LogFamily::of(&kind).expect("log kinds have a family");
            let pf = &engine.prefilters[&fam];
            let detectors: Vec<_> = engine.detectors.for_family(fam).collect();
            let ctx = LogContext {
                path: &c.display,
                kind: &kind,
            };
            let mut findings = Vec::new();
            let mut chained = io::Cursor::new(&prefix[..]).chain(dec);
            let lo = scanner.scan(&mut chained, pf, &mut |rec| {
                for d in &detectors {
                    d.check(&ctx, rec, &mut findings);
                }
            })?;
            out.findings.extend(findings);
            out.bytes += lo.bytes;
            out.lines += lo.lines;
            for msg in lo.warnings {
                out.errors.push(ErrorEntry {
                    path: c.display.clone(),
                    message: msg,
                });
            }
            if fam == LogFamily::HttpProxy {
                let has = |n: &str| lo.fields.iter().any(|f| f.eq_ignore_ascii_case(n));
                if lo.fields.is_empty() {
                    out.errors.push(ErrorEntry {
                        path: c.display.clone(),
                        message: "HttpProxy log without a column header (no #Fields: line and no header line): its rows could not be checked".into(),
                    });
                } else if !has("AnchorMailbox") {
                    out.errors.push(ErrorEntry {
                        path: c.display.clone(),
                        message: "HttpProxy log without an AnchorMailbox column: the CVE-2021-26855 check could not run on it".into(),
                    });
                }
            }
            out.window = Some(FileWindow {
                family: kind.family().expect("log kinds have a family"),
                first: lo.first_time,
                last: lo.last_time,
            });
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
