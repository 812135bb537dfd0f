//! Unit tests of the indicator set: the bundled data, every list format,
//! malformed input, path matching and the regex pre-filter.

use super::paths::path_key;
use super::regexes::{prefilter_literal, rewrite_drive_anchor, syntax_parser};
use super::*;
use std::path::Path;

/// The 8 SHA-256 of Microsoft's HAFNIUM blog (2021-03-02), as in
/// scs-labs-hafnium/hashes.txt and signature-base's hash-iocs.txt.
const BLOG: [&str; 8] = [
    "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0",
    "097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e",
    "2b6f1ebb2208e93ade4a6424555d6a8341fd6d9f60c25e44afe11008f5c1aad1",
    "65149e036fff06026d80ac9ad4d156332822dc93142cf1a122b1841ec8de34b5",
    "511df0e2df9bfa5521b588cc4bb5f8c5a321801b803394ebc493db1ef3c78fa1",
    "4edc7770464a14f54d17f36dc9d0fe854f68b346b27b35a6f5839adf1f13f8ea",
    "811157f9c7003ba8d17b45eb3cf09bef2cecd2701cedb675274949296a6a183d",
    "1631a90eb5395c4e19c7dbcbf611bbe6444ff312eb7937e286e4637cb9e72944",
];

const V15: &str = "Program Files/Microsoft/Exchange Server/V15/";

fn from(text: &str) -> (FileIocs, Vec<String>, usize) {
    let mut b = FileIocsBuilder::new();
    let n = b.add_text("user.txt", text).expect("accepted");
    let w = b.warnings().to_vec();
    (b.build().expect("builds"), w, n)
}

fn kinds(v: &[&PathIoc]) -> Vec<PathIocKind> {
    v.iter().map(|i| i.kind).collect()
}

fn patterns(iocs: &FileIocs, path: &str) -> Vec<String> {
    iocs.path(path).iter().map(|i| i.pattern.clone()).collect()
}

// --- bundled data -------------------------------------------------

#[test]
fn iocs_bundled_loads_without_warnings() {
    let b = FileIocsBuilder::new().bundled();
    assert_eq!(b.warnings(), &[] as &[String]);
    let iocs = b.build().unwrap();
    let c = iocs.counts();
    assert_eq!(
        c,
        IocCounts {
            sha256: 17,
            sha1: 0,
            md5: 0,
            path: 42,
            name: 18,
            regex: 93,
        }
    );
    // Every bundled regex has a literal: the pre-filter is on.
    assert!(iocs.regexes.prefilter.is_some());
    assert!(!FileIocs::bundled().is_empty());
}

#[test]
fn iocs_bundled_has_the_eight_hafnium_blog_hashes() {
    let iocs = FileIocs::bundled();
    for h in BLOG {
        let ioc = iocs.hash(h).unwrap_or_else(|| panic!("{h} missing"));
        assert_eq!(ioc.name, "HAFNIUM web shell");
        assert!(ioc.source.contains("SCS-Labs HAFNIUM list"), "{ioc:?}");
        assert!(ioc.source.contains("signature-base"), "{ioc:?}");
        assert!(iocs.hash(&h.to_ascii_uppercase()).is_some());
    }
    // Found in all three lists: one row, three sources.
    let b75 = iocs.hash(BLOG[0]).unwrap();
    assert_eq!(b75.source.split(';').count(), 3, "{b75:?}");
    // MSTIC-only hashes are there too.
    let m = iocs
        .hash("8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc")
        .unwrap();
    assert_eq!(m.source, "MSTIC Azure-Sentinel feed");
    assert!(m.note.contains("FirstSeen 2021-03-05"), "{m:?}");
    assert!(iocs.hash(&"0".repeat(64)).is_none());
    assert!(iocs.hash("not hex").is_none());
}

#[test]
fn iocs_bundled_sources_keep_the_drl_attribution() {
    for i in FileIocs::bundled().path_iocs() {
        if i.kind == PathIocKind::Regex {
            assert!(
                i.source
                    .starts_with("signature-base by Florian Roth (DRL 1.1)"),
                "{i:?}"
            );
        }
    }
}

