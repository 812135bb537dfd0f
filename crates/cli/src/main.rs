//! The `exhunt` binary: arguments, orchestration, output and exit codes.
//!
//! Exit codes (documented in README.md):
//! 0 clean, 10 attempted, 20 exploited, 30 compromised; one more (1, 11,
//! 21, 31) when some input could not be read completely; 2 when the scan
//! could not run at all (bad arguments, unwritable output).

mod build;
mod bundle;
mod collect;
mod patchstatus;
mod probe;
mod scan;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use exhunt_core::{Report, Verdict};
use exhunt_detect::DetectorSet;
use exhunt_report::{render, Format};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "exhunt",
    version,
    about = "Was this Exchange server broken into through the ProxyLogon/ProxyShell campaigns? Reads its logs and files (never writes to them) and gives a verdict.",
    after_help = "Exit codes: 0 clean, 10 attempted, 20 exploited, 30 compromised (+1 when some input could not be read), 2 error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan Exchange logs and files for traces of exploitation. With no
    /// PATH: the server exhunt runs on.
    Scan(ScanArgs),
    /// Copy what `scan` reads from this server (or a mounted disk) into one
    /// zip with a SHA-256 manifest, to analyse anywhere with `exhunt scan
    /// ZIP`. Nothing on the source is changed.
    Collect(CollectArgs),
    /// Explain an Exchange build number: product, CU, update level, the CVEs
    /// it leaves open (by campaign) and what to install.
    Build(BuildArgs),
    /// Ask Exchange servers on the network for their build (plain GET
    /// requests to /owa/ and the ECP export tool manifest), for hosts you are
    /// authorised to test.
    Probe(ProbeArgs),
}

#[derive(clap::Args)]
struct ProbeArgs {
    /// Targets: host, host:port, https://host[:port], or a CIDR block.
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,

    /// Read more targets from FILE, one per line (`#` comments allowed).
    #[arg(long = "targets", alias = "targets-file", value_name = "FILE")]
    targets_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: ProbeFormat,

    /// Write the results to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Targets probed at the same time.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,

    /// Most requests started per second, over all targets.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,

    /// Seconds one request may take.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,

    /// Port for targets given without one (443 means https, 80 http, others https).
    #[arg(long, default_value_t = 443)]
    port: u16,

    /// Most targets (CIDR blocks expand to every address).
    #[arg(long, default_value_t = 1 << 20)]
    max_targets: usize,

    /// Also send the non-destructive ProxyShell and ProxyNotShell checks:
    /// exploit-shaped requests (they leave traces in the target's logs).
    #[arg(long)]
    active_checks: bool,

    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProbeFormat {
    Text,
    Json,
    Csv,
}

#[derive(clap::Args)]
struct BuildArgs {
    /// The build, as Exchange, OWA or a file version shows it:
    /// `15.1.2106.2`, `15.01.2106.002`, or `15.1.2106` (the update level is
    /// then unknown, and said so).
    #[arg(required = true, value_name = "VERSION")]
    versions: Vec<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: BuildFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum BuildFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutFormat {
    /// A summary for people: verdict, findings, log coverage, next steps.
    Text,
    /// The full report (schema exhunt/report/v1).
    Json,
    /// One finding per line, for SIEMs.
    Jsonl,
    /// CSV, UTC, every finding with the records around it, sorted by time.
    Timeline,
}

/// Where a system root is: the live server, or a mounted or copied disk.
#[derive(clap::Args, Clone)]
struct RootArgs {
    /// A mounted or copied Windows system drive (the folder that was `C:\`):
    /// exhunt finds Exchange (registry hive, default folders), IIS
    /// (applicationHost.config), the event logs, ProgramData and the dump
    /// locations on it.
    #[arg(long, value_name = "DIR")]
    system_root: Option<PathBuf>,

    /// Another volume of the same server, mounted at DIR (e.g. `D=/mnt/d`
    /// when Exchange is installed on D:); may be given more than once.
    #[arg(long, value_name = "LETTER=DIR")]
    drive: Vec<String>,
}

impl RootArgs {
    /// The system root to discover: `--system-root`, else the live server
    /// when `live` (no PATH given).
    fn system_root(&self, live: bool) -> Result<Option<exhunt_system::SystemRoot>> {
        let builder = match &self.system_root {
            Some(dir) => exhunt_system::SystemRootBuilder::offline(dir),
            // `vars()` would panic on a variable that is not Unicode.
            None if live => {
                exhunt_system::SystemRootBuilder::live(std::env::vars_os().map(|(k, v)| {
                    (
                        k.to_string_lossy().into_owned(),
                        v.to_string_lossy().into_owned(),
                    )
                }))?
            }
            None => {
                if !self.drive.is_empty() {
                    bail!("--drive needs --system-root (or no PATH, on the server itself)");
                }
                return Ok(None);
            }
        };
        let mut builder = builder;
        for d in &self.drive {
            builder = builder.drive_arg(d)?;
        }
        Ok(Some(builder.build()?))
    }
}

#[derive(clap::Args)]
struct CollectArgs {
    #[command(flatten)]
    root: RootArgs,

