//! The command line (clap): every subcommand and flag, and the parsers of
//! their values. Nothing here reads evidence.

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "exhunt",
    version,
    about = "Was this Exchange server broken into through the ProxyLogon/ProxyShell campaigns? Reads its logs and files (never writes to them) and gives a verdict.",
    after_help = "Exit codes: 0 clean, 10 attempted, 20 exploited, 30 compromised (+1 when some input could not be read), 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// The fleet server: gathers the reports of many servers (`scan
    /// --upload`, `probe --upload`, `upload`) per organisation and answers
    /// the read API. Starts on 127.0.0.1:8470 with a SQLite file in the
    /// current folder; `org add NAME` prints an organisation's token.
    Serve(ServeArgs),
    /// Send reports made earlier (`scan --format json`, `probe --format
    /// json`) to a fleet server; with no REPORT, what the spool holds.
    Upload(UploadCmdArgs),
}

/// Where a scan's or a probe's JSON goes besides its output.
#[derive(clap::Args, Clone, Default)]
pub struct UploadArgs {
    /// Also send the JSON report to the fleet server at URL
    /// (`https://fleet.example:8470`); kept in the spool and sent on the
    /// next run when the server cannot be reached.
    #[arg(long, value_name = "URL")]
    pub upload: Option<String>,

    /// The organisation's upload token, in FILE (first line).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Trust this PEM CA certificate (a private CA) besides the usual
    /// roots; TLS is always verified.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Where reports that could not be sent wait (default: EXHUNT_SPOOL,
    /// else %ProgramData%\exhunt\spool or ~/.local/state/exhunt/spool).
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct UploadCmdArgs {
    /// JSON reports or probe results; none: send what the spool holds.
    #[arg(value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// The fleet server (`https://fleet.example:8470`).
    #[arg(long, alias = "upload", value_name = "URL")]
    pub to: String,

    /// The organisation's upload token, in FILE (first line).
    #[arg(long, value_name = "FILE")]
    pub token_file: PathBuf,

    /// Trust this PEM CA certificate besides the usual roots.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// The spool folder (as for `scan --upload`).
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,

    /// Address and port to listen on. Plain HTTP unless --tls-cert and
    /// --tls-key are given: keep it on 127.0.0.1 behind a TLS proxy, or
    /// give the certificate.
    #[arg(
        long,
        default_value = "127.0.0.1:8470",
        value_name = "ADDR:PORT",
        global = true
    )]
    pub listen: std::net::SocketAddr,

    /// The database: a SQLite file (created and migrated on start) or
    /// `postgres://user:password@host/db` (several `exhunt serve` may share
    /// one).
    #[arg(
        long,
        env = "EXHUNT_DATABASE",
        default_value = "exhunt-fleet.db",
        value_name = "URL",
        global = true
    )]
    pub database: String,

    /// PEM certificate chain for HTTPS.
    #[arg(long, value_name = "FILE", global = true)]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for HTTPS.
    #[arg(long, value_name = "FILE", global = true)]
    pub tls_key: Option<PathBuf>,

    /// Largest upload, before and after decompression (413 above).
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE", global = true)]
    pub max_upload: u64,

    /// Uploads per minute per token (429 with Retry-After above; 0: none).
    #[arg(long, default_value_t = 60, value_name = "N", global = true)]
    pub rate_limit: i64,

    /// Delete reports older than DAYS (each server's latest report stays),
    /// checked hourly.
    #[arg(long, value_name = "DAYS", global = true)]
    pub retain: Option<i64>,

    /// Database connections of this process.
    #[arg(long, default_value_t = 8, value_name = "N", global = true)]
    pub max_connections: u32,

    /// SQLite only: the most pages the database file may grow to (a size
    /// cap; past it uploads get 503 and nothing is stored).
    #[arg(long, value_name = "PAGES", global = true)]
    pub sqlite_max_pages: Option<u64>,

    /// The dashboard's "not reporting" page: servers whose last report is
    /// older than DAYS (the page can change it).
    #[arg(long, default_value_t = 7, value_name = "DAYS", global = true)]
    pub stale_days: i64,

    /// Mark session cookies Secure though this process speaks plain HTTP
    /// (a TLS proxy in front). With --tls-cert they always are.
    #[arg(long, global = true)]
    pub secure_cookies: bool,
}

