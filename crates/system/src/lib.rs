//! exhunt-system: where an Exchange server keeps what exhunt reads, found
//! on a "system root".
//!
//! A system root is the folder that is `C:\` on the server: `C:\` itself
//! when exhunt runs on the live server, a mount point or a copied tree when
//! a responder works on a disk image. Discovery is written once, against
//! that folder, with nothing but environment variables (live) and files, so
//! it works the same on every OS:
//!
//! 1. the Exchange install folder: the `ExchangeInstallPath` environment
//!    variable (live), the `MsiInstallPath` value of
//!    `HKLM\SOFTWARE\Microsoft\ExchangeServer\v15\Setup` in the offline
//!    `SOFTWARE` hive ([`exhunt_sources::hive`]), else the default install
//!    folders; under it the HttpProxy, ECP and OABGenerator logs, the
//!    front-end and back-end web folders and `Bin\ExSetup.exe`;
//! 2. IIS: log folders and web roots from `applicationHost.config`
//!    ([`apphost`]), and the whole `inetpub` folder;
//! 3. event logs (`Windows\System32\winevt\Logs`), ProgramData, the dump
//!    locations (`C:\root`, `Windows\Temp`), ASP.NET's compiled pages.
//!
//! Windows paths from the registry, configuration and environment are
//! parsed and looked up without case ([`winpath`]). The result, a
//! [`Layout`], lists every place looked at with where its location came
//! from (for the report) and the folders and files to scan, each shown
//! relative to the root so that a scan of the root and a scan of a
//! collection of it name files alike.

#![forbid(unsafe_code)]

pub mod apphost;
pub mod winpath;

use exhunt_core::open::{read_capped, Links, OpenError};
use exhunt_core::{BuildSeen, DiscoveredPlace, ErrorEntry, SystemDiscovery};
use exhunt_sources::Input;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use winpath::{resolve_no_case, WinPath};

/// Largest `SOFTWARE` hive read (real ones are tens to a few hundred MB).
const MAX_HIVE: u64 = 2 << 30;
/// Largest `applicationHost.config` read.
const MAX_CONFIG: u64 = 64 << 20;

/// Why discovery cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    #[error("this does not look like a Windows system (the SystemDrive environment variable is not set): give the folders or zips to scan, or --system-root DIR for a mounted Windows disk")]
    NotWindows,
    #[error("the system root {0} is not a folder that can be read: {1}")]
    BadRoot(String, std::io::Error),
    #[error("--drive {0}: expected LETTER=DIR, e.g. D=/mnt/d")]
    BadDrive(String),
}

/// Sets up discovery on a system root.
#[derive(Debug, Clone)]
pub struct SystemRootBuilder {
    root: PathBuf,
    live: bool,
    /// Environment variables, names upper-case.
    env: BTreeMap<String, String>,
    drives: BTreeMap<char, PathBuf>,
}

impl SystemRootBuilder {
    /// A mounted or copied Windows disk: only its files are read.
    pub fn offline(root: impl Into<PathBuf>) -> Self {
        SystemRootBuilder {
            root: drive_root(root.into()),
            live: false,
            env: BTreeMap::new(),
            drives: BTreeMap::new(),
        }
    }

    /// The running system, from its environment: the root is
    /// `%SystemDrive%\`, and `ExchangeInstallPath`, `SystemRoot`,
    /// `ProgramData` and the like say where things are.
    pub fn live(env: impl IntoIterator<Item = (String, String)>) -> Result<Self, SystemError> {
        let env: BTreeMap<String, String> = env
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect();
        let drive = env
            .get("SYSTEMDRIVE")
            .filter(|d| !d.trim().is_empty())
            .ok_or(SystemError::NotWindows)?;
        let root = PathBuf::from(format!(
            "{}{}",
            drive.trim().trim_end_matches(['\\', '/']),
            std::path::MAIN_SEPARATOR
        ));
        Ok(SystemRootBuilder {
            root,
            live: true,
            env,
            drives: BTreeMap::new(),
        })
    }