// --- formats ------------------------------------------------------

#[test]
fn iocs_reads_our_hash_csv() {
    let (iocs, w, n) = from(
        "# comment\nsha256,name,source,note\n\
         B75F163CA9B9240BF4B37AD92BC7556B40A17E27C2B8ED5C8991385FE07D17D0,shell,\"a;b\",\"x, y\"\n\
         d41d8cd98f00b204e9800998ecf8427e,empty,,md5 here\n",
    );
    assert_eq!((n, w.len()), (2, 0), "{w:?}");
    let h = iocs.hash(BLOG[0]).unwrap();
    assert_eq!((h.name.as_str(), h.source.as_str()), ("shell", "a;b"));
    assert_eq!(h.note, "x, y");
    let m = iocs.md5("d41d8cd98f00b204e9800998ecf8427e").unwrap();
    assert_eq!(m.source, "user.txt");
    assert_eq!(iocs.counts().md5, 1);
    assert!(iocs.has_weak_hashes());
}

#[test]
fn iocs_reads_our_path_csv() {
    let (iocs, w, n) = from(
        "pattern,kind,score,source\n\
         C:\\inetpub\\wwwroot\\aspnet_client\\evil.aspx,path,90,me\n\
         evil2.aspx,name,,\n\
         \"\\\\Windows\\\\Temp\\\\[a-z]{1,3}\\.exe$\",regex,60,them\n",
    );
    assert_eq!((n, w.len()), (3, 0), "{w:?}");
    assert_eq!(
        iocs.counts(),
        IocCounts {
            path: 1,
            name: 1,
            regex: 1,
            ..IocCounts::default()
        }
    );
    let p = iocs.path("inetpub/wwwroot/aspnet_client/evil.aspx");
    assert_eq!(kinds(&p), [PathIocKind::Path]);
    assert_eq!((p[0].score, p[0].source.as_str()), (90, "me"));
    let p = iocs.path("inetpub/wwwroot/aspnet_client/Evil2.aspx");
    assert_eq!((p[0].kind, p[0].score), (PathIocKind::Name, DEFAULT_SCORE));
    assert_eq!(p[0].source, "user.txt");
    assert_eq!(iocs.path("Windows/Temp/ab.exe")[0].score, 60);
    assert!(iocs.path("Windows/Temp/abcd.exe").is_empty());
}

#[test]
fn iocs_reads_the_mstic_feed_and_reports_unsupported_types() {
    let (iocs, w, n) = from(
        "DateAdded,FirstSeen,Indicator,IndicatorType,TLP\n\
         2021-03-10,2021-03-05T10:07:29Z,8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc,sha256,White\n\
         2021-03-09,,C:\\inetpub\\wwwroot\\aspnet_client\\shell.aspx,filepath,White\n\
         2021-03-09,,103.77.192.219,ipv4,White\n\
         2021-03-09,,104.140.114.110,ipv4,White\n\
         2021-03-09,,evil.example,domain,White\n",
    );
    assert_eq!(n, 2);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("3 indicator(s)"), "{w:?}");
    assert!(
        w[0].contains("ipv4: 2") && w[0].contains("domain: 1"),
        "{w:?}"
    );
    let h = iocs
        .hash("8e90ed33c7ee82c0b64078ea36ec95f7420ba435c693b3b3dd728b494abf7dfc")
        .unwrap();
    assert!(h.note.contains("DateAdded 2021-03-10"), "{h:?}");
    let p = iocs.path("inetpub/wwwroot/aspnet_client/shell.aspx");
    assert_eq!(p[0].score, MSTIC_PATH_SCORE);
}

