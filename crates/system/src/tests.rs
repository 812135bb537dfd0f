use super::*;
use exhunt_testgen::sysroot::{system_root_bundle, SystemRootSpec};

// SOFTWARE hives, committed (`tests/data/hives/`, made by
// `scripts/make-test-hives.sh` with hivexsh; provenance beside them): the
// tests need no hivex tools. Exchange's Setup key names the install
// folder and the build 15.1.2106.2.
/// `MsiInstallPath` `C:\Apps\Exchange Server\V15\`.
const EXCHANGE: &str = "SOFTWARE-exchange";
/// `MsiInstallPath` `c:\exchsrv\V15`.
const EXCHANGE_ODD_CASE: &str = "SOFTWARE-exchange-odd-case";
/// `MsiInstallPath` `D:\Exchange\V15\`.
const EXCHANGE_ON_D: &str = "SOFTWARE-exchange-on-d";
/// Windows without Exchange.
const NO_EXCHANGE: &str = "SOFTWARE-no-exchange";

/// Copies the committed hive `name` to `to`.
fn copy_hive(name: &str, to: &Path) -> std::io::Result<()> {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/hives")
        .join(name);
    std::fs::copy(from, to).map(drop)
}

/// The fake system drive of `exhunt_testgen::sysroot::write_system_root`,
/// with the committed hive `hive` as its `SOFTWARE`.
fn write_system_root(dir: &Path, spec: &SystemRootSpec, hive: &str) -> std::io::Result<()> {
    system_root_bundle(spec).write_to(dir)?;
    let cfg = dir.join("Windows/System32/config");
    std::fs::create_dir_all(&cfg)?;
    copy_hive(hive, &cfg.join("SOFTWARE"))
}

/// Discovery on a mounted disk at `root`.
fn offline(root: &Path) -> Layout {
    SystemRootBuilder::offline(root).build().unwrap().discover()
}

fn place<'a>(l: &'a Layout, what: &str) -> Vec<&'a DiscoveredPlace> {
    l.discovery
        .places
        .iter()
        .filter(|p| p.what == what)
        .collect()
}

/// A system drive with Exchange in its default folder and no registry hive.
fn default_install_root() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let spec = SystemRootSpec {
        install: "C:\\Program Files\\Microsoft\\Exchange Server\\V15".into(),
        iis_logs: None,
    };
    exhunt_testgen::sysroot::system_root_bundle(&spec)
        .write_to(d.path())
        .unwrap();
    d
}

fn prefixes(l: &Layout) -> Vec<&str> {
    l.inputs.iter().map(|i| i.prefix.as_str()).collect()
}

