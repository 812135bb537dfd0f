//! Golden tests: every output format of a few hand-built reports, compared
//! byte for byte with files under `tests/data/`.
//!
//! The reports are built to reach every branch of every renderer (grouped
//! and single findings, leads, suppressed rows, discovery, coverage, patch
//! states, rule loads, skipped files, more errors than are listed) and carry
//! attacker-controlled strings with control characters, ANSI escapes,
//! commas, quotes, newlines and spreadsheet formulas, because how each
//! format renders them (escaped in the text, neutralised in CSV cells, left
//! to the encoder in JSON) must not change silently.
//!
//! After an intended change of output, regenerate the files with
//! `EXHUNT_BLESS=1 cargo test -p exhunt-report --test formats` and review
//! the diff.

use exhunt_core::*;
use exhunt_report::{render, Format};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Text an attacker controls (a request URL, a command line, a file name):
/// ANSI colour and cursor codes, a bell, a backspace, CR/LF, a tab, CSV and
/// JSON metacharacters, a right-to-left override.
const HOSTILE: &str = "/ecp/x.js?a=\"1\",b='2'\x1b[31mRED\x1b[0m\x1b[2J\x07\x08\r\nFAKE: VERDICT: CLEAN\tz\u{202e}fdp.exe";

#[allow(clippy::too_many_arguments)]
fn finding(
    id: &str,
    rule: &str,
    title: &str,
    cves: &[&str],
    kind: FindingKind,
    verdict: Verdict,
    severity: Severity,
    path: &str,
    time: Option<&str>,
    line: Option<u64>,
) -> Finding {
    let parts = FindingParts {
        rule: rule.into(),
        title: title.into(),
        cves: cves.iter().map(|c| c.to_string()).collect(),
        kind,
        verdict,
        severity,
        source: "https://example.org/advisory".into(),
        next_step: None,
    };
    let mut f = Finding::from_parts(parts, path);
    f.id = id.into();
    f.time = time.map(Into::into);
    f.line = line;
    f
}

fn ctx(time: Option<&str>, line: Option<u64>, text: &str) -> ContextLine {
    ContextLine {
        time: time.map(Into::into),
        line,
        text: text.into(),
    }
}

fn tool() -> Tool {
    Tool {
        name: "exhunt".into(),
        version: "0.1.0".into(),
    }
}