#[test]
fn iocs_reads_signature_base_hash_and_filename_lines() {
    let (iocs, w, n) = from(
        "# HAFNIUM\n\
         b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0;HAFNIUM Webshells - Exchange Exploitation\n\
         \n\
         \\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\\"]{1,20}\\.aspx;90\n\
         \\\\Windows\\\\Temp\\\\cw\\.exe$;75\n\
         \\\\Temp\\\\[a-z]\\.exe;60;\\\\Temp\\\\x\\.exe\n\
         \\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\[^\\\\\"]{1,20}\\.aspx;95\n",
    );
    assert_eq!((n, w.len()), (5, 0), "{w:?}");
    assert_eq!(
        iocs.hash(BLOG[0]).unwrap().note,
        "HAFNIUM Webshells - Exchange Exploitation"
    );
    // The duplicate regex merged, highest score kept.
    assert_eq!(iocs.counts().regex, 3);
    let p = iocs.path("inetpub/wwwroot/aspnet_client/a.aspx");
    assert_eq!((p.len(), p[0].score), (1, 95));
    assert_eq!(iocs.path("Windows/Temp/cw.exe").len(), 1);
    assert!(iocs.path("Windows/Temp/cw.exe.bak").is_empty());
    // The third field is signature-base's false-positive regex.
    assert_eq!(iocs.path("Temp/y.exe").len(), 1);
    assert!(iocs.path("Temp/x.exe").is_empty());
}

/// A source list under shared/testdata-public, when that folder is laid
/// beside the repository (as the generator expects); `None` otherwise.
fn shared(rel: &str) -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata-public")
        .join(rel);
    let text = std::fs::read_to_string(&p).ok();
    if text.is_none() {
        eprintln!("{} not present; skipped", p.display());
    }
    text
}

/// The real source lists load in their own formats, without warnings,
/// and everything in them is in the bundled data (read independently of
/// scripts/derive-iocs.py).
#[test]
fn iocs_reads_the_real_source_lists_when_present() {
    let bundled = FileIocs::bundled();
    let sources = [
        ("mstic-azure-sentinel-feed/MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.at-03ba89f6.csv", 61, 14, 42, 0),
        ("signature-base/hash-iocs.exchange-subset.txt", 8, 8, 0, 0),
        ("signature-base/filename-iocs.exchange-subset.txt", 99, 0, 0, 93),
        ("scs-labs-hafnium/hashes.txt", 8, 8, 0, 0),
        ("scs-labs-hafnium/webshell_names.txt", 14, 0, 0, 0),
    ];
    for (rel, lines, sha256, path, regex) in sources {
        let Some(text) = shared(rel) else { continue };
        let (iocs, w, n) = from(&text);
        assert_eq!(w, [] as [String; 0], "{rel}");
        assert_eq!(n, lines, "{rel}");
        let c = iocs.counts();
        assert_eq!((c.sha256, c.path, c.regex), (sha256, path, regex), "{rel}");
        for h in iocs.hashes.sha256.keys() {
            let hex = exhunt_core::hex(h);
            assert!(bundled.hash(&hex).is_some(), "{rel}: {hex}");
        }
        for i in iocs.path_iocs() {
            assert!(
                bundled
                    .path_iocs()
                    .iter()
                    .any(|b| b.kind == i.kind && b.pattern.eq_ignore_ascii_case(&i.pattern)),
                "{rel}: {i:?}"
            );
        }
    }
}

#[test]
fn iocs_reads_a_plain_list_of_hashes_by_type() {
    let (iocs, w, n) = from(
        "d41d8cd98f00b204e9800998ecf8427e\n\
         DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
         b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0  web/shell.aspx\n\
         097549cf7d0f76f0d99edf8b2d91c60977fd6a96e4b8c3c94b0b1733dc026d3e *bin.aspx\n",
    );
    assert_eq!((n, w.len()), (5, 0), "{w:?}");
    let c = iocs.counts();
    assert_eq!((c.md5, c.sha1, c.sha256), (1, 1, 3));
    assert!(iocs.md5("D41D8CD98F00B204E9800998ECF8427E").is_some());
    assert!(iocs
        .sha1("da39a3ee5e6b4b0d3255bfef95601890afd80709")
        .is_some());
    assert_eq!(iocs.hash(BLOG[0]).unwrap().name, "web/shell.aspx");
    assert_eq!(iocs.hash(BLOG[1]).unwrap().name, "bin.aspx");
    assert_eq!(iocs.hash(BLOG[1]).unwrap().describe(), "bin.aspx");
}

