//! exhunt collections: `exhunt collect --output triage.zip` writes exactly
//! what a scan of a system root reads into one zip, and `exhunt scan
//! triage.zip` reads it back to the same findings.
//!
//! Members keep their paths relative to the system root (the paths the
//! scan of the root reports). `_exhunt/manifest.json` holds the SHA-256,
//! size and time of every member, the files left out (too large to be
//! read by the scan, older than `--since`, over `--max-total`) with their
//! size, time and reason, what the walk could not read, and the discovery
//! (where Exchange, IIS and the rest were found and from what).
//! `_exhunt/manifest.csv` is the same hash list for people; a
//! `<output>.sha256` file beside the zip holds the zip's own hash.
//!
//! The source is only read: files are opened read-only, nothing is
//! written beside them, and the output may not lie inside a place read.

use crate::args::CollectArgs;
use crate::plan::{progress_bar, Plan};
use anyhow::{Context, Result};
use exhunt_core::{ErrorEntry, Skipped, SystemDiscovery};
use exhunt_report::{csv_cell, safe};
use exhunt_scan::guard::OutputGuard;
use exhunt_scan::{collect_need, Need};
use exhunt_sources::collection::{
    LeftOut, Manifest, ManifestFile, MANIFEST, MANIFEST_SCHEMA, META_DIR,
};
use exhunt_sources::{path_interest, Candidate, Input, Location, MemberOpener};
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// `exhunt collect`: the system root's places into one zip.
pub fn run(args: CollectArgs) -> Result<u8> {
    let plan = Plan::new(&[], &args.root, args.quiet)?;
    check_output(&args.output, &plan.guard())?;
    let progress = progress_bar(
        args.quiet,
        "{spinner} collecting [{bar:30}] {bytes}/{total_bytes} {elapsed}",
    );
    let done = collect(CollectJob {
        inputs: &plan.inputs,
        discovery: plan.discovery.expect("a system root was discovered"),
        discovery_errors: plan.discovery_errors,
        output: &args.output,
        since: args.since,
        max_filesize: args.max_filesize,
        max_total: args.max_total,
        progress: &progress,
        quiet: args.quiet,
    })?;
    if !args.quiet {
        eprintln!(
            "exhunt: wrote {} ({} file(s), {} bytes read; {} left out, {} unreadable; listed in _exhunt/manifest.json)\nexhunt: SHA-256 of the zip: {} (also in {}.sha256)",
            safe(&args.output.display().to_string()),
            done.files,
            done.bytes,
            done.left_out,
            done.errors,
            done.zip_sha256,
            safe(&args.output.display().to_string())
        );
    }
    Ok(if done.errors > 0 { 1 } else { 0 })
}

/// What `exhunt collect` is asked for.
pub struct CollectJob<'a> {
    pub inputs: &'a [Input],
    pub discovery: SystemDiscovery,
    pub discovery_errors: Vec<ErrorEntry>,
    pub output: &'a Path,
    /// Text logs last written before this (ISO UTC) are left out.
    pub since: Option<String>,
    pub max_filesize: u64,
    pub max_total: Option<u64>,
    pub progress: &'a indicatif::ProgressBar,
    pub quiet: bool,
}

/// What was written.
pub struct Collected {
    pub files: usize,
    pub bytes: u64,
    pub left_out: usize,
    pub errors: usize,
    pub zip_sha256: String,
}

/// Refuses an output inside any place read (the evidence), and an
/// existing file (the zip or its `.sha256`).
pub fn check_output(out: &Path, guard: &OutputGuard) -> Result<()> {
    Ok(guard.new_files(out, &[sidecar(out)])?)
}

/// `<output>.sha256`, beside the zip.
fn sidecar(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sha256", out.display()))
}