#[test]
fn offline_root_with_a_hive_naming_a_non_default_install() {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), EXCHANGE).unwrap();
    let l = offline(d.path());
    let disc = &l.discovery;
    assert!(!disc.live);
    assert_eq!(
        disc.exchange_install.as_deref(),
        Some("C:\\Apps\\Exchange Server\\V15\\")
    );
    let from = disc.exchange_install_from.as_deref().unwrap();
    assert!(
        from.starts_with("registry hive Windows/System32/config/SOFTWARE")
            && from
                .contains("SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup value MsiInstallPath"),
        "{from}"
    );
    assert_eq!(disc.builds.len(), 1);
    assert_eq!(disc.builds[0].build, "15.1.2106.2");
    assert_eq!(disc.builds[0].path, "Windows/System32/config/SOFTWARE");
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    // The IIS log folder moved out of inetpub comes from applicationHost.config.
    let iis = place(&l, "IIS logs");
    assert_eq!(iis.len(), 1);
    assert_eq!(iis[0].path.as_deref(), Some("IISLogs"));
    assert_eq!(iis[0].windows_path, "C:\\IISLogs\\");
    assert!(
        iis[0]
            .from
            .starts_with("Windows/System32/inetsrv/config/applicationHost.config line "),
        "{}",
        iis[0].from
    );
    assert_eq!(iis[0].status, "scanned");
    let want = [
        "Apps/Exchange Server/V15/ClientAccess",
        "Apps/Exchange Server/V15/FrontEnd/HttpProxy",
        "Apps/Exchange Server/V15/Logging/ECP",
        "Apps/Exchange Server/V15/Logging/HttpProxy",
        "Apps/Exchange Server/V15/Logging/OABGeneratorLog",
        "IISLogs",
        "ProgramData",
        "Windows/System32/config/SOFTWARE",
        "Windows/System32/inetsrv/config",
        "Windows/System32/winevt/Logs",
        "Windows/Temp",
        "inetpub",
    ];
    for w in want {
        assert!(prefixes(&l).contains(&w), "{w} not in {:?}", prefixes(&l));
    }
    // Nothing outside the places: no user folders, no whole drive.
    assert!(!prefixes(&l)
        .iter()
        .any(|p| p.starts_with("Users") || p.is_empty()));
    // Web roots inside inetpub and the install folder are scanned with them.
    let web = place(&l, "web folder");
    assert!(web
        .iter()
        .any(|p| p.path.as_deref() == Some("inetpub/wwwroot")
            && p.status == "within IIS folder (web root, logs) (C:\\inetpub)"));
    // Exchange's own configuration names its folders by %ExchangeInstallDir%.
    assert!(web.iter().any(|p| p.windows_path
        == "C:\\Apps\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\"
        && p.from
            .ends_with("site \"Default Web Site\" virtual directory /owa")
        && p.status
            .starts_with("within Exchange front-end web folders")));
    assert!(!l
        .discovery
        .notes
        .iter()
        .any(|n| n.contains("ExchangeInstallDir")));
    // Places not there say so.
    let dumps = place(&l, "dump location");
    assert!(dumps
        .iter()
        .any(|p| p.windows_path == "C:\\root\\" && p.status == "not found (no \"root\")"));
    let exsetup = place(&l, "Exchange build (ExSetup.exe)");
    assert_eq!(exsetup[0].path, None);
}

#[test]
fn hive_of_a_server_without_exchange_says_so() {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), NO_EXCHANGE).unwrap();
    let l = offline(d.path());
    assert_eq!(l.discovery.exchange_install, None);
    assert!(l.discovery.builds.is_empty());
    let notes = l.discovery.notes.join("\n");
    assert!(
        notes.contains("The registry hive Windows/System32/config/SOFTWARE has no SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup (or v14) key: Exchange Server is not installed on this system, or was removed."),
        "{notes}"
    );
    assert!(
        notes.contains("No Exchange install folder was found"),
        "{notes}"
    );
    assert!(l.errors.is_empty());
    // IIS, event logs and ProgramData are still searched.
    assert!(prefixes(&l).contains(&"ProgramData"));
    assert!(prefixes(&l).contains(&"Windows/System32/winevt/Logs"));
}

#[test]
fn default_install_folder_when_the_registry_is_missing() {
    let d = default_install_root();
    let l = offline(d.path());
    assert_eq!(
        l.discovery.exchange_install.as_deref(),
        Some("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\")
    );
    assert_eq!(
        l.discovery.exchange_install_from.as_deref(),
        Some("default install folder")
    );
    assert!(l
        .discovery
        .notes
        .iter()
        .any(|n| n.starts_with("No registry hive at C:\\Windows\\System32\\config\\SOFTWARE")));
    // IIS's default log folder is inside inetpub.
    let iis = place(&l, "IIS logs");
    assert_eq!(iis[0].path.as_deref(), Some("inetpub/logs/LogFiles"));
    assert!(iis[0].status.starts_with("within IIS folder"));
}

#[test]
fn names_are_found_without_case() {
    let d = tempfile::tempdir().unwrap();
    let spec = SystemRootSpec {
        install: "C:\\EXCHSRV\\v15".into(),
        iis_logs: None,
    };
    let b = exhunt_testgen::sysroot::system_root_bundle(&spec);
    // A copy that kept odd case, as collected Windows trees do.
    let odd = |p: &str| {
        p.replacen("Windows/System32", "WINDOWS/system32", 1)
            .replacen("EXCHSRV/v15/Logging", "exchsrv/V15/logging", 1)
            .replacen("EXCHSRV", "exchsrv", 1)
            .replacen("inetpub", "InetPub", 1)
    };
    for f in &b.files {
        let p = d.path().join(odd(&f.path));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.data).unwrap();
    }
    std::fs::create_dir_all(d.path().join("WINDOWS/system32/Config")).unwrap();
    copy_hive(
        EXCHANGE_ODD_CASE,
        &d.path().join("WINDOWS/system32/Config/software"),
    )
    .unwrap();
    let l = offline(d.path());
    assert_eq!(
        l.discovery.exchange_install.as_deref(),
        Some("C:\\exchsrv\\V15\\"),
        "{:?} {:?}",
        l.discovery.notes,
        l.errors
    );
    let p = prefixes(&l);
    assert!(p.contains(&"exchsrv/V15/logging/HttpProxy"), "{p:?}");
    assert!(p.contains(&"WINDOWS/system32/Config/software"), "{p:?}");
    assert!(p.contains(&"InetPub"), "{p:?}");
}

