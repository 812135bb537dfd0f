//! Issue 14, item 5: the first screen an administrator sees. The real
//! binary runs in a real terminal (tmux, 120 columns by 30 lines) on the
//! bundled example; the screen left when it ends must show the verdict,
//! the exposure and the first next steps, in colour (not with NO_COLOR),
//! with lines wrapped by exhunt under their own text, not by the terminal.
//!
//! tmux is needed: CI installs it (`.ci/run`, which sets
//! `EXHUNT_NEED_TMUX=1` so that a missing tmux fails there); elsewhere the
//! terminal tests say they were skipped.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const COLS: usize = 120;
const ROWS: usize = 30;

/// A tmux server of its own (its socket in a temporary folder), removed
/// when dropped.
struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    /// `None` (the test is skipped) when tmux is not installed, unless CI
    /// needs it.
    fn new() -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("EXHUNT_NEED_TMUX").is_none(),
                "tmux is not installed (apt-get install tmux)"
            );
            eprintln!("skipped: tmux is not installed (apt-get install tmux)");
            return None;
        }
        Some(Tmux {
            dir: tempfile::tempdir().unwrap(),
        })
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.dir.path().join("sock"));
        c.args(["-f", "/dev/null"]);
        c
    }

    /// Runs `shell` in a fresh 120x30 window and waits for it to print
    /// `EXIT=<code>`; returns the screen as text (`-J`: lines the terminal
    /// wrapped are joined, so a line longer than the window shows), the
    /// same with colour codes, and the exit code.
    fn run(&self, shell: &str) -> (String, String, i32) {
        self.run_in(shell, ROWS)
    }

    /// [`Self::run`] in a window of `rows` lines.
    fn run_in(&self, shell: &str, rows: usize) -> (String, String, i32) {
        let status = self
            .tmux()
            .args([
                "new-session",
                "-d",
                "-x",
                &COLS.to_string(),
                "-y",
                &rows.to_string(),
                "sh",
                "-c",
                &format!("{shell}; echo EXIT=$?; sleep 60"),
            ])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        let start = Instant::now();
        loop {
            let plain = self.capture(false);
            if let Some(code) = plain
                .lines()
                .find_map(|l| l.trim().strip_prefix("EXIT="))
                .and_then(|c| c.parse().ok())
            {
                return (plain, self.capture(true), code);
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "exhunt did not finish in the terminal:\n{plain}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn capture(&self, escapes: bool) -> String {
        let mut c = self.tmux();
        c.args(["capture-pane", "-p", "-J"]);
        if escapes {
            c.arg("-e");
        }
        let out = c.output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/proxylogon-compromised")
        .canonicalize()
        .unwrap()
        .display()
        .to_string()
}

fn exhunt_cmd(args: &str) -> String {
    format!(
        "'{}' scan {args} '{}'",
        env!("CARGO_BIN_EXE_exhunt"),
        example()
    )
}

#[test]
fn the_first_screen_shows_verdict_exposure_and_first_steps_in_colour() {
    let Some(t) = Tmux::new() else { return };
    let (screen, coloured, code) = t.run(&exhunt_cmd("--quiet"));
    assert_eq!(code / 10, 3, "exit code of compromised:\n{screen}");
    // What is left on the screen when exhunt is done (EXIT and the prompt's
    // line included) fits the window: nothing scrolled out of sight.
    let lines: Vec<&str> = screen.lines().collect();
    let used = lines.iter().rposition(|l| l.starts_with("EXIT=")).unwrap() + 1;
    assert!(used <= ROWS, "{used} lines:\n{screen}");
    assert!(screen.contains("VERDICT: COMPROMISED"), "{screen}");
    assert!(
        lines.iter().any(|l| l.starts_with("EXPOSED")),
        "the exposure headline:\n{screen}"
    );
    assert!(screen.contains("What to do now"), "{screen}");
    assert!(
        screen.contains("1. Treat this server as breached."),
        "{screen}"
    );
    assert!(screen.contains("--detail"), "{screen}");
    // exhunt wrapped its own lines (joined, none is wider than the window)
    // and continues them under their text.
    for l in &lines {
        assert!(l.chars().count() <= COLS, "wider than the window: {l:?}");
    }
    let exposed = lines.iter().position(|l| l.starts_with("EXPOSED")).unwrap();
    assert!(
        lines[exposed + 1].starts_with("  "),
        "the exposure line continues indented:\n{screen}"
    );
    // Colour on the verdict and the severities (red for compromised).
    let verdict = coloured
        .lines()
        .find(|l| l.contains("COMPROMISED") && l.contains("VERDICT"))
        .unwrap();
    assert!(verdict.contains("\x1b["), "no colour: {verdict:?}");
    let before = &verdict[..verdict.find("COMPROMISED").unwrap()];
    assert!(
        before.contains("31m") || before.contains(";31"),
        "{verdict:?}"
    );
    assert!(
        coloured
            .lines()
            .any(|l| l.trim_start().starts_with("\x1b[") && l.contains("CRITICAL")),
        "severities in colour:\n{coloured}"
    );
}

#[test]
fn no_color_and_color_never_leave_the_screen_plain() {
    let Some(t) = Tmux::new() else { return };
    let (screen, coloured, _) = t.run(&format!("NO_COLOR=1 {}", exhunt_cmd("--quiet")));
    assert!(screen.contains("VERDICT: COMPROMISED"), "{screen}");
    let verdict = coloured.lines().find(|l| l.contains("VERDICT")).unwrap();
    assert!(!verdict.contains("\x1b["), "{verdict:?}");
    let Some(t) = Tmux::new() else { return };
    let (_, coloured, _) = t.run(&exhunt_cmd("--quiet --color never"));
    let verdict = coloured.lines().find(|l| l.contains("VERDICT")).unwrap();
    assert!(!verdict.contains("\x1b["), "{verdict:?}");
}

#[test]
fn detail_gives_the_whole_report_on_a_terminal() {
    // A window tall enough for the whole report (about 120 lines wrapped).
    let Some(t) = Tmux::new() else { return };
    let (screen, _, code) = t.run_in(&exhunt_cmd("--quiet --detail"), 200);
    assert_eq!(code / 10, 3, "{screen}");
    assert!(screen.contains("VERDICT: COMPROMISED"), "{screen}");
    assert!(screen.contains("How far back the logs reach"), "{screen}");
    assert!(screen.contains(". Patch the server"), "{screen}");
    assert!(screen.contains("What was taken"), "{screen}");
    assert!(!screen.contains("add --detail"), "{screen}");
    for l in screen.lines() {
        assert!(l.chars().count() <= COLS, "wider than the window: {l:?}");
    }
}

#[test]
fn piped_the_report_is_whole_and_plain_unless_asked() {
    let bin = env!("CARGO_BIN_EXE_exhunt");
    let out = Command::new(bin)
        .args(["scan", "--quiet", &example()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("How far back the logs reach"));
    assert!(!text.contains('\x1b'));
    assert!(!text.contains("--detail"));
    let out = Command::new(bin)
        .args(["scan", "--quiet", "--color", "always", &example()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\x1b[1;31mCOMPROMISED\x1b[0m"), "{text}");
}
