//! The hostile-input suite (issue 13, item 11): malformed and hostile
//! inputs of our own design, each beside a good log that shows the
//! ProxyLogon chain. Every case runs the real binary with a time limit and,
//! on Linux, a memory ceiling, and asserts:
//! - no panic, no hang (killed after the limit), memory under the ceiling;
//! - the hostile file is named (an error, a skipped file, a rule load, a
//!   warning), never silently taken as clean;
//! - the good log's findings are kept (the verdict is still `exploited` or
//!   worse);
//! - nothing in the input changed (every file hashed before and after; links
//!   and FIFOs by what they are).
//!
//! The defects of the issue have their own tests in `hostile_input.rs`,
//! `hostile_output.rs` and `hostile_system.rs`.

#![cfg(unix)]

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Traffic};
use exhunt_testgen::{SplitMix64, Time};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);
/// Generous for a debug build on a loaded 2-core machine; a hang is forever.
const LIMIT: Duration = Duration::from_secs(120);
/// Peak memory allowed, MiB (a scan of a small tree takes 40-80).
const CEILING: u64 = 400;
const EX: &str = exhunt_testgen::tree::EXCHANGE;

/// The good log every case carries.
fn good_log(root: &Path) {
    let mut rows = Traffic::new(3).hour(Protocol::Ecp, HOUR, 100);
    rows.extend(attack::proxylogon_chain(
        &mut SplitMix64::new(1),
        "203.0.113.9",
        HOUR.plus_secs(600),
    ));
    put(
        root,
        &httpproxy_rel("Ecp", "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &rows),
    );
}

fn mkfifo(p: &Path) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .unwrap()
        .success());
}

fn zip_of(members: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(data.len() > u32::MAX as usize / 2),
        )
        .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A zip member written from a repeated chunk (a bomb: large inside, small
/// outside), without holding it whole in memory.
fn zip_repeated(path: &Path, name: &str, head: &[u8], chunk: &[u8], times: usize) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    z.start_file(
        name,
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true),
    )
    .unwrap();
    z.write_all(head).unwrap();
    for _ in 0..times {
        z.write_all(chunk).unwrap();
    }
    z.finish().unwrap();
}

/// A further look at the report.
type Check = Box<dyn Fn(&Value)>;

/// One case: what it lays out (under `ev`, beside the good log; `aux` is a
/// folder outside the evidence for rules and the like) and the extra
/// arguments; `named` must appear in the report (errors, skipped, rules,
/// suppressed) or on stderr.
struct Case {
    args: Vec<String>,
    named: String,
    /// The input given is a zip built from `ev` (the good log inside it).
    inputs: Vec<PathBuf>,
    /// The run is refused with a usage error (exit 2) naming the file:
    /// a flag's own file that cannot be used (an indicator list).
    refused: bool,
    /// What else the report must show (a file read whole is not named:
    /// its lines are counted).
    check: Option<Check>,
}

fn case(named: &str) -> Case {
    Case {
        args: Vec::new(),
        named: named.to_string(),
        inputs: Vec::new(),
        refused: false,
        check: None,
    }
}

