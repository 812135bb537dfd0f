//! File hashes through the real binary (issue 14, items 7 and 8): every
//! file finding carries the file's real SHA-256 (or says why there is
//! none), and MD5 and SHA-1 indicators of a user's `--iocs` are compared,
//! not only counted.

mod common;

use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/proxylogon-compromised")
}

fn sha256_of(p: &Path) -> String {
    let bytes = fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn scan_args(args: &[&str]) -> Run {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    run_json(&all)
}

/// Findings on a file rather than on a record of a log.
fn file_findings(r: &Run) -> Vec<&Value> {
    r.findings()
        .iter()
        .filter(|f| f["line"].is_null())
        .collect()
}

/// Every file finding has `size` and `modified`, and a `sha256` equal to
/// the SHA-256 of the file under `root` (by its reported path), unless its
/// path is in `unread`, where it must have a `sha256_note` instead.
fn assert_hashed(r: &Run, root: &Path, strip: &str, unread: &[&str]) -> usize {
    let files = file_findings(r);
    for f in &files {
        let path = f["path"].as_str().unwrap();
        let ev = &f["evidence"];
        assert!(ev["size"].is_string(), "no size: {f:#}");
        assert!(ev["modified"].is_string(), "no modified: {f:#}");
        if unread.contains(&path) {
            assert!(ev["sha256"].is_null(), "{f:#}");
            assert!(
                ev["sha256_note"].as_str().is_some_and(|n| !n.is_empty()),
                "an unread file's finding says why it has no sha256: {f:#}"
            );
            continue;
        }
        let sha = ev["sha256"]
            .as_str()
            .unwrap_or_else(|| panic!("file finding without sha256: {f:#}"));
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "not a SHA-256: {f:#}"
        );
        let rel = path.strip_prefix(strip).unwrap_or(path);
        assert_eq!(sha, sha256_of(&root.join(rel)), "{f:#}");
    }
    files.len()
}

#[test]
fn every_file_finding_of_the_bundled_example_carries_its_sha256() {
    let root = example();
    let r = scan(&[&root]);
    assert_eq!(r.verdict(), "compromised");
    // The web shell (two findings), the LSASS dump and the two archives.
    let n = assert_hashed(&r, &root, "", &[]);
    assert!(n >= 5, "{:#?}", r.findings());
    for rule in ["lsass-dump", "programdata-archive", "ioc-path"] {
        assert!(
            file_findings(&r).iter().any(|f| f["rule"] == rule),
            "{rule}: {:#?}",
            r.findings()
        );
    }
}

/// Published test vectors (RFC 1321 appendix A.5 and the usual pangram
/// ones; RFC 3174 / FIPS 180-1 "abc"), checked against coreutils'
/// `md5sum` and `sha1sum` when this test was written.
const FOX: &[u8] = b"The quick brown fox jumps over the lazy dog";
const FOX_MD5: &str = "9e107d9d372bb6826bd81d3542a419d6";
const ABC: &[u8] = b"abc";
const ABC_SHA1: &str = "a9993e364706816aba3e25717850c26c9cd0d89d";
const FOX_DOT: &[u8] = b"The quick brown fox jumps over the lazy dog.";
const FOX_DOT_MD5: &str = "e4d909c290d0fb1ca068ffaddf22cbd0";
const COG: &[u8] = b"The quick brown fox jumps over the lazy cog";
const COG_SHA1: &str = "de9f2c7fd25e1b3afad3e85a0bd17d9b100db4b3";
const DIGEST: &[u8] = b"message digest";
const DIGEST_MD5: &str = "f96b697d7cb7938d525a2f31aaf161d0";

