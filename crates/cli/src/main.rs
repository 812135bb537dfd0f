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
mod probe;
mod scan;

use anyhow::Result;
use args::{BuildFormat, Cli, CollectArgs, Command, ProbeFormat, RootArgs};
use clap::Parser;
use exhunt_core::{Report, Verdict};
use exhunt_scan::guard::OutputGuard;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Collect(args) => run_collect(args),
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
            eprintln!("exhunt: error: {e:#}");
            ExitCode::from(2)
        }
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

/// The inputs of a scan or collection: the PATHs as given, plus the
/// places discovery found on a system root.
pub(crate) struct Plan {
    pub(crate) inputs: Vec<exhunt_sources::Input>,
    pub(crate) names: Vec<String>,
    pub(crate) discovery: Option<exhunt_core::SystemDiscovery>,
    pub(crate) discovery_errors: Vec<exhunt_core::ErrorEntry>,
    /// A mounted disk's root and volumes: no output inside them either.
    volumes: Vec<PathBuf>,
}

impl Plan {
    pub(crate) fn new(paths: &[PathBuf], root: &RootArgs, quiet: bool) -> Result<Plan> {
        let mut plan = Plan {
            inputs: paths.iter().map(exhunt_sources::Input::plain).collect(),
            names: paths.iter().map(|p| p.display().to_string()).collect(),
            discovery: None,
            discovery_errors: Vec::new(),
            volumes: Vec::new(),
        };
        if let Some(sys) = root.system_root(paths.is_empty())? {
            plan.volumes = sys.evidence_volumes();
            let layout = sys.discover();
            if !quiet {
                let d = &layout.discovery;
                eprintln!(
                    "exhunt: {} {}: Exchange {}",
                    if d.live {
                        "scanning this server,"
                    } else {
                        "system root"
                    },
                    d.root,
                    match (&d.exchange_install, &d.exchange_install_from) {
                        (Some(p), Some(f)) => format!("in {p} (from {f})"),
                        _ => "install folder not found".to_string(),
                    }
                );
            }
            plan.names.push(format!(
                "{} ({})",
                layout.discovery.root,
                if layout.discovery.live {
                    "live system root"
                } else {
                    "system root"
                }
            ));
            plan.inputs.extend(layout.inputs);
            plan.discovery = Some(layout.discovery);
            plan.discovery_errors = layout.errors;
        }
        Ok(plan)
    }

    /// The guard that keeps every output out of the evidence: every
    /// input, and a mounted disk whole.
    pub(crate) fn guard(&self) -> OutputGuard {
        OutputGuard::new(
            self.inputs
                .iter()
                .map(|i| i.path.clone())
                .chain(self.volumes.iter().cloned())
                .collect(),
        )
    }
}

pub(crate) fn progress_bar(quiet: bool, template: &str) -> indicatif::ProgressBar {
    if !quiet && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(template)
                .expect("static template")
                .progress_chars("=> "),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    }
}

fn run_collect(args: CollectArgs) -> Result<u8> {
    let plan = Plan::new(&[], &args.root, args.quiet)?;
    bundle::check_output(&args.output, &plan.guard())?;
    let progress = progress_bar(
        args.quiet,
        "{spinner} collecting [{bar:30}] {bytes}/{total_bytes} {elapsed}",
    );
    let done = bundle::collect(bundle::CollectJob {
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
            args.output.display(),
            done.files,
            done.bytes,
            done.left_out,
            done.errors,
            done.zip_sha256,
            args.output.display()
        );
    }
    Ok(if done.errors > 0 { 1 } else { 0 })
}
