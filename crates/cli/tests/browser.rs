//! The HTML report in a real browser (Debian's `chromium`, headless):
//! the example's page renders with its verdict, screenshots at a phone's and
//! a desktop's width are made and are not blank, and a report whose
//! evidence holds `<script>`, `<img onerror>` and `javascript:` strings
//! runs none of them (the page after load is unchanged and the console
//! stays silent). Without chromium the tests say they were skipped; CI
//! installs it and sets EXHUNT_NEED_CHROMIUM=1, which makes a missing
//! browser a failure. (Opening a group by a click needs the DevTools
//! protocol: still to come.)

mod common;

use common::*;
use exhunt_testgen::tree;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|c| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(c))
                    .find(|f| f.is_file())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var_os("EXHUNT_NEED_CHROMIUM").is_none(),
            "chromium is needed (EXHUNT_NEED_CHROMIUM is set)"
        );
        eprintln!("skipped: no chromium on PATH");
    }
    found
}

/// Chromium, headless, on a page: (stdout, stderr).
fn run(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn html_of(input: &Path, out: &Path) {
    let o = exhunt()
        .args(["scan", "--format", "html", "--output"])
        .arg(out)
        .arg(input)
        .output()
        .unwrap();
    assert!(out.is_file(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A PNG's width and height (from its IHDR chunk).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn the_example_renders_and_its_screenshots_hold_at_phone_and_desktop_width() {
    let Some(browser) = chromium() else { return };
    let t = TempDir::new().unwrap();
    let dir = t.path().join("EX01");
    tree::write_example(&dir).unwrap();
    let page = t.path().join("EX01.html");
    html_of(&dir, &page);
    let (dom, _) = run(&browser, &t.path().join("p0"), &["--dump-dom"], &page);
    assert!(dom.contains("VERDICT: COMPROMISED"), "{dom}");
    assert!(dom.contains("id=\"taken\""));
    for (name, w, h) in [("phone", 390, 1600), ("desktop", 1280, 1600)] {
        let shot = t.path().join(format!("{name}.png"));
        run(
            &browser,
            &t.path().join(format!("p-{name}")),
            &[
                &format!("--window-size={w},{h}"),
                &format!("--screenshot={}", shot.display()),
            ],
            &page,
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(png_size(&png), (w, h), "{name}");
        // A blank page of this size compresses to a few KiB; the verdict's
        // red band and the text make tens.
        assert!(png.len() > 40_000, "{name}: {} bytes", png.len());
        if let Some(keep) = std::env::var_os("EXHUNT_SCREENSHOTS") {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(&shot, Path::new(&keep).join(format!("{name}.png"))).unwrap();
        }
    }
}

#[test]
fn hostile_evidence_runs_nothing_in_the_browser() {
    let Some(browser) = chromium() else { return };
    let t = TempDir::new().unwrap();
    let root = t.path().join("tree");
    let fire =
        "document.documentElement.setAttribute('data-xss','fired');console.log('EXHUNT-XSS-FIRED')";
    let mut iis = String::from("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n");
    for (k, (query, ua)) in [
        (
            format!("a=\"><img/src=x/onerror={fire}>"),
            format!("<script>{fire}</script>"),
        ),
        (
            format!("u=javascript:{fire}"),
            "\"><svg/onload=alert(1)>".to_string(),
        ),
    ]
    .iter()
    .enumerate()
    {
        iis.push_str(&format!(
            "2021-03-03 07:1{k}:00 10.0.0.10 POST /aspnet_client/system_web/x{k}.aspx {query} 443 - 103.77.192.219 {ua} - 200 0 0 31\r\n"
        ));
    }
    put(
        &root,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        iis.as_bytes(),
    );
    let page = t.path().join("hostile.html");
    html_of(&root, &page);
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(
        text.contains("EXHUNT-XSS-FIRED"),
        "the payloads are in the page, as text"
    );
    let (dom, log) = run(&browser, &t.path().join("p"), &["--dump-dom"], &page);
    let html_tag = &dom[dom.find("<html").unwrap()..];
    let html_tag = &html_tag[..html_tag.find('>').unwrap()];
    assert!(!html_tag.contains("data-xss"), "a payload ran: {html_tag}");
    assert!(dom.contains("VERDICT: COMPROMISED"), "{dom}");
    assert!(
        !log.lines()
            .any(|l| l.contains("CONSOLE") && l.contains("EXHUNT-XSS-FIRED")),
        "{log}"
    );
}
