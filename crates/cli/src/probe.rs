//! `exhunt probe TARGET...`: the build of each server, from the network.
//!
//! Exit codes: 0 every target answered with a patched build, 10 at least
//! one target exposed (its build lacks a fix, or an active check found the
//! hole), 20 at least one target's build could not be told (unreachable,
//! not Exchange, no build, a build exhunt cannot place) and none exposed,
//! 2 usage or runtime error.

use crate::build::Status;
use anyhow::{bail, Context, Result};
use exhunt_core::open::{read_capped, Links};
use exhunt_probe::{expand_targets, probe_all, ProbeConfig, ProbeResult};
use exhunt_report::{csv_cell, safe};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::Path;

pub enum Out {
    Text,
    Json,
    Csv,
}

/// Largest `--targets` file read.
const MAX_TARGETS_FILE: u64 = 16 << 20;

#[allow(clippy::too_many_arguments)]
pub fn run(
    upload: &crate::args::UploadArgs,
    targets: &[String],
    file: Option<&Path>,
    out: Out,
    output: Option<&Path>,
    cfg: ProbeConfig,
    max_targets: usize,
    quiet: bool,
) -> Result<u8> {
    let mut specs = targets.to_vec();
    if let Some(f) = file {
        // A list of hosts: a few MB at most; a device or FIFO is refused.
        let bytes = read_capped(f, Links::Follow, MAX_TARGETS_FILE)
            .with_context(|| format!("cannot read targets from {}", f.display()))?;
        let text = String::from_utf8(bytes)
            .with_context(|| format!("targets file {} is not UTF-8 text", f.display()))?;
        specs.extend(text.lines().map(str::to_string));
    }
    crate::fleet::check_upload(upload, &Default::default())?;
    let urls = expand_targets(&specs, cfg.port, max_targets).map_err(anyhow::Error::msg)?;
    if urls.is_empty() {
        bail!("no targets (give hosts, host:port, URLs or CIDR blocks, or --targets FILE)");
    }
    if cfg.rate <= 0.0 {
        bail!("--rate must be above 0");
    }
    if cfg.active_checks {
        eprintln!(
            "exhunt: warning: --active-checks sends exploit-shaped requests (the public, non-destructive ProxyShell and ProxyNotShell checks) to every target: they show up in the targets' logs as attack attempts. Use them only on servers you are authorised to test."
        );
    }
    let pb = if !quiet && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(urls.len() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} probing [{bar:30}] {pos}/{len} targets {elapsed}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let results = rt
        .block_on(probe_all(&urls, &cfg, &|| pb.inc(1)))
        .map_err(anyhow::Error::msg)?;
    pb.finish_and_clear();
    let code = crate::build::code_of(results.iter().map(status));
    let mut sink: Box<dyn Write> = match output {
        Some(p) => Box::new(crate::create_output(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let written = match write(&mut sink, &results, out) {
        // `exhunt probe ... | head`: nobody reads the rest; the code stands.
        Err(e) if crate::broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    };
    drop(sink);
    if upload.upload.is_some() {
        let doc = json!({"schema": "exhunt/probe/v1", "results": results});
        crate::fleet::upload_after(upload, "the probe results", serde_json::to_vec(&doc)?)?;
    }
    written
}

fn write(sink: &mut dyn Write, results: &[ProbeResult], out: Out) -> Result<()> {
    match out {
        Out::Json => {
            let doc = json!({"schema": "exhunt/probe/v1", "results": results});
            serde_json::to_writer_pretty(&mut *sink, &doc)?;
            writeln!(sink)?;
        }
        Out::Csv => write_csv(sink, results)?,
        Out::Text => write_text(sink, results)?,
    }
    sink.flush()?;
    Ok(())
}

/// What one target's answers say: exposed when an active check found the
/// hole or its build lacks a fix, patched when its build lacks none,
/// unknown otherwise (no answer, no build, a build exhunt cannot place).
fn status(r: &ProbeResult) -> Status {
    if r.active.iter().any(|a| a.result == "vulnerable") {
        return Status::Exposed;
    }
    let table = exhunt_patch::Table::embedded();
    match (&r.build, &r.error) {
        // Three parts show as `15.2.1118.?`.
        (Some(b), None) => table
            .explain(b.trim_end_matches(".?"))
            .map_or(Status::Unknown, |e| crate::build::status(table, &e)),
        _ => Status::Unknown,
    }
}

fn campaigns(r: &ProbeResult) -> String {
    r.campaigns
        .iter()
        .filter(|(c, _)| c != "other")
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn active(r: &ProbeResult) -> String {
    r.active
        .iter()
        .map(|a| format!("{}: {}", a.check, a.result))
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_csv(w: &mut dyn Write, results: &[ProbeResult]) -> Result<()> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record([
        "target",
        "reachable",
        "build",
        "build_source",
        "product",
        "open_campaigns",
        "open_cves",
        "tls_unverified",
        "error",
        "active_checks",
    ])?;
    for r in results {
        // What a server answered (its build, errors quoting it) is the
        // server's to choose: no formula for a spreadsheet. The flags and
        // the CVE and campaign names are ours.
        c.write_record([
            &*csv_cell(&r.target),
            if r.reachable { "true" } else { "false" },
            &*csv_cell(r.build.as_deref().unwrap_or("")),
            &*csv_cell(r.build_source.as_deref().unwrap_or("")),
            &*csv_cell(r.product.as_deref().unwrap_or("")),
            &campaigns(r),
            &r.open_cves.join(" "),
            if r.tls_unverified { "true" } else { "false" },
            &*csv_cell(r.error.as_deref().unwrap_or("")),
            &*csv_cell(&active(r)),
        ])?;
    }
    c.flush()?;
    Ok(())
}

fn write_text(w: &mut dyn Write, results: &[ProbeResult]) -> Result<()> {
    writeln!(
        w,
        "{:<28} {:<14} {:<36} OPEN (campaigns) / ERROR",
        "TARGET", "BUILD", "PRODUCT"
    )?;
    for r in results {
        let tail = match (&r.error, r.build.is_some()) {
            (Some(e), _) => e.clone(),
            (None, true) => {
                let c = campaigns(r);
                if c.is_empty() {
                    format!("{} CVE(s) open, none of the campaigns'", r.open_cves.len())
                } else {
                    format!("{} CVE(s) open: {c}", r.open_cves.len())
                }
            }
            (None, false) => String::new(),
        };
        // A server's answers reach the terminal escaped.
        writeln!(
            w,
            "{:<28} {:<14} {:<36} {}{}",
            safe(&r.target),
            safe(r.build.as_deref().unwrap_or("-")),
            safe(r.product.as_deref().unwrap_or("-")),
            safe(&tail),
            if r.tls_unverified {
                "  [certificate not verified]"
            } else {
                ""
            }
        )?;
    }
    let found = results.iter().filter(|r| r.build.is_some()).count();
    let exposed = results.iter().filter(|r| !campaigns(r).is_empty()).count();
    writeln!(
        w,
        "\n{} target(s): {found} with a build, {exposed} open to a campaign, {} unreachable.",
        results.len(),
        results.iter().filter(|r| !r.reachable).count()
    )?;
    Ok(())
}