#[test]
fn iocs_reads_a_plain_list_of_names_and_paths() {
    let names = "web.aspx\nhelp.aspx\naspnet\\_www.aspx\naspnet\\_client.aspx\n";
    let (iocs, w, n) = from(names);
    // The list is markdown: `aspnet\_www.aspx` is `aspnet_www.aspx`.
    assert_eq!((n, w.len()), (4, 0), "{w:?}");
    assert_eq!(iocs.counts().name, 4);
    assert_eq!(
        kinds(&iocs.path("inetpub/wwwroot/aspnet_client/aspnet_www.aspx")),
        [PathIocKind::Name]
    );
    let (iocs2, w, n) = from(
        "shell2.aspx\n\
         %PROGRAMFILES%\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x1.aspx\n\
         D:\\Exchange\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\y1.aspx\n\
         \\Users\\Public\\tool.exe\n",
    );
    assert_eq!((n, w.len()), (4, 0), "{w:?}");
    assert_eq!(
        kinds(&iocs2.path("inetpub/wwwroot/aspnet_client/shell2.aspx")),
        [PathIocKind::Name]
    );
    assert_eq!(
        iocs2
            .path(&format!("{V15}FrontEnd/HttpProxy/owa/auth/x1.aspx"))
            .len(),
        1
    );
    assert_eq!(iocs2.path("FrontEnd/HttpProxy/ecp/auth/y1.aspx").len(), 1);
    assert_eq!(iocs2.path("mnt/c/users/public/TOOL.EXE").len(), 1);
    assert!(iocs2.path("users/public/x/tool.exe").is_empty());
    assert!(iocs.path("inetpub/wwwroot/aspnet_client/help.aspx").len() == 1);
}

#[test]
fn iocs_reads_utf16_files_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("exhunt-iocs-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("list.txt");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "shell9.aspx\r\nbad line\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(&f, bytes).unwrap();
    let mut b = FileIocsBuilder::new();
    assert_eq!(b.add_file(&f).unwrap(), 1);
    assert_eq!(b.warnings().len(), 1);
    assert!(
        b.warnings()[0].starts_with(&format!("{}:2: ", f.display())),
        "{:?}",
        b.warnings()
    );
    let missing = dir.join("missing.txt");
    let e = b.add_file(&missing).unwrap_err();
    assert!(matches!(e, IocError::Read { .. }), "{e:?}");
    assert_eq!(e.origin(), Some(missing.display().to_string().as_str()));
    std::fs::write(&f, [0xC3u8, 0x28]).unwrap();
    assert!(matches!(b.add_file(&f), Err(IocError::Read { .. })));
    std::fs::remove_dir_all(&dir).unwrap();
}

// --- malformed input ------------------------------------------------

#[test]
fn iocs_malformed_lines_warn_and_keep_the_rest() {
    let (iocs, w, n) = from(
        "shell.aspx\n\
         b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d1\n\
         \\\\inetpub\\\\(unclosed;80\n\
         \\\\inetpub\\\\x\\.aspx;high\n\
         \\\\inetpub\\\\y\\.aspx;-20\n\
         C:\\inetpub\\wwwroot\\aspnet_client\\\n\
         C:\\inetpub\\*.aspx\n\
         no extension\n\
         b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\n",
    );
    assert_eq!(n, 2);
    assert_eq!(iocs.counts().total(), 2);
    let lines: Vec<&str> = w.iter().map(|w| w.split(": ").next().unwrap()).collect();
    assert_eq!(
        lines,
        [
            "user.txt:2",
            "user.txt:3",
            "user.txt:4",
            "user.txt:5",
            "user.txt:6",
            "user.txt:7",
            "user.txt:8"
        ],
        "{w:#?}"
    );
    assert!(w[0].contains("61 hex digits"), "{w:?}");
    assert!(w[1].contains("bad regex"), "{w:?}");
    assert!(w[3].contains("negative score"), "{w:?}");
    assert!(w[4].contains("a folder"), "{w:?}");
    assert!(w[5].contains("wildcards"), "{w:?}");

    let mut b = FileIocsBuilder::new();
    b.add_text(
        "ours.csv",
        "pattern,kind,score,source\nx.aspx,glob,1,\nx.aspx,name,abc,\ny.aspx,name,50,\n",
    )
    .unwrap();
    assert_eq!(b.warnings().len(), 2, "{:?}", b.warnings());
    assert!(
        b.warnings()[0].starts_with("ours.csv:2: kind \"glob\""),
        "{:?}",
        b.warnings()
    );
    assert!(
        b.warnings()[1].starts_with("ours.csv:3: score"),
        "{:?}",
        b.warnings()
    );
    b.add_text("h.csv", "sha256,name,source,note\nxyz,a,b,c\n# c\n\n00,a\n")
        .unwrap_err();
}