/// A compromised server, with something in every section.
fn full() -> Report {
    let proxy = "HttpProxy/Ecp/HttpProxy_2021030306-1.log";
    let ssrf = |id: &str, time: &str, line: u64, ip: &str| {
        finding(
            id,
            "proxylogon-ssrf-26855",
            "ProxyLogon SSRF: a request reached the back end as SYSTEM",
            &["CVE-2021-26855"],
            FindingKind::Exploitation,
            Verdict::Exploited,
            Severity::High,
            proxy,
            Some(time),
            Some(line),
        )
        .with("ClientIpAddress", ip)
        .with(
            "AnchorMailbox",
            format!("ServerInfo~a]@EX01.contoso.local:444{HOSTILE}"),
        )
        .with("predicate", "AnchorMailbox -like 'ServerInfo~*/*'")
    };
    let mut f1 = ssrf("F0001", "2021-03-03T06:49:42.162Z", 12, "203.0.113.7");
    f1.related = vec!["F0002".into(), "F0003".into(), "F0005".into()];
    f1.context = vec![
        ctx(
            Some("2021-03-03T06:49:41.000Z"),
            Some(11),
            "before, with a comma",
        ),
        ctx(
            Some("2021-03-03T06:49:43.000Z"),
            Some(13),
            "after \"quoted\"",
        ),
        // The line of another finding in the same file: listed once, as
        // that finding.
        ctx(Some("2021-03-04T01:02:03.000Z"), Some(40), "dup of F0002"),
        ctx(None, None, HOSTILE),
        // Cells a spreadsheet would evaluate: neutralised in the timeline.
        ctx(
            Some("2021-03-03T06:49:44.000Z"),
            Some(15),
            "=HYPERLINK(\"http://evil.example/x\",\"open\")",
        ),
        ctx(
            Some("2021-03-03T06:49:45.000Z"),
            Some(16),
            "@SUM(1+1)*cmd|' /C calc'!A0",
        ),
    ];
    let mut f2 = ssrf("F0002", "2021-03-04T01:02:03.000Z", 40, "198.51.100.23");
    f2.related = vec!["F0001".into()];
    let f3 = ssrf("F0003", "2021-03-02T23:59:59.999Z", 7, "192.0.2.1");
    let f4 = ssrf("F0004", "2021-03-03T06:49:42.162Z", 13, "203.0.113.7");
    let f4b = ssrf("F0011", "2021-03-03T07:00:00.000Z", 90, "192.0.2.2");

    let long_path = format!(
        // Multi-byte characters before the 160th: the text cuts at a
        // character, not a byte.
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\{}évidence-ünïcødé-ß-ø-€-{}{}.aspx",
        "a".repeat(60),
        HOSTILE,
        "z".repeat(40)
    );
    let mut f5 = finding(
        "F0005",
        "webshell-aspx-in-web-folder",
        "Web shell in a web folder",
        &[],
        FindingKind::Webshell,
        Verdict::Compromised,
        Severity::Critical,
        "inetpub/wwwroot/aspnet_client/system_web/shell,\"x\".aspx",
        None,
        None,
    )
    .with("path", long_path)
    .with("modified", "2021-03-03T07:10:00Z")
    .with(
        "sha256",
        "9e3cd5b2c3d4e5f60718293a4b5c6d7e8f9001122334455667788990aabbccdd",
    )
    .with("predicate", "Content -match 'eval\\(Request'");
    f5.related = vec!["F0001".into()];

    let mut f6 = finding(
        "F0006",
        "sigma-3a7e1f0c",
        "Exchange worker process spawned a shell",
        &["CVE-2021-26857", "CVE-2021-27065"],
        FindingKind::Execution,
        Verdict::Compromised,
        Severity::Medium,
        "Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx",
        Some("2021-03-03T07:05:00.000Z"),
        Some(3),
    )
    .with(
        "CommandLine",
        format!("cmd.exe /c \"echo a,b > c.txt\"\n{HOSTILE}"),
    )
    .with("ParentImage", "C:\\Windows\\System32\\inetsrv\\w3wp.exe");
    f6.context = vec![
        ctx(Some("2021-03-03T07:04:59.000Z"), Some(2), "{\"EventID\":1}"),
        ctx(None, Some(4), "no time, \"quotes\""),
    ];

    // Same time as F0006, other source: sorted by source, then line.
    let f7 = finding(
        "F0007",
        "iis-ecp-dll-upload",
        "Unusual POST to the control panel",
        &["CVE-2021-27065"],
        FindingKind::Attempt,
        Verdict::Attempted,
        Severity::Low,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        Some("2021-03-03T07:05:00.000Z"),
        Some(88),
    )
    .with("c-uri", "/ecp/DDI/DDIService.svc/SetObject")
    .with("c-ip", "203.0.113.7");

    let f8 = finding(
        "F0008",
        "eventlog-msexchange-management",
        "Exchange management cmdlet logged",
        &[],
        FindingKind::Execution,
        Verdict::Exploited,
        Severity::Medium,
        "MSExchange Management.evtx",
        Some("2021-03-03T07:00:00.000Z"),
        Some(5),
    )
    .with(
        "Data",
        "Set-OabVirtualDirectory -ExternalUrl 'http://f/#<script>'",
    );

    // Leads: info findings, with and without a modification time.
    let lead = |id: &str, path: &str, modified: Option<&str>| {
        let f = finding(
            id,
            "staging-archive-programdata",
            "Archive in a staging folder",
            &[],
            FindingKind::Staging,
            Verdict::Clean,
            Severity::Info,
            path,
            None,
            None,
        )
        .with("size", "1048576");
        match modified {
            Some(m) => f.with("modified", m),
            None => f,
        }
    };
    let f9 = lead("F0009", "ProgramData/a,b.zip", None);
    let f10 = lead("F0010", "ProgramData/c.7z", Some("2021-03-06T00:00:00Z"));
    let f12 = finding(
        "F0012",
        "lsass-dump-file",
        "Memory dump file",
        &[],
        FindingKind::CredentialAccess,
        Verdict::Clean,
        Severity::Info,
        "Windows/Temp/lsass.dmp",
        None,
        None,
    );

    let mut campaigns = BTreeMap::new();
    campaigns.insert(
        "ProxyLogon".to_string(),
        vec!["CVE-2021-26855".to_string(), "CVE-2021-27065".to_string()],
    );
    campaigns.insert("ProxyShell".to_string(), vec!["CVE-2021-34473".to_string()]);
    campaigns.insert("other".to_string(), vec!["CVE-2020-0688".to_string()]);

    let mut rules = vec![
        RuleLoad {
            engine: "sigma".into(),
            origin: "bundled:sigma/proxylogon.yml".into(),
            title: Some("ProxyLogon".into()),
            id: Some("a".into()),
            status: "loaded".into(),
            reason: None,
            note: None,
        },
        RuleLoad {
            engine: "sigma".into(),
            origin: "bundled:sigma/webshell.yml".into(),
            title: Some("Webshell".into()),
            id: Some("b".into()),
            status: "loaded".into(),
            reason: None,
            note: None,
        },
        RuleLoad {
            engine: "sigma".into(),
            origin: "/home/me/rules/mine.yml".into(),
            title: Some("Mine".into()),
            id: None,
            status: "loaded".into(),
            reason: None,
            note: None,
        },
        RuleLoad {
            engine: "sigma".into(),
            origin: "/home/me/rules/bad1.yml".into(),
            title: None,
            id: None,
            status: "skipped".into(),
            reason: Some("unsupported modifier |re".into()),
            note: None,
        },
        RuleLoad {
            engine: "sigma".into(),
            origin: "/home/me/rules/bad2.yml".into(),
            title: None,
            id: None,
            status: "skipped".into(),
            reason: Some("unsupported modifier |re".into()),
            note: None,
        },
        RuleLoad {
            engine: "sigma".into(),
            origin: "/home/me/rules/bad3.yml".into(),
            title: None,
            id: None,
            status: "skipped".into(),
            reason: None,
            note: None,
        },
        RuleLoad {
            engine: "iocs".into(),
            origin: "bundled:iocs/hashes.txt".into(),
            title: None,
            id: None,
            status: "loaded".into(),
            reason: None,
            note: None,
        },
    ];
    // More distinct reasons than the text lists.
    for i in 0..12 {
        rules.push(RuleLoad {
            engine: "yara".into(),
            origin: format!("/home/me/yara/r{i:02}.yar"),
            title: None,
            id: None,
            status: "skipped".into(),
            reason: Some(format!("syntax error {i:02}")),
            note: None,
        });
    }

    Report {
        schema: REPORT_SCHEMA.into(),
        tool: tool(),
        inputs: vec!["/mnt/evidence".into(), "extra logs,\"quoted\".zip".into()],
        verdict: Verdict::Compromised,
        incomplete: true,
        coverage: vec![
            Coverage {
                family: "HttpProxy/Ecp".into(),
                first: Some("2021-02-01T00:00:01.000Z".into()),
                last: Some("2021-03-10T23:59:59.000Z".into()),
                files: 240,
            },
            Coverage {
                family: "IIS/W3SVC1".into(),
                first: Some("2021-03-01T00:00:00Z".into()),
                last: None,
                files: 9,
            },
            Coverage {
                family: "EventLog/Microsoft-Windows-Sysmon/Operational".into(),
                first: None,
                last: None,
                files: 1,
            },
        ],
        patch: Some(Patch {
            build: "15.1.2176.2".into(),
            product: "Exchange Server 2016 CU18".into(),
            source: "ExSetup.exe file version".into(),
            open_cves: vec![
                "CVE-2020-0688".into(),
                "CVE-2021-26855".into(),
                "CVE-2021-27065".into(),
                "CVE-2021-34473".into(),
            ],
            install: "Exchange 2016 CU23 and the latest Security Update".into(),
            update_level: None,
            campaigns,
            history: vec![BuildSeen {
                build: "15.1.2176.2".into(),
                source: "HttpProxy log header".into(),
                path: proxy.into(),
                first: Some("2021-02-01T00:00:01.000Z".into()),
                last: Some("2021-03-10T23:59:59.000Z".into()),
                files: 240,
            }],
            notes: vec![
                "The server ran unpatched through the ProxyLogon window.".into(),
                format!("Build header in a log said {HOSTILE}"),
            ],
        }),
        findings: vec![f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f4b, f12],
        errors: (0..22)
            .map(|i| ErrorEntry {
                path: format!("Logging/HttpProxy/Owa/broken{i:02}.log"),
                message: if i == 3 {
                    format!("invalid UTF-8 near {HOSTILE}")
                } else {
                    "permission denied (os error 13)".into()
                },
            })
            .collect(),
        next_steps: vec![
            "Isolate the server from the network.".into(),
            "Preserve memory and disk images before changing anything.".into(),
            "Reset the credentials of every account used on it.".into(),
        ],
        stats: Stats {
            files_seen: 12_345,
            files_examined: 678,
            bytes_read: 123_456_789,
            lines_read: 9_876_543,
            files_content_scanned: 4_321,
            web_files: 0,
        },
        suppressed: vec![
            Suppressed {
                rule: "proxylogon-scan".into(),
                count: 123_456,
                first: Some("2021-03-02T00:00:00.000Z".into()),
                last: Some("2021-03-09T12:34:56.000Z".into()),
                ..Default::default()
            },
            Suppressed {
                rule: "autodiscover-probe".into(),
                count: 7,
                first: Some("2021-03-02T00:00:00.000Z".into()),
                last: None,
                ..Default::default()
            },
        ],
        rules,
        skipped: (0..7)
            .map(|i| Skipped {
                path: format!("inetpub/wwwroot/big{i}.iso"),
                reason: if i == 0 {
                    "symbolic link".into()
                } else {
                    "larger than 512 MiB".into()
                },
            })
            .collect(),
        discovery: Some(SystemDiscovery {
            root: "/mnt/evidence".into(),
            live: false,
            exchange_install: Some("C:\\Program Files\\Microsoft\\Exchange Server\\V15".into()),
            exchange_install_from: Some("registry SOFTWARE hive MsiInstallPath".into()),
            places: vec![
                DiscoveredPlace {
                    what: "Exchange install".into(),
                    windows_path: "C:\\Program Files\\Microsoft\\Exchange Server\\V15".into(),
                    path: Some("Program Files/Microsoft/Exchange Server/V15".into()),
                    from: "registry SOFTWARE hive MsiInstallPath".into(),
                    status: "scanned".into(),
                },
                DiscoveredPlace {
                    what: "Exchange HttpProxy logs".into(),
                    windows_path:
                        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy"
                            .into(),
                    path: Some(
                        "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy".into(),
                    ),
                    from: "registry SOFTWARE hive MsiInstallPath".into(),
                    status: "within Exchange install".into(),
                },
                DiscoveredPlace {
                    what: "IIS logs".into(),
                    windows_path: "D:\\IISLogs".into(),
                    path: Some("D/IISLogs".into()),
                    from: "applicationHost.config logFile directory".into(),
                    status: "scanned".into(),
                },
                DiscoveredPlace {
                    what: "web root".into(),
                    windows_path: "C:\\inetpub\\wwwroot".into(),
                    path: None,
                    from: "default".into(),
                    status: "not found".into(),
                },
                DiscoveredPlace {
                    what: "event logs".into(),
                    windows_path: "C:\\Windows\\System32\\winevt\\Logs".into(),
                    path: Some("Windows/System32/winevt/Logs".into()),
                    from: "environment SystemRoot".into(),
                    status: "permission denied".into(),
                },
                DiscoveredPlace {
                    what: "ProgramData".into(),
                    windows_path: "C:\\ProgramData".into(),
                    path: Some("ProgramData".into()),
                    from: "default".into(),
                    status: "scanned".into(),
                },
            ],
            builds: vec![],
            notes: vec![
                "The SYSTEM hive has pending transaction logs.".into(),
                format!("Odd value {HOSTILE}"),
            ],
            collected: Some("2024-05-06T07:08:09Z".into()),
        }),
        why_inconclusive: vec![],
        exposure: exhunt_core::Exposure {
            state: exhunt_core::ExposureState::Exposed,
            campaigns: vec!["ProxyLogon".into()],
            cves: vec!["CVE-2021-26855".into()],
            mitigations: vec![exhunt_core::Mitigation {
                rule: "X-BEResource Abort - inbound".into(),
                path: "inetpub/wwwroot/web.config".into(),
                cves: vec!["CVE-2021-26855".into()],
            }],
            summary: "EXPOSED, MITIGATED: build 15.1.2106.2 (Exchange Server 2016 CU18) leaves ProxyLogon open (CVE-2021-26855); requests for CVE-2021-26855 are refused by X-BEResource Abort - inbound in inetpub/wwwroot/web.config (CVE-2021-26855).".into(),
        },
        host: None,
        servers: vec![],
        taken: vec![],
    }
}

