use super::*;

fn t() -> &'static Table {
    Table::embedded()
}

fn v(s: &str) -> Version {
    match parse_version(s).unwrap() {
        Parsed::Full(v) => v,
        Parsed::Partial(_) => panic!("{s}"),
    }
}

fn open(b: &str) -> Vec<String> {
    t().explain(b)
        .unwrap()
        .open
        .iter()
        .map(|o| o.cve.clone())
        .collect()
}

fn is_open(b: &str, cve: &str) -> bool {
    open(b).iter().any(|c| c == cve)
}

#[test]
fn table_loads_whole() {
    assert_eq!(t().rows().len(), 274);
    assert_eq!(t().fixes().len(), 29);
    let unconfirmed = t().rows().iter().filter(|r| !r.confirmed()).count();
    assert_eq!(unconfirmed, 75);
    for p in [
        Product::E2010,
        Product::E2013,
        Product::E2016,
        Product::E2019,
        Product::SE,
    ] {
        assert!(t().rows_of(p).count() >= 3, "{p:?}");
    }
}

#[test]
fn forms_seen_in_the_wild() {
    assert_eq!(
        parse_version("15.1.2106.2"),
        parse_version("15.01.2106.002")
    );
    assert_eq!(
        parse_version(" v15.2.792.10 ").unwrap(),
        Parsed::Full(Version([15, 2, 792, 10]))
    );
    assert_eq!(
        parse_version("15.1.2106").unwrap(),
        Parsed::Partial([15, 1, 2106])
    );
    for bad in [
        "",
        "15",
        "15.1",
        "15.1.x.2",
        "16.0.1.1",
        "15.1.2106.2.1",
        "8.3.1.1",
    ] {
        assert!(parse_version(bad).is_err(), "{bad}");
    }
    // The messages are what `exhunt build` prints: same text as before the
    // errors were typed.
    let msg = |s: &str| parse_version(s).unwrap_err().to_string();
    assert_eq!(
        msg("15.1"),
        r#""15.1" is not an Exchange build (expected 15.1.2106.2 or 15.01.2106.002)"#
    );
    assert_eq!(msg("15.1.x.2"), r#""15.1.x.2": part "x" is not a number"#);
    assert_eq!(
        msg("15.1.1234567890.2"),
        r#""15.1.1234567890.2": part "1234567890" is not a number"#
    );
    assert_eq!(
        msg("16.0.1.1"),
        r#""16.0.1.1" is not an Exchange 2010 SP3, 2013, 2016, 2019 or SE build (those start 14.3, 15.0, 15.1 or 15.2)"#
    );
    assert_eq!(
        t().explain("v15.1").unwrap_err().to_string(),
        r#""v15.1" is not an Exchange build (expected 15.1.2106.2 or 15.01.2106.002)"#
    );
    let e = t().explain("15.01.2106.002").unwrap();
    assert_eq!(e.build, "15.1.2106.2");
    assert_eq!(e.product, "Exchange Server 2016 CU18");
}

#[test]
fn three_part_build_states_the_ambiguity() {
    let e = t().explain("15.1.2106").unwrap();
    assert_eq!(e.build, "15.1.2106.?");
    assert_eq!(e.product, "Exchange Server 2016 CU18");
    assert!(e.notes[0].contains("Three-part build"), "{:?}", e.notes);
    assert!(e.notes[0].contains("Mar21SU 15.1.2106.13"), "{:?}", e.notes);
    // Shown for the least patched reading.
    assert!(e.open_cves().contains(&"CVE-2021-26855"));
}

/// Reference §3, ProxyLogon: each CU's own build lacks the March 2021 fix;
/// its Mar21SU build has it.
#[test]
fn proxylogon_thresholds_of_every_listed_cu() {
    let cus = [
        ("15.0.1395.4", "15.0.1395.12"),
        ("15.0.1473.3", "15.0.1473.6"),
        ("15.0.1497.2", "15.0.1497.12"),
        ("15.1.1415.2", "15.1.1415.10"), // docs number (HC says .8: see the exception test)
        ("15.1.1466.3", "15.1.1466.16"),
        ("15.1.1531.3", "15.1.1531.12"),
        ("15.1.1591.10", "15.1.1591.18"),
        ("15.1.1713.5", "15.1.1713.10"),
        ("15.1.1779.2", "15.1.1779.8"),
        ("15.1.1847.3", "15.1.1847.12"),
        ("15.1.1913.5", "15.1.1913.12"),
        ("15.1.1979.3", "15.1.1979.8"),
        ("15.1.2044.4", "15.1.2044.13"),
        ("15.1.2106.2", "15.1.2106.13"),
        ("15.1.2176.2", "15.1.2176.9"),
        ("15.2.330.5", "15.2.330.11"),
        ("15.2.397.3", "15.2.397.11"),
        ("15.2.464.5", "15.2.464.15"),
        ("15.2.529.5", "15.2.529.13"),
        ("15.2.595.3", "15.2.595.8"),
        ("15.2.659.4", "15.2.659.12"),
        ("15.2.721.2", "15.2.721.13"),
        ("15.2.792.3", "15.2.792.10"),
    ];
    for (rtm, su) in cus {
        for cve in [
            "CVE-2021-26855",
            "CVE-2021-26857",
            "CVE-2021-26858",
            "CVE-2021-27065",
        ] {
            assert!(is_open(rtm, cve), "{rtm} should lack {cve}");
            assert!(!is_open(su, cve), "{su} should have {cve} fixed");
        }
        assert_eq!(t().has_update(v(su), "Mar21SU"), Some(true));
        assert_eq!(t().has_update(v(rtm), "Mar21SU"), Some(false));
    }
    // CU20 and 2019 CU9 were released after the March update and contain it.
    for b in ["15.1.2242.4", "15.2.858.5"] {
        for cve in ["CVE-2021-26855", "CVE-2021-27065"] {
            assert!(!is_open(b, cve), "{b} {cve}");
        }
        assert!(
            is_open(b, "CVE-2021-34473"),
            "{b} still lacks the April update"
        );
    }
}

/// Reference §3, ProxyShell: April 2021 fixes CVE-2021-34473/-34523 (which
/// Health Checker's table misses), May 2021 fixes -31207.
#[test]
fn proxyshell_thresholds() {
    for (before, apr, may) in [
        ("15.0.1497.12", "15.0.1497.15", "15.0.1497.18"),
        ("15.1.2176.9", "15.1.2176.12", "15.1.2176.14"),
        ("15.1.2242.4", "15.1.2242.8", "15.1.2242.10"),
        ("15.2.792.10", "15.2.792.13", "15.2.792.15"),
        ("15.2.858.5", "15.2.858.10", "15.2.858.12"),
    ] {
        for cve in ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"] {
            assert!(is_open(before, cve), "{before} {cve}");
            assert!(!is_open(may, cve), "{may} {cve}");
        }
        assert!(!is_open(apr, "CVE-2021-34473"), "{apr}");
        assert!(!is_open(apr, "CVE-2021-34523"), "{apr}");
        assert!(is_open(apr, "CVE-2021-31207"), "{apr}");
        let e = t().explain(before).unwrap();
        let groups: Vec<&str> = e.by_campaign().iter().map(|(c, _)| *c).collect();
        assert!(groups.contains(&"ProxyShell"), "{groups:?}");
    }
    // CU21 and 2019 CU10 came after April and May 2021.
    for b in ["15.1.2308.8", "15.2.922.7"] {
        assert!(!is_open(b, "CVE-2021-34473"), "{b}");
        assert!(!is_open(b, "CVE-2021-31207"), "{b}");
        assert!(is_open(b, "CVE-2021-31206"), "{b} lacks July 2021");
    }
    for b in [
        "15.0.1497.23",
        "15.1.2242.12",
        "15.1.2308.14",
        "15.2.858.15",
        "15.2.922.13",
    ] {
        assert!(!is_open(b, "CVE-2021-31206"), "{b} has July 2021");
    }
}