#[derive(clap::Subcommand)]
pub enum ServeCommand {
    /// Organisations: add (prints the upload token once), list, delete.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Tokens: add (for an organisation, or an analyst's that reads every
    /// organisation), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// People who sign in to the dashboard: add (password from
    /// --password-file or standard input), list, remove.
    #[command(subcommand)]
    User(UserCommand),
    /// Delete reports older than DAYS now (each server's latest stays).
    Prune {
        #[arg(value_name = "DAYS")]
        days: i64,
    },
    /// Check the database's integrity (prints `ok`).
    Check,
}

#[derive(clap::Subcommand)]
pub enum OrgCommand {
    /// Add an organisation; prints its upload token (shown once).
    Add { name: String },
    /// Every organisation with its servers, tokens and last report.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete an organisation and all of its data (servers, reports,
    /// indicators, tokens).
    Delete {
        name: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Add a person: `--org NAME` (sees that organisation only) or
    /// `--analyst` (every organisation). The password (12 characters or
    /// more) is read from --password-file, else from standard input.
    Add {
        name: String,
        #[arg(long, value_name = "NAME")]
        org: Option<String>,
        #[arg(long)]
        analyst: bool,
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Every person who can sign in (never a password).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a person and end their sessions.
    Remove { name: String },
}

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// A new token: `--org NAME` (uploads and reads that organisation) or
    /// `--analyst` (reads every organisation, uploads nothing).
    Add {
        #[arg(long, value_name = "NAME")]
        org: Option<String>,
        #[arg(long)]
        analyst: bool,
        #[arg(long)]
        label: Option<String>,
    },
    /// Every token (never the secret).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its number (`token list`).
    Revoke { id: i64 },
}

#[derive(clap::Args)]
pub struct ProbeArgs {
    /// Targets: host, host:port, https://host[:port], or a CIDR block.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Read more targets from FILE, one per line (`#` comments allowed).
    #[arg(long = "targets", alias = "targets-file", value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: ProbeFormat,

    /// Write the results to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Targets probed at the same time.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,

    /// Most requests started per second, over all targets.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,

    /// Seconds one request may take.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,

    /// Port for targets given without one (443 means https, 80 http, others https).
    #[arg(long, default_value_t = 443)]
    pub port: u16,

    /// Most targets (CIDR blocks expand to every address).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_targets: usize,

    /// Also send the non-destructive ProxyShell and ProxyNotShell checks:
    /// exploit-shaped requests (they leave traces in the target's logs).
    #[arg(long)]
    pub active_checks: bool,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub upload: UploadArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProbeFormat {
    Text,
    Json,
    Csv,
}

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The build, as Exchange, OWA or a file version shows it:
    /// `15.1.2106.2`, `15.01.2106.002`, or `15.1.2106` (the update level is
    /// then unknown, and said so).
    #[arg(required = true, value_name = "VERSION")]
    pub versions: Vec<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: BuildFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum BuildFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutFormat {
    /// A summary for people: verdict, findings, log coverage, next steps.
    Text,
    /// The full report (schema exhunt/report/v1).
    Json,
    /// One finding per line, for SIEMs.
    Jsonl,
    /// CSV, UTC, every finding with the records around it, sorted by time.
    Timeline,
    /// What was taken (the exposure ledger) as CSV: one row per mailbox or
    /// account, for the people who must notify.
    LedgerCsv,
    /// JSON lines for Timesketch's importer (`message`, `datetime`,
    /// `timestamp_desc` and exhunt's fields): findings, what was taken, the
    /// verdict.
    Timesketch,
    /// A STIX 2.1 bundle of what others can block or hunt for (attacker
    /// addresses, web-shell hashes and paths, user agents), with sightings
    /// on this server, marked with `--tlp`.
    Stix,
    /// One self-contained HTML page for people who never run a command
    /// line: verdict, what to do, what was found and taken, a timeline
    /// against log coverage; no network access, no script.
    Html,
}

/// The Traffic Light Protocol level of a STIX bundle (TLP 2.0).
#[derive(Clone, Copy, ValueEnum)]
pub enum TlpArg {
    Clear,
    Green,
    Amber,
    #[value(name = "amber+strict")]
    AmberStrict,
    Red,
}

/// Where a system root is: the live server, or a mounted or copied disk.
#[derive(clap::Args, Clone)]
pub struct RootArgs {
    /// A mounted or copied Windows system drive (the folder that was `C:\`):
    /// exhunt finds Exchange (registry hive, default folders), IIS
    /// (applicationHost.config), the event logs, ProgramData and the dump
    /// locations on it.
    #[arg(long, value_name = "DIR")]
    pub system_root: Option<PathBuf>,