fn run_case(build: impl FnOnce(&Path, &Path) -> Case) {
    let d = TempDir::new().unwrap();
    let ev = d.path().join("ev");
    let aux = d.path().join("aux");
    std::fs::create_dir_all(&ev).unwrap();
    std::fs::create_dir_all(&aux).unwrap();
    good_log(&ev);
    let c = build(&ev, &aux);
    let inputs = if c.inputs.is_empty() {
        vec![ev.clone()]
    } else {
        c.inputs.clone()
    };
    let before = fingerprint(d.path());
    let mut args: Vec<String> = vec!["scan".into(), "-q".into(), "-f".into(), "json".into()];
    args.extend(c.args.iter().cloned());
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_bounded(&argv, LIMIT);
    r.assert_within(CEILING);
    if c.refused {
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(r.stderr.contains(&c.named), "{}", r.stderr);
        // Named in a message a person can read, not the file quoted whole.
        assert!(r.stderr.len() < 4096, "stderr of {} bytes", r.stderr.len());
        assert_eq!(before, fingerprint(d.path()), "the input changed");
        return;
    }
    let j: Value = r.json();
    assert!(
        matches!(j["verdict"].as_str(), Some("exploited" | "compromised")),
        "the good log's findings were lost: {}\n{}",
        j["verdict"],
        r.stderr
    );
    // Anywhere in the report but the names of the inputs: an error, a
    // skipped file, a rule load, the coverage of a log that was read.
    let mut named = j.clone();
    named["inputs"] = Value::Null;
    let said = format!("{named}{}", r.stderr);
    assert!(
        said.contains(&c.named),
        "{} is not named in the report: errors {:#} skipped {:#}\nstderr {}",
        c.named,
        j["errors"],
        j["skipped"],
        r.stderr
    );
    if let Some(check) = &c.check {
        check(&j);
    }
    // Not a panic message, nothing written into the input.
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(before, fingerprint(d.path()), "the input changed");
}

