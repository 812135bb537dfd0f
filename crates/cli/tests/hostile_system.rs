//! Hostile evidence around a system root (issue 13): event logs cut short
//! or zeroed, a damaged SOFTWARE hive, and FIFOs or links to devices left
//! beside the hive and in place of IIS's configuration. Through the real
//! binary, each run bounded in time (a hang fails the test, it does not
//! stall the suite) and, on Unix, in memory (a read of `/dev/zero` fails
//! instead of taking the machine down).

use exhunt_testgen::sysroot::{system_root_bundle, SystemRootSpec};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A real Sysmon log of a web shell on IIS spawning commands: scanned
/// whole, it is a compromise.
const SYSMON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sources/tests/data/evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"
);
const SYSMON_REL: &str = "Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx";
const HIVE_REL: &str = "Windows/System32/config/SOFTWARE";
const APPHOST_REL: &str = "Windows/System32/inetsrv/config/applicationHost.config";

/// Longest a run may take (debug build, two busy cores).
const DEADLINE: Duration = Duration::from_secs(180);

/// What one bounded run of the binary gave.
struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Out {
    fn report(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.stdout),
                self.stderr
            )
        })
    }
}

/// Runs `exhunt ARGS`; fails the test (after killing it) if it has not
/// ended within [`DEADLINE`]. On Unix its data size is capped at 4 GiB.
fn run(args: &[&OsStr]) -> Out {
    let out = tempfile::tempdir().unwrap();
    let (so, se) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut cmd = if cfg!(unix) {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("ulimit -d 4194304 2>/dev/null; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_exhunt"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_exhunt"))
    };
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&so).unwrap())
        .stderr(std::fs::File::create(&se).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "exhunt {:?} did not finish within {DEADLINE:?} (a hang); stderr: {}",
                args,
                std::fs::read_to_string(&se).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read(&so).unwrap(),
        stderr: std::fs::read_to_string(&se).unwrap_or_default(),
    }
}

