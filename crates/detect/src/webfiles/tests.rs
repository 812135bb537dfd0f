use super::baselines::BASELINE_TSV;
use super::*;
use exhunt_core::time::{iso_to_seconds as iso_seconds, seconds_to_iso as iso_from_seconds};
use exhunt_core::{Finding, FindingKind, Severity, Verdict};

const LOGON: &str = "frontend/httpproxy/owa/auth/logon.aspx";
/// logon.aspx of Exchange 2016 and 2019 builds from the baselines.
const LOGON_SHA: &str = "49194ca2dc5ff65a4e4438b3b68d11d63ed72e12cf72b76949733f4b5196a9b2";
/// logon.aspx of Exchange 2013 CU3 (build index 5 in the list).
const LOGON_SHA_E13: &str = "0b5aece3515e9a51aa099a907a27dc242dff4b6a97c398b64182e5ddb2b25be9";
const OTHER_SHA: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const E16_CU19: &str = "15.1.2242.4";

fn b() -> &'static Baselines {
    Baselines::builtin()
}

fn rules_of(v: &[Finding]) -> Vec<&str> {
    v.iter().map(|f| f.rule.as_str()).collect()
}

fn check(rel: &str, sha: &str, build: Option<&str>) -> Vec<Finding> {
    check_web_file(&rel.to_lowercase(), rel, sha, b"", build, b())
}

// --- baselines -------------------------------------------------------------

#[test]
fn bundled_baseline_parses_and_stays_compact() {
    let b = b();
    assert_eq!(b.builds().len(), 108);
    assert!(b.path_count() > 1000);
    assert!(BASELINE_TSV.len() < 512 * 1024, "{}", BASELINE_TSV.len());
    assert_eq!(b.builds()[0].to_string(), "15.0.516.32");
    assert_eq!(b.builds().last().unwrap().to_string(), "15.2.858.5");
    // The '15.01.1034.026' spelling of the source is normalised.
    assert!(b.build_index("15.1.1034.26").is_some());
    assert!(b.build_index("15.01.1034.026").is_some());
}

#[test]
fn lookup_normalises_case_and_separators() {
    let b = b();
    let v = b
        .lookup("FrontEnd\\HttpProxy\\owa\\auth\\logon.aspx")
        .unwrap();
    assert!(v.iter().any(|k| k.sha256_hex() == LOGON_SHA));
    assert!(b
        .lookup("/frontend/httpproxy/owa/auth/LOGON.aspx")
        .is_some());
    assert!(b.is_stock_path("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx"));
    assert!(!b.is_stock_path("FrontEnd/HttpProxy/owa/auth/shell.aspx"));
    // The bare 'owa/...' rows of the CU-release baselines are ClientAccess files.
    assert!(b.is_stock_path("ClientAccess/owa/auth/error2.aspx"));
    assert!(!b.is_stock_path("owa/auth/error2.aspx"));
}

#[test]
fn hash_known_for_each_outcome() {
    let b = b();
    assert_eq!(
        b.hash_known_for(LOGON, LOGON_SHA, Some(E16_CU19)),
        Known::StockSame
    );
    assert_eq!(
        b.hash_known_for(LOGON, &LOGON_SHA.to_uppercase(), Some("15.01.2242.004")),
        Known::StockSame
    );
    assert_eq!(
        b.hash_known_for(LOGON, LOGON_SHA_E13, Some(E16_CU19)),
        Known::StockOtherBuild
    );
    assert_eq!(
        b.hash_known_for(LOGON, OTHER_SHA, Some(E16_CU19)),
        Known::StockDiffers
    );
    assert_eq!(
        b.hash_known_for("frontend/httpproxy/owa/auth/x.aspx", OTHER_SHA, None),
        Known::NotStock
    );
    assert_eq!(
        b.hash_known_for(LOGON, "not a hash", None),
        Known::StockDiffers
    );
}

#[test]
fn outside_the_covered_builds_the_union_is_used() {
    let b = b();
    // Unknown build, or one after March 2021: any shipped version counts.
    assert_eq!(
        b.hash_known_for(LOGON, LOGON_SHA_E13, None),
        Known::StockSame
    );
    assert_eq!(
        b.hash_known_for(LOGON, LOGON_SHA_E13, Some("15.2.1118.7")),
        Known::StockSame
    );
    assert!(!b.is_covered(LOGON, Some("15.2.1118.7")));
    // 15.2.659.4 is a CU-release baseline without FrontEnd files: union.
    assert!(b.build_index("15.2.659.4").is_some());
    assert!(!b.is_covered(LOGON, Some("15.2.659.4")));
    assert_eq!(
        b.hash_known_for(LOGON, LOGON_SHA_E13, Some("15.2.659.4")),
        Known::StockSame
    );
    // ...but its ClientAccess files are covered.
    assert!(b.is_covered("clientaccess/owa/auth/logoff.aspx", Some("15.2.659.4")));
}