/// A clean scan of a live server: nothing found, patched, no install folder
/// found, nothing skipped.
fn clean() -> Report {
    Report {
        schema: REPORT_SCHEMA.into(),
        tool: tool(),
        inputs: vec!["C:\\".into()],
        verdict: Verdict::Clean,
        incomplete: false,
        coverage: vec![Coverage {
            family: "ECP/Server".into(),
            first: Some("2023-01-01T00:00:00.000Z".into()),
            last: Some("2023-01-31T00:00:00.000Z".into()),
            files: 31,
        }],
        patch: Some(Patch {
            build: "15.2.1544.4".into(),
            product: "Exchange Server 2019 CU14".into(),
            source: "registry export".into(),
            open_cves: vec![],
            install: "nothing".into(),
            update_level: Some("Mar24SU".into()),
            campaigns: BTreeMap::new(),
            history: vec![],
            notes: vec![],
        }),
        findings: vec![],
        errors: vec![],
        next_steps: vec!["Keep the logs.".into()],
        stats: Stats::default(),
        suppressed: vec![],
        rules: vec![],
        skipped: vec![],
        discovery: Some(SystemDiscovery {
            root: "C:\\".into(),
            live: true,
            exchange_install: None,
            exchange_install_from: None,
            places: vec![DiscoveredPlace {
                what: "IIS logs".into(),
                windows_path: "C:\\inetpub\\logs\\LogFiles".into(),
                path: None,
                from: "default".into(),
                status: "not found".into(),
            }],
            builds: vec![],
            notes: vec![],
            collected: None,
        }),
        why_inconclusive: vec![],
        exposure: Default::default(),
        host: None,
        servers: vec![],
        taken: vec![],
    }
}