#[test]
fn install_on_another_drive() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("c");
    let dvol = d.path().join("d");
    write_system_root(&root, &SystemRootSpec::default(), EXCHANGE_ON_D).unwrap();
    std::fs::create_dir_all(dvol.join("Exchange/V15/Logging/HttpProxy/Ecp")).unwrap();
    let l = offline(&root);
    assert!(
        l.discovery.notes.iter().any(|n| n.contains(
            "D:\\Exchange\\V15 (from registry hive Windows/System32/config/SOFTWARE, SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup value MsiInstallPath) is on drive D:, which is not part of the system root given (add it with --drive D=DIR)"
        )),
        "{:?}",
        l.discovery.notes
    );
    let l = SystemRootBuilder::offline(&root)
        .drive_arg(&format!("D={}", dvol.display()))
        .unwrap()
        .build()
        .unwrap()
        .discover();
    assert_eq!(
        l.discovery.exchange_install.as_deref(),
        Some("D:\\Exchange\\V15\\")
    );
    assert!(prefixes(&l).contains(&"D$/Exchange/V15/Logging/HttpProxy"));
    assert!(SystemRootBuilder::offline(&root).drive_arg("D").is_err());
    assert!(SystemRootBuilder::offline(&root)
        .drive_arg("DD=/x")
        .is_err());
}

#[test]
fn live_from_the_environment() {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), NO_EXCHANGE).unwrap();
    let env = vec![
        ("SystemDrive".to_string(), d.path().display().to_string()),
        (
            "ExchangeInstallPath".to_string(),
            "C:\\Apps\\Exchange Server\\V15\\".to_string(),
        ),
    ];
    let l = SystemRootBuilder::live(env)
        .unwrap()
        .build()
        .unwrap()
        .discover();
    assert!(l.discovery.live);
    assert_eq!(
        l.discovery.exchange_install_from.as_deref(),
        Some("environment variable ExchangeInstallPath")
    );
    assert!(prefixes(&l).contains(&"Apps/Exchange Server/V15/Logging/HttpProxy"));
    // Live, Windows keeps the hive open: it is not read (nor scanned).
    assert!(!prefixes(&l).contains(&"Windows/System32/config/SOFTWARE"));
    assert!(matches!(
        SystemRootBuilder::live(vec![("PATH".to_string(), "/usr/bin".to_string())]),
        Err(SystemError::NotWindows)
    ));
}

#[test]
fn malformed_configuration_and_hive_are_named_and_discovery_goes_on() {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), NO_EXCHANGE).unwrap();
    std::fs::write(
        d.path().join("Windows/System32/inetsrv/config/applicationHost.config"),
        "<configuration>\r\n<system.applicationHost>\r\n<sites>\r\n<site name=\"x\">\r\n</configuration>\r\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("Windows/System32/config/SOFTWARE"),
        b"regf\0\0\0\0garbage",
    )
    .unwrap();
    let l = offline(d.path());
    let errs: Vec<String> = l
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect();
    assert!(
        errs.iter()
            .any(|e| e
                .starts_with("Windows/System32/inetsrv/config/applicationHost.config: line 5:")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("Windows/System32/config/SOFTWARE: broken registry hive")),
        "{errs:?}"
    );
    // IIS's default log folder instead.
    let iis = place(&l, "IIS logs");
    assert_eq!(iis[0].windows_path, "C:\\inetpub\\logs\\LogFiles\\");
}