/// MSTIC's later feed lists the stock `ecp\\auth\\TimeoutLogout.aspx`: as
/// a path (or a name) it would flag every server.
#[test]
fn iocs_path_and_name_iocs_naming_stock_files_are_skipped() {
    let (iocs, w, n) = from(
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\TimeoutLogout.aspx\n\
         logon.aspx\n\
         errorFE.aspx\n\
         C:\\inetpub\\wwwroot\\aspnet_client\\logon.aspx\n",
    );
    assert_eq!(n, 1, "{w:?}");
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w.iter().all(|w| w.contains("Exchange ships")), "{w:?}");
    assert!(iocs
        .path("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx")
        .is_empty());
    assert_eq!(
        iocs.path("inetpub/wwwroot/aspnet_client/logon.aspx").len(),
        1
    );
}

#[test]
fn iocs_a_file_with_nothing_usable_is_refused() {
    let mut b = FileIocsBuilder::new();
    b.add_text("good.txt", "shell.aspx\n").unwrap();
    let e = b
        .add_text("junk.txt", "# header\n\nhello world\nfoo;bar\n")
        .unwrap_err();
    assert_eq!((e.origin(), e.line()), (Some("junk.txt"), Some(3)));
    assert!(e.to_string().starts_with("junk.txt:3: "), "{e}");
    // The refused file's line warnings go with it.
    assert_eq!(b.warnings(), &[] as &[String]);
    let e = b
        .add_text("ips.csv", "ip,campaign,source\n5.2.69.14,x,y\n")
        .unwrap_err();
    assert!(matches!(e, IocError::Format { .. }), "{e:?}");
    assert_eq!(b.add_text("empty.txt", "# nothing\n\n").unwrap(), 0);
    assert_eq!(b.warnings().len(), 1);
    assert_eq!(b.build().unwrap().counts().name, 1);
}

#[test]
fn iocs_duplicates_merge_their_sources() {
    let mut b = FileIocsBuilder::new().bundled();
    b.add_text("mine.txt", &format!("{}\nshell.aspx\n", BLOG[0]))
        .unwrap();
    let iocs = b.build().unwrap();
    assert_eq!(iocs.counts().sha256, 17);
    assert!(iocs.hash(BLOG[0]).unwrap().source.ends_with(";mine.txt"));
    let names: Vec<&PathIoc> = iocs
        .path_iocs()
        .iter()
        .filter(|i| i.pattern.eq_ignore_ascii_case("shell.aspx"))
        .collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].source.ends_with(";mine.txt"), "{names:?}");
}

// --- path matching ----------------------------------------------------