    /// Another volume of the same server, mounted at `dir` (offline: an
    /// Exchange installed on `D:` is found only when `D:` is given).
    pub fn drive(mut self, letter: char, dir: impl Into<PathBuf>) -> Self {
        self.drives
            .insert(letter.to_ascii_uppercase(), drive_root(dir.into()));
        self
    }

    /// Parses `D=/mnt/d` (or `D:=/mnt/d`) for [`Self::drive`].
    pub fn drive_arg(self, arg: &str) -> Result<Self, SystemError> {
        let (l, dir) = arg
            .split_once('=')
            .ok_or_else(|| SystemError::BadDrive(arg.to_string()))?;
        let l = l.trim().trim_end_matches(':');
        let mut chars = l.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() && !dir.is_empty() => {
                Ok(self.drive(c, PathBuf::from(dir)))
            }
            _ => Err(SystemError::BadDrive(arg.to_string())),
        }
    }

    pub fn build(self) -> Result<SystemRoot, SystemError> {
        std::fs::read_dir(&self.root)
            .map_err(|e| SystemError::BadRoot(self.root.display().to_string(), e))?;
        // The variables Windows paths use, with Windows' defaults where
        // the environment (offline: always) does not say.
        let mut vars = self.env.clone();
        let sys_drive = vars
            .get("SYSTEMDRIVE")
            .and_then(|d| winpath::drive_letter(d))
            .unwrap_or('C');
        for (k, v) in exhunt_core::winpath::default_vars_for(sys_drive) {
            let keep = self.live && vars.get(&k).is_some_and(|x| winpath::has_drive(x));
            if !keep {
                vars.insert(k, v);
            }
        }
        // On a live server not run on Windows (tests), SystemDrive is a
        // folder: Windows paths use C:.
        vars.insert("SYSTEMDRIVE".into(), format!("{sys_drive}:"));
        Ok(SystemRoot {
            root: self.root,
            live: self.live,
            env: self.env,
            vars,
            sys_drive,
            drives: self.drives,
        })
    }
}

/// A configured system root; [`SystemRoot::discover`] does the work.
#[derive(Debug, Clone)]
pub struct SystemRoot {
    root: PathBuf,
    live: bool,
    env: BTreeMap<String, String>,
    vars: BTreeMap<String, String>,
    sys_drive: char,
    drives: BTreeMap<char, PathBuf>,
}

/// What discovery found: the report's account of it and the inputs to scan.
#[derive(Debug, Clone)]
pub struct Layout {
    pub discovery: SystemDiscovery,
    /// Folders and files to scan, none inside another.
    pub inputs: Vec<Input>,
    /// Files discovery needed and could not read (a malformed
    /// `applicationHost.config`, a broken hive).
    pub errors: Vec<ErrorEntry>,
}

/// What kind of thing a place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
}

/// A place while discovery runs.
struct Place {
    what: String,
    win: WinPath,
    from: String,
    kind: Kind,
    /// Host path and root-relative display, when it is there.
    found: Option<(PathBuf, String)>,
    status: String,
    /// Walked as an input (the install folder itself is not: only the
    /// folders of it that hold what exhunt reads).
    scan: bool,
}

impl Place {
    /// A file found, read as an input.
    fn found_file(what: &str, win: WinPath, from: &str, host: PathBuf, rel: String) -> Place {
        Place {
            what: what.into(),
            win,
            from: from.into(),
            kind: Kind::File,
            found: Some((host, rel)),
            status: "scanned".into(),
            scan: true,
        }
    }

    /// A file that is there but was not read (not a regular file, a link,
    /// too large): named with why, never scanned.
    fn file_not_read(
        what: &str,
        win: WinPath,
        from: &str,
        host: PathBuf,
        rel: String,
        why: &OpenError,
    ) -> Place {
        Place {
            status: open_message(why),
            scan: false,
            ..Place::found_file(what, win, from, host, rel)
        }
    }

    /// A folder named but not read, and why.
    fn unread(what: &str, win: WinPath, from: String, status: &str) -> Place {
        Place {
            what: what.into(),
            win,
            from,
            kind: Kind::Dir,
            found: None,
            status: status.into(),
            scan: false,
        }
    }
}