#[test]
fn too_broad_web_folders_are_not_walked() {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), NO_EXCHANGE).unwrap();
    let cfg = d
        .path()
        .join("Windows/System32/inetsrv/config/applicationHost.config");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "physicalPath=\"%SystemDrive%\\inetpub\\wwwroot\"",
        "physicalPath=\"C:\\\"",
    );
    let text = text.replace("directory=\"C:\\IISLogs\"", "directory=\"%SystemRoot%\"");
    std::fs::write(&cfg, text).unwrap();
    let l = offline(d.path());
    assert!(place(&l, "web folder")
        .iter()
        .any(|p| p.windows_path == "C:\\" && p.status.starts_with("not walked whole")));
    assert!(place(&l, "IIS logs")
        .iter()
        .any(|p| p.windows_path == "C:\\Windows\\" && p.status.starts_with("not walked whole")));
    assert!(!prefixes(&l).iter().any(|p| p.is_empty() || *p == "Windows"));
}

#[test]
fn a_bare_drive_letter_is_the_drive_root() {
    assert_eq!(
        drive_root(PathBuf::from("E:")),
        PathBuf::from(format!("E:{}", std::path::MAIN_SEPARATOR))
    );
    assert_eq!(drive_root(PathBuf::from("/mnt/e")), PathBuf::from("/mnt/e"));
    assert_eq!(drive_root(PathBuf::from("E:\\x")), PathBuf::from("E:\\x"));
}

#[test]
fn nesting_ignores_case() {
    assert!(inside_no_case(
        Path::new("/m/inetpub/logs/LogFiles"),
        Path::new("/m/InetPub")
    ));
    assert!(!inside_no_case(
        Path::new("/m/InetPub"),
        Path::new("/m/inetpub/logs")
    ));
}

#[test]
fn the_remote_powershell_proxy_logs_are_a_place_of_the_install() {
    let d = default_install_root();
    let rel =
        "Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Http";
    // Not there yet: named as not found.
    let l = offline(d.path());
    let p = place(&l, "Exchange Remote PowerShell proxy logs");
    assert_eq!(p.len(), 1);
    assert!(!prefixes(&l).contains(&rel), "{:?}", prefixes(&l));
    // There: scanned.
    std::fs::create_dir_all(d.path().join(rel)).unwrap();
    std::fs::write(d.path().join(rel).join("Rps_Http_2022121900-1.LOG"), "x").unwrap();
    let l = offline(d.path());
    let p = place(&l, "Exchange Remote PowerShell proxy logs");
    assert_eq!(p[0].path.as_deref(), Some(rel));
    assert!(prefixes(&l).contains(&rel), "{:?}", prefixes(&l));
}

/// A system drive with Exchange in a non-default folder named by its hive.
fn hive_root() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    write_system_root(d.path(), &SystemRootSpec::default(), EXCHANGE).unwrap();
    let hive = d.path().join("Windows/System32/config/SOFTWARE");
    (d, hive)
}

fn errors_of(l: &Layout) -> Vec<String> {
    l.errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect()
}