#[test]
fn parser_refuses_bad_data() {
    let ok =
        "@builds\t15.0.1.1 15.0.2.2\nclientaccess/a/b.aspx\t".to_string() + LOGON_SHA + "\t0-1\n";
    assert!(Baselines::parse(&ok).is_ok());
    assert!(Baselines::parse("").is_err());
    assert!(Baselines::parse(&ok.replace("0-1", "0-2")).is_err()); // index out of range
    assert!(Baselines::parse(&ok.replace("15.0.2.2", "15.0.x.2")).is_err());
    assert!(Baselines::parse(&ok.replace(LOGON_SHA, "abc")).is_err());
    let twice = format!("{ok}clientaccess/a/b.aspx\t{OTHER_SHA}\t1\n");
    assert!(Baselines::parse(&twice).is_err()); // two hashes in build 1
}

#[test]
fn parser_errors_name_the_line() {
    let ok = "@builds\t15.0.1.1 15.01.02.002\nclientaccess/a/b.aspx\t".to_string()
        + LOGON_SHA
        + "\t0-1\n";
    // Zero-padded builds parse, and print without the padding.
    let b = Baselines::parse(&ok).unwrap();
    assert_eq!(b.builds()[1].to_string(), "15.1.2.2");
    let e = |text: &str| Baselines::parse(text).unwrap_err().to_string();
    assert_eq!(e(""), "no @builds line or no rows");
    assert_eq!(
        e(&ok.replace("15.0.1.1", "15.0.x.1")),
        "line 1: bad build \"15.0.x.1\""
    );
    assert_eq!(e(&ok.replace(LOGON_SHA, "abc")), "line 2: bad sha256");
    assert_eq!(
        Baselines::parse("# c\nclientaccess/a/b.aspx\tx\t0\n").unwrap_err(),
        BaselineError::Line {
            line: 2,
            message: "row before the @builds line".to_string()
        }
    );
}

/// Every (path, hash, build) of the source CSV, read independently of the
/// Python generator, must come back as StockSame: the committed TSV is the
/// source, regrouped. Runs where shared/ is laid beside the repository.
#[test]
fn committed_baseline_matches_its_source_when_present() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata-public/css-exchange-baselines/web-baseline.csv");
    let Ok(text) = std::fs::read_to_string(&src) else {
        eprintln!("source baseline not present at {}; skipped", src.display());
        return;
    };
    let b = b();
    let mut rows = 0;
    for line in text.lines().skip(1) {
        let mut c = line.split(',');
        let (path, sha, builds) = (c.next().unwrap(), c.next().unwrap(), c.next().unwrap());
        let mut p = path.trim_start_matches('/').to_lowercase();
        if !(p.starts_with("clientaccess/") || p.starts_with("frontend/")) {
            p = format!("clientaccess/{p}");
        }
        for build in builds.split(';') {
            assert_eq!(
                b.hash_known_for(&p, sha, Some(build)),
                Known::StockSame,
                "{path} {build}"
            );
        }
        rows += 1;
    }
    assert_eq!(rows, 5169);
}

/// The rules citing several references cite them as the findings did when
/// they joined them at run time.
#[test]
fn joined_sources_read_as_before() {
    use sources::*;
    assert_eq!(ASPNET_CLIENT, format!("{MSERT}; {PR150}; {LOCATIONS}"));
    assert_eq!(AUTH_FOLDER, format!("{LOCATIONS}; {MSERT}; {BASELINE}"));
    assert_eq!(UNKNOWN_SCRIPT, format!("{BASELINE}; {LOCATIONS}"));
    assert!(NEWER.starts_with(&format!("{LOCATIONS}; microsoft/CSS-Exchange")));
    assert!(MSERT.contains("FrontEnd\\HttpProxy\\owa\\auth"), "{MSERT}");
}

// --- places ----------------------------------------------------------------

#[test]
fn install_relative_finds_the_exchange_folder_anywhere() {
    assert_eq!(
        install_relative(
            "program files/microsoft/exchange server/v15/frontend/httpproxy/owa/auth/a.aspx"
        ),
        Some("frontend/httpproxy/owa/auth/a.aspx")
    );
    assert_eq!(
        install_relative("clientaccess/ecp/x.aspx"),
        Some("clientaccess/ecp/x.aspx")
    );
    assert_eq!(install_relative("users/bob/frontend/x.aspx"), None);
    assert_eq!(install_relative("frontend"), None);
    assert_eq!(
        install_relative("inetpub/wwwroot/aspnet_client/a.aspx"),
        None
    );
}

