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
mod fleet;
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
        Command::Serve(args) => fleet::serve(args),
        Command::Upload(args) => fleet::upload_cmd(args),
        Command::Probe(args) => probe::run(
            &args.upload,
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
        // Each command exits with its own code when its standard output is
        // closed under it (`exhunt ... | head`); a closed pipe that reaches
        // here left no code to give: quietly, "could not run".
        Err(e) if broken_pipe(&e) => ExitCode::from(2),
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

/// Whether `e` is a write to a closed pipe (`exhunt ... | head`): Rust
/// ignores SIGPIPE, so such writes fail with EPIPE. Not an error to report:
/// the reader had what it wanted. Looks through the error's chain, through
/// io errors that wrap another (as csv's become), and into serde_json's and
/// csv's own io errors.
pub(crate) fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(is_broken_pipe)
}

/// [`broken_pipe`] for one error.
pub(crate) fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return io.kind() == BrokenPipe || io.get_ref().is_some_and(|inner| is_broken_pipe(inner));
    }
    if let Some(j) = e.downcast_ref::<serde_json::Error>() {
        return j.io_error_kind() == Some(BrokenPipe);
    }
    if let Some(c) = e.downcast_ref::<csv::Error>() {
        return matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe);
    }
    false
}

/// The exit code for a report.
pub(crate) fn exit_code(r: &Report) -> u8 {
    let base = match r.verdict {
        Verdict::Clean => 0,
        Verdict::Inconclusive => 5,
        Verdict::Attempted => 10,
        Verdict::Exploited => 20,
        Verdict::Compromised => 30,
    };
    base + r.incomplete as u8
}
