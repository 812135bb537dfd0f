//! `exhunt scan`: the arguments become a [`ScanConfig`], the library scans,
//! the judge decides, and the report is written where it was asked for.

use crate::args::ColorChoice;
use crate::args::{OutFormat, ScanArgs};
use crate::plan::{progress_bar, Plan};
use crate::{collect, exit_code};
use anyhow::{Context, Result};
use exhunt_report::{render, render_text, safe, Format, TextStyle};
use exhunt_scan::{ScanConfig, ScanConfigBuilder};
use std::io::IsTerminal;
use std::io::Write;

/// The progress bar, as the library's progress: bytes read (it moves
/// while a big log is read), and the files done beside them.
struct Bar {
    bar: indicatif::ProgressBar,
    files: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

/// The bar's look: bytes, then the files count (its message).
const BAR: &str = "{spinner} scanning [{bar:30}] {bytes}/{total_bytes} {msg} {elapsed}";

impl Bar {
    fn new(quiet: bool) -> Self {
        Bar {
            bar: progress_bar(quiet, BAR),
            files: Default::default(),
            done: Default::default(),
        }
    }

    fn show_files(&self, done: u64) {
        let files = self.files.load(std::sync::atomic::Ordering::Relaxed);
        self.bar.set_message(format!("{done}/{files} files"));
    }
}

impl exhunt_scan::Progress for Bar {
    fn set_length(&self, bytes: u64) {
        self.bar.set_length(bytes);
    }
    fn inc(&self, bytes: u64) {
        self.bar.inc(bytes);
    }
    fn set_files(&self, files: u64) {
        self.files
            .store(files, std::sync::atomic::Ordering::Relaxed);
        self.show_files(0);
    }
    fn file_done(&self) {
        if !self.bar.is_hidden() {
            let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            self.show_files(done);
        }
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The scan's configuration from the command line and the plan of inputs.
fn config(args: &ScanArgs, plan: &Plan) -> Result<ScanConfig> {
    let mut b = ScanConfigBuilder::new().max_filesize(args.max_filesize);
    // The PATHs as given are named in the report; a system root's places
    // are named once, by the root.
    let given = args.paths.len();
    for (input, name) in plan.inputs.iter().zip(&plan.names).take(given) {
        b = b.input(input.clone(), name.clone());
    }
    for input in plan.inputs.iter().skip(given) {
        b = b.input_unnamed(input.clone());
    }
    for name in plan.names.iter().skip(given) {
        b = b.input_name(name.clone());
    }
    if let Some(d) = &plan.discovery {
        b = b.discovery(d.clone(), plan.discovery_errors.clone());
    }
    for dir in &args.sigma {
        b = b.sigma_dir(dir);
    }
    for p in &args.yara {
        b = b.yara_path(p);
    }
    for p in &args.iocs {
        b = b.iocs_file(p);
    }
    Ok(b.build()?)
}

/// How the text report is laid out: on a terminal, the first screen,
/// wrapped to the window, in colour (unless NO_COLOR is set or TERM is
/// `dumb`); piped or into a file, whole and plain, unless `--color always`.
fn text_style(args: &ScanArgs) -> TextStyle {
    let terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    TextStyle {
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        },
        width: terminal
            .then(|| console::Term::stdout().size_checked())
            .flatten()
            .map(|(_, cols)| usize::from(cols)),
        brief: terminal && !args.detail,
    }
}

/// Rule files that did not load, and YARA's notes, on standard error.
fn rule_warnings(config: &ScanConfig, evidence: &exhunt_scan::Evidence) {
    for r in evidence.rules.iter().filter(|r| r.status != "loaded") {
        let what = if r.engine == "yara" {
            "YARA rule file"
        } else {
            "Sigma rule"
        };
        eprintln!(
            "exhunt: warning: {what} {} skipped: {}",
            safe(&r.origin),
            safe(r.reason.as_deref().unwrap_or(""))
        );
    }
    for l in config.engine().yara_rules().loads() {
        for w in l.warnings.iter().take(3) {
            eprintln!("exhunt: note: YARA {}: {}", safe(&l.origin), safe(w));
        }
    }
}

/// The `--collect` subfolder of server `k` (0-based): its number, and its
/// host name when it has one (only letters, digits, `-`, `_`, `.`).
fn server_folder(k: usize, server: &exhunt_scan::Server) -> String {
    let host: String = server
        .host
        .as_deref()
        .unwrap_or("host-not-identified")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    format!("server-{}-{}", k + 1, host.trim_start_matches('.'))
}

pub fn run(args: ScanArgs) -> Result<u8> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot set up worker threads")?;
    }
    let plan = Plan::new(&args.paths, &args.root, args.quiet)?;
    let guard = plan.guard();
    if let Some(out) = &args.output {
        guard.file(out)?;
    }
    if let Some(dir) = &args.collect {
        guard.empty_dir(dir, "--collect")?;
    }
    crate::fleet::check_upload(&args.upload, &guard)?;
    let config = config(&args, &plan)?;
    if !args.quiet {
        for w in config.ioc_warnings() {
            eprintln!("exhunt: warning: indicators: {}", safe(w));
        }
    }
    // Each server is scanned and judged on its own evidence (a verdict
    // speaks of one server); several make one report that sums them up.
    let servers = exhunt_scan::servers(&config);
    let many = servers.len() > 1;
    if many && !args.quiet {
        eprintln!(
            "exhunt: the inputs are {} servers ({}): one verdict each",
            servers.len(),
            servers
                .iter()
                .map(|s| safe(s.host.as_deref().unwrap_or("host not identified")).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut reports = Vec::with_capacity(servers.len());
    for (k, server) in servers.iter().enumerate() {
        // Progress goes to standard error, and only to a person watching it.
        let progress = Bar::new(args.quiet);
        let out = exhunt_scan::run_server(&config, server, &progress);
        if !args.quiet && k == 0 {
            rule_warnings(&config, &out.evidence);
        }
        let report = exhunt_judge::judge(out.evidence, env!("CARGO_PKG_VERSION"));
        if let Some(dir) = &args.collect {
            // One folder per server when there are several.
            let dir = if many {
                dir.join(server_folder(k, server))
            } else {
                dir.clone()
            };
            let copied = collect::collect(&dir, &report, &out.candidates)
                .with_context(|| format!("collecting evidence into {}", dir.display()))?;
            if !args.quiet {
                eprintln!(
                    "exhunt: copied {} flagged file(s) into {} (manifest.json, manifest.csv, report.json)",
                    copied.len(),
                    safe(&dir.display().to_string())
                );
            }
        }
        reports.push(report);
    }
    let report = exhunt_judge::fleet(reports);
    if !args.quiet {
        for e in &report.errors {
            eprintln!("exhunt: warning: {}: {}", safe(&e.path), safe(&e.message));
        }
    }
    let format = match args.format {
        OutFormat::Text => Format::Text,
        OutFormat::Json => Format::Json,
        OutFormat::Jsonl => Format::Jsonl,
        OutFormat::Timeline => Format::Timeline,
        OutFormat::LedgerCsv => Format::LedgerCsv,
        OutFormat::Timesketch => Format::Timesketch,
        OutFormat::Stix => Format::Stix,
        OutFormat::Html => Format::Html,
    };
    let stix = exhunt_report::StixOptions {
        org: args.org.clone(),
        tlp: match args.tlp {
            crate::args::TlpArg::Clear => exhunt_report::Tlp::Clear,
            crate::args::TlpArg::Green => exhunt_report::Tlp::Green,
            crate::args::TlpArg::Amber => exhunt_report::Tlp::Amber,
            crate::args::TlpArg::AmberStrict => exhunt_report::Tlp::AmberStrict,
            crate::args::TlpArg::Red => exhunt_report::Tlp::Red,
        },
        ..Default::default()
    };
    let style = text_style(&args);
    let write = |w: &mut dyn Write| match format {
        Format::Text => render_text(&report, style, w),
        Format::Stix => exhunt_report::render_stix(&report, &stix, w),
        other => render(&report, other, w),
    };
    match &args.output {
        Some(path) => {
            let mut f = crate::create_output(path)?;
            write(&mut f).with_context(|| format!("cannot write {}", path.display()))?;
            f.flush()?;
        }
        None => {
            // Buffered: standard output flushes at every line end, which is
            // a write call per line of a pretty-printed JSON report.
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            if let Err(e) = write(&mut lock).and_then(|()| lock.flush()) {
                // A closed pipe (`exhunt scan ... | head`) is not an error.
                if !crate::is_broken_pipe(&e) {
                    return Err(e).context("cannot write the report");
                }
            }
        }
    }
    if args.upload.upload.is_some() {
        let mut json = Vec::new();
        render(&report, Format::Json, &mut json)
            .context("cannot render the report for --upload")?;
        crate::fleet::upload_after(&args.upload, "the report", json)?;
    }
    Ok(exit_code(&report))
}