#[test]
fn places() {
    let p = |s: &str| web_place(s);
    assert_eq!(
        p("inetpub/wwwroot/aspnet_client/system_web/x.aspx"),
        Some(WebPlace::AspnetClient)
    );
    assert_eq!(p("inetpub/wwwroot/iisstart.aspx"), Some(WebPlace::WebRoot));
    assert_eq!(p("c/inetpub/wwwroot/_wmcs/admin/a.asmx"), None);
    assert_eq!(
        p("v15/frontend/httpproxy/owa/auth/current/themes/x.aspx"),
        Some(WebPlace::OwaAuth)
    );
    assert_eq!(
        p("v15/frontend/httpproxy/owa/auth/15.1.2242.4/x.aspx"),
        Some(WebPlace::OwaAuth)
    );
    assert_eq!(
        p("v15/frontend/httpproxy/ecp/auth/w.aspx"),
        Some(WebPlace::EcpAuth)
    );
    assert_eq!(
        p("v15/frontend/httpproxy/oab/log.aspx"),
        Some(WebPlace::Oab)
    );
    assert_eq!(p("v15/clientaccess/oab/temp/x.aspx"), Some(WebPlace::Oab));
    assert_eq!(
        p("v15/clientaccess/ecp/about.aspx"),
        Some(WebPlace::ExchangeWeb)
    );
    assert_eq!(
        p("windows/microsoft.net/framework64/v4.0.30319/temporary asp.net files/owa/1/2/app_web_abc.dll"),
        Some(WebPlace::TempAspNet)
    );
    assert_eq!(p("windows/temp/x.aspx"), None);
}

#[test]
fn wants_file_selects_what_can_be_judged() {
    assert!(wants_file("v15/frontend/httpproxy/owa/auth/logon.aspx"));
    assert!(wants_file("v15/frontend/httpproxy/owa/global.asax"));
    assert!(!wants_file("v15/frontend/httpproxy/owa/web.config"));
    assert!(!wants_file(
        "v15/frontend/httpproxy/owa/auth/current/scripts/a.js"
    ));
    assert!(wants_file("inetpub/wwwroot/aspnet_client/a.aspx"));
    assert!(!wants_file(
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/x.js"
    ));
    assert!(wants_file("temporary asp.net files/root/1/2/app_web_x.dll"));
    assert!(wants_file(
        "temporary asp.net files/root/1/2/shell.aspx.cdcab7d2.compiled"
    ));
    assert!(!wants_file(
        "temporary asp.net files/root/1/2/assembly/dl3/x.dll"
    ));
    assert!(!wants_file("windows/temp/a.aspx"));
}

// --- web files ---------------------------------------------------------------

#[test]
fn script_in_aspnet_client_is_a_web_shell() {
    let v = check(
        "inetpub/wwwroot/aspnet_client/system_web/supp0rt.aspx",
        OTHER_SHA,
        None,
    );
    assert_eq!(rules_of(&v), [rules::ASPNET_CLIENT]);
    let f = &v[0];
    assert_eq!(
        (f.severity, f.verdict, f.kind),
        (Severity::High, Verdict::Compromised, FindingKind::Webshell)
    );
    assert!(f.source.contains("PR #150") && f.source.contains("MSERT"));
    // A name one letter off Exchange's own page (PR #150's list).
    let v = check(
        "inetpub/wwwroot/aspnet_client/RedirSuiteServerProxy.aspx",
        OTHER_SHA,
        None,
    );
    assert!(v[0].evidence["resembles_stock"].contains("redirsuiteserviceproxy.aspx"));
}

#[test]
fn aspnet_client_without_scripts_is_quiet() {
    assert!(check(
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
        OTHER_SHA,
        None
    )
    .is_empty());
    assert!(check("inetpub/wwwroot/aspnet_client/readme.txt", OTHER_SHA, None).is_empty());
}

#[test]
fn script_in_web_root() {
    let v = check("inetpub/wwwroot/iisstart.aspx", OTHER_SHA, None);
    assert_eq!(rules_of(&v), [rules::WEBROOT]);
    assert_eq!(
        (v[0].severity, v[0].escalate_to),
        (Severity::Info, Some(Severity::Medium))
    );
    assert!(check("inetpub/wwwroot/iisstart.htm", OTHER_SHA, None).is_empty());
}

#[test]
fn unknown_script_in_auth_folders_and_oab_is_high() {
    for rel in [
        "V15/FrontEnd/HttpProxy/owa/auth/errorPage.aspx",
        "V15/FrontEnd/HttpProxy/owa/auth/Current/one1.aspx",
        "V15/FrontEnd/HttpProxy/owa/auth/15.1.2242.4/x.ashx",
        "V15/FrontEnd/HttpProxy/ecp/auth/w.aspx",
        "V15/FrontEnd/HttpProxy/OAB/log.aspx",
        "V15/ClientAccess/OAB/log.aspx",
    ] {
        for build in [None, Some(E16_CU19), Some("15.2.1544.4")] {
            let v = check(rel, OTHER_SHA, build);
            assert_eq!(rules_of(&v), [rules::AUTH_FOLDER], "{rel}");
            assert_eq!(v[0].severity, Severity::High, "{rel}");
            assert_eq!(v[0].verdict, Verdict::Compromised);
        }
    }
    let v = check(
        "V15/FrontEnd/HttpProxy/owa/auth/logon2.aspx",
        OTHER_SHA,
        Some(E16_CU19),
    );
    assert!(v[0].evidence["stock_files_here"].contains("logon.aspx"));
    assert!(v[0].evidence["resembles_stock"].contains("logon.aspx"));
    assert_eq!(v[0].evidence["baseline"], "compared with build 15.1.2242.4");
}

