//! The walk-throughs of docs/ARCHITECTURE.md, proven: a check of each kind
//! added through the seams the built-in ones use (a line detector over
//! Exchange's CSV logs, an event detector over IIS requests, a file check),
//! a renderer over the report, and every kind of artifact mapped to its
//! reader or to none.

use exhunt_core::{
    ArtifactKind, EventRecord, Finding, FindingKind, LogSource, Record, Report, RuleSpec, Severity,
    Verdict,
};
use exhunt_detect::events::EventDetector;
use exhunt_detect::files::{FileCheck, FileMeta};
use exhunt_detect::{LineDetector, LogContext, LogFamily};
use exhunt_scan::{run, ScanConfigBuilder};
use exhunt_sources::{Input, LogReader};
use std::path::Path;
use tempfile::TempDir;

const PYTHON_UA: RuleSpec = RuleSpec {
    id: "test-httpproxy-python-client",
    title: "Request from a Python HTTP client through the front end",
    cves: &[],
    kind: FindingKind::Scan,
    verdict: Verdict::Attempted,
    severity: Severity::Low,
    source: "test",
    next_step: None,
};

/// A new built-in check over Exchange's CSV logs.
struct PythonClients;

impl LineDetector for PythonClients {
    fn family(&self) -> LogFamily {
        LogFamily::HttpProxy
    }
    fn literals(&self) -> &[&'static str] {
        &["python-requests"]
    }
    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>) {
        if rec
            .field("UserAgent")
            .is_some_and(|u| u.starts_with("python-requests"))
        {
            let mut f = Finding::from_spec(&PYTHON_UA, ctx.path)
                .with("UserAgent", rec.field("UserAgent").unwrap_or(""));
            f.line = Some(rec.line_no());
            f.time = rec.time().map(str::to_string);
            out.push(f);
        }
    }
}

const TRACE: RuleSpec = RuleSpec {
    id: "test-iis-trace-method",
    title: "TRACE request to IIS",
    cves: &[],
    kind: FindingKind::Scan,
    verdict: Verdict::Attempted,
    severity: Severity::Low,
    source: "test",
    next_step: None,
};

/// A new check over web requests.
struct TraceRequests;

impl EventDetector for TraceRequests {
    fn applies_to(&self, kind: &ArtifactKind) -> bool {
        matches!(kind, ArtifactKind::IisLog { .. })
    }
    fn line_literals(&self, _ls: &LogSource) -> Option<Vec<String>> {
        Some(vec![" TRACE ".to_string()])
    }
    fn check(&self, ctx: &LogContext<'_>, rec: &EventRecord, out: &mut Vec<Finding>) {
        if rec.field("cs-method") == Some("TRACE") {
            let mut f = Finding::from_spec(&TRACE, ctx.path);
            f.line = Some(rec.line);
            out.push(f);
        }
    }
}

const NOTE: RuleSpec = RuleSpec {
    id: "test-ransom-note",
    title: "Ransom note",
    cves: &[],
    kind: FindingKind::Staging,
    verdict: Verdict::Compromised,
    severity: Severity::High,
    source: "test",
    next_step: None,
};

/// A new file check: by name and by content.
struct RansomNotes;

