//! A user's Sigma rules (`--sigma DIR`): `RuleSetBuilder::add_yaml` on the
//! text (every document of it), built for exhunt's logsources and for any,
//! each loaded rule evaluated on a few records of every logsource, and the
//! line pre-filters the scan derives from rules' `exhunt:` literals built
//! (`Prefilter::with_caseless`, `LineKeep::new`).
#![no_main]

use exhunt_core::{EventRecord, LineNeed, LogSource};
use exhunt_detect::events::SigmaDetector;
use exhunt_sigma::{exhunt_logsources, RuleSetBuilder};
use exhunt_sources::{LineKeep, Prefilter};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static RECORDS: LazyLock<Vec<EventRecord>> = LazyLock::new(|| {
    let rec = |pairs: &[(&str, &str)]| {
        let mut r = EventRecord {
            raw: pairs.iter().map(|(k, v)| format!("{k}={v} ")).collect(),
            time: Some("2021-03-03T06:49:42Z".into()),
            line: 1,
            ..EventRecord::default()
        };
        for (k, v) in pairs {
            r.push(*k, *v);
        }
        r
    };
    vec![
        rec(&[
            ("cs-method", "POST"),
            ("cs-uri-stem", "/owa/auth/x.aspx"),
            ("cs-uri-query", "id=1&cmd=whoami"),
            ("sc-status", "200"),
            ("c-ip", "165.232.154.116"),
            ("cs(User-Agent)", "ExchangeServicesClient/0.0.0.0"),
            ("cs-username", ""),
        ]),
        rec(&[
            ("EventID", "1"),
            ("Image", "C:\\Windows\\System32\\cmd.exe"),
            (
                "CommandLine",
                "cmd /c whoami > C:\\inetpub\\wwwroot\\aspnet_client\\a.txt",
            ),
            ("ParentImage", "C:\\Windows\\System32\\inetsrv\\w3wp.exe"),
            ("User", "NT AUTHORITY\\SYSTEM"),
            ("Channel", "Microsoft-Windows-Sysmon/Operational"),
        ]),
        rec(&[
            ("EventID", "1"),
            ("Provider_Name", "MSExchange CmdletLogs"),
            (
                "Data",
                "Set-OabVirtualDirectory -ExternalUrl 'http://f/<script>'",
            ),
        ]),
    ]
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for any_source in [false, true] {
        let mut b = RuleSetBuilder::new();
        if any_source {
            b = b.readable_sources(None);
        }
        let loaded = b.add_yaml(text, "rules/fuzz.yml");
        let rules = b.build();
        std::hint::black_box((loaded, rules.load_report().len(), rules.unseen().len()));
        if rules.is_empty() {
            continue;
        }
        let mut sources: Vec<LogSource> = exhunt_logsources();
        sources.extend(rules.rules().iter().map(|r| r.logsource.clone()));
        let mut hits = 0usize;
        for ls in &sources {
            for rec in RECORDS.iter() {
                rules.for_each_match(ls, rec, &mut |_| hits += 1);
            }
        }
        std::hint::black_box(hits);
        let det = SigmaDetector::new(rules);
        let needs: Vec<LineNeed> = det.httpproxy_needs();
        if !needs.is_empty() {
            let _ = Prefilter::with_caseless(&["ServerInfo~"], true, &needs);
            let _ = Prefilter::with_caseless::<&str>(&[], false, &needs);
        }
        for ls in &sources {
            if let Some(needs) = det.needs_for(ls) {
                if let Ok(keep) = LineKeep::new(&needs) {
                    for rec in RECORDS.iter() {
                        std::hint::black_box(keep.is_match(rec.raw.as_bytes()));
                    }
                }
            }
        }
    }
});
