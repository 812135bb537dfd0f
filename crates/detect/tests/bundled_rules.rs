//! Every bundled Sigma rule against its test events (rules/sigma-tests/):
//! each must fire on every `match` event and stay quiet on every `nomatch`
//! one. A rule without such a file fails here.

use exhunt_core::{ArtifactKind, EventRecord, LogSource};
use exhunt_detect::events::{bundled_rules, EventDetector, SigmaDetector};
use exhunt_detect::LogContext;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn record(ls: &LogSource, fields: &serde_json::Map<String, Value>) -> EventRecord {
    let mut r = EventRecord {
        logsource: ls.clone(),
        line: 1,
        time: Some("2021-03-03T06:49:42.000Z".into()),
        ..Default::default()
    };
    for (k, v) in fields {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        r.push(k.clone(), v);
    }
    r.raw = serde_json::to_string(fields).unwrap();
    r
}

fn logsource(v: &Value) -> LogSource {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    LogSource {
        category: s("category"),
        product: s("product"),
        service: s("service"),
    }
}

#[test]
fn every_bundled_rule_has_positive_and_negative_events_that_behave() {
    let det = SigmaDetector::new(bundled_rules().build());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/sigma-tests");
    let mut tests: BTreeMap<String, Value> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            tests.insert(v["rule"].as_str().unwrap().to_string(), v);
        }
    }
    let kind = ArtifactKind::EventJsonl;
    let ctx = LogContext {
        path: "test",
        kind: &kind,
    };
    let mut checked = 0;
    for meta in det.rules().rules() {
        let rule = meta.custom["exhunt"]["rule"].as_str().unwrap();
        let t = tests
            .get(rule)
            .unwrap_or_else(|| panic!("no rules/sigma-tests/{rule}.json for {}", meta.origin));
        let ls = logsource(&t["logsource"]);
        let pos = t["match"].as_array().unwrap();
        let neg = t["nomatch"].as_array().unwrap();
        assert!(!pos.is_empty() && !neg.is_empty(), "{rule}: needs both");
        // Rows of HttpProxy logs (their own column names) go through the
        // HttpProxy check; a webserver rule that also reads them says so
        // and has rows of both kinds.
        let proxy_ls = ls.service.as_deref() == Some("httpproxy");
        let reads_proxy = proxy_ls || meta.custom["exhunt"].get("httpproxy").is_some();
        let run = |ls: &LogSource, ev: &Value, proxy: bool| {
            let mut out = Vec::new();
            let rec = record(ls, ev.as_object().unwrap());
            if proxy {
                det.check_httpproxy(&ctx, &rec, &mut out);
            } else {
                det.check(&ctx, &rec, &mut out);
            }
            out.iter().any(|f| f.rule == rule)
        };
        for (i, ev) in pos.iter().enumerate() {
            assert!(
                run(&ls, ev, proxy_ls),
                "{rule}: match event {i} did not fire: {ev}"
            );
        }
        for (i, ev) in neg.iter().enumerate() {
            assert!(
                !run(&ls, ev, proxy_ls),
                "{rule}: nomatch event {i} fired: {ev}"
            );
        }
        if reads_proxy && !proxy_ls {
            let pls = exhunt_sigma::httpproxy_logsource();
            let pos = t["httpproxy_match"].as_array();
            let neg = t["httpproxy_nomatch"].as_array();
            assert!(
                pos.is_some_and(|p| !p.is_empty()) && neg.is_some_and(|n| !n.is_empty()),
                "{rule}: reads HttpProxy rows, needs httpproxy_match and httpproxy_nomatch"
            );
            let needs = det.httpproxy_needs();
            for (i, ev) in pos.unwrap().iter().enumerate() {
                assert!(
                    run(&pls, ev, true),
                    "{rule}: HttpProxy row {i} did not fire: {ev}"
                );
                // What the raw CSV row holds: its values, comma-separated;
                // the pre-filter's needs must keep it.
                let line: Vec<&str> = ev
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|v| v.as_str().unwrap_or(""))
                    .collect();
                assert!(
                    needs.iter().any(|n| n.accepts(line.join(",").as_bytes())),
                    "{rule}: the HttpProxy pre-filter would skip row {i}: {ev}"
                );
            }
            for (i, ev) in neg.unwrap().iter().enumerate() {
                assert!(
                    !run(&pls, ev, true),
                    "{rule}: HttpProxy nomatch row {i} fired: {ev}"
                );
            }
        }
        // Web rules other than HttpProxy-only ones never fire on an HttpProxy
        // row unless they say they read them.
        if !reads_proxy && ls.category.as_deref() == Some("webserver") {
            for ev in pos {
                let mut out = Vec::new();
                det.check_httpproxy(&ctx, &record(&ls, ev.as_object().unwrap()), &mut out);
                assert!(
                    !out.iter().any(|f| f.rule == rule),
                    "{rule} read an HttpProxy row"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, tests.len(), "test files without a rule");
    assert_eq!(checked, 25);
}

#[test]
fn rules_only_see_their_logsource() {
    // A process-creation event must not be judged by webserver rules and
    // the reverse: the w3wp rule's fields in a web log line do nothing.
    let det = SigmaDetector::new(bundled_rules().build());
    let kind = ArtifactKind::EventJsonl;
    let ctx = LogContext {
        path: "test",
        kind: &kind,
    };
    let mut fields = serde_json::Map::new();
    fields.insert("ParentImage".into(), "C:\\w\\w3wp.exe".into());
    fields.insert("Image".into(), "C:\\Windows\\System32\\cmd.exe".into());
    let web = LogSource {
        category: Some("webserver".into()),
        ..Default::default()
    };
    let mut out = Vec::new();
    det.check(&ctx, &record(&web, &fields), &mut out);
    assert!(out.is_empty());
    let proc_ = LogSource {
        category: Some("process_creation".into()),
        product: Some("windows".into()),
        service: None,
    };
    det.check(&ctx, &record(&proc_, &fields), &mut out);
    assert_eq!(out.len(), 1);
}

#[test]
fn webserver_rules_declare_literals_that_their_match_events_hold() {
    let det = SigmaDetector::new(bundled_rules().build());
    let web = LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("iis".into()),
    };
    let needs = det
        .needs_for(&web)
        .expect("every bundled webserver rule declares literals");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/sigma-tests");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
        if v["logsource"]["category"] != "webserver" {
            continue;
        }
        for ev in v["match"].as_array().unwrap() {
            // What a raw IIS line holds: the values, space-separated.
            let line: Vec<String> = ev
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| k.as_str() != "c-uri")
                .map(|(_, v)| v.as_str().unwrap_or("").to_string())
                .collect();
            let line = line.join(" ");
            assert!(
                needs.iter().any(|n| n.accepts(line.as_bytes())),
                "{}: the pre-filter would skip {ev}",
                v["rule"]
            );
            seen += 1;
        }
    }
    assert!(seen >= 10);
    // A user's rule without literals turns the pre-filter off.
    let mut b = bundled_rules();
    b.add_yaml(
        "title: t\nid: 21111111-1111-1111-1111-111111111111\nlogsource:\n  category: webserver\ndetection:\n  sel:\n    cs-uri-stem: '/x'\n  condition: sel\n",
        "user/t.yml",
    );
    assert!(SigmaDetector::new(b.build()).needs_for(&web).is_none());
}