/// Reference §3, ProxyNotShell and OWASSRF: November 2022.
#[test]
fn proxynotshell_and_owassrf_thresholds() {
    for nov in [
        "15.0.1497.44",
        "15.1.2375.37",
        "15.1.2507.16",
        "15.2.986.36",
        "15.2.1118.20",
    ] {
        let mut below = v(nov);
        below.0[3] -= 1;
        for cve in ["CVE-2022-41040", "CVE-2022-41082", "CVE-2022-41080"] {
            assert!(!is_open(nov, cve), "{nov} {cve}");
            assert!(is_open(&below.to_string(), cve), "{below} {cve}");
        }
        let e = t().explain(&below.to_string()).unwrap();
        let groups: Vec<&str> = e.by_campaign().iter().map(|(c, _)| *c).collect();
        assert!(
            groups.contains(&"ProxyNotShell") && groups.contains(&"OWASSRF"),
            "{groups:?}"
        );
    }
}

/// The worked cases of exchange-builds.md.
#[test]
fn checked_cases_of_the_rule() {
    let cases = [
        ("15.1.2242.4", "Mar21SU", true),
        ("15.2.858.5", "Mar21SU", true),
        ("15.1.2308.8", "Apr21SU", true),
        ("15.1.2308.8", "Jul21SU", false),
        ("15.1.2106.13", "Apr21SU", false),
        ("15.1.2375.7", "Nov22SU", false),
        ("15.2.1258.12", "Nov22SU", true),
    ];
    for (b, u, want) in cases {
        assert_eq!(t().has_update(v(b), u), Some(want), "{b} {u}");
    }
    // An update never shipped for a product is not lacking.
    assert_eq!(t().has_update(v("14.3.496.0"), "Nov22SU"), None);
}