#[test]
fn stock_pages_with_stock_content_are_quiet() {
    assert!(check(&format!("V15/{LOGON}"), LOGON_SHA, Some(E16_CU19)).is_empty());
    assert!(check(&format!("V15/{LOGON}"), LOGON_SHA, None).is_empty());
    // Genuine Microsoft content of another build: not a modification.
    assert!(check(&format!("V15/{LOGON}"), LOGON_SHA_E13, Some(E16_CU19)).is_empty());
    // Non-script files in the auth folders are not judged by place.
    assert!(check(
        "V15/FrontEnd/HttpProxy/owa/auth/Current/scripts/x.js",
        OTHER_SHA,
        None
    )
    .is_empty());
}

#[test]
fn modified_stock_page_is_a_lead_that_says_why() {
    let v = check(&format!("V15/{LOGON}"), OTHER_SHA, Some(E16_CU19));
    assert_eq!(rules_of(&v), [rules::STOCK_MODIFIED]);
    let f = &v[0];
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(f.escalate_to, Some(Severity::Medium));
    assert!(f.evidence["why"].contains("customise logon pages"));
    // Not comparable with the server's own build: a lead that stays a lead.
    let v = check(&format!("V15/{LOGON}"), OTHER_SHA, Some("15.2.1544.4"));
    assert_eq!(v[0].escalate_to, None);
    assert!(v[0].evidence["baseline"].contains("not in the baselines"));
    let v = check(&format!("V15/{LOGON}"), OTHER_SHA, None);
    assert_eq!(v[0].escalate_to, None);
}

#[test]
fn differing_web_config_is_not_reported() {
    assert!(check(
        "V15/FrontEnd/HttpProxy/owa/web.config",
        OTHER_SHA,
        Some(E16_CU19)
    )
    .is_empty());
}

#[test]
fn unknown_script_elsewhere_is_medium_only_against_the_servers_build() {
    let rel = "V15/ClientAccess/ecp/Reporting/Shell.aspx";
    let v = check(rel, OTHER_SHA, Some(E16_CU19));
    assert_eq!(rules_of(&v), [rules::UNKNOWN_SCRIPT]);
    assert_eq!(v[0].severity, Severity::Medium);
    // A later update may have added the page: a lead.
    for build in [None, Some("15.2.1544.4")] {
        let v = check(rel, OTHER_SHA, build);
        assert_eq!(
            (v[0].severity, v[0].escalate_to),
            (Severity::Info, Some(Severity::Medium))
        );
    }
    // A stock ECP page with its stock content is quiet.
    let about = b().lookup("clientaccess/ecp/about.aspx").unwrap()[0].sha256_hex();
    assert!(check("V15/ClientAccess/ecp/About.aspx", &about, None).is_empty());
}

#[test]
fn copy_of_a_stock_page_is_a_lead() {
    let v = check(
        "V15/FrontEnd/HttpProxy/owa/auth/Current/logon_backup.aspx",
        LOGON_SHA,
        Some(E16_CU19),
    );
    assert_eq!(rules_of(&v), [rules::STOCK_COPY]);
    assert_eq!(
        (v[0].severity, v[0].escalate_to),
        (Severity::Info, Some(Severity::Medium))
    );
    assert!(v[0].evidence["identical_to"].contains(LOGON));
    let v = check("inetpub/wwwroot/aspnet_client/logon.aspx", LOGON_SHA, None);
    assert_eq!(rules_of(&v), [rules::STOCK_COPY]);
}

#[test]
fn files_outside_web_folders_are_ignored() {
    assert!(check("Windows/Temp/shell.aspx", OTHER_SHA, None).is_empty());
    assert!(check("ProgramData/x.aspx", OTHER_SHA, None).is_empty());
}

// --- compiled pages -------------------------------------------------------------

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn fake_dll(strings: &[&str]) -> Vec<u8> {
    let mut v = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    v.extend([0u8; 200]);
    v.extend(b"JScriptEvaluate\0get_Request\0");
    for s in strings {
        v.extend([0u8; 3]);
        v.push(s.len() as u8 * 2 + 1);
        v.extend(utf16(s));
    }
    v.extend([0u8; 64]);
    v
}

const TEMP: &str = "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files";

fn check_bytes(rel: &str, bytes: &[u8]) -> Vec<Finding> {
    check_web_file(&rel.to_lowercase(), rel, OTHER_SHA, bytes, None, b())
}