    /// Another volume of the same server, mounted at DIR (e.g. `D=/mnt/d`
    /// when Exchange is installed on D:); may be given more than once.
    #[arg(long, value_name = "LETTER=DIR")]
    pub drive: Vec<String>,
}

impl RootArgs {
    /// The system root to discover: `--system-root`, else the live server
    /// when `live` (no PATH given).
    pub fn system_root(&self, live: bool) -> Result<Option<exhunt_system::SystemRoot>> {
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
pub struct CollectArgs {
    #[command(flatten)]
    pub root: RootArgs,

    /// The zip to write (a new file, not inside any folder read).
    #[arg(long, short = 'o', value_name = "FILE.zip")]
    pub output: PathBuf,

    /// Leave out text logs last written before DATE (YYYY-MM-DD or an ISO
    /// time, UTC); web folders, configuration, dumps and event logs are
    /// always collected.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<String>,

    /// Largest file collected that is not a log (logs are collected
    /// whatever their size, as `scan` reads them whatever their size); the
    /// scan reads no more of larger files, which the manifest lists.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_filesize: u64,

    /// Most bytes collected in all (before compression): files first,
    /// then event logs, then text logs newest first; the rest is listed in
    /// the manifest as left out.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_total: Option<u64>,

    /// No progress bar and no warnings on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `2021-03-01` or `2021-03-01T06:00:00Z` → ISO UTC for comparing with file times.
fn parse_since(s: &str) -> Result<String, String> {
    exhunt_core::time::parse_since_utc(s).map_err(|e| e.to_string())
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// Exchange install folder (...\V15), system drive (mounted or copied),
    /// any folder of collected files, a .zip of any of these, or a
    /// collection made by `exhunt collect`. None: the server exhunt runs on
    /// (its Exchange, IIS, event logs, ProgramData, found as `--system-root`
    /// finds them).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub root: RootArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: OutFormat,

    /// Write the report to FILE instead of standard output (never inside a scanned input).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// `--format stix`: the reporting organisation's name (its `identity`).
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,

    /// `--format stix`: how the bundle may be shared (TLP 2.0).
    #[arg(long, value_enum, default_value = "amber", value_name = "LEVEL")]
    pub tlp: TlpArg,

    /// The whole text report on a terminal too. On a terminal the text
    /// report is the first screen (verdict, exposure, the worst findings,
    /// the first steps); piped or written to a file it is always whole.
    #[arg(long)]
    pub detail: bool,

    /// When to colour the text report: `auto` (a terminal, and NO_COLOR
    /// not set), `always` or `never`.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorChoice,

    /// Number of worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Copy every flagged file into DIR (new or empty, never inside an
    /// input), with a SHA-256 manifest (manifest.json, manifest.csv) and the
    /// report (report.json, report.txt) beside the copies.
    #[arg(long, value_name = "DIR")]
    pub collect: Option<PathBuf>,

    /// Also load the Sigma rules in DIR (SigmaHQ layout, searched
    /// recursively for .yml/.yaml); may be given more than once. Every rule
    /// is reported as loaded or skipped with the reason.
    #[arg(long, value_name = "DIR")]
    pub sigma: Vec<PathBuf>,

    /// Also load the YARA rules in PATH (a .yar/.yara file, or a folder
    /// searched recursively, e.g. a signature-base checkout's `yara`); may be
    /// given more than once. Each file is reported as loaded or skipped.
    #[arg(long, value_name = "PATH")]
    pub yara: Vec<PathBuf>,

    /// Also load file indicators from FILE: SHA-256/SHA-1/MD5 lists, file
    /// names and paths (plain lists, exhunt's CSVs, the MSTIC feed CSV,
    /// signature-base's hash-iocs.txt and filename-iocs.txt); may be given
    /// more than once.
    #[arg(long, value_name = "FILE")]
    pub iocs: Vec<PathBuf>,

    /// Largest file whose content is hashed and YARA-scanned, in bytes
    /// (suffixes K, M, G); larger files are listed as skipped. Logs are read
    /// whatever their size.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_filesize: u64,

    /// Do not print warnings about unreadable files to standard error
    /// (they are still listed in the report).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub upload: UploadArgs,
}

/// `64M`, `512K`, `1G` or plain bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("300K"), Ok(300 << 10));
        assert_eq!(parse_size("12"), Ok(12));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("é").is_err());
    }
}