macro_rules! hostile {
    ($($name:ident => $build:expr;)*) => {
        $(#[test] fn $name() { run_case($build); })*
    };
}

fn logs(ev: &Path, proto: &str) -> PathBuf {
    let p = ev.join(format!("{EX}/Logging/HttpProxy/{proto}"));
    std::fs::create_dir_all(&p).unwrap();
    p
}

hostile! {
    // ---- zips ----
    zip_bomb_member_of_zeros_named_as_a_log => |ev: &Path, aux: &Path| {
        let z = aux.join("bomb.zip");
        zip_repeated(&z, &httpproxy_rel("Owa", "2021030306"), b"", &vec![0u8; 1 << 20], 300);
        let mut c = case("bomb.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c
    };
    zip_bomb_of_benign_rows_is_read_in_bounded_memory => |ev: &Path, aux: &Path| {
        let z = aux.join("rows.zip");
        let head = b"#Fields: DateTime,ClientIpAddress,AnchorMailbox,UrlStem,HttpStatus\n";
        let row = b"2021-03-03T06:00:00.000Z,10.0.0.1,Smtp~user@contoso.com,/owa/,200\n";
        let chunk: Vec<u8> = row.iter().copied().cycle().take(row.len() * 16_000).collect();
        // 200 MB of rows in a zip of a few hundred KB, and a line that
        // never ends at its end.
        zip_repeated(&z, &httpproxy_rel("Owa", "2021030307"), head, &chunk, 190);
        let mut c = case("HttpProxy/Owa");
        c.inputs = vec![ev.to_path_buf(), z];
        // The zip's log is read whole: 3 million lines counted.
        c.check = Some(Box::new(|j: &Value| {
            assert!(j["stats"]["lines_read"].as_u64().unwrap() > 3_000_000, "{}", j["stats"]);
        }));
        c
    };
    truncated_zip_is_named => |ev: &Path, aux: &Path| {
        let bytes = zip_of(&[("a/HttpProxy_2021030306-1.LOG", &vec![b'x'; 100_000])], false);
        let z = aux.join("cut.zip");
        std::fs::write(&z, &bytes[..bytes.len() / 2]).unwrap();
        let mut c = case("cut.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c
    };
    zip_with_traversal_and_absolute_member_names_collects_inside_its_folder => |ev: &Path, aux: &Path| {
        let shell = b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"k\"],\"unsafe\");%>";
        let z = aux.join("trav.zip");
        std::fs::write(&z, zip_of(&[
            ("../../../../tmp/exhunt-escape/aspnet_client/x.aspx", shell),
            ("/tmp/exhunt-escape-abs/inetpub/wwwroot/aspnet_client/y.aspx", shell),
            ("C:\\inetpub\\wwwroot\\aspnet_client\\z.aspx", shell),
        ], true)).unwrap();
        // The copies go outside the fingerprinted tree.
        let out = TempDir::new().unwrap().keep().join("copies");
        let mut c = case("trav.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c.args = vec!["--collect".into(), out.display().to_string()];
        c.named = "aspnet_client".into();
        c.check = Some(Box::new(move |_j: &Value| {
            assert!(!Path::new("/tmp/exhunt-escape").exists());
            assert!(!Path::new("/tmp/exhunt-escape-abs").exists());
            // Every copy is under the copies folder.
            let copies = fingerprint(&out);
            assert!(copies.iter().filter(|(p, ..)| p.ends_with(".aspx")).count() >= 3, "{copies:#?}");
            assert!(copies.iter().all(|(p, ..)| p.starts_with(&*out.display().to_string())));
            let _ = std::fs::remove_dir_all(out.parent().unwrap());
        }));
        c
    };
    zip_member_with_a_lying_size_is_named => |ev: &Path, aux: &Path| {
        let data = vec![b'A'; 50_000];
        let mut bytes = zip_of(&[("x/HttpProxy_2021030306-1.LOG", &data)], false);
        // Central directory and local header: uncompressed size 10, while
        // 50,000 bytes follow.
        let sz = (data.len() as u32).to_le_bytes();
        let mut i = 0;
        while let Some(at) = bytes[i..].windows(8).position(|w| w[..4] == sz && w[4..] == sz) {
            bytes[i + at..i + at + 4].copy_from_slice(&10u32.to_le_bytes());
            i += at + 8;
        }
        let z = aux.join("lying.zip");
        std::fs::write(&z, bytes).unwrap();
        let mut c = case("lying.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c
    };
    zip_with_twenty_thousand_members => |ev: &Path, aux: &Path| {
        let names: Vec<String> = (0..20_000).map(|i| format!("m/{i}.txt")).collect();
        let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let z = aux.join("many.zip");
        std::fs::write(&z, zip_of(&members, false)).unwrap();
        let mut c = case("HttpProxy/Ecp");
        c.inputs = vec![ev.to_path_buf(), z];
        c.check = Some(Box::new(|j: &Value| {
            assert!(j["stats"]["files_seen"].as_u64().unwrap() > 20_000, "{}", j["stats"]);
        }));
        c
    };
    zip_inside_a_zip_is_a_file_not_opened => |ev: &Path, aux: &Path| {
        let inner = zip_of(&[("HttpProxy_2021030306-1.LOG", b"#Fields: x\n")], false);
        let z = aux.join("outer.zip");
        std::fs::write(&z, zip_of(&[("ProgramData/loot.zip", &inner)], false)).unwrap();
        let mut c = case("outer.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c
    };
    not_a_zip_named_zip => |ev: &Path, aux: &Path| {
        let z = aux.join("fake.zip");
        std::fs::write(&z, b"PK\x05\x06 and then garbage").unwrap();
        let mut c = case("fake.zip");
        c.inputs = vec![ev.to_path_buf(), z];
        c
    };

    // ---- links, FIFOs, devices, sockets ----
    link_loop_in_evidence => |ev: &Path, _aux: &Path| {
        let d = logs(ev, "Owa");
        symlink(d.join("b.LOG"), d.join("a.LOG")).unwrap();
        symlink(d.join("a.LOG"), d.join("b.LOG")).unwrap();
        case("a.LOG")
    };
    link_to_the_root_folder_is_not_followed => |ev: &Path, _aux: &Path| {
        symlink("/", ev.join("rootfs")).unwrap();
        case("rootfs")
    };
    link_to_a_file_outside_named_as_a_log => |ev: &Path, _aux: &Path| {
        symlink("/etc/passwd", logs(ev, "Owa").join("HttpProxy_2021030309-1.LOG")).unwrap();
        case("HttpProxy_2021030309-1.LOG")
    };
    fifo_named_as_an_event_log => |ev: &Path, _aux: &Path| {
        mkfifo(&ev.join("Windows/System32/winevt/Logs/Security.evtx"));
        case("Security.evtx")
    };
    urandom_linked_as_a_web_config => |ev: &Path, _aux: &Path| {
        let d = ev.join(format!("{EX}/FrontEnd/HttpProxy/owa"));
        std::fs::create_dir_all(&d).unwrap();
        symlink("/dev/urandom", d.join("web.config")).unwrap();
        case("web.config")
    };
    unix_socket_named_as_a_log => |ev: &Path, _aux: &Path| {
        // A socket's path is short (108 bytes): at the top of the evidence.
        let p = ev.join("s.LOG");
        let l = std::os::unix::net::UnixListener::bind(&p).unwrap();
        std::mem::forget(l);
        case("s.LOG")
    };
    fifo_given_beside_a_folder => |ev: &Path, aux: &Path| {
        let f = aux.join("pipe.log");
        mkfifo(&f);
        let mut c = case("pipe.log");
        c.inputs = vec![ev.to_path_buf(), f];
        c
    };

    // ---- Exchange CSV logs ----
    csv_line_of_millions_of_fields_with_the_literal => |ev: &Path, _aux: &Path| {
        let mut b = b"#Fields: DateTime,ClientIpAddress,AnchorMailbox,HttpStatus\n".to_vec();
        b.extend_from_slice(b"2021-03-03T07:00:00.000Z,1.2.3.4,ServerInfo~a]@x:444/ecp/y.ecp?#");
        b.extend(std::iter::repeat_n(b',', 5_000_000));
        b.extend_from_slice(b"\n2021-03-03T07:00:01.000Z,1.2.3.4,Smtp~a@b,200\n");
        std::fs::write(logs(ev, "Mapi").join("HttpProxy_2021030307-1.LOG"), b).unwrap();
        let mut c = case("HttpProxy_2021030307-1.LOG");
        // The line is read (it is under the cap): it is in the coverage.
        c.named = "Mapi".into();
        c
    };
    csv_quote_that_never_closes => |ev: &Path, _aux: &Path| {
        let mut b = b"#Fields: DateTime,ClientIpAddress,AnchorMailbox,HttpStatus\n".to_vec();
        b.extend_from_slice(b"2021-03-03T07:00:00.000Z,\"1.2.3.4,ServerInfo~a]@x:444/ecp/y.ecp?#,241\n");
        for _ in 0..10_000 {
            b.extend_from_slice(b"2021-03-03T07:00:00.000Z,\"x,ServerInfo~b,\"\"\n");
        }
        std::fs::write(logs(ev, "Ews").join("HttpProxy_2021030307-1.LOG"), b).unwrap();
        let mut c = case("Ews");
        c.named = "Ews".into();
        c
    };
    csv_with_cr_only_line_ends_is_one_line_whose_header_is_not_split => |ev: &Path, _aux: &Path| {
        let mut b = b"#Fields: DateTime,ClientIpAddress,AnchorMailbox,HttpStatus\r".to_vec();
        for _ in 0..900_000 {
            b.extend_from_slice(b"2021-03-03T07:00:00.000Z,1.2.3.4,ServerInfo~a]@x:444/ecp/y.ecp?#,241\r");
        }
        std::fs::write(logs(ev, "Oab").join("HttpProxy_2021030307-1.LOG"), b).unwrap();
        // 62 MB, one line: under the line cap, so the header directive it
        // starts with is the one that must not become millions of columns
        // (it took 450 MB).
        case("a header line of 62100058 bytes")
    };
    utf16_log_with_an_odd_byte_count_and_lone_surrogates => |ev: &Path, _aux: &Path| {
        let mut b = vec![0xFF, 0xFE];
        for c in "#Fields: DateTime,AnchorMailbox\n2021-03-03T07:00:00Z,ServerInfo~a]@x:444/ecp/y.ecp?#\n".encode_utf16() {
            b.extend_from_slice(&c.to_le_bytes());
        }
        b.extend_from_slice(&[0x00, 0xD8, 0x41, 0x00, 0x00, 0xDC, 0x42]);
        std::fs::write(logs(ev, "Rpc").join("HttpProxy_2021030307-1.LOG"), b).unwrap();
        let mut c = case("Rpc");
        c.named = "Rpc".into();
        c
    };
    csv_header_of_a_hundred_thousand_columns => |ev: &Path, _aux: &Path| {
        let mut b = b"#Fields: ".to_vec();
        for i in 0..100_000 {
            write!(b, "c{i},").unwrap();
        }
        b.extend_from_slice(b"AnchorMailbox\n");
        for _ in 0..1000 {
            b.extend_from_slice(b"#Fields: DateTime,AnchorMailbox\n");
        }
        std::fs::write(logs(ev, "Eas").join("HttpProxy_2021030307-1.LOG"), b).unwrap();
        let mut c = case("Eas");
        c.named = "Eas".into();
        c
    };
    binary_garbage_named_as_a_log => |ev: &Path, _aux: &Path| {
        let mut rng = SplitMix64::new(9);
        let b: Vec<u8> = (0..300_000).map(|_| rng.next_u64() as u8).collect();
        std::fs::write(logs(ev, "Owa").join("HttpProxy_2021030311-1.LOG"), b).unwrap();
        case("HttpProxy_2021030311-1.LOG")
    };

    // ---- IIS W3C ----
    iis_line_longer_than_the_cap => |ev: &Path, _aux: &Path| {
        let d = ev.join("inetpub/logs/LogFiles/W3SVC1");
        std::fs::create_dir_all(&d).unwrap();
        let mut f = std::fs::File::create(d.join("u_ex210303.log")).unwrap();
        f.write_all(b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-uri-stem cs-uri-query c-ip sc-status\n").unwrap();
        let chunk = vec![b'/'; 1 << 20];
        for _ in 0..70 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n2021-03-03 06:00:00 /owa/auth/x.js - 1.2.3.4 200\n").unwrap();
        case("u_ex210303.log")
    };
    iis_fields_directive_of_a_hundred_thousand_columns => |ev: &Path, _aux: &Path| {
        let d = ev.join("inetpub/logs/LogFiles/W3SVC1");
        std::fs::create_dir_all(&d).unwrap();
        let mut b = b"#Software: Microsoft Internet Information Services 10.0\n#Fields:".to_vec();
        for i in 0..100_000 {
            write!(b, " f{i}").unwrap();
        }
        b.extend_from_slice(b"\n");
        for _ in 0..5000 {
            b.extend_from_slice(b"#Fields: date time cs-uri-stem c-ip sc-status\n2021-03-03 06:00:00 /ecp/DDI/DDIService.svc/SetObject 1.2.3.4 200\n");
        }
        std::fs::write(d.join("u_ex210304.log"), b).unwrap();
        let mut c = case("W3SVC1");
        c.named = "W3SVC1".into();
        c
    };

    // ---- events as JSON lines ----
    jsonl_nested_a_hundred_thousand_deep => |ev: &Path, _aux: &Path| {
        let mut b = b"{\"EventID\": 4688, \"Channel\": \"Security\", \"x\": ".to_vec();
        b.extend(std::iter::repeat_n(b'[', 100_000));
        b.extend(std::iter::repeat_n(b']', 100_000));
        b.extend_from_slice(b"}\n");
        std::fs::write(ev.join("events.jsonl"), b).unwrap();
        case("events.jsonl")
    };
    jsonl_with_huge_numbers_and_bad_utf8 => |ev: &Path, _aux: &Path| {
        let mut b = b"{\"EventID\": 1e999999, \"Channel\": \"Security\"}\n".to_vec();
        b.extend_from_slice(b"{\"EventID\": 4688, \"Channel\": \"Sec\xffurity\", \"CommandLine\": \"\xc3\x28\"}\n");
        b.extend_from_slice(b"{\"EventID\": 99999999999999999999999999, \"Channel\": \"System\"}\n");
        std::fs::write(ev.join("events2.jsonl"), b).unwrap();
        case("events2.jsonl")
    };

    // ---- EVTX ----
    evtx_header_claiming_sixty_five_thousand_chunks => |ev: &Path, _aux: &Path| {
        let mut b = vec![0u8; 4096];
        b[..8].copy_from_slice(b"ElfFile\0");
        b[0x28..0x2C].copy_from_slice(&0x80u32.to_le_bytes());
        b[0x2A..0x2C].copy_from_slice(&0x0003u16.to_le_bytes());
        b[0x2C..0x2E].copy_from_slice(&0x1000u16.to_le_bytes());
        b[0x2E..0x30].copy_from_slice(&0xFFFFu16.to_le_bytes());
        b.extend(std::iter::repeat_n(0xAB, 200_000));
        let d = ev.join("Windows/System32/winevt/Logs");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("Application.evtx"), b).unwrap();
        case("Application.evtx")
    };

    // ---- configuration and web files ----
    web_config_with_an_entity_bomb => |ev: &Path, _aux: &Path| {
        let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<configuration><system.webServer><handlers>&lol9;</handlers></system.webServer></configuration>"#;
        let d = ev.join(format!("{EX}/FrontEnd/HttpProxy/ecp"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("web.config"), bomb).unwrap();
        let mut c = case("web.config");
        c.named = "web.config".into();
        c
    };
    web_config_with_external_entities => |ev: &Path, _aux: &Path| {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><configuration>&x;</configuration>"#;
        let d = ev.join(format!("{EX}/FrontEnd/HttpProxy/owa"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("web.config"), xxe).unwrap();
        let mut c = case("web.config");
        c.named = "web.config".into();
        c
    };
    deep_folder_tree => |ev: &Path, _aux: &Path| {
        let mut p = ev.join("inetpub/wwwroot/aspnet_client");
        for _ in 0..300 {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("deep.aspx"), b"<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"k\"],\"unsafe\");%>").unwrap();
        // Found, 300 folders down.
        case("deep.aspx")
    };

    // ---- rules and indicators ----
    sigma_yaml_alias_bomb => |_ev: &Path, aux: &Path| {
        let mut y = String::from("title: bomb\nid: 9d2c0f2e-0000-4000-8000-000000000001\nlogsource:\n  category: webserver\nx0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for i in 1..10 {
            let p = i - 1;
            y.push_str(&format!("x{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"));
        }
        y.push_str("detection:\n  sel:\n    cs-uri-query|contains: *a9\n  condition: sel\nlevel: high\n");
        let rules = aux.join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("bomb.yml"), y).unwrap();
        let mut c = case("bomb.yml");
        c.args = vec!["--sigma".into(), rules.display().to_string()];
        c
    };
    sigma_rule_with_a_catastrophic_regex_on_a_long_field => |ev: &Path, aux: &Path| {
        let rules = aux.join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("redos.yml"), "title: redos\nid: 9d2c0f2e-0000-4000-8000-000000000002\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-query|re: '^(a+)+$'\n  condition: sel\nlevel: high\n").unwrap();
        let d = ev.join("inetpub/logs/LogFiles/W3SVC1");
        std::fs::create_dir_all(&d).unwrap();
        let q = "a".repeat(100_000) + "!";
        std::fs::write(d.join("u_ex210305.log"), format!("#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-uri-stem cs-uri-query c-ip sc-status\n2021-03-03 06:00:00 /owa/ {q} 1.2.3.4 200\n")).unwrap();
        let mut c = case("redos.yml");
        c.args = vec!["--sigma".into(), rules.display().to_string()];
        c
    };
    sigma_files_that_are_not_yaml => |_ev: &Path, aux: &Path| {
        let rules = aux.join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("bin.yml"), [0u8, 159, 146, 150, 0xff, 0xfe]).unwrap();
        std::fs::write(rules.join("deep.yml"), "a: ".to_string() + &"[".repeat(50_000)).unwrap();
        symlink("/dev/zero", rules.join("zero.yml")).unwrap();
        let mut c = case("zero.yml");
        c.args = vec!["--sigma".into(), rules.display().to_string()];
        c
    };
    yara_rule_that_does_not_compile_and_one_with_a_huge_hex_string => |_ev: &Path, aux: &Path| {
        let rules = aux.join("yara");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("broken.yar"), "rule { strings: $a = condition: }").unwrap();
        let hex: String = (0..20_000).map(|i| format!("{:02X} ", i % 256)).collect();
        std::fs::write(rules.join("hex.yar"), format!("rule big {{ strings: $a = {{ {hex} }} condition: $a }}")).unwrap();
        let mut c = case("broken.yar");
        c.args = vec!["--yara".into(), rules.display().to_string()];
        c
    };
    indicator_list_with_a_ten_megabyte_line_and_odd_utf16 => |_ev: &Path, aux: &Path| {
        let l = aux.join("iocs.csv");
        let mut b = b"sha256,name\n".to_vec();
        b.extend(std::iter::repeat_n(b'a', 10 << 20));
        b.extend_from_slice(b"\n");
        std::fs::write(&l, b).unwrap();
        let u = aux.join("iocs16.txt");
        std::fs::write(&u, [0xFF, 0xFE, 0x41, 0x00, 0x00]).unwrap();
        let mut c = case("iocs");
        c.args = vec!["--iocs".into(), l.display().to_string(), "--iocs".into(), u.display().to_string()];
        c.refused = true;
        c
    };
    collection_manifest_that_lies => |ev: &Path, aux: &Path| {
        // An exhunt collection whose manifest is not what it claims.
        let z = aux.join("collection.zip");
        let log = std::fs::read(ev.join(httpproxy_rel("Ecp", "2021030306"))).unwrap();
        let manifest = br#"{"schema":"exhunt/collection/v1","files":[{"path":"../../x","sha256":"zz","size":-1}],"skipped":"not a list","errors":[[[[[]]]]]}"#;
        std::fs::write(&z, zip_of(&[
            ("_exhunt/manifest.json", manifest),
            (&httpproxy_rel("Ecp", "2021030306"), &log),
        ], true)).unwrap();
        let mut c = case("collection.zip");
        c.inputs = vec![z];
        c
    };
}

// ---- hostile probe targets on 127.0.0.1 ----

/// A raw TCP server on loopback that answers every connection with
/// `answer` (run on its own thread); returns its port.
fn raw_server(answer: fn(std::net::TcpStream)) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || answer(s));
        }
    });
    port
}