#[test]
fn compiled_shell_in_temporary_aspnet_files() {
    let dll = fake_dll(&["~/aspnet_client/system_web/Tm3WlTNr.aspx"]);
    let v = check_bytes(&format!("{TEMP}/root/1a2b/3c4d/App_Web_tm3wltnr.dll"), &dll);
    assert_eq!(rules_of(&v), [rules::COMPILED]);
    assert_eq!(v[0].severity, Severity::High);
    assert_eq!(
        v[0].evidence["virtual_paths"],
        "~/aspnet_client/system_web/tm3wltnr.aspx"
    );
    assert!(v[0].evidence.contains_key("jscript_evaluate"));
    // A non-stock page in owa/auth, batch-compiled with the stock ones.
    let dll = fake_dll(&["~/auth/logon.aspx", "~/auth/errorPage.aspx"]);
    let v = check_bytes(&format!("{TEMP}/owa/1/2/App_Web_k2dlxnqb.dll"), &dll);
    assert_eq!(v[0].evidence["virtual_paths"], "~/auth/errorpage.aspx");
    // ASCII spelling too.
    let v = check_bytes(
        &format!("{TEMP}/owa/1/2/App_Web_k2dlxnqb.dll"),
        b"MZ......~/auth/Current/one.aspx\0",
    );
    assert_eq!(rules_of(&v), [rules::COMPILED]);
}

#[test]
fn compiled_stock_pages_are_quiet() {
    let dll = fake_dll(&[
        "~/auth/logon.aspx",
        "~/auth/errorFE.aspx",
        "~/auth/TimeoutLogout.aspx",
    ]);
    assert!(check_bytes(
        &format!("{TEMP}/owa/1/2/App_Web_logon.aspx.cdcab7d2.dll"),
        &dll
    )
    .is_empty());
    // Other assemblies are not App_Web pages.
    let dll = fake_dll(&["~/aspnet_client/x.aspx"]);
    assert!(check_bytes(
        &format!("{TEMP}/root/1/2/assembly/dl3/x/y/Microsoft.Exchange.dll"),
        &dll
    )
    .is_empty());
    assert!(check_bytes(&format!("{TEMP}/owa/1/2/App_Web_x.dll"), b"").is_empty());
    // Folders and client scripts are not pages.
    let dll = fake_dll(&[
        "~/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
        "~/auth/current/themes/",
        "~/auth/",
    ]);
    assert!(check_bytes(&format!("{TEMP}/root/1/2/App_Web_x.dll"), &dll).is_empty());
}

#[test]
fn compilation_records_name_the_page() {
    let rec = |vp: &str| {
        format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<preserve resultType=\"3\" virtualPath=\"{vp}\" hash=\"1\" filehash=\"2\" flags=\"110000\" assembly=\"App_Web_x\" type=\"ASP.x\">\n  <filedeps><filedep name=\"{vp}\" /></filedeps>\n</preserve>\n"
        )
    };
    let path = format!("{TEMP}/root/1/2/shell.aspx.cdcab7d2.compiled");
    for vp in [
        "/aspnet_client/system_web/shell.aspx",
        "/owa/auth/Current/one1.aspx",
        "/OAB/log.aspx",
    ] {
        let v = check_bytes(&path, rec(vp).as_bytes());
        assert_eq!(rules_of(&v), [rules::COMPILED], "{vp}");
    }
    for vp in [
        "/owa/auth/logon.aspx",
        "/ecp/auth/TimeoutLogout.aspx",
        "/ecp/About.aspx",
        "/owa/auth/x.css",
    ] {
        assert!(check_bytes(&path, rec(vp).as_bytes()).is_empty(), "{vp}");
    }
    // Broken XML: nothing, no panic.
    assert!(check_bytes(&path, b"<preserve virtualPath=\"/aspnet_client/a.aspx\"").is_empty());
}

// --- newer than neighbours ---------------------------------------------------------

fn folder(dir: &str, times: &[&str]) -> Vec<(String, Option<String>)> {
    times
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("{dir}/page{i}.aspx"), Some(t.to_string())))
        .collect()
}

const OLD: [&str; 5] = [
    "2020-06-10T10:00:00Z",
    "2020-06-10T10:00:01Z",
    "2020-06-10T10:00:02Z",
    "2020-06-20T08:00:00Z",
    "2020-06-10T10:00:03Z",
];

#[test]
fn a_script_much_newer_than_its_folder_is_a_lead() {
    let dir = "v15/frontend/httpproxy/owa/auth";
    let mut files = folder(dir, &OLD);
    files.push((
        format!("{dir}/shel.aspx"),
        Some("2021-03-03T06:49:42Z".into()),
    ));
    files.push((
        "windows/temp/new.aspx".into(),
        Some("2021-03-03T06:49:42Z".into()),
    ));
    let d = newer_than_neighbours_detail(&files);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].index, 5);
    assert_eq!(d[0].folder_median, "2020-06-10T10:00:02Z");
    assert_eq!(d[0].neighbours, 5);
    assert!(d[0].days_after > 260);
    assert_eq!(newer_than_neighbours(&files), vec![5]);
    let f = d[0].finding("x/shel.aspx");
    assert_eq!(
        (f.severity, f.escalate_to),
        (Severity::Info, Some(Severity::Medium))
    );
}