#[test]
fn iocs_path_matches_v15_relative_drive_relative_and_mounted_layouts() {
    let iocs = FileIocs::bundled();
    let rel = "FrontEnd/HttpProxy/owa/auth/bob.aspx";
    for p in [
        rel.to_string(),
        format!("{V15}{rel}"),
        format!("mnt/image/{V15}{rel}"),
        format!("C/{V15}{rel}"),
        format!("C:/{V15}{rel}"),
        format!("C:\\{}", format!("{V15}{rel}").replace('/', "\\")),
        format!("/{}", format!("{V15}{rel}").to_uppercase()),
        format!("D/Exchange/{rel}"),
    ] {
        let m = iocs.path(&p);
        assert!(
            m.iter().any(
                |i| i.kind == PathIocKind::Path && i.pattern.ends_with("\\owa\\auth\\bob.aspx")
            ),
            "{p}: {m:?}"
        );
        // signature-base's regex for the same MSTIC path fires as well.
        assert!(m.iter().any(|i| i.kind == PathIocKind::Regex), "{p}: {m:?}");
    }
    for p in [
        "inetpub/wwwroot/aspnet_client/system_web/log.aspx",
        "INETPUB/WWWROOT/ASPNET_CLIENT/SYSTEM_WEB/LOG.ASPX",
        "mnt/c/inetpub/wwwroot/aspnet_client/system_web/log.aspx",
    ] {
        assert!(kinds(&iocs.path(p)).contains(&PathIocKind::Path), "{p}");
    }
    // Same name elsewhere: not the MSTIC path.
    assert!(!kinds(&iocs.path("FrontEnd/HttpProxy/ecp/bob.aspx")).contains(&PathIocKind::Path));
    assert!(
        !kinds(&iocs.path("inetpub/wwwroot/aspnet_client/x/log.aspx")).contains(&PathIocKind::Path)
    );
    assert!(iocs
        .path("FrontEnd/HttpProxy/owa/auth/notbob.aspx")
        .is_empty());
    // Highest score first.
    let m = iocs.path("inetpub/wwwroot/aspnet_client/shell.aspx");
    assert!(m.windows(2).all(|w| w[0].score >= w[1].score), "{m:?}");
    assert_eq!(
        {
            let mut k = kinds(&m);
            k.sort();
            k.dedup();
            k
        },
        [PathIocKind::Path, PathIocKind::Name, PathIocKind::Regex]
    );
}