/// Where a Windows path is on this machine.
enum Located {
    At(PathBuf, String),
    Missing(String),
    Unreachable(String),
    /// Offline, a symbolic link on the way: not followed.
    Link(LinkAt),
}

/// A symbolic link met on the way to a place in a disk image.
struct LinkAt {
    /// The link, shown as places are (relative to the root).
    at: String,
    /// Where it points, as written in the link.
    to: String,
    /// The link is the place itself, not a folder above it.
    itself: bool,
}

impl LinkAt {
    /// Why the place was not read.
    fn status(&self) -> String {
        let what = if self.itself {
            "a symbolic link".to_string()
        } else {
            format!("behind the symbolic link {}", self.at)
        };
        format!(
            "{what} (to {}): not followed (a link in a disk image points out of the evidence)",
            self.to
        )
    }
}

impl SystemRoot {
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The folders that hold the evidence as a whole: the root and every
    /// `--drive` volume of a mounted disk (nothing may be written in
    /// them). Empty live: the server's own drives are where a report or a
    /// collection can be written, outside the places read.
    pub fn evidence_volumes(&self) -> Vec<PathBuf> {
        if self.live {
            return Vec::new();
        }
        std::iter::once(self.root.clone())
            .chain(self.drives.values().cloned())
            .collect()
    }

    fn var(&self, name: &str) -> WinPath {
        WinPath::parse(&self.vars[name], &self.vars).unwrap_or_else(|_| WinPath {
            drive: self.sys_drive,
            parts: Vec::new(),
        })
    }