/// Writes the collection.
pub fn collect(job: CollectJob<'_>) -> Result<Collected> {
    let disc = exhunt_sources::discover(job.inputs);
    let mut manifest = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        tool: exhunt_core::Tool {
            name: "exhunt".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        collected: exhunt_core::time::system_time_iso(SystemTime::now()),
        system_root: job.discovery.root.clone(),
        live: job.discovery.live,
        since: job.since.clone(),
        max_filesize: job.max_filesize,
        max_total: job.max_total,
        files: Vec::new(),
        left_out: Vec::new(),
        errors: disc
            .errors
            .iter()
            .map(|(path, message)| ErrorEntry {
                path: path.clone(),
                message: message.clone(),
            })
            .chain(job.discovery_errors)
            .collect(),
        skipped: disc
            .skipped
            .iter()
            .map(|(path, reason)| Skipped {
                path: path.clone(),
                reason: reason.clone(),
            })
            .collect(),
        discovery: job.discovery,
    };

    // What the scan would read of each file, decided as the scan decides.
    let mut opener = MemberOpener::new();
    let mut chosen: Vec<(usize, u8)> = Vec::new();
    for (i, c) in disc.candidates.iter().enumerate() {
        if c.display.to_lowercase().starts_with(META_DIR) {
            // A folder `_exhunt` at the top of the drive, named by IIS's
            // configuration: its files would mix with the collection's own.
            manifest.left_out.push(left_out(
                c,
                format!("left out of the collection: its path is the collection's own metadata folder ({META_DIR})"),
            ));
            continue;
        }
        let pi = path_interest(&c.rel_lower, &c.rel);
        match collect_need(c, &pi, job.max_filesize, &mut opener) {
            Ok(Need::Skip(reason)) => manifest.left_out.push(left_out(c, reason)),
            Ok(Need::Whole { text_log }) => {
                if text_log {
                    if let (Some(since), Some(m)) = (&job.since, &c.modified) {
                        if m < since {
                            manifest.left_out.push(left_out(
                                c,
                                format!("left out of the collection: log last written before --since {since}"),
                            ));
                            continue;
                        }
                    }
                }
                // Under --max-total: files first, then event logs, then
                // text logs (newest first).
                let class = if text_log {
                    2
                } else if c.rel_lower.ends_with(".evtx") {
                    1
                } else {
                    0
                };
                chosen.push((i, class));
            }
            Err(e) => unreadable(&mut manifest, c, e.to_string()),
        }
    }
    if let Some(max) = job.max_total {
        chosen.sort_by(|a, b| {
            let (ca, cb) = (&disc.candidates[a.0], &disc.candidates[b.0]);
            a.1.cmp(&b.1)
                .then_with(|| cb.modified.cmp(&ca.modified))
                .then(a.0.cmp(&b.0))
        });
        let mut total = 0u64;
        chosen.retain(|&(i, _)| {
            let c = &disc.candidates[i];
            if total + c.size > max {
                manifest.left_out.push(left_out(
                    c,
                    format!("left out of the collection: over --max-total ({max} bytes)"),
                ));
                false
            } else {
                total += c.size;
                true
            }
        });
        chosen.sort();
    }

    let total: u64 = chosen.iter().map(|&(i, _)| disc.candidates[i].size).sum();
    job.progress.set_length(total);
    let file = std::fs::File::create_new(job.output)
        .with_context(|| format!("cannot create {}", job.output.display()))?;
    let written = write_zip(
        BufWriter::with_capacity(1 << 20, file),
        &disc.candidates,
        &chosen,
        &mut manifest,
        &mut opener,
        job.progress,
    );
    job.progress.finish_and_clear();
    let written = match written {
        Ok(w) => w,
        Err(e) => {
            // Our own half-written output, not evidence.
            let _ = std::fs::remove_file(job.output);
            return Err(e);
        }
    };
    let zip_sha256 = sha256_file(job.output)?;
    let name = job
        .output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = sidecar(job.output);
    std::fs::File::create_new(&side)
        .and_then(|mut f| f.write_all(format!("{zip_sha256}  {name}\n").as_bytes()))
        .with_context(|| format!("cannot write {}", side.display()))?;
    if !job.quiet {
        for e in &manifest.errors {
            eprintln!("exhunt: warning: {}: {}", safe(&e.path), safe(&e.message));
        }
    }
    Ok(Collected {
        files: manifest.files.len(),
        bytes: written,
        left_out: manifest.left_out.len(),
        errors: manifest.errors.len(),
        zip_sha256,
    })
}