#[test]
fn newer_needs_enough_neighbours_a_real_gap_and_a_script() {
    let dir = "v15/frontend/httpproxy/owa/auth";
    // Four neighbours only.
    let mut files = folder(dir, &OLD[..4]);
    files.push((
        format!("{dir}/shel.aspx"),
        Some("2021-03-03T06:49:42Z".into()),
    ));
    assert!(newer_than_neighbours(&files).is_empty());
    // Within 30 days of the median.
    let mut files = folder(dir, &OLD);
    files.push((
        format!("{dir}/new.aspx"),
        Some("2020-07-01T00:00:00Z".into()),
    ));
    assert!(newer_than_neighbours(&files).is_empty());
    // Not a script file.
    let mut files = folder(dir, &OLD);
    files.push((
        format!("{dir}/new.css"),
        Some("2021-03-03T06:49:42Z".into()),
    ));
    assert!(newer_than_neighbours(&files).is_empty());
    // No time, or an unreadable one.
    let mut files = folder(dir, &OLD);
    files.push((format!("{dir}/a.aspx"), None));
    files.push((format!("{dir}/b.aspx"), Some("yesterday".into())));
    assert!(newer_than_neighbours(&files).is_empty());
}

#[test]
fn iso_round_trip() {
    for s in [
        "1970-01-01T00:00:00Z",
        "2021-03-03T06:49:42Z",
        "2000-02-29T23:59:59Z",
    ] {
        assert_eq!(iso_from_seconds(iso_seconds(s).unwrap()), s);
    }
    assert_eq!(
        iso_seconds("2021-03-03T06:49:42.123Z"),
        iso_seconds("2021-03-03 06:49:42")
    );
    assert_eq!(iso_seconds("2021-13-03T06:49:42Z"), None);
}

// --- applicationHost.config -------------------------------------------------------

fn app_host(vdirs: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <configSections>
    <sectionGroup name="system.webServer">
      <section name="rewrite" />
    </sectionGroup>
  </configSections>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/owa" applicationPool="MSExchangeOWAAppPool">
          <virtualDirectory path="/" physicalPath="C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa" />
        </application>
        {vdirs}
      </site>
      <siteDefaults><logFile directory="%SystemDrive%\inetpub\logs\LogFiles" /></siteDefaults>
      <applicationDefaults applicationPool="DefaultAppPool" />
      <virtualDirectoryDefaults allowSubDirConfig="true" />
    </sites>
  </system.applicationHost>
</configuration>
"#
    )
}

#[test]
fn vdir_into_programdata_is_proxyshell_persistence() {
    let text = app_host(
        r#"<application path="/aspnet_client/system_web" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="C:\ProgramData\COM\" />
        </application>"#,
    );
    let v = check_application_host_config(
        "Windows/System32/inetsrv/config/applicationHost.config",
        &text,
    )
    .unwrap();
    assert_eq!(rules_of(&v), [rules::IIS_VDIR]);
    let f = &v[0];
    assert_eq!(
        (f.severity, f.kind, f.verdict),
        (
            Severity::High,
            FindingKind::Persistence,
            Verdict::Compromised
        )
    );
    assert_eq!(f.evidence["site"], "Default Web Site");
    assert_eq!(f.evidence["url_path"], "/aspnet_client/system_web");
    assert!(f.evidence["proxyshell_name"].contains("COM"));
    assert!(f.line.is_some_and(|l| l > 10));
    assert!(f.cves.contains(&"CVE-2021-34473".to_string()));
}

#[test]
fn vdir_into_users_and_other_spellings() {
    for (vdir, want) in [
        (
            r#"<virtualDirectory path="/zz" physicalPath="C:\Users\All Users\ZING" />"#,
            "all_users",
        ),
        (
            r#"<virtualDirectory path="/zz" physicalPath="c:/users/public/x" />"#,
            "physicalPath",
        ),
        (
            r#"<virtualDirectory path="/zz" physicalPath="%ProgramData%\XYZ" />"#,
            "proxyshell_name",
        ),
        (
            r#"<virtualDirectory path="/zz" physicalPath="\\localhost\C$\ProgramData\who" />"#,
            "proxyshell_name",
        ),
        (
            r#"<virtualDirectory path="/zz" physicalPath="D:\ProgramData\stuff" />"#,
            "physicalPath",
        ),
    ] {
        let text = app_host(&format!("<application path=\"/x\">{vdir}</application>"));
        let v = check_application_host_config("a", &text).unwrap();
        assert_eq!(rules_of(&v), [rules::IIS_VDIR], "{vdir}");
        assert!(
            v[0].evidence.contains_key(want),
            "{vdir}: {:?}",
            v[0].evidence
        );
    }
}

#[test]
fn ordinary_application_host_config_is_quiet() {
    let text = app_host(
        r#"<application path="/ecp" applicationPool="MSExchangeECPAppPool">
          <virtualDirectory path="/" physicalPath="%ExchangeInstallDir%FrontEnd\HttpProxy\ecp" />
        </application>
        <application path="/app"><virtualDirectory path="/" physicalPath="D:\Sites\ProgramData-Reports" /></application>"#,
    );
    assert!(check_application_host_config("a", &text)
        .unwrap()
        .is_empty());
}