fn read_request(s: &mut std::net::TcpStream) {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.read(&mut buf);
}

/// Probes `port` with a short timeout: bounded in time and memory, a
/// result per target that says what went wrong, nothing raw on the
/// terminal.
fn probe_hostile(port: u16, expect: &str) {
    let target = format!("http://127.0.0.1:{port}");
    let r = run_bounded(
        &["probe", &target, "--format", "json", "--timeout", "3"],
        LIMIT,
    );
    r.assert_within(CEILING);
    let j = r.json();
    let res = &j["results"][0];
    assert!(
        res["target"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{port}")),
        "{j:#}"
    );
    let said = res.to_string();
    assert!(said.contains(expect), "expected {expect:?}: {res:#}");
    // No build read from a hostile answer.
    assert!(res["build"].is_null(), "{res:#}");
    let r = run_bounded(&["probe", &target, "--timeout", "3"], LIMIT);
    r.assert_within(CEILING);
    assert!(
        !r.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
        "raw escape bytes on the terminal: {}",
        String::from_utf8_lossy(&r.stdout)
    );
}

#[test]
fn probe_target_that_sends_headers_without_end() {
    let port = raw_server(|mut s| {
        read_request(&mut s);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        while s.write_all(line).is_ok() {}
    });
    probe_hostile(port, "error");
}

#[test]
fn probe_target_that_trickles_one_byte_a_second() {
    let port = raw_server(|mut s| {
        read_request(&mut s);
        for b in b"HTTP/1.1 200 OK\r\nX-OWA-Version: 15.1.2106.2\r\n\r\n" {
            if s.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    probe_hostile(port, "error");
}

#[test]
fn probe_target_whose_version_header_is_an_escape_sequence() {
    let port = raw_server(|mut s| {
        read_request(&mut s);
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nX-OWA-Version: \x1b]0;owned\x07\x1b[2J15.1.2106.2\r\nContent-Length: 0\r\n\r\n",
        );
    });
    // Control characters in a header value are not HTTP: the answer is an
    // error, no build is read from it, and nothing of it reaches the
    // terminal raw.
    probe_hostile(port, "error");
}
