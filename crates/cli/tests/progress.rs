//! The scan's progress bar counts bytes and moves while one big file is
//! read (issue 14, item 6), through the real binary on a terminal: the bar
//! is drawn only when standard error is a terminal, so the scan runs in a
//! detached tmux session of a fixed size, and the pane is captured every
//! 100 ms while a generated IIS log of 100 MB (the debug binary takes
//! several seconds over it) is read.
//!
//! tmux is needed: CI installs it (`.ci/run`, which sets
//! `EXHUNT_NEED_TMUX=1` so that a missing tmux fails there); elsewhere the
//! test says it was skipped.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// One reading of the bar: bytes read, bytes in all, files done, files.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    read: f64,
    total: f64,
    done: u64,
    files: u64,
}

/// `4.00 MiB` (indicatif's binary units) in bytes.
fn bytes(num: &str, unit: &str) -> Option<f64> {
    let n: f64 = num.parse().ok()?;
    let m = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * m)
}

/// The bar's line on a screen:
/// `⠖ scanning [=====>     ] 17.00 MiB/100.00 MiB 2/3 files 1s`.
fn reading(screen: &str) -> Option<Reading> {
    let line = screen.lines().find(|l| l.contains("scanning ["))?;
    let tail = &line[line.rfind(']')? + 1..];
    let t: Vec<&str> = tail.split_whitespace().collect();
    let (unit_read, total) = t.get(1)?.split_once('/')?;
    let (done, files) = t.get(3)?.split_once('/')?;
    if t.get(4) != Some(&"files") {
        return None;
    }
    Some(Reading {
        read: bytes(t.first()?, unit_read)?,
        total: bytes(total, t.get(2)?)?,
        done: done.parse().ok()?,
        files: files.parse().ok()?,
    })
}

/// A tmux server of this test's own (its socket in a folder of the
/// test's), killed when dropped.
struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    fn capture(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "scan"])
            .output()
            .expect("tmux capture-pane runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn the_bar_counts_bytes_and_moves_while_one_big_log_is_read() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("EXHUNT_NEED_TMUX").is_none(),
            "tmux is not installed (apt-get install tmux)"
        );
        eprintln!("skipped: tmux is not installed (apt-get install tmux)");
        return;
    }
    let dir = TempDir::new().unwrap();
    // One IIS log of 100 MB (a release build reads faster: a bigger one),
    // read in the second pass, after two small files.
    let size: u64 = if cfg!(debug_assertions) { 100 } else { 400 } << 20;
    let log = exhunt_testgen::w3c::write_iis_bench(dir.path(), size).unwrap();
    assert_eq!(log.files, 1);
    common::put(dir.path(), "notes/a.txt", b"nothing here\n");
    common::put(dir.path(), "notes/b.txt", b"nor here\n");
    let on_disk = (log.bytes + 13 + 9) as f64;
    let exe = Path::new(env!("CARGO_BIN_EXE_exhunt"));
    let sock = TempDir::new().unwrap();
    let tmux = Tmux {
        socket: sock.path().join("tmux"),
    };
    // The report to /dev/null; the bar (standard error) to the pane. The
    // pane stays after the scan, until the server is killed.
    let script = format!(
        "{} scan {} > /dev/null; sleep 600",
        quote(exe),
        quote(dir.path())
    );
    let started = tmux
        .cmd()
        .args(["new-session", "-d", "-x", "120", "-y", "30", "-s", "scan"])
        .arg(script)
        .status()
        .unwrap();
    assert!(started.success(), "tmux new-session failed");

    let mut screens: Vec<String> = Vec::new();
    let mut seen: Vec<Reading> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    let moved = loop {
        std::thread::sleep(Duration::from_millis(100));
        let screen = tmux.capture();
        if screens.last() != Some(&screen) {
            screens.push(screen.clone());
        }
        if let Some(r) = reading(&screen) {
            seen.push(r);
            // Two readings with the same files done, the bytes grown by
            // more than the small files hold, and the total not reached:
            // the bar moved inside the big log.
            if let Some(first) = seen.iter().find(|f| {
                f.done == r.done && f.done < f.files && r.read > f.read + (1 << 20) as f64
            }) {
                if r.read < r.total {
                    break Some((*first, r));
                }
            }
        } else if !seen.is_empty() {
            // The bar was shown and is gone: the scan is over.
            break None;
        }
        if Instant::now() > deadline {
            break None;
        }
    };
    let shown = screens
        .iter()
        .map(|s| s.trim_end())
        .collect::<Vec<_>>()
        .join("\n----\n");
    let Some((a, b)) = moved else {
        seen.dedup();
        panic!("the bar did not move inside the big file; readings {seen:?}; screens:\n{shown}");
    };
    // Bytes, not files: the total is the files' sizes (within the rounding
    // of the two decimals shown), and the files are counted beside them.
    assert!(
        (b.total - on_disk).abs() < on_disk / 100.0,
        "total {} bytes, the files hold {on_disk}; screens:\n{shown}",
        b.total
    );
    assert_eq!(b.files, 3, "screens:\n{shown}");
    assert_eq!(a.done, b.done);
    assert!(b.read > a.read);
}

#[test]
fn readings_are_parsed_from_the_bar() {
    let r = reading("⠖ scanning [=====>      ] 17.00 MiB/100.00 MiB 2/3 files 1s\n").unwrap();
    assert_eq!(
        r,
        Reading {
            read: 17.0 * 1048576.0,
            total: 100.0 * 1048576.0,
            done: 2,
            files: 3
        }
    );
    assert_eq!(
        reading("⠂ scanning [  ] 512 B/1.50 KiB 0/1 files 0s")
            .unwrap()
            .total,
        1536.0
    );
    assert!(reading("VERDICT: CLEAN").is_none());
}