#[test]
fn malformed_configuration_is_an_error_not_a_panic() {
    for bad in [
        "",
        "<configuration>",
        "<a></b>",
        "\u{feff}<configuration><site name=\"x\"></configuration>",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
    ] {
        assert!(check_application_host_config("a", bad).is_err(), "{bad}");
        assert!(check_web_config("a", bad).is_err(), "{bad}");
    }
    let e = check_web_config("a", "<a></b>").unwrap_err();
    assert!(e.to_string().starts_with("not well-formed XML: "), "{e}");
    assert_eq!(e.to_string(), e.message);
}

// --- web.config -----------------------------------------------------------------

/// The rules as EOMT and EOMTv2 write them into the Default Web Site's
/// web.config (rule names, conditions and actions from EOMT.ps1 / EOMTv2.ps1).
const EOMT_RULES: &str = r#"
        <rule name="X-BEResource Abort - inbound" stopProcessing="true">
          <match url=".*" />
          <conditions>
            <add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>
        <rule name="X-AnonResource-Backend Abort - inbound" patternSyntax="ECMAScript">
          <match url=".*" />
          <conditions>
            <add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>
        <rule name="PowerShell - inbound">
          <match url=".*" />
          <conditions>
            <add input="{UrlDecode:{REQUEST_URI}}" pattern="(?=.*autodiscover)(?=.*powershell)" />
          </conditions>
          <action type="AbortRequest" />
        </rule>"#;

/// Shaped like the stock Exchange root web.config (HealthChecker's
/// DefaultWebSite_web.config), with a rewrite section.
fn root_config(rules: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <location inheritInChildApplications="false">
    <system.webServer>
      <modules>
        <remove name="CustomErrorModule" />
        <add name="HostHeaderValidationModule" type="Microsoft.Exchange.HttpUtilities.HostHeaderValidationModule" />
      </modules>
    </system.webServer>
  </location>
  <system.webServer>
    <rewrite>
      <rules>{rules}
      </rules>
    </rewrite>
  </system.webServer>
</configuration>
"#
    )
}

#[test]
fn eomt_rules_present_give_nothing() {
    assert!(
        check_web_config("inetpub/wwwroot/web.config", &root_config(EOMT_RULES))
            .unwrap()
            .is_empty()
    );
    // Cleared and then written again in full (as IIS Manager does when rules are reordered).
    let again = format!("<clear />{EOMT_RULES}");
    assert!(check_web_config("w", &root_config(&again))
        .unwrap()
        .is_empty());
    // The Emergency Mitigation service's name for the same rule.
    let eems = EOMT_RULES.replace(
        "\"PowerShell - inbound\"",
        "\"EEMS M1.1 PowerShell - inbound\"",
    );
    assert!(check_web_config("w", &root_config(&eems))
        .unwrap()
        .is_empty());
    // No rewrite section at all.
    assert!(check_web_config("w", "<configuration/>")
        .unwrap()
        .is_empty());
}

#[test]
fn mitigation_rules_in_force_are_listed_with_their_cves() {
    let m = read_web_config("inetpub/wwwroot/web.config", &root_config(EOMT_RULES))
        .unwrap()
        .mitigations;
    let got: Vec<(&str, &str, Vec<&str>)> = m
        .iter()
        .map(|m| {
            (
                m.rule.as_str(),
                m.path.as_str(),
                m.cves.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "X-BEResource Abort - inbound",
                "inetpub/wwwroot/web.config",
                vec!["CVE-2021-26855"]
            ),
            (
                "X-AnonResource-Backend Abort - inbound",
                "inetpub/wwwroot/web.config",
                vec!["CVE-2021-26855"]
            ),
            (
                "PowerShell - inbound",
                "inetpub/wwwroot/web.config",
                vec!["CVE-2022-41040"]
            ),
        ]
    );
    // The Emergency Mitigation service's name; a location is named.
    let eems = EOMT_RULES.replace(
        "\"PowerShell - inbound\"",
        "\"EEMS M1.1 PowerShell - inbound\"",
    );
    let text = app_host("").replace(
        "</system.applicationHost>",
        &format!("</system.applicationHost><location path=\"Default Web Site\"><system.webServer><rewrite><rules>{eems}</rules></rewrite></system.webServer></location>"),
    );
    let m = read_application_host_config("a", &text)
        .unwrap()
        .mitigations;
    assert_eq!(m[2].rule, "EEMS M1.1 PowerShell - inbound");
    assert_eq!(m[2].path, "a (location Default Web Site)");
    // Disabled, changed, removed or cleared after: not in force (and a finding says so).
    for weakened in [
        EOMT_RULES.replace(
            "<rule name=\"PowerShell - inbound\"",
            "<rule name=\"PowerShell - inbound\" enabled=\"false\"",
        ),
        EOMT_RULES.replacen("AbortRequest", "None", 3),
        format!("{EOMT_RULES}<remove name=\"powershell - inbound\"/>"),
        format!("{EOMT_RULES}<clear/>"),
    ] {
        let c = read_web_config("w", &root_config(&weakened)).unwrap();
        assert!(
            c.mitigations.iter().all(|m| m.cves != ["CVE-2022-41040"]),
            "{weakened}: {:?}",
            c.mitigations
        );
        assert!(!c.findings.is_empty(), "{weakened}");
    }
    // Unrelated rules are not mitigations.
    let mine = r#"<rule name="mine"><match url="x"/><action type="AbortRequest"/></rule>"#;
    assert!(read_web_config("w", &root_config(mine))
        .unwrap()
        .mitigations
        .is_empty());
}