/// The same hex with its last digit changed.
fn near(hex: &str) -> String {
    let (head, last) = hex.split_at(hex.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

#[test]
fn md5_and_sha1_indicators_are_compared() {
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Windows/Temp/m.exe", FOX);
    put(dir.path(), "Windows/Temp/s.exe", ABC);
    put(dir.path(), "Windows/Temp/near-md5.exe", FOX_DOT);
    put(dir.path(), "Windows/Temp/near-sha1.exe", COG);
    put(dir.path(), "Users/Public/both.exe", DIGEST);
    let both_sha256 = sha256_of(&dir.path().join("Users/Public/both.exe"));
    let lists = TempDir::new().unwrap();
    // A plain list (MD5s, one with a name) and MSTIC's feed CSV (SHA-1s).
    let plain = lists.path().join("case-md5.txt");
    fs::write(
        &plain,
        format!(
            "# case 7\n{FOX_MD5}  m.exe\n{}\n{DIGEST_MD5}\n{both_sha256}  both.exe\n",
            near(FOX_DOT_MD5)
        ),
    )
    .unwrap();
    let mstic = lists.path().join("mstic.csv");
    fs::write(
        &mstic,
        format!(
            "DateAdded,FirstSeen,Indicator,IndicatorType,TLP\n\
             2021-03-05,2021-03-02,{},sha1,TLP:WHITE\n\
             2021-03-05,2021-03-02,{},sha1,TLP:WHITE\n",
            ABC_SHA1.to_uppercase(),
            near(COG_SHA1)
        ),
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let r = scan_args(&[
        root,
        "--iocs",
        plain.to_str().unwrap(),
        "--iocs",
        mstic.to_str().unwrap(),
    ]);
    assert_eq!(r.verdict(), "compromised", "{:#?}", r.findings());
    let at = |p: &str| -> Vec<&Value> { r.findings().iter().filter(|f| f["path"] == p).collect() };

    let m = r.rule("ioc-md5");
    assert_eq!(m.len(), 1, "{:#?}", r.findings());
    assert_eq!(m[0]["path"], "Windows/Temp/m.exe");
    assert_eq!(m[0]["severity"], "critical");
    assert_eq!(m[0]["kind"], "webshell");
    assert_eq!(m[0]["evidence"]["matched_hash"], "md5");
    assert_eq!(m[0]["evidence"]["md5"], FOX_MD5);
    assert_eq!(m[0]["evidence"]["ioc"], "m.exe");
    assert_eq!(
        m[0]["evidence"]["sha256"],
        sha256_of(&dir.path().join("Windows/Temp/m.exe")).as_str()
    );

    let s = r.rule("ioc-sha1");
    assert_eq!(s.len(), 1, "{:#?}", r.findings());
    assert_eq!(s[0]["path"], "Windows/Temp/s.exe");
    assert_eq!(s[0]["severity"], "critical");
    assert_eq!(s[0]["evidence"]["matched_hash"], "sha1");
    assert_eq!(s[0]["evidence"]["sha1"], ABC_SHA1);
    assert!(
        s[0]["source"].as_str().unwrap().contains("mstic.csv"),
        "{:#}",
        s[0]
    );

    // Listed by SHA-256 and MD5: one finding, under the stronger digest.
    let b = at("Users/Public/both.exe");
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(b[0]["rule"], "ioc-sha256");
    assert_eq!(b[0]["evidence"]["matched_hash"], "sha256");
    assert_eq!(b[0]["evidence"]["sha256"], both_sha256.as_str());
    assert_eq!(b[0]["evidence"]["md5"], DIGEST_MD5);
    assert!(
        b[0]["evidence"]["also_matched"]
            .as_str()
            .is_some_and(|a| a.starts_with("md5")),
        "{:#}",
        b[0]
    );

    // A hash one digit off is not a match.
    for p in ["Windows/Temp/near-md5.exe", "Windows/Temp/near-sha1.exe"] {
        assert!(at(p).is_empty(), "{p}: {:#?}", at(p));
    }
    assert_hashed(&r, dir.path(), "", &[]);
}

#[test]
fn without_md5_or_sha1_indicators_no_such_digest_is_reported() {
    // Only SHA-256 listed: MD5 and SHA-1 are not computed, so no finding
    // carries them.
    let dir = TempDir::new().unwrap();
    put(dir.path(), "Windows/Temp/m.exe", FOX);
    let sha = sha256_of(&dir.path().join("Windows/Temp/m.exe"));
    let lists = TempDir::new().unwrap();
    let plain = lists.path().join("case.txt");
    fs::write(&plain, format!("{sha}  m.exe\n")).unwrap();
    let r = scan_args(&[
        dir.path().to_str().unwrap(),
        "--iocs",
        plain.to_str().unwrap(),
    ]);
    let h = r.rule("ioc-sha256");
    assert_eq!(h.len(), 1, "{:#?}", r.findings());
    assert_eq!(h[0]["evidence"]["matched_hash"], "sha256");
    assert!(h[0]["evidence"]["md5"].is_null(), "{:#}", h[0]);
    assert!(h[0]["evidence"]["also_matched"].is_null(), "{:#}", h[0]);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Deterministic filler bytes.
fn filler(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn files_over_the_size_cap_are_hashed_when_streamed_and_say_so_when_not_read() {
    let dir = TempDir::new().unwrap();
    let v15 = "Program Files/Microsoft/Exchange Server/V15";
    // Never read: an archive found by its path alone.
    put(dir.path(), "ProgramData/it.zip", &filler(5000, 1));
    // Streamed: a dump named like LSASS (its name is enough, the rest is
    // read only to hash it) ...
    let mut dump = b"MDMP\x93\xa7".to_vec();
    dump.extend(filler(300_000, 2));
    put(dir.path(), "Windows/Temp/lsass.dmp", &dump);
    // ... and a dump under another name, read until lsass.exe is met.
    let mut mem = b"MDMP\x93\xa7".to_vec();
    mem.extend(filler(200_000, 3));
    mem.extend(utf16("C:\\Windows\\System32\\lsass.exe"));
    mem.extend(filler(100_000, 4));
    put(dir.path(), "Windows/Temp/mem.bin", &mem);
    // A log (read whatever its size) that a path indicator names.
    let log = format!("{v15}/Logging/HttpProxy/Owa/HttpProxy_2021030910-1.LOG");
    fs::create_dir_all(dir.path().join(&log).parent().unwrap()).unwrap();
    fs::copy(example().join(&log), dir.path().join(&log)).unwrap();
    let lists = TempDir::new().unwrap();
    let paths = lists.path().join("paths.txt");
    fs::write(
        &paths,
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030910-1.LOG\n",
    )
    .unwrap();
    let r = scan_args(&[
        dir.path().to_str().unwrap(),
        "--max-filesize",
        "1K",
        "--iocs",
        paths.to_str().unwrap(),
    ]);
    let n = assert_hashed(&r, dir.path(), "", &["ProgramData/it.zip"]);
    for (rule, path) in [
        ("programdata-archive", "ProgramData/it.zip"),
        ("lsass-dump", "Windows/Temp/lsass.dmp"),
        ("lsass-dump", "Windows/Temp/mem.bin"),
        ("ioc-path", log.as_str()),
    ] {
        assert!(
            file_findings(&r)
                .iter()
                .any(|f| f["rule"] == rule && f["path"] == path),
            "{rule} {path}: {:#?}",
            r.findings()
        );
    }
    assert!(n >= 4);
    let zip = file_findings(&r)
        .into_iter()
        .find(|f| f["path"] == "ProgramData/it.zip")
        .unwrap();
    assert!(
        zip["evidence"]["sha256_note"]
            .as_str()
            .unwrap()
            .contains("--max-filesize"),
        "{zip:#}"
    );
}

#[test]
fn a_file_left_out_of_a_collection_says_it_was_not_read() {
    let src = TempDir::new().unwrap();
    put(src.path(), "ProgramData/it.zip", &filler(5000, 5));
    let mut dump = b"MDMP\x93\xa7".to_vec();
    dump.extend(filler(5000, 6));
    put(src.path(), "Windows/Temp/lsass.dmp", &dump);
    let out = TempDir::new().unwrap();
    let zip = out.path().join("triage.zip");
    exhunt()
        .args(["collect", "-q", "--system-root"])
        .arg(src.path())
        .arg("--output")
        .arg(&zip)
        .args(["--max-filesize", "1K"])
        .assert()
        .success();
    let r = scan(&[&zip]);
    let n = assert_hashed(
        &r,
        src.path(),
        "triage.zip!/",
        &["triage.zip!/ProgramData/it.zip"],
    );
    assert!(n >= 2, "{:#?}", r.findings());
    let f = file_findings(&r)
        .into_iter()
        .find(|f| f["path"] == "triage.zip!/ProgramData/it.zip")
        .unwrap();
    assert!(
        f["evidence"]["sha256_note"]
            .as_str()
            .unwrap()
            .contains("left out of the collection"),
        "{f:#}"
    );
}

#[test]
fn a_script_much_newer_than_its_neighbours_carries_its_hash_size_and_time() {
    // The whole-tree check runs after the file pass: its finding gets the
    // hash the pass computed (issue 14, noticed on item 8).
    let dir = TempDir::new().unwrap();
    let folder = format!("{EXCHANGE}/ClientAccess/Owa/custom");
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_546_300_800); // 2019-01-01
    let new = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_614_556_800); // 2021-03-01
    for k in 0..6 {
        let p = format!("{folder}/page{k}.js");
        put(dir.path(), &p, format!("var page = {k};\n").as_bytes());
        let f = fs::File::options()
            .write(true)
            .open(dir.path().join(&p))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let shell = format!("{folder}/help.aspx");
    put(
        dir.path(),
        &shell,
        b"<%@ Page Language=\"C#\" %>\n<p>help</p>\n",
    );
    fs::File::options()
        .write(true)
        .open(dir.path().join(&shell))
        .unwrap()
        .set_modified(new)
        .unwrap();
    let r = scan(&[dir.path()]);
    let newer = r.rule("exchange-web-newer-than-neighbours");
    assert_eq!(newer.len(), 1, "{:?}", r.rules());
    let ev = &newer[0]["evidence"];
    assert_eq!(ev["sha256"], sha256_of(&dir.path().join(&shell)), "{ev:#}");
    let len = fs::metadata(dir.path().join(&shell)).unwrap().len();
    assert_eq!(ev["size"], len.to_string());
    assert_eq!(ev["modified"], "2021-03-01T00:00:00Z");
}