/// `exhunt scan PATH --format json`.
fn scan(path: &Path) -> (Value, Out) {
    let out = run(&[
        "scan".as_ref(),
        path.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    (out.report(), out)
}

/// `exhunt scan --system-root ROOT --format json`.
fn scan_root(root: &Path) -> (Value, Out) {
    let out = run(&[
        "scan".as_ref(),
        "--system-root".as_ref(),
        root.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    (out.report(), out)
}

/// The report's errors as `path: message`.
fn errors(r: &Value) -> Vec<String> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["path"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

fn notes(r: &Value) -> Vec<String> {
    r["discovery"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// A folder holding one event log at its place on a server.
fn with_log(bytes: &[u8]) -> (TempDir, PathBuf) {
    let d = TempDir::new().unwrap();
    let p = d.path().join(SYSMON_REL);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    let dir = d.path().to_path_buf();
    (d, dir)
}

/// The report's verdict is never a plain "clean" (clean and complete).
fn never_plain_clean(r: &Value, out: &Out) {
    assert_eq!(r["incomplete"], true, "{:?}", errors(r));
    assert_ne!(out.code, 0, "a damaged log must not exit as clean");
    assert_eq!(out.code % 10, 1, "the exit code says incomplete");
}

#[test]
fn an_event_log_cut_short_or_zeroed_is_an_error_never_a_clean_log() {
    let real = std::fs::read(SYSMON).unwrap();
    // Whole: a compromise, read completely.
    let (d, dir) = with_log(&real);
    let (r, out) = scan(&dir);
    assert_eq!(r["verdict"], "compromised", "{:?}", errors(&r));
    assert_eq!(r["incomplete"], false, "{:?}", errors(&r));
    assert_eq!(out.code, 30);
    drop(d);

    // Cut at 34 KB (a copy stopped short): the cut is named, the events
    // before it are still read, so the compromise is still seen.
    let (_d, dir) = with_log(&real[..34 << 10]);
    let (r, out) = scan(&dir);
    let errs = errors(&r);
    assert!(
        errs.iter().any(|e| e.starts_with(&format!(
            "{SYSMON_REL}: the event log is cut short: it ends 30720 bytes into its chunk 0"
        ))),
        "{errs:?}"
    );
    never_plain_clean(&r, &out);
    assert_eq!(r["verdict"], "compromised", "{errs:?}");

    // The file header followed by zeros: nothing to read, and said so.
    let mut zeros = real[..4096].to_vec();
    zeros.resize(4096 + 65536, 0);
    let (_d, dir) = with_log(&zeros);
    let (r, out) = scan(&dir);
    let errs = errors(&r);
    assert!(
        errs.iter().any(|e| e.starts_with(SYSMON_REL)
            && e.contains("chunk 0 is all zeros though the file header counts it")),
        "{errs:?}"
    );
    never_plain_clean(&r, &out);

    // The header followed by a little of zeros (cut inside the chunk).
    let (_d, dir) = with_log(&zeros[..4096 + 30000]);
    let (r, out) = scan(&dir);
    assert!(
        errors(&r)
            .iter()
            .any(|e| e.starts_with(SYSMON_REL) && e.contains("cut short")),
        "{:?}",
        errors(&r)
    );
    never_plain_clean(&r, &out);

    // Fewer chunks than the header counts (its checksum made right, so
    // that only the count tells).
    let mut more = real.clone();
    more[42] = 3;
    let crc = crc32(&more[..120]);
    more[124..128].copy_from_slice(&crc.to_le_bytes());
    let (_d, dir) = with_log(&more);
    let (r, out) = scan(&dir);
    assert!(
        errors(&r).iter().any(|e| e.starts_with(SYSMON_REL)
            && e.contains("its header counts 3 chunk(s) of events, the file holds 1;")),
        "{:?}",
        errors(&r)
    );
    never_plain_clean(&r, &out);

    // A chunk whose header was changed (its checksum no longer matches).
    let mut altered = real.clone();
    altered[4096 + 60] ^= 0x55;
    let (_d, dir) = with_log(&altered);
    let (r, out) = scan(&dir);
    assert!(
        errors(&r).iter().any(|e| e.starts_with(SYSMON_REL)
            && e.contains("chunk 0 has a header checksum that does not match")),
        "{:?}",
        errors(&r)
    );
    never_plain_clean(&r, &out);

    // The same cut log inside a zip (read from the stream, not the disk).
    let d = TempDir::new().unwrap();
    let zip_path = d.path().join("triage.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        z.start_file(SYSMON_REL, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut z, &real[..34 << 10]).unwrap();
        z.finish().unwrap();
    }
    let (r, out) = scan(&zip_path);
    assert!(
        errors(&r).iter().any(|e| e.starts_with(&format!(
            "triage.zip!/{SYSMON_REL}: the event log is cut short"
        ))),
        "{:?}",
        errors(&r)
    );
    never_plain_clean(&r, &out);
}

/// CRC-32 (IEEE), as EVTX headers use it.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A system drive with Exchange in a non-default folder named by its hive.
fn server() -> (TempDir, PathBuf) {
    let d = TempDir::new().unwrap();
    let root = d.path().join("c");
    system_root_bundle(&SystemRootSpec::default())
        .write_to(&root)
        .unwrap();
    // Its SOFTWARE hive, committed (made by scripts/make-test-hives.sh):
    // Exchange's Setup key, MsiInstallPath C:\Apps\Exchange Server\V15\.
    let cfg = root.join("Windows/System32/config");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../system/tests/data/hives/SOFTWARE-exchange"),
        cfg.join("SOFTWARE"),
    )
    .unwrap();
    (d, root)
}

#[test]
fn a_damaged_software_hive_is_named_not_taken_for_a_server_without_exchange() {
    let (_d, root) = server();
    let hive = root.join(HIVE_REL);
    let bytes = std::fs::read(&hive).unwrap();
    // Sound: the install folder comes from it, nothing is wrong.
    let (r, _) = scan_root(&root);
    assert_eq!(
        r["discovery"]["exchange_install"],
        "C:\\Apps\\Exchange Server\\V15\\"
    );
    assert!(!errors(&r).iter().any(|e| e.starts_with(HIVE_REL)));

    // Cut short (its last hive bin, with Exchange's key, missing), and its
    // last hive bin wiped after the bin's header.
    let last = bytes.len() - 4096;
    let mut wiped = bytes.clone();
    wiped[last + 32..].fill(0);
    for (what, damaged) in [("cut", bytes[..last].to_vec()), ("wiped", wiped)] {
        std::fs::write(&hive, &damaged).unwrap();
        let (r, out) = scan_root(&root);
        let errs = errors(&r);
        assert!(
            errs.iter().any(|e| e.starts_with(&format!(
                "{HIVE_REL}: registry hive could not be read whole: "
            ))),
            "{what}: {errs:?}"
        );
        assert_eq!(r["incomplete"], true, "{what}");
        assert_eq!(out.code % 10, 1, "{what}");
        let notes = notes(&r);
        assert!(
            !notes
                .iter()
                .any(|n| n.contains("Exchange Server is not installed")),
            "{what}: {notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.starts_with(&format!(
                "The registry hive {HIVE_REL} could not be read whole (see the errors)"
            ))),
            "{what}: {notes:?}"
        );
    }
}

/// Makes a FIFO at `p`.
#[cfg(unix)]
fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_beside_the_hive_hangs_neither_scan_nor_collect() {
    let (d, root) = server();
    let cfg = root.join("Windows/System32/config");
    mkfifo(&cfg.join("SOFTWARE.LOG1"));
    mkfifo(&cfg.join("SOFTWARE.LOG2"));
    let (r, _) = scan_root(&root);
    let errs = errors(&r);
    for log in ["LOG1", "LOG2"] {
        let want = format!(
            "{HIVE_REL}.{log}: registry hive transaction log: not a regular file (a named pipe (FIFO)): not read"
        );
        assert!(errs.contains(&want), "{want}: {errs:?}");
    }
    assert_eq!(r["incomplete"], true);
    // The hive itself was read.
    assert_eq!(
        r["discovery"]["exchange_install"],
        "C:\\Apps\\Exchange Server\\V15\\"
    );
    assert_eq!(r["verdict"], "compromised");

    let zip = d.path().join("triage.zip");
    let out = run(&[
        "collect".as_ref(),
        "--system-root".as_ref(),
        root.as_os_str(),
        "--output".as_ref(),
        zip.as_os_str(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("SOFTWARE.LOG1: registry hive transaction log: not a regular file (a named pipe (FIFO))"),
        "{}",
        out.stderr
    );
    let manifest = manifest_of(&zip);
    let names = member_names(&zip);
    assert!(names.iter().any(|n| n == HIVE_REL), "{names:?}");
    assert!(
        !names.iter().any(|n| n.contains("SOFTWARE.LOG")),
        "{names:?}"
    );
    let errs: Vec<String> = manifest["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert!(errs.contains(&format!("{HIVE_REL}.LOG1")), "{errs:?}");
}

#[cfg(unix)]
#[test]
fn a_link_to_a_device_beside_the_hive_is_not_read() {
    let (d, root) = server();
    let cfg = root.join("Windows/System32/config");
    std::os::unix::fs::symlink("/dev/zero", cfg.join("SOFTWARE.LOG2")).unwrap();
    let (r, _) = scan_root(&root);
    let errs = errors(&r);
    let want = format!(
        "{HIVE_REL}.LOG2: registry hive transaction log: a symbolic link (to /dev/zero): not followed (a link in a disk image points out of the evidence)"
    );
    assert!(errs.contains(&want), "{errs:?}");
    assert_eq!(r["incomplete"], true);
    assert_eq!(
        r["discovery"]["exchange_install"],
        "C:\\Apps\\Exchange Server\\V15\\"
    );

    let zip = d.path().join("triage.zip");
    let out = run(&[
        "collect".as_ref(),
        "--system-root".as_ref(),
        root.as_os_str(),
        "--output".as_ref(),
        zip.as_os_str(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let names = member_names(&zip);
    assert!(
        !names.iter().any(|n| n.contains("SOFTWARE.LOG")),
        "{names:?}"
    );
    // Nothing endless was copied.
    assert!(std::fs::metadata(&zip).unwrap().len() < 16 << 20);
}

#[cfg(unix)]
#[test]
fn iis_configuration_replaced_by_a_fifo_or_a_device_link_is_named() {
    let (_d, root) = server();
    let cfg = root.join(APPHOST_REL);
    std::fs::remove_file(&cfg).unwrap();
    mkfifo(&cfg);
    let (r, _) = scan_root(&root);
    let errs = errors(&r);
    let want = format!("{APPHOST_REL}: not a regular file (a named pipe (FIFO)): not read");
    assert!(errs.contains(&want), "{errs:?}");
    assert_eq!(r["incomplete"], true);
    assert!(notes(&r).iter().any(|n| n.starts_with(&format!(
        "{APPHOST_REL} could not be read (not a regular file (a named pipe (FIFO)): not read): IIS's default log folder is used."
    ))));

    std::fs::remove_file(&cfg).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &cfg).unwrap();
    let (r, _) = scan_root(&root);
    let errs = errors(&r);
    assert!(
        errs.contains(&format!(
            "{APPHOST_REL}: IIS configuration: a symbolic link (to /dev/zero): not followed (a link in a disk image points out of the evidence)"
        )),
        "{errs:?}"
    );
    assert_eq!(r["incomplete"], true);
}

#[cfg(unix)]
#[test]
fn a_place_behind_a_link_in_a_disk_image_is_not_walked() {
    let (d, root) = server();
    // ProgramData made a link to a folder of the analyst's machine holding
    // what would be a finding.
    let outside = d.path().join("analyst");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("lsass.dmp"), b"MDMP not really").unwrap();
    let pd = root.join("ProgramData");
    std::fs::remove_dir_all(&pd).unwrap();
    std::os::unix::fs::symlink(&outside, &pd).unwrap();
    let (r, _) = scan_root(&root);
    let findings = r["findings"].as_array().unwrap();
    assert!(
        !findings
            .iter()
            .any(|f| f["path"].as_str().unwrap().starts_with("ProgramData/")),
        "a file outside the evidence was read"
    );
    let place = r["discovery"]["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["what"] == "ProgramData")
        .unwrap();
    assert!(
        place["status"]
            .as_str()
            .unwrap()
            .starts_with("a symbolic link (to "),
        "{place}"
    );
}

fn manifest_of(zip: &Path) -> Value {
    let mut a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let m = a.by_name("_exhunt/manifest.json").unwrap();
    serde_json::from_reader(m).unwrap()
}

fn member_names(zip: &Path) -> Vec<String> {
    let a = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    a.file_names().map(|n| n.unwrap().into_owned()).collect()
}