    /// Finds a Windows path on this machine: the system drive under the
    /// root, other drives where `--drive` put them (or, live, where they
    /// are), without regard to case.
    fn locate(&self, w: &WinPath) -> Located {
        let (base, prefix) = if w.drive == self.sys_drive {
            (self.root.clone(), String::new())
        } else if let Some(d) = self.drives.get(&w.drive) {
            (d.clone(), format!("{}$", w.drive))
        } else if self.live {
            (
                PathBuf::from(format!("{}:{}", w.drive, std::path::MAIN_SEPARATOR)),
                format!("{}$", w.drive),
            )
        } else {
            return Located::Unreachable(format!(
                "on drive {}:, which is not part of the system root given (add it with --drive {}=DIR)",
                w.drive, w.drive
            ));
        };
        match resolve_no_case(&base, &w.parts) {
            Ok(host) => {
                // Always under the base; anything else is not ours to read.
                let Ok(inside) = host.strip_prefix(&base) else {
                    return Located::Missing(format!("not found under {}", base.display()));
                };
                let rel: Vec<String> = inside
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let show = |n: usize| {
                    let mut display = prefix.clone();
                    for r in &rel[..n] {
                        if !display.is_empty() {
                            display.push('/');
                        }
                        display.push_str(r);
                    }
                    display
                };
                // In a disk image, a link points into the analyst's own
                // machine (an absolute one), or out of the place it is in:
                // never followed. Live, the server's links are its own.
                if !self.live {
                    let mut at = base.clone();
                    for (i, c) in rel.iter().enumerate() {
                        at.push(c);
                        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink())
                        {
                            return Located::Link(LinkAt {
                                at: show(i + 1),
                                to: std::fs::read_link(&at)
                                    .map(|t| t.display().to_string())
                                    .unwrap_or_else(|_| "?".into()),
                                itself: i + 1 == rel.len(),
                            });
                        }
                    }
                }
                Located::At(host, show(rel.len()))
            }
            Err(not_found) => Located::Missing(not_found.to_string()),
        }
    }

    /// Looks for everything exhunt reads.
    pub fn discover(&self) -> Layout {
        let mut d = Discoverer {
            sys: self,
            vars: self.vars.clone(),
            places: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
            builds: Vec::new(),
        };
        let install = d.exchange_install();
        if let Some((w, _)) = &install {
            let dir = format!("{w}\\");
            d.vars.insert("EXCHANGEINSTALLDIR".into(), dir.clone());
            d.vars.insert("EXCHANGEINSTALLPATH".into(), dir);
            for (what, sub, kind) in [
                ("Exchange HttpProxy logs", "Logging\\HttpProxy", Kind::Dir),
                ("Exchange ECP logs", "Logging\\ECP", Kind::Dir),
                (
                    "Exchange OABGenerator logs",
                    "Logging\\OABGeneratorLog",
                    Kind::Dir,
                ),
                // The protocol logs the ledger reads when an attack is
                // found (what its clients asked of the mailboxes).
                ("Exchange EWS protocol logs", "Logging\\Ews", Kind::Dir),
                (
                    "Exchange MAPI protocol logs",
                    "Logging\\MapiHttp\\Mailbox",
                    Kind::Dir,
                ),
                (
                    "Exchange Remote PowerShell proxy logs",
                    "Logging\\CmdletInfra\\Powershell-Proxy\\Http",
                    Kind::Dir,
                ),
                (
                    "Exchange front-end web folders",
                    "FrontEnd\\HttpProxy",
                    Kind::Dir,
                ),
                ("Exchange back-end web folders", "ClientAccess", Kind::Dir),
                (
                    "Exchange build (ExSetup.exe)",
                    "Bin\\ExSetup.exe",
                    Kind::File,
                ),
            ] {
                d.add(
                    what,
                    w.join(sub),
                    "inside the Exchange install folder",
                    kind,
                );
            }
        }
        d.iis();
        let windir = self.var("SYSTEMROOT");
        d.add(
            "event logs",
            windir.join("System32\\winevt\\Logs"),
            "Windows' event log folder (%SystemRoot%\\System32\\winevt\\Logs)",
            Kind::Dir,
        );
        d.add(
            "ProgramData",
            self.var("PROGRAMDATA"),
            "%ProgramData% (staged archives, dumps, ProxyShell virtual directories)",
            Kind::Dir,
        );
        d.add(
            "dump location",
            WinPath {
                drive: self.sys_drive,
                parts: vec!["root".into()],
            },
            "where the 2021 intruders left LSASS dumps (C:\\root; Microsoft's Test-ProxyLogon)",
            Kind::Dir,
        );
        d.add(
            "dump location",
            windir.join("Temp"),
            "where the 2021 intruders left LSASS dumps (%WINDIR%\\Temp; Microsoft's Test-ProxyLogon)",
            Kind::Dir,
        );
        for fw in ["Framework64", "Framework"] {
            d.add(
                "compiled ASP.NET pages",
                windir.join(&format!(
                    "Microsoft.NET\\{fw}\\v4.0.30319\\Temporary ASP.NET Files"
                )),
                "ASP.NET's default compilation folder (App_Web_*.dll of requested pages)",
                Kind::Dir,
            );
        }
        d.finish(install.map(|(w, from)| (w.to_string(), from)))
    }
}

struct Discoverer<'s> {
    sys: &'s SystemRoot,
    /// The root's variables, plus `%ExchangeInstallDir%` once the install
    /// folder is known (Exchange's own IIS configuration uses it).
    vars: BTreeMap<String, String>,
    places: Vec<Place>,
    notes: Vec<String>,
    errors: Vec<ErrorEntry>,
    builds: Vec<BuildSeen>,
}