    /// The zip to write (a new file, not inside any folder read).
    #[arg(long, short = 'o', value_name = "FILE.zip")]
    output: PathBuf,

    /// Leave out text logs last written before DATE (YYYY-MM-DD or an ISO
    /// time, UTC); web folders, configuration, dumps and event logs are
    /// always collected.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    since: Option<String>,

    /// Largest file collected that is not a log (logs are collected
    /// whatever their size, as `scan` reads them whatever their size); the
    /// scan reads no more of larger files, which the manifest lists.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_filesize: u64,

    /// Most bytes collected in all (before compression): files first,
    /// then event logs, then text logs newest first; the rest is listed in
    /// the manifest as left out.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_total: Option<u64>,

    /// No progress bar and no warnings on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// `2021-03-01` or `2021-03-01T06:00:00Z` → ISO UTC for comparing with file times.
fn parse_since(s: &str) -> Result<String, String> {
    let t = s.trim();
    if !t.is_ascii() {
        return Err(format!(
            "not a date: {s:?} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)"
        ));
    }
    let ok_date = |d: &str| {
        d.len() == 10
            && d.as_bytes()[4] == b'-'
            && d.as_bytes()[7] == b'-'
            && [&d[..4], &d[5..7], &d[8..10]]
                .iter()
                .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && d[5..7].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
            && d[8..10].parse::<u8>().is_ok_and(|m| (1..=31).contains(&m))
    };
    if ok_date(t) {
        return Ok(format!("{t}T00:00:00Z"));
    }
    // UTC only: a time with an offset would cut at the wrong hour.
    if (t.len() == 19 || (t.len() == 20 && t.ends_with('Z')))
        && ok_date(&t[..10])
        && t.as_bytes()[10] == b'T'
    {
        let hms = &t[11..19];
        let parts: Vec<&str> = hms.split(':').collect();
        let in_range = |p: &str, max: u8| {
            p.len() == 2
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u8>().is_ok_and(|n| n <= max)
        };
        if parts.len() == 3
            && in_range(parts[0], 23)
            && in_range(parts[1], 59)
            && in_range(parts[2], 60)
        {
            return Ok(format!("{}T{hms}Z", &t[..10]));
        }
    }
    Err(format!(
        "not a date: {s:?} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)"
    ))
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Exchange install folder (...\V15), system drive (mounted or copied),
    /// any folder of collected files, a .zip of any of these, or a
    /// collection made by `exhunt collect`. None: the server exhunt runs on
    /// (its Exchange, IIS, event logs, ProgramData, found as `--system-root`
    /// finds them).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    #[command(flatten)]
    root: RootArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: OutFormat,

    /// Write the report to FILE instead of standard output (never inside a scanned input).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Number of worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,

    /// Copy every flagged file into DIR (new or empty, never inside an
    /// input), with a SHA-256 manifest (manifest.json, manifest.csv) and the
    /// report (report.json, report.txt) beside the copies.
    #[arg(long, value_name = "DIR")]
    collect: Option<PathBuf>,

    /// Also load the Sigma rules in DIR (SigmaHQ layout, searched
    /// recursively for .yml/.yaml); may be given more than once. Every rule
    /// is reported as loaded or skipped with the reason.
    #[arg(long, value_name = "DIR")]
    sigma: Vec<PathBuf>,

    /// Also load the YARA rules in PATH (a .yar/.yara file, or a folder
    /// searched recursively, e.g. a signature-base checkout's `yara`); may be
    /// given more than once. Each file is reported as loaded or skipped.
    #[arg(long, value_name = "PATH")]
    yara: Vec<PathBuf>,

    /// Also load file indicators from FILE: SHA-256/SHA-1/MD5 lists, file
    /// names and paths (plain lists, exhunt's CSVs, the MSTIC feed CSV,
    /// signature-base's hash-iocs.txt and filename-iocs.txt); may be given
    /// more than once.
    #[arg(long, value_name = "FILE")]
    iocs: Vec<PathBuf>,

    /// Largest file whose content is hashed and YARA-scanned, in bytes
    /// (suffixes K, M, G); larger files are listed as skipped. Logs are read
    /// whatever their size.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    max_filesize: u64,

    /// Do not print warnings about unreadable files to standard error
    /// (they are still listed in the report).
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// `64M`, `512K`, `1G` or plain bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M or G)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n.saturating_mul(mult))
        .map_err(|_| format!("not a size: {s:?}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match run_scan(args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("exhunt: error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Collect(args) => match run_collect(args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("exhunt: error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Probe(args) => match probe::run(
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
        ) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("exhunt: error: {e:#}");
                ExitCode::from(2)
            }
        },
        Command::Build(args) => {
            match build::run(&args.versions, matches!(args.format, BuildFormat::Json)) {
                Ok(code) => ExitCode::from(code),
                Err(e) => {
                    eprintln!("exhunt: error: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// The exit code for a report.
fn exit_code(r: &Report) -> u8 {
    let base = match r.verdict {
        Verdict::Clean => 0,
        Verdict::Attempted => 10,
        Verdict::Exploited => 20,
        Verdict::Compromised => 30,
    };
    base + r.incomplete as u8
}

/// Refuses an output path inside any scanned input: the scan never writes
/// into the evidence.
fn check_output(out: &Path, inputs: &[PathBuf]) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = parent
        .canonicalize()
        .with_context(|| format!("output folder {} does not exist", parent.display()))?;
    let target = parent.join(out.file_name().unwrap_or_default());
    for i in inputs {
        if let Ok(ci) = i.canonicalize() {
            if target == ci || target.starts_with(&ci) {
                bail!(
                    "refusing to write {} inside the scanned input {}: exhunt never writes into evidence",
                    out.display(),
                    i.display()
                );
            }
        }
    }
    Ok(())
}

/// The inputs of a scan or collection: the PATHs as given, plus the
/// places discovery found on a system root.
struct Plan {
    inputs: Vec<exhunt_sources::Input>,
    names: Vec<String>,
    discovery: Option<exhunt_core::SystemDiscovery>,
    discovery_errors: Vec<exhunt_core::ErrorEntry>,
    /// A mounted disk's root and volumes: no output inside them either.
    volumes: Vec<PathBuf>,
}

impl Plan {
    fn new(paths: &[PathBuf], root: &RootArgs, quiet: bool) -> Result<Plan> {
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

    /// Where nothing may be written: every input, and a mounted disk whole.
    fn paths(&self) -> Vec<PathBuf> {
        self.inputs
            .iter()
            .map(|i| i.path.clone())
            .chain(self.volumes.iter().cloned())
            .collect()
    }
}

fn progress_bar(quiet: bool, template: &str) -> indicatif::ProgressBar {
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
    bundle::check_output(&args.output, &plan.paths())?;
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

fn run_scan(args: ScanArgs) -> Result<u8> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot set up worker threads")?;
    }
    let plan = Plan::new(&args.paths, &args.root, args.quiet)?;
    if let Some(out) = &args.output {
        check_output(out, &plan.paths())?;
    }
    if let Some(dir) = &args.collect {
        collect::check_dir(dir, &plan.paths())?;
    }
    let mut rules = exhunt_detect::events::bundled_rules();
    for dir in &args.sigma {
        rules
            .add_dir(dir)
            .with_context(|| format!("cannot read Sigma rules from {}", dir.display()))?;
    }
    let mut yara = exhunt_yara::YaraRulesBuilder::new().bundled();
    for p in &args.yara {
        yara.add_path(p)
            .with_context(|| format!("cannot read YARA rules from {}", p.display()))?;
    }
    let mut iocs = exhunt_detect::iocs::FileIocsBuilder::new().bundled();
    let mut ioc_loads = Vec::new();
    for p in &args.iocs {
        let n = iocs
            .add_file(p)
            .with_context(|| format!("cannot use indicator file {}", p.display()))?;
        ioc_loads.push((p.display().to_string(), n));
    }
    if !args.quiet {
        for w in iocs.warnings() {
            eprintln!("exhunt: warning: indicators: {w}");
        }
    }
    let sweep = scan::Sweep {
        iocs: iocs.build().context("building the indicator lists")?,
        yara: yara.build(),
        max_file: args.max_filesize,
        timeout: std::time::Duration::from_secs(60),
    };
    let engine = scan::Engine::new(DetectorSet::builtin(), rules.build(), sweep)
        .context("building detectors")?;
    // Progress goes to standard error, and only to a person watching it.
    let progress = progress_bar(
        args.quiet,
        "{spinner} scanning [{bar:30}] {pos}/{len} files {elapsed}",
    );
    let (mut evidence, candidates) = scan::scan(
        &engine,
        &plan.inputs,
        plan.names.clone(),
        plan.discovery.clone(),
        &progress,
    );
    evidence
        .errors
        .extend(plan.discovery_errors.iter().cloned());
    evidence.rules = engine
        .rules()
        .load_report()
        .iter()
        .map(|l| exhunt_core::RuleLoad {
            engine: "sigma".to_string(),
            origin: l.origin.clone(),
            title: l.title.clone(),
            id: l.id.clone(),
            status: if l.status.is_loaded() {
                "loaded"
            } else {
                "skipped"
            }
            .to_string(),
            reason: match &l.status {
                exhunt_sigma::LoadStatus::Skipped { reason } => Some(reason.clone()),
                exhunt_sigma::LoadStatus::Loaded => None,
            },
        })
        .collect();
    evidence
        .rules
        .extend(engine.yara().loads().iter().map(|l| exhunt_core::RuleLoad {
            engine: "yara".to_string(),
            origin: l.origin.clone(),
            title: Some(format!("{} rule(s)", l.rules)),
            id: None,
            status: if l.is_loaded() { "loaded" } else { "skipped" }.to_string(),
            reason: if l.is_loaded() {
                None
            } else if l.errors.is_empty() {
                Some("no rules in file".to_string())
            } else {
                Some(l.errors.join("; "))
            },
        }));
    let bundled_iocs = exhunt_detect::iocs::FileIocs::bundled().counts().total();
    for (origin, n) in
        std::iter::once(("bundled:rules/iocs".to_string(), bundled_iocs)).chain(ioc_loads)
    {
        evidence.rules.push(exhunt_core::RuleLoad {
            engine: "iocs".to_string(),
            origin,
            title: Some(format!("{n} indicator(s)")),
            id: None,
            status: "loaded".to_string(),
            reason: None,
        });
    }
    if !args.quiet {
        for r in evidence.rules.iter().filter(|r| r.status != "loaded") {
            let what = if r.engine == "yara" {
                "YARA rule file"
            } else {
                "Sigma rule"
            };
            eprintln!(
                "exhunt: warning: {what} {} skipped: {}",
                r.origin,
                r.reason.as_deref().unwrap_or("")
            );
        }
        for l in engine.yara().loads() {
            for w in l.warnings.iter().take(3) {
                eprintln!("exhunt: note: YARA {}: {w}", l.origin);
            }
        }
    }
    let report = exhunt_judge::judge(evidence, env!("CARGO_PKG_VERSION"));
    if let Some(dir) = &args.collect {
        let copied = collect::collect(dir, &report, &candidates)
            .with_context(|| format!("collecting evidence into {}", dir.display()))?;
        if !args.quiet {
            eprintln!(
                "exhunt: copied {} flagged file(s) into {} (manifest.json, manifest.csv, report.json)",
                copied.len(),
                dir.display()
            );
        }
    }
    if !args.quiet {
        for e in &report.errors {
            eprintln!("exhunt: warning: {}: {}", e.path, e.message);
        }
    }
    let format = match args.format {
        OutFormat::Text => Format::Text,
        OutFormat::Json => Format::Json,
        OutFormat::Jsonl => Format::Jsonl,
        OutFormat::Timeline => Format::Timeline,
    };
    match &args.output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            render(&report, format, &mut f)
                .with_context(|| format!("cannot write {}", path.display()))?;
            f.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            if let Err(e) = render(&report, format, &mut lock) {
                // A closed pipe (`exhunt scan ... | head`) is not an error.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e).context("cannot write the report");
                }
            }
        }
    }
    Ok(exit_code(&report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_dates() {
        assert_eq!(
            parse_since("2021-03-01").as_deref(),
            Ok("2021-03-01T00:00:00Z")
        );
        assert_eq!(
            parse_since(" 2021-03-01T06:07:08Z ").as_deref(),
            Ok("2021-03-01T06:07:08Z")
        );
        for bad in [
            "",
            "March",
            "2021-13-01",
            "2021-03-32",
            "2021/03/01",
            "2021-03-01T6:07:08",
            "2021-03-01T06:07:08+05:00",
            "2021-03-01T24:00:00Z",
            "2021-03-01T06:60:00Z",
            "+021-03-01",
            "2021-+3-01",
            "2021-03-0é",
            "202é-03-01T00:00:00Z",
        ] {
            assert!(parse_since(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("300K"), Ok(300 << 10));
        assert_eq!(parse_size("12"), Ok(12));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("é").is_err());
    }
}
