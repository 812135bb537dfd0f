//! A fake system drive of an Exchange server, laid out as Windows lays it
//! out, for the tests of system-root discovery, `collect` and the scan of
//! a collection.
//!
//! The compromised example ([`crate::tree::example_bundle`]) moved to a
//! non-default Exchange install folder, plus what discovery reads to find
//! things: IIS's `applicationHost.config` (web roots, a log folder moved
//! out of `inetpub`), a real event log, and an offline `SOFTWARE` registry
//! hive made with Debian's hivex tools (`hivexsh -w`, package
//! `libhivex-bin`) from the empty hive of libguestfs/hivex.

use crate::tree::{Bundle, BundleFile};
use crate::Time;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// An empty, valid registry hive (libguestfs/hivex `images/minimal`,
/// LGPL-2.1; provenance in `crates/sources/tests/data/hivex-minimal-hive`).
pub const MINIMAL_HIVE: &[u8] =
    include_bytes!("../../sources/tests/data/hivex-minimal-hive/minimal.hive");

/// A real Sysmon log of a web shell on IIS spawning commands
/// (sbousseaden/EVTX-ATTACK-SAMPLES, provenance beside it).
pub const SYSMON_WEBSHELL_EVTX: &[u8] = include_bytes!(
    "../../sources/tests/data/evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"
);

/// What the `SOFTWARE` hive says about Exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiveExchange {
    /// Exchange's Setup key with `MsiInstallPath` and, if given, the build.
    Installed {
        install_path: String,
        build: Option<[u32; 4]>,
    },
    /// A Windows server without Exchange (the `Microsoft` key has other
    /// products only).
    Absent,
}

/// Writes a `SOFTWARE` hive at `path` with `hivexsh -w`: the Windows
/// version key every server has, and Exchange's Setup key if asked.
pub fn write_software_hive(path: &Path, exchange: &HiveExchange) -> io::Result<()> {
    std::fs::write(path, MINIMAL_HIVE)?;
    let mut script = String::from(
        "add Microsoft\ncd Microsoft\nadd Windows NT\ncd Windows NT\nadd CurrentVersion\ncd CurrentVersion\nsetval 2\nProductName\nstring:Windows Server 2016 Standard\nCurrentBuild\nstring:14393\ncd ..\ncd ..\n",
    );
    if let HiveExchange::Installed {
        install_path,
        build,
    } = exchange
    {
        script.push_str(
            "add ExchangeServer\ncd ExchangeServer\nadd v15\ncd v15\nadd Setup\ncd Setup\n",
        );
        let mut vals = vec![format!("MsiInstallPath\nstring:{install_path}")];
        if let Some([a, b, c, d]) = build {
            for (name, v) in [
                ("MsiProductMajor", a),
                ("MsiProductMinor", b),
                ("MsiBuildMajor", c),
                ("MsiBuildMinor", d),
            ] {
                vals.push(format!("{name}\ndword:0x{v:08x}"));
            }
        }
        script.push_str(&format!("setval {}\n{}\n", vals.len(), vals.join("\n")));
    } else {
        script.push_str("add Windows Defender\ncd Windows Defender\nsetval 1\nProductStatus\ndword:0x00000000\n");
    }
    script.push_str("commit\n");
    let mut child = Command::new("hivexsh")
        .arg("-w")
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run hivexsh (install Debian's libhivex-bin): {e}"),
            )
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "hivexsh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(())
}

/// How to lay out the fake system drive.
#[derive(Debug, Clone)]
pub struct SystemRootSpec {
    /// The Exchange install folder as a Windows path on `C:`, e.g.
    /// `C:\Apps\Exchange Server\V15`.
    pub install: String,
    /// IIS's log folder (site defaults in `applicationHost.config`), a
    /// Windows path on `C:`; `None` keeps IIS's default under `inetpub`.
    pub iis_logs: Option<String>,
}

impl Default for SystemRootSpec {
    fn default() -> Self {
        SystemRootSpec {
            install: "C:\\Apps\\Exchange Server\\V15".into(),
            iis_logs: Some("C:\\IISLogs".into()),
        }
    }
}

/// `C:\a\b` → `a/b`.
fn rel_of(win: &str) -> String {
    win.trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches(':')
        .trim_matches('\\')
        .replace('\\', "/")
}