impl Discoverer<'_> {
    fn error(&mut self, path: String, message: String) {
        self.errors.push(ErrorEntry { path, message });
    }

    fn add(&mut self, what: &str, win: WinPath, from: &str, kind: Kind) -> Option<PathBuf> {
        let (found, status) = match self.sys.locate(&win) {
            Located::At(host, rel) => {
                let ok = match kind {
                    Kind::Dir => host.is_dir(),
                    Kind::File => host.is_file(),
                };
                if ok {
                    (Some((host, rel)), "scanned".to_string())
                } else {
                    (
                        None,
                        match kind {
                            Kind::Dir => "not a folder".to_string(),
                            Kind::File => "not a file".to_string(),
                        },
                    )
                }
            }
            Located::Missing(why) | Located::Unreachable(why) => (None, why),
            Located::Link(link) => (None, link.status()),
        };
        let host = found.as_ref().map(|(h, _)| h.clone());
        self.places.push(Place {
            what: what.to_string(),
            win,
            from: from.to_string(),
            kind,
            found,
            status,
            scan: true,
        });
        host
    }

    /// The Exchange install folder and where its location came from.
    fn exchange_install(&mut self) -> Option<(WinPath, String)> {
        let sys = self.sys;
        let mut tried: Vec<(WinPath, String)> = Vec::new();
        if sys.live {
            match sys.env.get("EXCHANGEINSTALLPATH") {
                Some(v) => match WinPath::parse(v, &sys.vars) {
                    Ok(w) => tried.push((w, "environment variable ExchangeInstallPath".into())),
                    Err(e) => self
                        .notes
                        .push(format!("The ExchangeInstallPath environment variable is not usable: {e}.")),
                },
                None => self.notes.push(
                    "The ExchangeInstallPath environment variable is not set (Exchange Setup sets it on every Exchange server)."
                        .into(),
                ),
            }
        }
        // The registry: offline always; live only when the environment did
        // not say (Windows keeps the loaded hive open).
        if !sys.live || tried.is_empty() {
            tried.extend(self.hive());
        }
        for v in ["V15", "V14"] {
            tried.push((
                sys.var("PROGRAMFILES")
                    .join(&format!("Microsoft\\Exchange Server\\{v}")),
                "default install folder".into(),
            ));
        }
        let mut chosen: Option<(WinPath, String)> = None;
        for (w, from) in tried {
            if chosen.is_some() {
                if from != "default install folder" {
                    continue;
                }
                // A second install folder at a default place (an older
                // install left behind) is worth a note, not a scan.
                if let Located::At(h, _) = sys.locate(&w) {
                    if h.is_dir() && !chosen.as_ref().is_some_and(|(c, _)| c == &w) {
                        self.notes.push(format!(
                            "{w} also exists (not scanned; give it as a PATH if Exchange ran from there)."
                        ));
                    }
                }
                continue;
            }
            match sys.locate(&w) {
                Located::At(h, _) if h.is_dir() => chosen = Some((w, from)),
                Located::At(..) => self
                    .notes
                    .push(format!("{w} (from {from}) is not a folder.")),
                Located::Missing(why) | Located::Unreachable(why) => {
                    if from != "default install folder" {
                        self.notes.push(format!("{w} (from {from}) is {why}."));
                    }
                }
                Located::Link(link) => self
                    .notes
                    .push(format!("{w} (from {from}) is {}.", link.status())),
            }
        }
        match &chosen {
            Some((w, from)) => {
                self.add("Exchange install", w.clone(), from, Kind::Dir);
                let p = self.places.last_mut().expect("just added");
                p.scan = false;
                p.status = "found (the log and web folders below are scanned)".into();
            }
            None => {
                self.notes.push(
                    "No Exchange install folder was found: its logs and web folders are not scanned. If Exchange is installed elsewhere, give that folder as a PATH."
                        .into(),
                );
                self.places.push(Place::unread(
                    "Exchange install",
                    sys.var("PROGRAMFILES")
                        .join("Microsoft\\Exchange Server\\V15"),
                    "default install folder".into(),
                    "not found",
                ));
            }
        }
        chosen
    }

    /// The install folder (and build) Exchange Setup recorded in the
    /// offline `SOFTWARE` hive. The hive and its transaction logs are read
    /// through the one opener (regular files only, no link followed, at
    /// most [`MAX_HIVE`]): an intruder can leave a FIFO named
    /// `SOFTWARE.LOG1` or a link to `/dev/zero` beside the hive.
    fn hive(&mut self) -> Option<(WinPath, String)> {
        let sys = self.sys;
        let w = sys.var("SYSTEMROOT").join("System32\\config\\SOFTWARE");
        const WHAT: &str = "registry hive";
        const FROM: &str = "Windows' SOFTWARE hive (%SystemRoot%\\System32\\config\\SOFTWARE)";
        let (host, rel) = match sys.locate(&w) {
            Located::At(host, rel) => (host, rel),
            Located::Link(link) => {
                self.error(link.at.clone(), format!("{WHAT}: {}", link.status()));
                self.notes.push(format!(
                    "The registry hive {w} was not read ({}): the Exchange install folder cannot be read from the registry.",
                    link.status()
                ));
                return None;
            }
            Located::Missing(_) | Located::Unreachable(_) => {
                if !sys.live {
                    self.notes.push(format!(
                        "No registry hive at {w}: the Exchange install folder cannot be read from the registry."
                    ));
                }
                return None;
            }
        };
        let bytes = match read_capped(&host, Links::Refuse, MAX_HIVE) {
            Ok(b) => b,
            Err(e) => {
                if sys.live && !e.is_skip() {
                    self.notes.push(format!(
                        "The registry hive {w} cannot be read while Windows runs ({e})."
                    ));
                } else {
                    self.error(rel.clone(), format!("registry hive: {}", open_message(&e)));
                    self.notes.push(format!(
                        "The registry hive {rel} could not be read ({}): the Exchange install folder cannot be read from the registry.",
                        open_message(&e)
                    ));
                }
                self.places
                    .push(Place::file_not_read(WHAT, w, FROM, host, rel, &e));
                return None;
            }
        };
        let modified = std::fs::symlink_metadata(&host)
            .and_then(|m| m.modified())
            .ok();
        // Its transaction logs, when they were copied along.
        let mut logs = Vec::new();
        if !sys.live {
            for ext in ["LOG1", "LOG2"] {
                const LOG: &str = "registry hive transaction log";
                const BESIDE: &str = "beside the SOFTWARE hive";
                let lw = sys
                    .var("SYSTEMROOT")
                    .join(&format!("System32\\config\\SOFTWARE.{ext}"));
                match sys.locate(&lw) {
                    Located::At(lh, lrel) => match read_capped(&lh, Links::Refuse, MAX_HIVE) {
                        Ok(b) => {
                            if !b.is_empty() {
                                logs.push(b);
                            }
                            self.places
                                .push(Place::found_file(LOG, lw, BESIDE, lh, lrel));
                        }
                        Err(e) => {
                            self.error(lrel.clone(), format!("{LOG}: {}", open_message(&e)));
                            self.places
                                .push(Place::file_not_read(LOG, lw, BESIDE, lh, lrel, &e));
                        }
                    },
                    Located::Link(link) => {
                        self.error(link.at.clone(), format!("{LOG}: {}", link.status()));
                        self.places.push(Place {
                            kind: Kind::File,
                            ..Place::unread(LOG, lw, BESIDE.into(), &link.status())
                        });
                    }
                    Located::Missing(_) | Located::Unreachable(_) => {}
                }
            }
        }
        self.places
            .push(Place::found_file(WHAT, w, FROM, host, rel.clone()));
        // With its transaction logs when there are any, else (they do not
        // fit) without; the hive is held once, never copied.
        let read = match exhunt_sources::hive::read_exchange_setup(bytes, logs) {
            Ok(read) => read,
            Err(e) => {
                self.error(rel.clone(), e.to_string());
                self.notes.push(format!(
                    "The registry hive {rel} could not be read ({e}): the Exchange install folder cannot be read from the registry."
                ));
                return None;
            }
        };
        if !read.damage.is_empty() {
            self.error(
                rel.clone(),
                format!(
                    "registry hive could not be read whole: {}",
                    read.damage.join("; ")
                ),
            );
        }
        if let Some(why) = &read.logs_not_applied {
            self.notes.push(format!(
                "The transaction logs of the registry hive {rel} could not be applied ({why}): the hive was read without them, and its last changes may be missing."
            ));
        }
        let Some(setup) = read.setup else {
            self.notes.push(if read.damage.is_empty() {
                format!(
                    "The registry hive {rel} has no SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup (or v14) key: Exchange Server is not installed on this system, or was removed."
                )
            } else {
                format!(
                    "The registry hive {rel} could not be read whole (see the errors): whether Exchange is installed cannot be told from it, and its install folder was not read from it."
                )
            });
            return None;
        };
        if let Some(b) = &setup.build {
            self.builds.push(BuildSeen {
                build: b.clone(),
                source: format!(
                    "registry hive ({}: MsiProductMajor/Minor, MsiBuildMajor/Minor)",
                    setup.key
                ),
                path: rel.clone(),
                first: None,
                last: modified.map(exhunt_core::time::system_time_iso),
                files: 1,
            });
        }
        match setup
            .install_path
            .as_deref()
            .map(|p| WinPath::parse(p, &sys.vars))
        {
            Some(Ok(ip)) => Some((
                ip,
                format!("registry hive {rel}, {} value MsiInstallPath", setup.key),
            )),
            Some(Err(e)) => {
                self.notes.push(format!(
                    "The registry's MsiInstallPath ({}) is not usable: {e}.",
                    setup.key
                ));
                None
            }
            None => {
                self.notes.push(format!(
                    "The registry key {} has no MsiInstallPath value.",
                    setup.key
                ));
                None
            }
        }
    }

    /// IIS: its configuration, `inetpub`, the log folders and the physical
    /// folders the configuration names.
    fn iis(&mut self) {
        let sys = self.sys;
        let cfg_dir = sys.var("SYSTEMROOT").join("System32\\inetsrv\\config");
        self.add(
            "IIS configuration",
            cfg_dir.clone(),
            "IIS's configuration folder (%SystemRoot%\\System32\\inetsrv\\config)",
            Kind::Dir,
        );
        let inetpub = WinPath {
            drive: sys.sys_drive,
            parts: vec!["inetpub".into()],
        };
        self.add(
            "IIS folder (web root, logs)",
            inetpub,
            "IIS's default folder (%SystemDrive%\\inetpub)",
            Kind::Dir,
        );
        let file = cfg_dir.join("applicationHost.config");
        let config = match sys.locate(&file) {
            Located::At(host, rel) => Some((host, rel)),
            Located::Link(link) => {
                self.error(
                    link.at.clone(),
                    format!("IIS configuration: {}", link.status()),
                );
                self.notes.push(format!(
                    "The IIS configuration {file} was not read ({}): IIS's default log folder is used.",
                    link.status()
                ));
                None
            }
            Located::Missing(_) | Located::Unreachable(_) => {
                self.notes.push(format!(
                    "No IIS configuration at {file}: IIS's default log folder is used."
                ));
                None
            }
        };
        let parsed = config.and_then(|(host, rel)| {
            // Through the one opener: a FIFO or a link to a device left in
            // its place is named, never waited on or read without end.
            let read = read_capped(&host, Links::Refuse, MAX_CONFIG)
                .map_err(|e| (open_message(&e), "read"))
                .and_then(|b| apphost::decode(&b).map_err(|e| (e.to_string(), "parsed")))
                .and_then(|t| apphost::parse(&t).map_err(|e| (e.to_string(), "parsed")));
            match read {
                Ok(c) => Some((c, rel)),
                Err((e, how)) => {
                    self.error(rel.clone(), e.clone());
                    self.notes.push(format!(
                        "{rel} could not be {how} ({e}): IIS's default log folder is used."
                    ));
                    None
                }
            }
        });
        let (cfg, rel) = match parsed {
            Some((c, rel)) => (c, rel),
            None => (
                apphost::IisConfig {
                    log_dirs: vec![apphost::ConfigPath {
                        raw: apphost::DEFAULT_LOG_DIR.into(),
                        origin: "IIS default".into(),
                        line: 0,
                    }],
                    physical_paths: Vec::new(),
                },
                String::new(),
            ),
        };
        let from = |p: &apphost::ConfigPath| {
            if rel.is_empty() {
                p.origin.clone()
            } else {
                format!("{rel} line {}: {}", p.line, p.origin)
            }
        };
        // Log folders and web folders alike: found and walked, unless a
        // whole drive, Windows, Program Files or Users.
        for (what, label, paths, broad) in [
            (
                "IIS logs",
                "IIS log folder",
                &cfg.log_dirs,
                "; give the W3SVC folders as PATHs",
            ),
            (
                "web folder",
                "Web folder",
                &cfg.physical_paths,
                " (a site served from there is itself suspicious)",
            ),
        ] {
            for p in paths {
                match WinPath::parse(&p.raw, &self.vars) {
                    Ok(w) if too_broad(&w) => self.places.push(Place::unread(
                        what,
                        w,
                        from(p),
                        &format!("not walked whole: a drive, Windows, Program Files or Users folder is too broad to sweep{broad}"),
                    )),
                    Ok(w) => {
                        self.add(what, w, &from(p), Kind::Dir);
                    }
                    Err(e) => self.notes.push(format!("{label} {}: {e}", from(p))),
                }
            }
        }
    }

    fn finish(mut self, install: Option<(String, String)>) -> Layout {
        // A place inside another found place is scanned as part of it.
        let found: Vec<(usize, PathBuf)> = self
            .places
            .iter()
            .enumerate()
            .filter(|(_, p)| p.scan)
            .filter_map(|(i, p)| p.found.as_ref().map(|(h, _)| (i, h.clone())))
            .collect();
        let mut inputs = Vec::new();
        for &(i, ref h) in &found {
            // Without case: a folder that could not be listed keeps the
            // configuration's spelling, which may differ from the disk's.
            let outer = found.iter().find(|&&(j, ref o)| {
                j != i && inside_no_case(h, o) && (!inside_no_case(o, h) || j < i)
            });
            if let Some(&(j, _)) = outer {
                let o = &self.places[j];
                self.places[i].status = format!("within {} ({})", o.what, o.win);
                continue;
            }
            let (host, rel) = self.places[i].found.clone().expect("found");
            inputs.push(Input::under(host, rel));
        }
        inputs.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        let places = self
            .places
            .into_iter()
            .map(|p| DiscoveredPlace {
                what: p.what,
                windows_path: format!(
                    "{}{}",
                    p.win,
                    if p.kind == Kind::Dir && !p.win.parts.is_empty() {
                        "\\"
                    } else {
                        ""
                    }
                ),
                path: p.found.map(|(_, rel)| rel),
                from: p.from,
                status: p.status,
            })
            .collect();
        let (exchange_install, exchange_install_from) = match install {
            Some((w, from)) => (Some(format!("{w}\\")), Some(from)),
            None => (None, None),
        };
        Layout {
            discovery: SystemDiscovery {
                root: self.sys.root.display().to_string(),
                live: self.sys.live,
                exchange_install,
                exchange_install_from,
                places,
                builds: self.builds,
                notes: self.notes,
                collected: None,
            },
            inputs,
            errors: self.errors,
        }
    }
}