fn left_out(c: &Candidate, reason: String) -> LeftOut {
    LeftOut {
        path: c.display.clone(),
        size: c.size,
        modified: c.modified.clone(),
        reason,
        unreadable: false,
    }
}

/// A file that could not be read: an error, and listed so the scan of the
/// collection still knows its path (path indicators, archives under
/// ProgramData need no content).
fn unreadable(manifest: &mut Manifest, c: &Candidate, message: String) {
    manifest.left_out.push(LeftOut {
        unreadable: true,
        ..left_out(c, format!("could not be read when collected: {message}"))
    });
    manifest.errors.push(ErrorEntry {
        path: c.display.clone(),
        message,
    });
}

/// Files up to this size are compressed in parallel, in memory, then
/// appended in order; larger ones are streamed into the zip.
const PARALLEL_FILE: u64 = 32 << 20;
/// Most uncompressed bytes compressed in one parallel batch (bounds the
/// memory held by compressed members waiting to be appended).
const BATCH_BYTES: u64 = 256 << 20;

/// One file read for the zip: its content hashed while it was read.
pub(crate) struct Read1 {
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub digest: String,
}

/// Writes every chosen file into the zip in order (small files compressed
/// on all cores, large ones streamed), then the manifest. Returns the
/// bytes of content written.
fn write_zip<W: Write + std::io::Seek>(
    out: W,
    candidates: &[Candidate],
    chosen: &[(usize, u8)],
    manifest: &mut Manifest,
    opener: &mut MemberOpener,
    progress: &indicatif::ProgressBar,
) -> Result<u64> {
    use rayon::prelude::*;
    let mut zip = zip::ZipWriter::new(out);
    let mut buf = vec![0u8; 1 << 20];
    let mut written = 0u64;
    let mut record = |c: &Candidate, r: Result<Read1, String>, manifest: &mut Manifest| match r {
        Ok(r) => {
            written += r.size;
            manifest.files.push(ManifestFile {
                path: c.display.clone(),
                size: r.size,
                sha256: r.digest,
                modified: c.modified.clone(),
            });
        }
        Err(message) => unreadable(manifest, c, message),
    };
    let mut k = 0;
    while k < chosen.len() {
        // A batch of small files, compressed in parallel.
        let mut end = k;
        let mut bytes = 0u64;
        while end < chosen.len() {
            let c = &candidates[chosen[end].0];
            if c.size > PARALLEL_FILE || (end > k && bytes + c.size > BATCH_BYTES) {
                break;
            }
            bytes += c.size;
            end += 1;
        }
        if end > k {
            let prepared: Vec<Result<(zip::write::PreparedZipFile, Read1), String>> = chosen
                [k..end]
                .par_iter()
                .map_init(
                    || (MemberOpener::new(), vec![0u8; 256 << 10]),
                    |(op, b), &(i, _)| {
                        let c = &candidates[i];
                        let opts =
                            member_options(mtime_of(c), c.size).map_err(|e| e.to_string())?;
                        let mut member = zip::write::ZipFileBuilder::new(c.display.as_str(), opts)
                            .map_err(|e| e.to_string())?;
                        let read = op
                            .with_reader(&c.location, |r| copy_hashed(r, &mut member, b, progress))
                            .map_err(|e| e.to_string())?;
                        let done = member.finish().map_err(|e| e.to_string())?;
                        Ok((done, read))
                    },
                )
                .collect();
            for (&(i, _), p) in chosen[k..end].iter().zip(prepared) {
                let c = &candidates[i];
                // A name the zip already holds (names Windows keeps apart
                // can meet once made UTF-8) fails this file, not the zip.
                let r = p.and_then(|(file, read)| {
                    zip.add_prepared_file(file)
                        .map(|()| read)
                        .map_err(|e| format!("cannot be added to the zip: {e}"))
                });
                record(c, r, manifest);
            }
            k = end;
            continue;
        }
        // A large file, streamed.
        let c = &candidates[chosen[k].0];
        k += 1;
        if let Err(e) = zip.start_file(c.display.as_str(), member_options(mtime_of(c), c.size)?) {
            record(c, Err(format!("cannot be added to the zip: {e}")), manifest);
            continue;
        }
        let res = opener.with_reader(&c.location, |r| {
            copy_hashed(r, &mut zip, &mut buf, progress)
        });
        if res.is_err() {
            zip.abort_file()
                .with_context(|| format!("dropping {} from the zip", c.display))?;
        }
        record(c, res.map_err(|e| e.to_string()), manifest);
    }
    manifest.left_out.sort_by(|a, b| a.path.cmp(&b.path));
    let opts = member_options(Some(SystemTime::now()), 0)?;
    zip.start_file(MANIFEST, opts.clone())?;
    serde_json::to_writer_pretty(&mut zip, &manifest)?;
    zip.start_file("_exhunt/manifest.csv", opts)?;
    {
        let mut w = csv::Writer::from_writer(&mut zip);
        w.write_record(["path", "size", "sha256", "modified"])?;
        for f in &manifest.files {
            // Member paths are evidence file names, and a time may come
            // from a collection's manifest: no formula for a spreadsheet
            // (size and hash are ours; a real ISO time is never changed).
            w.write_record([
                &*csv_cell(&f.path),
                &f.size.to_string(),
                f.sha256.as_str(),
                &*csv_cell(f.modified.as_deref().unwrap_or("")),
            ])?;
        }
        w.flush()?;
    }
    let mut inner = zip.finish().context("finishing the zip")?;
    inner.flush()?;
    Ok(written)
}