#[test]
fn exchange_2010_only_26857() {
    let old = open("14.3.509.0");
    assert_eq!(old, vec!["CVE-2021-26857"]);
    assert!(open("14.3.513.0").is_empty());
    let e = t().explain("14.3.496.0").unwrap();
    assert_eq!(e.product, "Exchange Server 2010 SP3 RU30");
    assert!(e.install.contains("out of support"), "{}", e.install);
}

/// Exception: the March 2021 packages for out-of-support CUs fix only the
/// four ProxyLogon CVEs and hold no earlier update.
#[test]
fn march_2021_package_for_old_cus() {
    for b in ["15.1.2044.13", "15.0.1395.12", "15.2.659.12", "15.0.847.64"] {
        let e = t().explain(b).unwrap();
        let o = e.open_cves();
        for cve in [
            "CVE-2021-26855",
            "CVE-2021-26857",
            "CVE-2021-26858",
            "CVE-2021-27065",
        ] {
            assert!(!o.contains(&cve), "{b} {cve}");
        }
        for cve in ["CVE-2021-26412", "CVE-2021-27078", "CVE-2021-26854"] {
            assert!(o.contains(&cve), "{b} {cve}: {o:?}");
        }
        assert!(
            e.notes
                .iter()
                .any(|n| n.contains("out of support in March 2021")),
            "{b}: {:?}",
            e.notes
        );
        assert!(e.install.contains("upgrade"), "{b}: {}", e.install);
    }
    // A supported CU's March update fixes all seven.
    let e = t().explain("15.1.2106.13").unwrap();
    assert!(!e.open_cves().contains(&"CVE-2021-26412"));
    assert!(!e
        .notes
        .iter()
        .any(|n| n.contains("out of support in March 2021")));
}

/// Exception: builds where sources disagree (2016 CU8/CU9 March 2021).
#[test]
fn disputed_builds_are_flagged() {
    let e = t().explain("15.1.1415.8").unwrap();
    assert!(
        e.notes.iter().any(|n| n.contains("one source gives")),
        "{:?}",
        e.notes
    );
    // Microsoft's number is the threshold: .8 is below it.
    assert!(e.open_cves().contains(&"CVE-2021-26855"));
    let e = t().explain("15.1.1466.13").unwrap();
    assert!(
        e.notes.iter().any(|n| n.contains("one source gives")),
        "{:?}",
        e.notes
    );
}

/// Exception: rows whose date or KB no Microsoft source confirms are said to be so.
#[test]
fn unconfirmed_rows_say_so() {
    let e = t().explain("15.0.1395.10").unwrap(); // 2013 CU21 Jan19SU
    assert_eq!(e.level.as_deref(), Some("Jan19SU"));
    assert!(
        e.notes.iter().any(|n| n.contains("not confirmed")),
        "{:?}",
        e.notes
    );
    let e = t().explain("15.1.2106.13").unwrap();
    assert!(
        !e.notes.iter().any(|n| n.contains("not confirmed")),
        "{:?}",
        e.notes
    );
}

/// Exception: the CU shipped with the February 2019 fix (no separate row),
/// and per-product KBs (July 2021).
#[test]
fn feb19_cus_and_per_product_kbs() {
    let e = t().explain("15.1.1713.5").unwrap(); // 2016 CU12
    assert_eq!(e.level.as_deref(), Some("RTM"));
    let kb = |b: &str| t().explain(b).unwrap().exact.unwrap().kb;
    assert_eq!(kb("15.0.1497.23"), "KB5004778");
    assert_eq!(kb("15.1.2242.12"), "KB5004779");
    assert_eq!(kb("15.2.858.15"), "KB5004780");
}

#[test]
fn newest_builds_and_advice() {
    let e = t().explain("15.2.2562.46").unwrap();
    assert_eq!(e.product, "Exchange Server Subscription Edition");
    assert!(e.open.is_empty());
    assert!(e.install.contains("Nothing newer"), "{}", e.install);
    let e = t().explain("15.1.2507.16").unwrap();
    assert!(e.install.contains("Install "), "{}", e.install);
    let e = t().explain("15.1.2106.2").unwrap();
    assert!(
        e.install.contains("upgrade to Exchange Server 2016 CU23"),
        "{}",
        e.install
    );
    // A build number in no CU of the table.
    let e = t().explain("15.1.9999.1").unwrap();
    assert!(e.notes.iter().any(|n| n.contains("matches no CU")));
}