#[test]
fn a_damaged_hive_is_not_a_server_without_exchange() {
    let (d, hive) = hive_root();
    let bytes = std::fs::read(&hive).unwrap();
    // Cut short (the Setup key was in the part cut off), and a hive bin of
    // zeros after its header (the keys there wiped).
    let mut wiped = bytes.clone();
    let last = bytes.len() - 4096;
    wiped[last + 32..].fill(0);
    for (what, damaged) in [("cut", bytes[..last].to_vec()), ("wiped", wiped)] {
        std::fs::write(&hive, &damaged).unwrap();
        let l = offline(d.path());
        let errs = errors_of(&l);
        assert!(
            errs.iter().any(|e| e.starts_with(
                "Windows/System32/config/SOFTWARE: registry hive could not be read whole: "
            )),
            "{what}: {errs:?}"
        );
        let notes = &l.discovery.notes;
        assert!(
            !notes.iter().any(|n| n.contains("not installed")),
            "{what}: {notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains(
                "could not be read whole (see the errors): whether Exchange is installed cannot be told from it"
            )),
            "{what}: {notes:?}"
        );
        assert_eq!(l.discovery.exchange_install, None, "{what}");
    }
    // Cut after the key: it is still read, and the cut still said.
    std::fs::write(&hive, &bytes[..bytes.len() - 2000]).unwrap();
    let l = offline(d.path());
    assert_eq!(
        l.discovery.exchange_install.as_deref(),
        Some("C:\\Apps\\Exchange Server\\V15\\")
    );
    assert!(
        errors_of(&l)
            .iter()
            .any(|e| e.contains("the hive is cut short")),
        "{:?}",
        l.errors
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_links_beside_the_hive_are_named_not_read() {
    let (d, hive) = hive_root();
    let cfg = hive.parent().unwrap();
    let fifo = |p: &Path| {
        assert!(std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success())
    };
    // Either would block discovery for ever if opened (and a writer that
    // never comes); /dev/zero would never end.
    fifo(&cfg.join("SOFTWARE.LOG1"));
    std::os::unix::fs::symlink("/dev/zero", cfg.join("SOFTWARE.LOG2")).unwrap();
    let apphost = d
        .path()
        .join("Windows/System32/inetsrv/config/applicationHost.config");
    std::fs::remove_file(&apphost).unwrap();
    fifo(&apphost);
    let l = offline(d.path());
    let errs = errors_of(&l);
    for want in [
        "Windows/System32/config/SOFTWARE.LOG1: registry hive transaction log: not a regular file (a named pipe (FIFO)): not read",
        "Windows/System32/config/SOFTWARE.LOG2: registry hive transaction log: a symbolic link (to /dev/zero): not followed (a link in a disk image points out of the evidence)",
        "Windows/System32/inetsrv/config/applicationHost.config: not a regular file (a named pipe (FIFO)): not read",
    ] {
        assert!(errs.iter().any(|e| e == want), "{want}: {errs:?}");
    }
    // The hive itself is read.
    assert_eq!(
        l.discovery.exchange_install.as_deref(),
        Some("C:\\Apps\\Exchange Server\\V15\\")
    );
    let logs = place(&l, "registry hive transaction log");
    assert_eq!(logs.len(), 2);
    assert!(logs[0].status.contains("named pipe (FIFO)"), "{logs:?}");
    assert!(
        logs[1].status.starts_with("a symbolic link (to /dev/zero)"),
        "{logs:?}"
    );
    // Neither is a file to scan.
    for p in ["SOFTWARE.LOG1", "SOFTWARE.LOG2"] {
        assert!(
            !prefixes(&l).contains(&format!("Windows/System32/config/{p}").as_str()),
            "{:?}",
            prefixes(&l)
        );
    }
    // The hive as a FIFO, and as a link.
    std::fs::remove_file(&hive).unwrap();
    fifo(&hive);
    let l = offline(d.path());
    assert!(errors_of(&l).iter().any(|e| e
        == "Windows/System32/config/SOFTWARE: registry hive: not a regular file (a named pipe (FIFO)): not read"));
    assert!(!prefixes(&l).contains(&"Windows/System32/config/SOFTWARE"));
    std::fs::remove_file(&hive).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &hive).unwrap();
    let l = offline(d.path());
    assert!(errors_of(&l).iter().any(|e| e
        == "Windows/System32/config/SOFTWARE: registry hive: a symbolic link (to /dev/zero): not followed (a link in a disk image points out of the evidence)"));
    assert!(!prefixes(&l).contains(&"Windows/System32/config/SOFTWARE"));
}

#[cfg(unix)]
#[test]
fn places_behind_links_in_a_disk_image_are_not_followed() {
    let d = default_install_root();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("analyst.txt"), b"not evidence").unwrap();
    let pd = d.path().join("ProgramData");
    std::fs::remove_dir_all(&pd).unwrap();
    std::os::unix::fs::symlink(outside.path(), &pd).unwrap();
    let l = offline(d.path());
    let p = place(&l, "ProgramData");
    assert!(p[0].status.starts_with("a symbolic link (to "), "{p:?}");
    assert!(!prefixes(&l).contains(&"ProgramData"));
}