/// Loose files: no logs, no discovery, a build with open CVEs of no named
/// campaign, only leads.
fn bare() -> Report {
    let lead = finding(
        "F0001",
        "staging-archive-programdata",
        "Archive in a staging folder",
        &[],
        FindingKind::Staging,
        Verdict::Clean,
        Severity::Info,
        "ProgramData/x.zip",
        None,
        None,
    );
    let mut campaigns = BTreeMap::new();
    campaigns.insert("other".to_string(), vec!["CVE-2020-0688".to_string()]);
    Report {
        schema: REPORT_SCHEMA.into(),
        tool: tool(),
        inputs: vec!["loose".into()],
        verdict: Verdict::Attempted,
        incomplete: false,
        coverage: vec![],
        patch: Some(Patch {
            build: "15.0.1497.2".into(),
            product: "Exchange Server 2013 CU23".into(),
            source: "ExSetup.exe file version".into(),
            open_cves: vec!["CVE-2020-0688".into()],
            install: "Exchange 2013 CU23 Mar21SU".into(),
            update_level: Some("RTM".into()),
            campaigns,
            history: vec![],
            notes: vec![],
        }),
        findings: vec![lead],
        errors: vec![ErrorEntry {
            path: "a.log".into(),
            message: "truncated".into(),
        }],
        next_steps: vec![],
        stats: Stats::default(),
        suppressed: vec![Suppressed {
            rule: "owa-probe".into(),
            count: 3,
            first: None,
            last: None,
            ..Default::default()
        }],
        rules: vec![],
        skipped: vec![Skipped {
            path: "huge.bin".into(),
            reason: "larger than 512 MiB".into(),
        }],
        discovery: None,
        why_inconclusive: vec![],
        exposure: Default::default(),
        host: None,
        servers: vec![],
        taken: vec![],
    }
}