/// The compromised example on a system drive laid out per `spec` (the
/// hive is written by [`write_system_root`]).
pub fn system_root_bundle(spec: &SystemRootSpec) -> Bundle {
    let mut b = crate::tree::example_bundle();
    let install = rel_of(&spec.install);
    let default_install = "Program Files/Microsoft/Exchange Server/V15";
    let logs = spec.iis_logs.as_deref().map(rel_of);
    let move_path = |p: &str| -> String {
        if let Some(rest) = p.strip_prefix(default_install) {
            return format!("{install}{rest}");
        }
        if let (Some(l), Some(rest)) = (&logs, p.strip_prefix("inetpub/logs/LogFiles")) {
            return format!("{l}{rest}");
        }
        p.to_string()
    };
    for f in &mut b.files {
        f.path = move_path(&f.path);
    }
    for d in &mut b.dirs {
        *d = move_path(d);
    }
    for p in &mut b.planted {
        p.path = move_path(&p.path);
    }
    let t = Time::utc(2020, 11, 2, 10, 0, 0);
    let log_attr = spec
        .iis_logs
        .as_deref()
        .map(|l| format!(" directory=\"{l}\""))
        .unwrap_or_default();
    let config = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <log centralLogFileMode="Site" />
        <sites>
            <site name="Default Web Site" id="1" serverAutoStart="true">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
                </application>
                <application path="/owa" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="%ExchangeInstallDir%FrontEnd\HttpProxy\owa" />
                </application>
                <application path="/ecp" applicationPool="MSExchangeECPAppPool">
                    <virtualDirectory path="/" physicalPath="%ExchangeInstallDir%FrontEnd\HttpProxy\ecp" />
                </application>
                <bindings>
                    <binding protocol="https" bindingInformation="*:443:" />
                </bindings>
            </site>
            <site name="Exchange Back End" id="2">
                <application path="/" applicationPool="MSExchangeServicesAppPool">
                    <virtualDirectory path="/" physicalPath="{install}\ClientAccess" />
                </application>
                <bindings>
                    <binding protocol="https" bindingInformation="*:444:" />
                </bindings>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C"{log_attr} />
                <traceFailedRequestsLogging directory="%SystemDrive%\inetpub\logs\FailedReqLogFiles" />
            </siteDefaults>
        </sites>
    </system.applicationHost>
</configuration>
"#,
        install = spec.install,
    );
    b.files.push(BundleFile {
        path: "Windows/System32/inetsrv/config/applicationHost.config".into(),
        data: config.replace('\n', "\r\n").into_bytes(),
        modified: t,
    });
    b.files.push(BundleFile {
        path: "Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx".into(),
        data: SYSMON_WEBSHELL_EVTX.to_vec(),
        modified: Time::utc(2021, 3, 9, 12, 0, 0),
    });
    // Exchange's web folders, with a page that is not Exchange's in
    // owa\auth (named like the stock errorFE.aspx, where the 2021
    // intruders put theirs); only found when the install folder is.
    for d in [
        "FrontEnd/HttpProxy/owa/auth/Current/themes",
        "FrontEnd/HttpProxy/ecp/auth",
        "ClientAccess/ecp",
        "ClientAccess/OAB",
    ] {
        b.dirs.push(format!("{install}/{d}"));
    }
    let owa_shell = format!("{install}/FrontEnd/HttpProxy/owa/auth/errorEE.aspx");
    b.files.push(BundleFile {
        path: owa_shell.clone(),
        data: crate::tree::SHELL_STAND_IN
            .replace('\n', "\r\n")
            .into_bytes(),
        modified: Time::utc(2021, 3, 3, 7, 40, 2),
    });
    b.planted.push(crate::tree::Planted {
        path: owa_shell,
        time: String::new(),
        what: "webshell-file",
        lines: 0,
    });
    // A file outside every place exhunt reads on a system root: a user's
    // desktop is not a web folder.
    b.files.push(BundleFile {
        path: "Users/Administrator/Desktop/todo.txt".into(),
        data: b"renew certificate before April\r\n".to_vec(),
        modified: t,
    });
    b
}

/// Writes the fake system drive under `dir` with its `SOFTWARE` hive.
pub fn write_system_root(
    dir: &Path,
    spec: &SystemRootSpec,
    hive: &HiveExchange,
) -> io::Result<Bundle> {
    let b = system_root_bundle(spec);
    b.write_to(dir)?;
    let cfg = dir.join("Windows/System32/config");
    std::fs::create_dir_all(&cfg)?;
    write_software_hive(&cfg.join("SOFTWARE"), hive)?;
    Ok(b)
}