impl FileCheck for RansomNotes {
    fn check_path(&self, file: &FileMeta<'_>, out: &mut Vec<Finding>) {
        if file.name_lower() == "readme_decrypt.txt" {
            out.push(file.stamp(Finding::from_spec(&NOTE, file.display).with("by", "name")));
        }
    }
    fn check_content(
        &self,
        file: &FileMeta<'_>,
        data: &exhunt_detect::files::FileData<'_>,
        out: &mut exhunt_detect::files::FileOut,
    ) {
        if memchr_find(data.bytes, b"your files are encrypted") {
            out.findings
                .push(Finding::from_spec(&NOTE, file.display).with("by", "content"));
        }
    }
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn checks_of_each_kind_join_through_the_builder() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        &root.join("V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"),
        "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T06:00:00.000Z\r\n#Fields: DateTime,RequestId,UrlStem,AnchorMailbox,UserAgent,HttpStatus,ClientIpAddress\r\n\
2021-03-03T06:01:00.000Z,a1,/ecp/default.aspx,Smtp~a@b.c,Mozilla/5.0,200,192.0.2.1\r\n\
2021-03-03T06:02:00.000Z,a2,/ecp/default.aspx,Smtp~a@b.c,python-requests/2.25.1,200,192.0.2.9\r\n\
2021-03-03T06:03:00.000Z,a3,/ecp/default.aspx,Smtp~a@b.c,Mozilla/5.0,200,192.0.2.1\r\n",
    );
    write(
        &root.join("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"),
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n\
2021-03-03 06:00:00 10.0.0.5 GET /owa/ - 443 - 192.0.2.1 Mozilla/5.0 - 200 0 0 5\r\n\
2021-03-03 06:00:01 10.0.0.5 TRACE /owa/ - 443 - 192.0.2.9 curl/7.0 - 405 0 0 1\r\n",
    );
    write(&root.join("Users/Public/README_DECRYPT.txt"), "hello");
    write(
        &root.join("Users/Public/note.html"),
        "<p>All your files are encrypted</p><p>your files are encrypted</p>",
    );

    let base = || ScanConfigBuilder::new().input(Input::plain(root), "tree");
    let plain = run(&base().build().unwrap(), &()).evidence;
    let ours = [
        "test-httpproxy-python-client",
        "test-iis-trace-method",
        "test-ransom-note",
    ];
    assert!(plain
        .findings
        .iter()
        .all(|f| !ours.contains(&f.rule.as_str())));

    let config = base()
        .line_detector(Box::new(PythonClients))
        .event_detector(Box::new(TraceRequests))
        .file_check(Box::new(RansomNotes))
        .build()
        .unwrap();
    let ev = run(&config, &()).evidence;
    let of =
        |rule: &str| -> Vec<&Finding> { ev.findings.iter().filter(|f| f.rule == rule).collect() };

    let py = of("test-httpproxy-python-client");
    assert_eq!(py.len(), 1, "{:#?}", ev.findings);
    assert_eq!(py[0].line, Some(7));
    assert_eq!(py[0].time.as_deref(), Some("2021-03-03T06:02:00.000Z"));
    // The reader put the lines around it on the finding.
    let around: Vec<u64> = py[0].context.iter().filter_map(|c| c.line).collect();
    assert_eq!(around, vec![6, 8]);

    let trace = of("test-iis-trace-method");
    assert_eq!(trace.len(), 1, "{:#?}", ev.findings);
    assert_eq!(trace[0].line, Some(4));

    let notes = of("test-ransom-note");
    let by: Vec<&str> = notes.iter().map(|f| f.evidence["by"].as_str()).collect();
    assert_eq!(by.len(), 2, "{notes:#?}");
    assert!(by.contains(&"name") && by.contains(&"content"));
    // Content findings carry the file's hash like the built-in ones.
    let content = notes
        .iter()
        .find(|f| f.evidence["by"] == "content")
        .unwrap();
    assert_eq!(content.evidence["sha256"].len(), 64);

    // A new output format is a function of the report.
    let report = exhunt_judge::judge(ev, "test");
    let md = markdown(&report);
    assert!(md.starts_with("# exhunt: compromised\n"), "{md}");
    assert!(md.contains("| test-ransom-note |"));
}

/// A renderer of the report as a Markdown table (what `crates/report/src/<format>.rs` holds).
fn markdown(r: &Report) -> String {
    let mut s = format!(
        "# exhunt: {}\n\n| id | rule | path |\n|---|---|---|\n",
        r.verdict
    );
    for f in &r.findings {
        let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            f.id,
            cell(&f.rule),
            cell(&f.path)
        ));
    }
    s
}

#[test]
fn every_kind_of_artifact_has_a_reader_or_none() {
    let kinds = [
        ArtifactKind::HttpProxyLog {
            protocol: "Ecp".into(),
        },
        ArtifactKind::EcpServerLog,
        ArtifactKind::OabGeneratorLog,
        ArtifactKind::RpsHttpLog,
        ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        },
        ArtifactKind::EventLog {
            name: "Security".into(),
        },
        ArtifactKind::EventJsonl,
        ArtifactKind::MemoryDump,
        ArtifactKind::Archive,
    ];
    for k in &kinds {
        // Every log kind has a family (its coverage line) and a reader;
        // the others have neither.
        assert_eq!(
            LogReader::for_kind(k).is_some(),
            k.family().is_some(),
            "{k:?}"
        );
    }
}