/// Why a file was not read, for the report: a refusal names what the file
/// is; a read failure says it could not be read.
fn open_message(e: &OpenError) -> String {
    match e {
        OpenError::Io(e) => format!("cannot read: {e}"),
        refused => refused.to_string(),
    }
}

/// `inner` is `outer` or inside it, names compared without case.
fn inside_no_case(inner: &Path, outer: &Path) -> bool {
    let (a, b): (Vec<_>, Vec<_>) = (inner.components().collect(), outer.components().collect());
    a.len() >= b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            winpath::eq_no_case(
                &x.as_os_str().to_string_lossy(),
                &y.as_os_str().to_string_lossy(),
            )
        })
}

/// `E:` alone names the drive's current folder on Windows, not its root:
/// a system root or volume given so means `E:\`.
fn drive_root(p: PathBuf) -> PathBuf {
    match winpath::drive_letter(&p.as_os_str().to_string_lossy()) {
        Some(l) => PathBuf::from(format!("{l}:{}", std::path::MAIN_SEPARATOR)),
        None => p,
    }
}

/// Folders too broad to sweep because a configuration names them: a drive,
/// Windows, System32, Program Files, Users.
fn too_broad(w: &WinPath) -> bool {
    let p: Vec<String> = w.parts.iter().map(|s| s.to_lowercase()).collect();
    match p.as_slice() {
        [] => true,
        [one] => matches!(
            one.as_str(),
            "windows" | "program files" | "program files (x86)" | "users"
        ),
        [a, b] => a == "windows" && matches!(b.as_str(), "system32" | "syswow64"),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