#[test]
fn every_build_explains_without_panicking() {
    for r in t().rows() {
        let e = t().explain(&r.build.to_string()).unwrap();
        assert!(e.product.contains(Product::name(r.product)), "{}", r.build);
        if !r.is_alternative() {
            assert_eq!(
                e.exact.as_ref().map(|x| &x.update),
                Some(&r.update),
                "{}",
                r.build
            );
        }
    }
}

/// Exceptions: re-releases (v2) and hotfix updates (HU) are ordinary later
/// builds within their CU.
#[test]
fn rereleases_and_hotfix_updates_are_later_builds() {
    let e = t().explain("15.2.1544.14").unwrap(); // 2019 CU14 Nov24SUv2
    assert_eq!(e.level.as_deref(), Some("Nov24SUv2"));
    assert!(e.open.is_empty());
    assert!(e.install.contains("Install "), "{}", e.install);
    let e = t().explain("15.2.1544.11").unwrap(); // Apr24HU
    assert_eq!(e.level.as_deref(), Some("Apr24HU"));
    // Between two listed builds: the lower one is taken as installed, and said so.
    let e = t().explain("15.2.1544.12").unwrap();
    assert_eq!(e.level.as_deref(), Some("Apr24HU"));
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("not itself a listed build")),
        "{:?}",
        e.notes
    );
}

/// Still-unconfirmed rows named in exchange-builds.md say so.
#[test]
fn conflicting_sources_are_presented_as_unconfirmed() {
    let e = t().explain("15.1.1531.8").unwrap(); // 2016 CU10: Oct18SU per HC, Dec18 per 821
    assert!(
        e.notes.iter().any(|n| n.contains("not confirmed")),
        "{:?}",
        e.notes
    );
    let e = t().explain("15.2.330.9").unwrap(); // 2019 CU1 Jul19SU: KB4509408 (821) or KB4509409 (HC)
    assert!(
        e.notes.iter().any(|n| n.contains("not confirmed")),
        "{:?}",
        e.notes
    );
    let e = t().explain("15.1.1466.10").unwrap(); // 2016 CU9 Aug18SU, 821's number
    assert!(
        e.notes.iter().any(|n| n.contains("one source gives")),
        "{:?}",
        e.notes
    );
}

#[test]
fn table_errors_name_file_and_line() {
    let header = "product,cu,update,build,build_long,release_date,kb,source\n";
    let fixes = "cve,campaign,update,kb,products,source\n";
    let err = |builds: &str, fixes: &str| {
        Table::parse(&format!("{header}{builds}"), fixes)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("2016,CU1,RTM\n", fixes),
        "exchange-builds.csv line 2: expected 8 fields"
    );
    assert_eq!(
        err("2007,CU1,RTM,15.1.1.1,,2020-01-01,KB1,x\n", fixes),
        "exchange-builds.csv line 2: unknown product"
    );
    assert_eq!(
        err("2016,CU1,RTM,15.1.1,,2020-01-01,KB1,x\n", fixes),
        "exchange-builds.csv line 2: three-part build"
    );
    assert_eq!(
        err("\n2016,CU1,RTM,15.1.x.1,,2020-01-01,KB1,x\n", fixes),
        r#"exchange-builds.csv line 3: "15.1.x.1": part "x" is not a number"#
    );
    assert_eq!(
        err("", &format!("{fixes}CVE-1,other,U,KB\n")),
        "exchange-cve-fixes.csv line 2: expected 6 fields"
    );
    assert_eq!(
        err("", &format!("{fixes}CVE-1,other,U,KB,2016;2007,src\n")),
        "exchange-cve-fixes.csv line 2: unknown product"
    );
}

#[test]
fn a_build_beyond_the_table_is_unknown_not_out_of_date() {
    // Issue 14 (noticed): a CU the table does not know names no CVE open,
    // and one newer than the table is not told to "upgrade".
    let t = Table::embedded();
    let e = t.explain("15.2.9999.1").unwrap();
    assert!(e.open.is_empty());
    assert!(
        e.install.starts_with("A build newer than exhunt's table"),
        "{}",
        e.install
    );
    assert!(!e.install.contains("no longer gets security updates"));
    assert!(
        e.notes.iter().any(|n| n.contains("cannot be told")),
        "{:?}",
        e.notes
    );
    assert!(!e.notes.iter().any(|n| n.contains("treated as missing")));
    // A CU number between known ones is still told to move on.
    let e = t.explain("15.1.2200.1").unwrap();
    assert!(
        e.install.contains("no longer gets security updates"),
        "{}",
        e.install
    );
}
