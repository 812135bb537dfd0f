//! The `exhunt` binary: arguments, command dispatch, output and exit codes.
//! The scan itself is the `exhunt-scan` library.
//!
//! Exit codes (documented in README.md):
//! 0 clean, 10 attempted, 20 exploited, 30 compromised; one more (1, 11,
//! 21, 31) when some input could not be read completely; 2 when the scan
//! could not run at all (bad arguments, unwritable output).

#![forbid(unsafe_code)]

mod args;
mod build;
mod bundle;
mod collect;
mod plan;
mod probe;
mod scan;

use args::{BuildFormat, Cli, Command, ProbeFormat};
use clap::Parser;
use exhunt_core::{Report, Verdict};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Collect(args) => bundle::run(args),
        Command::Probe(args) => probe::run(
            &args.targets,
            args.targets_file.as_deref(),
            match args.format {
                ProbeFormat::Text => probe::Out::Text,
                ProbeFormat::Json => probe::Out::Json,
                ProbeFormat::Csv => probe::Out::Csv,
            },
            args.output.as_deref(),
            exhunt_probe::ProbeConfig {
                concurrency: args.concurrency.max(1),
                rate: args.rate,
                timeout: std::time::Duration::from_secs_f64(args.timeout.max(0.1)),
                port: args.port,
                active_checks: args.active_checks,
                ..exhunt_probe::ProbeConfig::default()
            },
            args.max_targets,
            args.quiet,
        ),
        Command::Build(args) => {
            build::run(&args.versions, matches!(args.format, BuildFormat::Json))
        }
    };
    match res {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The chain may name evidence (a path, a reader's message).
            eprintln!("exhunt: error: {}", exhunt_report::safe(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// Creates a file exhunt writes (a report, a probe's results): always a
/// new one. `create_new` is `O_CREAT|O_EXCL`, which fails on any existing
/// path, a symbolic link included, so a link planted where the output goes
/// is never written through and an existing file (which may be evidence)
/// is never replaced. Buffered: reports are written in many small pieces.
pub(crate) fn create_output(
    path: &std::path::Path,
) -> anyhow::Result<std::io::BufWriter<std::fs::File>> {
    use anyhow::Context;
    match std::fs::File::create_new(path) {
        Ok(f) => Ok(std::io::BufWriter::new(f)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => anyhow::bail!(
            "{} already exists (or is a link): exhunt never writes over an existing file; give a new name",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// The exit code for a report.
pub(crate) fn exit_code(r: &Report) -> u8 {
    let base = match r.verdict {
        Verdict::Clean => 0,
        Verdict::Attempted => 10,
        Verdict::Exploited => 20,
        Verdict::Compromised => 30,
    };
    base + r.incomplete as u8
}
