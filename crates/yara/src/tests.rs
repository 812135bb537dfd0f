use super::*;

const CHOPPER: &str = r#"<%@ Page Language="Jscript"%><%eval(Request.Item["x"],"unsafe");%>"#;

fn rules_from(srcs: &[(&str, &str)]) -> YaraRules {
    let mut b = YaraRulesBuilder::new();
    for (origin, text) in srcs {
        b.add_source(text.as_bytes(), origin);
    }
    b.build()
}

#[test]
fn a_broken_file_is_reported_and_the_others_load() {
    let r = rules_from(&[
        (
            "good.yar",
            "rule a { strings: $a = \"eval(\" condition: $a }",
        ),
        ("bad.yar", "rule b { condition: nonsense_identifier }"),
        ("good2.yar", "rule a { condition: filesize > 3 }"),
    ]);
    let loads = r.loads();
    assert_eq!(loads.len(), 3);
    assert!(loads[0].is_loaded() && loads[2].is_loaded(), "{loads:?}");
    assert!(!loads[1].is_loaded());
    assert!(
        loads[1].errors[0].contains("nonsense_identifier"),
        "{:?}",
        loads[1].errors
    );
    // The same identifier in two files loads twice (one namespace each).
    assert_eq!(r.len(), 2);
    let mut s = FileScanner::new(&r, Duration::from_secs(5));
    let hits = s
        .scan(
            CHOPPER.as_bytes(),
            FileInfo {
                name: "x.aspx",
                path: "a/x.aspx",
            },
        )
        .unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].origin, "good.yar");
    assert_eq!(hits[1].origin, "good2.yar");
    assert_eq!(hits[0].strings[0].offset, CHOPPER.find("eval(").unwrap());
}

#[test]
fn globals_are_set_per_file() {
    let r = rules_from(&[(
        "g.yar",
        r#"rule in_client { condition: extension == "aspx" and filepath contains "aspnet_client/" and filename == "x.aspx" }"#,
    )]);
    let mut s = FileScanner::new(&r, Duration::from_secs(5));
    let on = |s: &mut FileScanner<'_>, name, path| {
        s.scan(b"abc", FileInfo { name, path }).unwrap().len()
    };
    assert_eq!(
        on(&mut s, "x.aspx", "inetpub/wwwroot/aspnet_client/x.aspx"),
        1
    );
    assert_eq!(on(&mut s, "x.aspx", "inetpub/wwwroot/x.aspx"), 0);
    assert_eq!(
        on(
            &mut s,
            "x.aspx.bak",
            "inetpub/wwwroot/aspnet_client/x.aspx.bak"
        ),
        0
    );
    // The globals of the previous file do not leak into the next.
    assert_eq!(
        on(&mut s, "x.aspx", "inetpub/wwwroot/aspnet_client/x.aspx"),
        1
    );
}

#[test]
fn signature_base_style_externals_compile() {
    let r = rules_from(&[(
        "ext.yar",
        r#"rule t { condition: filetype == "" and owner == "" and filename matches /\.aspx$/ }"#,
    )]);
    assert!(r.loads()[0].is_loaded(), "{:?}", r.loads());
}

#[test]
fn findings_from_our_meta_and_from_a_users_score() {
    let r = rules_from(&[(
        "m.yar",
        r#"
rule ours { meta: exhunt_rule = "webshell-x" title = "T" kind = "webshell" verdict = "compromised" severity = "critical" source = "S" cves = "CVE-2021-26855, CVE-2021-27065"
  strings: $a = "eval(" condition: $a }
rule theirs_high { meta: description = "D" score = 80 author = "A" condition: true }
rule theirs_susp { meta: score = 60 condition: true }
rule theirs_plain { condition: true }
"#,
    )]);
    let mut s = FileScanner::new(&r, Duration::from_secs(5));
    let hits = s
        .scan(
            CHOPPER.as_bytes(),
            FileInfo {
                name: "x.aspx",
                path: "x.aspx",
            },
        )
        .unwrap();
    let f: Vec<Finding> = hits.iter().map(|h| hit_finding(h, "x.aspx")).collect();
    assert_eq!(f[0].rule, "webshell-x");
    assert_eq!(f[0].severity, Severity::Critical);
    assert_eq!(f[0].cves, vec!["CVE-2021-26855", "CVE-2021-27065"]);
    assert_eq!(f[0].source, "S");
    assert!(
        f[0].evidence["matched"].starts_with("$a@"),
        "{:?}",
        f[0].evidence
    );
    assert_eq!(f[1].rule, "yara:theirs_high");
    assert_eq!(
        (f[1].severity, f[1].verdict),
        (Severity::High, Verdict::Compromised)
    );
    assert!(
        f[1].source.contains("by A") && f[1].source.contains("m.yar"),
        "{}",
        f[1].source
    );
    assert_eq!(f[2].severity, Severity::Info);
    assert_eq!(f[2].escalate_to, Some(Severity::Medium));
    assert_eq!(f[3].severity, Severity::High);
}

#[test]
fn unreadable_and_missing_paths() {
    let mut b = YaraRulesBuilder::new();
    assert!(b.add_path(Path::new("/nonexistent/rules")).is_err());
    let dir = std::env::temp_dir().join(format!("exhunt-yara-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.yar"), "rule a { condition: true }").unwrap();
    std::fs::write(dir.join("b.YARA"), "rule b { condition: true }").unwrap();
    std::fs::write(dir.join("notes.txt"), "not a rule").unwrap();
    assert_eq!(b.add_path(&dir).unwrap(), 2);
    let r = b.build();
    assert_eq!(r.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_slow_rule_times_out_instead_of_hanging() {
    let r = rules_from(&[(
        "slow.yar",
        "rule slow { condition: for all i in (0..filesize) : (for all j in (0..filesize) : (uint8(i) != 0xff or uint8(j) != 0xfe)) }",
    )]);
    assert!(r.loads()[0].is_loaded(), "{:?}", r.loads());
    let mut s = FileScanner::new(&r, Duration::from_secs(1));
    let data = vec![0u8; 1 << 20];
    let t = std::time::Instant::now();
    let e = s.scan(
        &data,
        FileInfo {
            name: "a",
            path: "a",
        },
    );
    assert!(matches!(e, Err(YaraError::Timeout(_))), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
}