/// The file's modification time, read again from the file system (the
/// walk keeps it as text).
fn mtime_of(c: &Candidate) -> Option<SystemTime> {
    match &c.location {
        Location::File(p) => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
        _ => None,
    }
}

/// Copies a reader into `out`, hashing what is read (the evidence copies
/// of `scan --collect` and the members of a collection).
pub(crate) fn copy_hashed(
    r: &mut dyn Read,
    out: &mut dyn Write,
    buf: &mut [u8],
    progress: &indicatif::ProgressBar,
) -> Result<Read1, exhunt_sources::SourceError> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    loop {
        let k = match r.read(buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        h.update(&buf[..k]);
        out.write_all(&buf[..k])?;
        n += k as u64;
        progress.inc(k as u64);
    }
    Ok(Read1 {
        size: n,
        digest: exhunt_core::hex(&h.finalize()),
    })
}

/// Deflated, with the exact modification time (the DOS time fields keep
/// only even seconds): an extended timestamp field as Info-ZIP writes it.
fn member_options(
    mtime: Option<SystemTime>,
    size: u64,
) -> Result<zip::write::FullFileOptions<'static, 'static>> {
    let secs = mtime
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    let mut opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(size >= (1 << 32) - (1 << 20));
    if let Some((y, mo, d, h, mi, s)) = mtime.map(exhunt_core::time::utc_parts) {
        // DOS times hold 1980–2107; out of range, the extended field alone.
        if let Ok(dt) = zip::DateTime::from_date_and_time(
            u16::try_from(y).unwrap_or(0),
            mo as u8,
            d as u8,
            h as u8,
            mi as u8,
            s as u8,
        ) {
            opts = opts.last_modified_time(dt);
        }
    }
    let modified = secs.and_then(|s| u32::try_from(s).ok());
    Ok(opts.with_extended_timestamp(modified, None, None)?)
}

fn sha256_file(p: &Path) -> Result<String> {
    let mut f = std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?;
    let hidden = indicatif::ProgressBar::hidden();
    let read = copy_hashed(
        &mut f,
        &mut std::io::sink(),
        &mut vec![0u8; 1 << 20],
        &hidden,
    )
    .with_context(|| format!("cannot read {}", p.display()))?;
    Ok(read.digest)
}