/// A report without a patch at all.
fn unpatched_unknown() -> Report {
    let mut r = bare();
    r.patch = None;
    r.findings.clear();
    r
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

fn check(case: &str, report: &Report) {
    for (format, ext) in [
        (Format::Text, "txt"),
        (Format::Json, "json"),
        (Format::Jsonl, "jsonl"),
        (Format::Timeline, "csv"),
    ] {
        let mut got = Vec::new();
        render(report, format, &mut got).unwrap();
        let path = data(&format!("{case}.{ext}"));
        if std::env::var_os("EXHUNT_BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (EXHUNT_BLESS=1 writes it)", path.display()));
        if got != want {
            let (g, w) = (
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
            );
            let at = g
                .lines()
                .zip(w.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| g.lines().count().min(w.lines().count()));
            panic!(
                "{} differs at line {}:\n got: {:?}\nwant: {:?}",
                path.display(),
                at + 1,
                g.lines().nth(at),
                w.lines().nth(at)
            );
        }
    }
}

#[test]
fn full_report_matches_golden() {
    check("golden", &full());
}

#[test]
fn clean_report_matches_golden() {
    check("golden-clean", &clean());
}

#[test]
fn bare_report_matches_golden() {
    check("golden-bare", &bare());
}

#[test]
fn unknown_patch_matches_golden() {
    check("golden-nopatch", &unpatched_unknown());
}

/// The golden files are not trivially small: a renderer that wrote nothing
/// (or only a header) would not pass by a blessed empty file.
#[test]
fn golden_files_have_content() {
    if std::env::var_os("EXHUNT_BLESS").is_some() {
        // The files are being written by the other tests right now.
        return;
    }
    for (name, min) in [
        ("golden.txt", 3000),
        ("golden.json", 5000),
        ("golden.jsonl", 3000),
        ("golden.csv", 1500),
    ] {
        let len = std::fs::read(data(name)).map(|b| b.len()).unwrap_or(0);
        assert!(len >= min, "{name}: {len} bytes");
    }
}