#[test]
fn a_child_that_overrides_a_rule_takes_its_cve_out_of_force() {
    let root = read_web_config("inetpub/wwwroot/web.config", &root_config(EOMT_RULES)).unwrap();
    let child = r#"<configuration><system.webServer><rewrite><rules>
      <remove name="PowerShell - inbound" />
    </rules></rewrite></system.webServer></configuration>"#;
    let child = read_web_config("V15/FrontEnd/HttpProxy/autodiscover/web.config", child).unwrap();
    let mut seen = root.mitigations.clone();
    // The same file seen twice (a collection and its source) counts once.
    seen.extend(root.mitigations.clone());
    let kept = mitigations_in_force(seen, &child.findings);
    let rules: Vec<&str> = kept.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "X-AnonResource-Backend Abort - inbound",
            "X-BEResource Abort - inbound"
        ]
    );
    // A <clear/> below the root names both CVEs: nothing stays in force.
    let cleared = read_web_config(
        "w",
        "<configuration><system.webServer><rewrite><rules><clear/></rules></rewrite></system.webServer></configuration>",
    )
    .unwrap();
    assert!(mitigations_in_force(root.mitigations, &cleared.findings).is_empty());
}

#[test]
fn clear_in_a_child_web_config_overrides_the_mitigation() {
    let child = r#"<configuration><system.webServer><rewrite><rules><clear/><rule name="mine"><match url="x"/><action type="None"/></rule></rules></rewrite></system.webServer></configuration>"#;
    let v = check_web_config("V15/FrontEnd/HttpProxy/autodiscover/web.config", child).unwrap();
    assert_eq!(rules_of(&v), [rules::EOMT_REMOVED]);
    let f = &v[0];
    assert_eq!(
        (f.severity, f.kind),
        (Severity::Medium, FindingKind::Config)
    );
    assert!(f.evidence["change"].contains("<clear/>"));
    assert!(f.evidence["why"].contains("removed") || f.title.contains("removed"));
    assert_eq!(f.line, Some(1));
}

#[test]
fn remove_disable_or_change_of_a_mitigation_rule() {
    let removed = r#"<configuration>
  <location path="Default Web Site/autodiscover">
    <system.webServer><rewrite><rules>
      <remove name="PowerShell - inbound" />
      <remove name="SomethingElse" />
    </rules></rewrite></system.webServer>
  </location>
</configuration>"#;
    let v = check_web_config("w", removed).unwrap();
    assert_eq!(rules_of(&v), [rules::EOMT_REMOVED]);
    assert_eq!(v[0].cves, ["CVE-2022-41040"]);
    assert_eq!(
        v[0].evidence["location_path"],
        "Default Web Site/autodiscover"
    );
    assert_eq!(v[0].line, Some(4));

    let disabled = root_config(&EOMT_RULES.replace(
        "<rule name=\"X-BEResource Abort - inbound\"",
        "<rule name=\"X-BEResource Abort - inbound\" enabled=\"false\"",
    ));
    let v = check_web_config("w", &disabled).unwrap();
    assert_eq!(rules_of(&v), [rules::EOMT_REMOVED]);
    assert_eq!(v[0].cves, ["CVE-2021-26855"]);
    assert!(v[0].evidence["change"].contains("disabled"));

    let changed = root_config(&EOMT_RULES.replacen("AbortRequest", "None", 1));
    let v = check_web_config("w", &changed).unwrap();
    assert!(v[0].evidence["change"].contains("to None"));
}

#[test]
fn unrelated_removes_and_clears_elsewhere_are_quiet() {
    // <remove>/<clear/> of modules, handlers and outbound rules are everyday configuration.
    let text = r#"<configuration><system.webServer>
      <modules><clear/><remove name="PowerShell - inbound"/></modules>
      <handlers><clear/></handlers>
      <rewrite><outboundRules><clear/></outboundRules><rules><remove name="my own rule"/></rules></rewrite>
    </system.webServer></configuration>"#;
    assert!(check_web_config("w", text).unwrap().is_empty());
}

#[test]
fn application_host_config_rewrite_sections_are_checked_too() {
    let text = app_host("").replace(
        "</system.applicationHost>",
        "</system.applicationHost><location path=\"Default Web Site/owa\"><system.webServer><rewrite><rules><clear/></rules></rewrite></system.webServer></location>",
    );
    let v = check_application_host_config("a", &text).unwrap();
    assert_eq!(rules_of(&v), [rules::EOMT_REMOVED]);
}