#[test]
fn iocs_regex_iocs_match_windows_paths() {
    let iocs = FileIocs::bundled();
    let hits = |p: &str| patterns(iocs, p);
    // Volexity's aspnet_client patterns (any .aspx one or two levels down).
    assert!(hits("inetpub/wwwroot/aspnet_client/anything.aspx")
        .contains(&r#"\\inetpub\\wwwroot\\aspnet_client\\[^\\"]{1,20}\.aspx"#.to_string()));
    assert!(
        hits("inetpub/wwwroot/aspnet_client/system_web/zz.aspx").contains(
            &r#"\\inetpub\\wwwroot\\aspnet_client\\[^\\"]{1,20}\\[^\\"]{1,20}\.aspx"#.to_string()
        )
    );
    // ecp\auth: anything not starting with T (TimeoutLogout.aspx is stock).
    assert_eq!(
        hits("FrontEnd/HttpProxy/ecp/auth/x.aspx"),
        [r"\\FrontEnd\\HttpProxy\\ecp\\auth\\[^T]"]
    );
    assert!(hits("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx").is_empty());
    // End-anchored.
    assert_eq!(hits("Windows/Temp/cw.exe"), [r"\\Windows\\Temp\\cw\.exe$"]);
    // Drive-anchored patterns: at the root of the input or under a drive folder.
    let mscoree = r"C:\\mscoree\.dll".to_string();
    assert!(hits("mscoree.dll").contains(&mscoree));
    assert!(hits("C:/mscoree.dll").contains(&mscoree));
    assert!(hits("C/mscoree.dll").contains(&mscoree));
    assert!(!hits("Windows/System32/mscoree.dll").contains(&mscoree));
    assert!(hits("Windows/System32/mscoree.dll").is_empty());
    assert_eq!(
        hits("ProgramData/COM1/abc.aspx"),
        [r"C:\\ProgramData\\COM1\\[^\.]{1,40}\.aspx"]
    );
    assert!(hits("Windows/Help/mui/0109/mscoree.dll")
        .contains(&r"C:\\Windows\\Help\\mui\\0109\\mscoree\.dll".to_string()));
    assert!(hits("data/ProgramData/COM1/abc.aspx").is_empty());
}

#[test]
fn iocs_name_iocs_match_only_in_web_folders() {
    let iocs = FileIocs::bundled();
    let has_name = |p: &str| kinds(&iocs.path(p)).contains(&PathIocKind::Name);
    for p in [
        "inetpub/wwwroot/aspnet_client/help.aspx",
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/Help.aspx",
        "inetpub/wwwroot/help.aspx",
        "FrontEnd/HttpProxy/owa/auth/help.aspx",
        "FrontEnd/HttpProxy/owa/auth/Current/help.aspx",
        "FrontEnd/HttpProxy/ecp/auth/help.aspx",
        "ClientAccess/owa/auth/web.aspx",
        "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/HealthCheck.aspx",
        "inetpub/wwwroot/OutlookEN.aspx",
    ] {
        assert!(has_name(p), "{p}");
    }
    for p in [
        "Windows/System32/help.aspx",
        "Program Files/Some App/web.aspx",
        "inetpub/wwwroot/site/help.aspx",
        "FrontEnd/HttpProxy/owa/help.aspx",
        "ClientAccess/ecp/help.aspx",
        "ClientAccess/Owa/client.aspx",
        "FrontEnd/HttpProxy/oab/document.aspx",
    ] {
        assert!(iocs.path(p).is_empty(), "{p}: {:?}", iocs.path(p));
    }
}

/// Every file Exchange 2013–2019 ships in its web folders (the bundled
/// baseline), and the stock non-script resources of the folders the
/// regexes watch, in three layouts: no bundled indicator may fire.
///
/// Checked upstream behaviour: signature-base's
/// `\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\"]{1,20}\.aspx`
/// fires on an `.aspx` directly in a `owa\auth\<build>` folder, and no
/// build ships one there (the stock files below it are themes, scripts
/// and images, in subfolders); the `Current\themes\resources` and
/// `aspnet_client` patterns likewise need an `.aspx` where none is
/// stock. So no upstream pattern had to be dropped.
#[test]
fn iocs_no_bundled_ioc_matches_a_stock_exchange_file() {
    let iocs = FileIocs::bundled();
    let baseline = include_str!("../../../../rules/exchange-web-baseline.tsv");
    let mut paths: Vec<String> = baseline
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('@') && !l.is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    paths.dedup();
    assert!(paths.len() > 1000);
    for stock in [
        "logon.aspx",
        "logoff.aspx",
        "errorFE.aspx",
        "expiredpassword.aspx",
        "frowny.aspx",
        "RedirSuiteServiceProxy.aspx",
        "signout.aspx",
        "OutlookCN.aspx",
        "SvmFeedback.aspx",
        "15.1.2106/themes/resources/logon.css",
        "15.1.2106/themes/resources/favicon.ico",
        "15.1.2106/scripts/premium/flogon.js",
        "15.2.858/themes/resources/owa_text_blue.png",
        "Current/themes/resources/logon.css",
        "Current/scripts/premium/flogon.js",
    ] {
        assert!(
            paths
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&format!("frontend/httpproxy/owa/auth/{stock}")))
                || stock.contains('/'),
            "{stock} is not in the baseline"
        );
        paths.push(format!("FrontEnd/HttpProxy/owa/auth/{stock}"));
    }
    paths.push("FrontEnd/HttpProxy/ecp/auth/TimeoutLogout.aspx".into());
    for iis in [
        "inetpub/wwwroot/iisstart.htm",
        "inetpub/wwwroot/iisstart.png",
        "inetpub/wwwroot/aspnet_client/system_web/4_0_30319/WebUIValidation.js",
    ] {
        paths.push(iis.into());
    }
    let mut fired = Vec::new();
    for p in &paths {
        let layouts = if p.starts_with("inetpub") {
            vec![p.clone(), format!("mnt/c/{p}")]
        } else {
            vec![p.clone(), format!("{V15}{p}"), format!("mnt/c/{V15}{p}")]
        };
        for l in layouts {
            let m = iocs.path(&l);
            if !m.is_empty() {
                fired.push(format!("{l}: {:?}", patterns(iocs, &l)));
            }
        }
    }
    assert!(fired.is_empty(), "{fired:#?}");
    // The upstream version-folder pattern does fire on a script there.
    assert_eq!(
        patterns(iocs, "FrontEnd/HttpProxy/owa/auth/15.1.2106/x.aspx"),
        [r#"\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\"]{1,20}\.aspx"#]
    );
}

// --- internals ----------------------------------------------------------

#[test]
fn iocs_prefilter_literals_and_fallback() {
    let lit = |p: &str| {
        prefilter_literal(&syntax_parser().parse(&rewrite_drive_anchor(p)).unwrap())
            .map(|l| String::from_utf8(l).unwrap())
    };
    assert_eq!(
        lit(r"\\FrontEnd\\HttpProxy\\owa\\auth\\[0-9\.]{6,12}\\[^\\]{1,20}\.aspx").as_deref(),
        Some("frontend/httpproxy/owa/auth/")
    );
    assert_eq!(lit(r"C:\\mscoree\.dll").as_deref(), Some("mscoree.dll"));
    assert_eq!(lit(r"(a|b)\.x"), None);
    // A regex without a literal turns the pre-filter off and still matches.
    let (iocs, w, _) = from("[a-z]{2}\\d;50\nshell.aspx\n");
    assert!(w.is_empty(), "{w:?}");
    assert!(iocs.regexes.prefilter.is_none());
    assert_eq!(iocs.path("x/ab1").len(), 1);
    // Backslash input goes through the same pre-filter.
    let (iocs, _, _) = from("\\\\Temp\\\\zz\\.exe;50\n");
    assert!(iocs.regexes.prefilter.is_some());
    assert_eq!(iocs.path("C:\\Temp\\ZZ.exe").len(), 1);
    assert_eq!(iocs.path("Temp/zz.exe").len(), 1);
}

#[test]
fn iocs_path_keys() {
    assert_eq!(
        path_key(
            r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\bob.aspx"
        )
        .unwrap(),
        "frontend/httpproxy/owa/auth/bob.aspx"
    );
    assert_eq!(
        path_key(r"%ExchangeInstallPath%FrontEnd\HttpProxy\owa\auth\a.aspx").unwrap(),
        "frontend/httpproxy/owa/auth/a.aspx"
    );
    assert_eq!(
        path_key(r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\x.dll").unwrap(),
        "bin/x.dll"
    );
    assert_eq!(
        path_key(r"C:\inetpub\wwwroot\aspnet_client\s.aspx").unwrap(),
        "inetpub/wwwroot/aspnet_client/s.aspx"
    );
    assert_eq!(
        path_key(r"C:\users\public\opera\opera_browser.exe").unwrap(),
        "users/public/opera/opera_browser.exe"
    );
}

#[test]
fn iocs_errors_say_file_line_and_message() {
    let s = |v: &str| v.to_string();
    let read = IocError::Read {
        origin: s("a.txt"),
        message: s("m"),
    };
    let format = IocError::Format {
        origin: s("a.txt"),
        message: s("m"),
    };
    let line = IocError::Line {
        origin: s("a.txt"),
        line: 7,
        message: s("m"),
    };
    let compile = IocError::Compile { message: s("m") };
    assert_eq!(read.to_string(), "a.txt: m");
    assert_eq!(format.to_string(), "a.txt: m");
    assert_eq!(line.to_string(), "a.txt:7: m");
    assert_eq!(compile.to_string(), "indicator regexes: m");
    assert_eq!((line.origin(), line.line()), (Some("a.txt"), Some(7)));
    assert_eq!((compile.origin(), compile.line()), (None, None));
}

#[test]
fn iocs_file_iocs_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<FileIocs>();
    check::<IocError>();
}
