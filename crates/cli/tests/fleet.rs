//! `exhunt serve` through the real binary, on SQLite and (when `.ci/run`
//! started one) PostgreSQL: ingest and read-back, duplicates, every error
//! status, the isolation between organisations through every endpoint,
//! the client's spool and retries, TLS, retention and deleting an
//! organisation, and two server processes sharing one PostgreSQL.

mod fleet_support;

use fleet_support::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The web shell's SHA-256 in the bundled example (its `sha256` evidence).
fn example_shell_sha(t: &Value) -> String {
    t["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "webshell")
        .find_map(|f| f["evidence"]["sha256"].as_str())
        .expect("the example has a web shell with its hash")
        .to_string()
}

fn probe_doc(target: &str, build: &str, campaigns: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schema": "exhunt/probe/v1",
        "results": [{"target": target, "reachable": true, "build": build, "build_source": "X-OWA-Version",
                     "product": "Exchange Server 2019 CU8", "open_cves": ["CVE-2021-26855"], "error": null,
                     "url": format!("https://{target}/owa/"), "tls_unverified": false, "campaigns": campaigns,
                     "install": null}]
    }))
    .unwrap()
}

#[test]
fn ingest_and_read_back() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let town = db.org("Town of Example");
        let shop = db.org("Example Shop");
        let analyst = db.analyst();
        let s = db.start(&[]);
        let bad = variant(&t.compromised, "EX01", "town");
        let (st, body, _) = s.post(Some(&town), bad.clone(), false);
        assert_eq!(st, 201, "{b:?}: {body}");
        assert_eq!(body["sha256"], sha(&bad));
        let report_id = body["id"].as_i64().unwrap();
        let (st, _, _) = s.post(Some(&shop), variant(&t.clean, "MAIL", "shop"), true);
        assert_eq!(st, 201);
        let (st, body, _) = s.post(
            Some(&town),
            probe_doc(
                "webmail.example.org:443",
                "15.2.792.3",
                json!([["ProxyLogon", ["CVE-2021-26855"]]]),
            ),
            false,
        );
        assert_eq!(st, 201, "{body}");

        // The list: three servers, worst first, with what the report said.
        let (st, list) = s.get(&analyst, "/api/v1/servers");
        assert_eq!(st, 200);
        assert_eq!(list["total"], 3, "{b:?}: {list}");
        let first = &list["servers"][0];
        assert_eq!(first["name"], "ex01");
        assert_eq!(first["org"], "Town of Example");
        assert_eq!(first["verdict"], "compromised");
        assert_eq!(first["exposure"], t.compromised["exposure"]["state"]);
        assert_eq!(first["build"], t.compromised["patch"]["build"]);
        assert_eq!(
            first["findings"],
            t.compromised["findings"].as_array().unwrap().len()
        );
        assert_eq!(first["first_step"], t.compromised["next_steps"][0]);
        let probed = list["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "webmail.example.org")
            .expect("the probed server");
        assert!(probed["verdict"].is_null(), "a probe gives no verdict");
        assert_eq!(probed["exposure"], "exposed");
        assert_eq!(probed["campaigns"], json!(["ProxyLogon"]));

        // Filters.
        let total = |q: &str| s.get(&analyst, &format!("/api/v1/servers?{q}")).1["total"].clone();
        assert_eq!(total("verdict=compromised"), 1);
        assert_eq!(total("verdict=compromised,clean,inconclusive"), 2, "{list}");
        assert_eq!(total("verdict=none"), 1);
        let open_to = |r: &Value| {
            r["exposure"]["campaigns"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "ProxyLogon") as u64
        };
        let proxylogon = 1 + open_to(&t.compromised) + open_to(&t.clean);
        assert_eq!(total("campaign=proxylogon"), proxylogon);
        assert_eq!(total("org=Example%20Shop"), 1);
        assert_eq!(total("build=15.2.792.3"), 1);
        assert_eq!(total("seen_after=2999-01-01"), 0);
        assert_eq!(total("seen_before=2999-01-01"), 3);
        assert_eq!(total("q=ex0"), 1);
        let (st, e) = s.get(&analyst, "/api/v1/servers?sort=bogus");
        assert_eq!(st, 400, "{e}");
        let (st, e) = s.get(&analyst, "/api/v1/servers?seen_after=yesterday-ish");
        assert_eq!(st, 400, "{e}");
        let page = s
            .get(&analyst, "/api/v1/servers?sort=name&limit=2&offset=2")
            .1;
        assert_eq!(page["servers"].as_array().unwrap().len(), 1);
        assert_eq!(page["servers"][0]["name"], "webmail.example.org");

        // One server: history, its latest report as uploaded, shared indicators.
        let id = first["id"].as_i64().unwrap();
        let (st, one) = s.get(&analyst, &format!("/api/v1/servers/{id}"));
        assert_eq!(st, 200);
        assert_eq!(one["history"].as_array().unwrap().len(), 1);
        assert_eq!(one["history"][0]["report"], report_id);
        let shell = example_shell_sha(&t.compromised);
        assert!(
            one["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["kind"] == "sha256" && i["value"] == shell.as_str()),
            "{}",
            one["indicators"]
        );
        let (_, latest) = s.get(&analyst, &format!("/api/v1/servers/{id}/report"));
        let sent: Value = serde_json::from_slice(&bad).unwrap();
        assert!(
            latest["findings"] == sent["findings"],
            "the latest report is the one sent"
        );
        let (st, doc) = s.get_text(&analyst, &format!("/api/v1/reports/{report_id}"));
        assert_eq!(st, 200);
        assert_eq!(
            sha(doc.as_bytes()),
            sha(&bad),
            "the document comes back byte for byte"
        );

        // Counts now and by day.
        let (_, c) = s.get(&analyst, "/api/v1/counts");
        assert_eq!(c["servers"], 3);
        assert_eq!(c["verdict"]["compromised"], 1);
        assert_eq!(c["verdict"]["none"], 1);
        assert_eq!(c["campaign"]["ProxyLogon"], proxylogon);
        assert_eq!(c["organisations"], 2);
        let (_, d) = s.get(&analyst, "/api/v1/counts/daily?days=7");
        let days = d["days"].as_array().unwrap();
        // One day, or two when the uploads straddled midnight (UTC): the
        // compromised server is in exactly one of them.
        assert!((1..=2).contains(&days.len()), "{d}");
        let compromised: i64 = days
            .iter()
            .map(|x| x["verdict"]["compromised"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(compromised, 1);

        // The pivot: the shell's hash, an attacker address, without case.
        let (_, p) = s.get(
            &analyst,
            &format!("/api/v1/indicators?value={}", shell.to_uppercase()),
        );
        assert_eq!(p["servers"], 1, "{p}");
        assert_eq!(p["sightings"][0]["server_name"], "ex01");
        assert_eq!(p["sightings"][0]["org"], "Town of Example");
        let (st, _) = s.get(&analyst, "/api/v1/indicators");
        assert_eq!(st, 400);
        let (st, csv) = s.get_text(
            &analyst,
            &format!("/api/v1/indicators?value={shell}&format=csv"),
        );
        assert_eq!(st, 200);
        assert!(csv.lines().count() == 2 && csv.contains("ex01"), "{csv}");

        // CSV of the list, and the STIX bundle of the fleet.
        let (st, csv) = s.get_text(&analyst, "/api/v1/servers.csv?sort=name");
        assert_eq!(st, 200);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][2], "ex01");
        let (st, stix_text) = s.get_text(&analyst, "/api/v1/stix?tlp=green");
        assert_eq!(st, 200);
        keep_stix(&format!("fleet-api-{}", b.name()), &stix_text);
        let stix: Value = serde_json::from_str(&stix_text).unwrap();
        assert_eq!(stix["type"], "bundle");
        let objects = stix["objects"].as_array().unwrap();
        assert!(objects
            .iter()
            .any(|o| o["type"] == "indicator" && o["pattern"].as_str().unwrap().contains(&shell)));
        assert!(objects
            .iter()
            .any(|o| o["type"] == "identity" && o["name"] == "Town of Example: ex01"));
        let (_, health) = s.get("", "/api/v1/health");
        assert_eq!(health["database"], b.name());
    }
}

#[test]
fn same_report_twice_is_stored_once() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let analyst = db.analyst();
        let s = db.start(&[]);
        let r = variant(&t.compromised, "EX01", "a");
        let (st, first, _) = s.post(Some(&tok), r.clone(), false);
        assert_eq!(st, 201);
        let (st, again, _) = s.post(Some(&tok), r.clone(), false);
        assert_eq!(st, 200, "{again}");
        assert_eq!(again["status"], "duplicate");
        assert_eq!(again["id"], first["id"]);
        // Compressed, it is still the same report.
        let (st, zipped, _) = s.post(Some(&tok), r.clone(), true);
        assert_eq!(st, 200);
        assert_eq!(zipped["id"], first["id"]);
        let (_, list) = s.get(&analyst, "/api/v1/servers");
        assert_eq!(list["servers"][0]["reports"], 1);
        let id = list["servers"][0]["id"].as_i64().unwrap();
        let (_, one) = s.get(&analyst, &format!("/api/v1/servers/{id}"));
        assert_eq!(one["history"].as_array().unwrap().len(), 1);
        // A later report of the same server is a new one in its history.
        let (st, _, _) = s.post(Some(&tok), variant(&t.clean, "ex01", "b"), false);
        assert_eq!(st, 201);
        let (_, one) = s.get(&analyst, &format!("/api/v1/servers/{id}"));
        assert_eq!(one["history"].as_array().unwrap().len(), 2);
        assert_eq!(one["server"]["verdict"], t.clean["verdict"]);
        assert_eq!(one["history"][1]["verdict"], "compromised");
    }
}

#[test]
fn every_error_status() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let revoked = {
            let (code, out, _) =
                db.admin(&["token", "add", "--org", "Org", "--label", "old laptop"]);
            assert_eq!(code, 0);
            out.trim().to_string()
        };
        let (_, list, _) = db.admin(&["token", "list", "--json"]);
        let list: Value = serde_json::from_str(&list).unwrap();
        assert!(
            !list.to_string().contains(&revoked),
            "token list never shows a secret"
        );
        let id = list
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["label"] == "old laptop")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_eq!(db.admin(&["token", "revoke", &id.to_string()]).0, 0);
        let analyst = db.analyst();
        let s = db.start(&["--max-upload", "400K"]);
        let good = variant(&t.compromised, "EX01", "x");
        assert!(good.len() < 400 << 10);

        let (st, e, _) = s.post(None, good.clone(), false);
        assert_eq!(st, 401, "{e}");
        let (st, _, _) = s.post(Some("exh_0000"), good.clone(), false);
        assert_eq!(st, 401);
        let (st, e, _) = s.post(Some(&revoked), good.clone(), false);
        assert_eq!(st, 401, "a revoked token: {e}");
        let (st, e, _) = s.post(Some(&analyst), good.clone(), false);
        assert_eq!(st, 403, "{e}");
        let (st, _) = s.get("exh_nope", "/api/v1/servers");
        assert_eq!(st, 401);

        // 400 with a reason, and nothing stored.
        for (body, says) in [
            (b"{not json".to_vec(), "not JSON"),
            (
                br#"{"schema":"exhunt/report/v2"}"#.to_vec(),
                "not one this server takes",
            ),
            (
                br#"{"schema":"exhunt/report/v1","verdict":"clean"}"#.to_vec(),
                "missing field",
            ),
            (br#"[1,2,3]"#.to_vec(), "schema"),
            (vec![0x1f, 0x8b, 0, 0], "gzip"),
        ] {
            let (st, e, _) = s.post(Some(&tok), body, false);
            assert_eq!(st, 400, "{e}");
            assert!(e["error"].as_str().unwrap().contains(says), "{e}");
        }
        let mut wrong = t.compromised.clone();
        wrong["verdict"] = json!("pwned");
        let (st, e, _) = s.post(Some(&tok), serde_json::to_vec(&wrong).unwrap(), false);
        assert_eq!(st, 400, "{e}");
        let (_, c) = s.get(&analyst, "/api/v1/counts");
        assert_eq!(c["servers"], 0, "nothing stored from a refused upload");
        let (_, orgs) = s.get(&analyst, "/api/v1/orgs");
        assert!(orgs["orgs"][0]["last_report"].is_null(), "{orgs}");

        // 413: too large as sent, and too large once decompressed.
        let mut big = t.compromised.clone();
        big["padding"] = json!("x".repeat(500 << 10));
        let big = serde_json::to_vec(&big).unwrap();
        let (st, e, _) = s.post(Some(&tok), big.clone(), false);
        assert_eq!(st, 413, "{e}");
        let (st, e, _) = s.post(Some(&tok), big, true);
        assert_eq!(st, 413, "a gzip bomb: {e}");

        // 429 with Retry-After, per token (the window is the minute: when
        // the three uploads straddle a minute's end, again).
        let limited = db.start(&["--rate-limit", "2"]);
        let mut got = None;
        for round in 0..3 {
            let tok = db.org(&format!("Limited {round}"));
            let answers: Vec<(u16, Option<String>)> = (0..3)
                .map(|i| {
                    let (st, _, retry) = limited.post(
                        Some(&tok),
                        variant(&t.clean, &format!("L{round}-{i}"), "l"),
                        false,
                    );
                    (st, retry)
                })
                .collect();
            if answers[2].0 == 429 {
                got = Some(answers);
                break;
            }
        }
        let answers = got.expect("the third upload in a minute is refused");
        assert_eq!(answers[0].0, 201);
        assert_eq!(answers[1].0, 201);
        let secs: u64 = answers[2].1.clone().expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&secs));
        // Another organisation's token has its own limit.
        let other = db.org("Other");
        let (st, _, _) = limited.post(Some(&other), good.clone(), false);
        assert_eq!(st, 201);
        assert_eq!(s.post(Some(&tok), good.clone(), false).0, 201);

        // 404: an unknown server, report, endpoint.
        assert_eq!(s.get(&analyst, "/api/v1/servers/999999").0, 404);
        assert_eq!(s.get(&analyst, "/api/v1/reports/999999").0, 404);
        assert_eq!(s.get(&analyst, "/api/v1/nothing").0, 404);
    }
}

#[test]
fn an_organisation_sees_only_its_own() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let a = db.org("A");
        let bb = db.org("B");
        let analyst = db.analyst();
        let s = db.start(&[]);
        let (_, ra, _) = s.post(Some(&a), variant(&t.clean, "A-MAIL", "a"), false);
        let (_, rb, _) = s.post(Some(&bb), variant(&t.compromised, "B-MAIL", "b"), false);
        // A uploads a report naming B's host: it is A's own server, B's
        // stays as it was.
        let (st, _, _) = s.post(Some(&a), variant(&t.clean, "b-mail", "a2"), false);
        assert_eq!(st, 201);
        let rb_id = rb["id"].as_i64().unwrap();
        let b_server = rb["servers"][0]["id"].as_i64().unwrap();
        let a_server = ra["servers"][0]["id"].as_i64().unwrap();
        let shell = example_shell_sha(&t.compromised);

        let (_, list) = s.get(&a, "/api/v1/servers");
        assert_eq!(list["total"], 2);
        assert!(list["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["org"] == "A"));
        assert_eq!(s.get(&a, "/api/v1/servers?org=B").1["total"], 0);
        assert_eq!(
            s.get(&a, "/api/v1/servers?verdict=compromised").1["total"],
            0
        );
        assert_eq!(s.get(&a, &format!("/api/v1/servers/{b_server}")).0, 404);
        assert_eq!(
            s.get(&a, &format!("/api/v1/servers/{b_server}/report")).0,
            404
        );
        assert_eq!(s.get(&a, &format!("/api/v1/reports/{rb_id}")).0, 404);
        assert_eq!(
            s.get(&a, &format!("/api/v1/indicators?value={shell}")).1["servers"],
            0
        );
        let (_, csv) = s.get_text(&a, &format!("/api/v1/indicators?value={shell}&format=csv"));
        assert_eq!(csv.lines().count(), 1, "{csv}");
        let (_, c) = s.get(&a, "/api/v1/counts");
        assert_eq!(c["servers"], 2);
        assert!(c["verdict"].get("compromised").is_none());
        let (_, d) = s.get(&a, "/api/v1/counts/daily");
        assert!(d["days"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["verdict"].get("compromised").is_none()));
        let (_, csv) = s.get_text(&a, "/api/v1/servers.csv");
        assert!(!csv.contains(",B,"), "{csv}");
        assert_eq!(csv.lines().count(), 3);
        let (_, stix) = s.get_text(&a, "/api/v1/stix");
        assert!(!stix.contains(&shell), "A's bundle holds nothing of B's");
        let (_, orgs) = s.get(&a, "/api/v1/orgs");
        assert_eq!(orgs["orgs"].as_array().unwrap().len(), 1);
        assert_eq!(orgs["orgs"][0]["name"], "A");
        // B sees its own, the analyst both.
        assert_eq!(s.get(&bb, &format!("/api/v1/servers/{b_server}")).0, 200);
        assert_eq!(s.get(&bb, &format!("/api/v1/servers/{a_server}")).0, 404);
        assert_eq!(
            s.get(&bb, &format!("/api/v1/indicators?value={shell}")).1["servers"],
            1
        );
        assert_eq!(s.get(&analyst, "/api/v1/servers").1["total"], 3);
        assert_eq!(
            s.get(&analyst, &format!("/api/v1/servers/{b_server}")).1["server"]["verdict"],
            "compromised"
        );
    }
}

#[test]
fn spool_when_the_server_is_down_then_sent() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let tf = db.token_file(&tok);
        let analyst = db.analyst();
        let spool = db.dir.path().join("spool");
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let reports = db.dir.path().join("reports");
        std::fs::create_dir(&reports).unwrap();
        let r1 = reports.join("r1.json");
        std::fs::write(&r1, variant(&t.compromised, "EX01", "1")).unwrap();
        let (code, err) = exhunt_cmd(
            &[
                "upload",
                "--to",
                &url,
                "--token-file",
                tf.to_str().unwrap(),
                r1.to_str().unwrap(),
            ],
            &spool,
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("could not upload") && err.contains("next run"),
            "{err}"
        );
        assert_eq!(spooled(&spool).len(), 1);

        // A scan with --upload: the verdict's exit code stands, the report waits.
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/proxylogon-compromised");
        let (code, err) = exhunt_cmd(
            &[
                "scan",
                "-q",
                "--format",
                "json",
                "--upload",
                &url,
                "--token-file",
                tf.to_str().unwrap(),
                example.to_str().unwrap(),
            ],
            &spool,
        );
        assert_eq!(code, 30, "{err}");
        assert!(err.contains("could not upload the report"), "{err}");
        assert_eq!(spooled(&spool).len(), 2);

        // The server comes up; the next run sends what waited.
        let s = Server::start(&db.url, &format!("127.0.0.1:{port}"), &[]);
        let (code, err) = exhunt_cmd(
            &["upload", "--to", &url, "--token-file", tf.to_str().unwrap()],
            &spool,
        );
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("2 report(s) kept from earlier runs sent"),
            "{err}"
        );
        assert!(spooled(&spool).is_empty());
        let (_, list) = s.get(&analyst, "/api/v1/servers");
        assert_eq!(list["total"], 1, "both reports are of EX01");
        assert_eq!(list["servers"][0]["reports"], 2);

        // A refused report is not spooled.
        let junk = reports.join("junk.json");
        std::fs::write(&junk, "{\"schema\": \"nope\"}").unwrap();
        let (code, err) = exhunt_cmd(
            &[
                "upload",
                "--to",
                &url,
                "--token-file",
                tf.to_str().unwrap(),
                junk.to_str().unwrap(),
            ],
            &spool,
        );
        assert_eq!(code, 2);
        assert!(err.contains("refused") && err.contains("400"), "{err}");
        assert!(spooled(&spool).is_empty());
        // The spool is never inside the evidence.
        let inside = example.join("spool");
        let out = std::process::Command::new(bin())
            .args([
                "scan",
                "-q",
                "--format",
                "json",
                "--upload",
                &url,
                "--token-file",
                tf.to_str().unwrap(),
                "--spool",
                inside.to_str().unwrap(),
                example.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("never writes into evidence"));
        assert!(!inside.exists());
    }
}

#[test]
fn tls_is_verified() {
    let t = templates();
    let db = Backend::Sqlite.fresh();
    let tok = db.org("Org");
    let tf = db.token_file(&tok);
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = db.dir.path().join("cert.pem");
    let key = db.dir.path().join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
    let s = db.start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let url = s.url.replace("127.0.0.1", "localhost");
    let spool = db.dir.path().join("spool");
    let r = db.dir.path().join("r.json");
    std::fs::write(&r, variant(&t.compromised, "EX01", "tls")).unwrap();
    let (code, err) = exhunt_cmd(
        &[
            "upload",
            "--to",
            &url,
            "--token-file",
            tf.to_str().unwrap(),
            r.to_str().unwrap(),
        ],
        &spool,
    );
    assert_eq!(
        code, 2,
        "a self-signed certificate is not trusted by default: {err}"
    );
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    let (code, err) = exhunt_cmd(
        &[
            "upload",
            "--to",
            &url,
            "--token-file",
            tf.to_str().unwrap(),
            "--ca-cert",
            cert.to_str().unwrap(),
        ],
        &spool,
    );
    assert_eq!(code, 0, "with --ca-cert the spooled report goes: {err}");
    assert!(
        err.contains("1 report(s) kept from earlier runs sent"),
        "{err}"
    );
}

#[test]
fn retention_and_deleting_an_organisation() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let gone = db.org("Leaving Org");
        let stays = db.org("Staying Org");
        let analyst = db.analyst();
        let s = db.start(&[]);
        let marker = "UNIQUE-MARKER-7f3a9c";
        assert_eq!(
            s.post(
                Some(&gone),
                variant(&t.compromised, "EX-OLD", marker),
                false
            )
            .0,
            201
        );
        assert_eq!(
            s.post(Some(&stays), variant(&t.compromised, "EX02", "s1"), false)
                .0,
            201
        );
        assert_eq!(
            s.post(Some(&stays), variant(&t.clean, "EX02", "s2"), false)
                .0,
            201
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
        // Older than 0 days: every report but each server's latest.
        let (code, _, err) = db.admin(&["prune", "0"]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("1 report(s)"), "{err}");
        let (_, list) = s.get(&analyst, "/api/v1/servers?org=Staying%20Org");
        let id = list["servers"][0]["id"].as_i64().unwrap();
        let (_, one) = s.get(&analyst, &format!("/api/v1/servers/{id}"));
        assert_eq!(one["history"].as_array().unwrap().len(), 1);
        assert_eq!(one["server"]["verdict"], t.clean["verdict"]);
        assert_eq!(
            s.get(&analyst, &format!("/api/v1/servers/{id}/report")).0,
            200
        );

        // `--retain DAYS` does the same when the server starts, then hourly.
        assert_eq!(
            s.post(Some(&stays), variant(&t.clean, "EX02", "s3"), false)
                .0,
            201
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let keeper = db.start(&["--retain", "0"]);
        assert!(
            wait_until(30, || keeper
                .log
                .lock()
                .unwrap()
                .contains("retention: 1 report(s)")),
            "{}",
            keeper.log.lock().unwrap()
        );
        drop(keeper);
        let (_, one) = s.get(&analyst, &format!("/api/v1/servers/{id}"));
        assert_eq!(one["history"].as_array().unwrap().len(), 1);

        let (code, _, err) = db.admin(&["org", "delete", "Leaving Org"]);
        assert_eq!(code, 2, "deleting needs --yes: {err}");
        let (code, _, err) = db.admin(&["org", "delete", "Leaving Org", "--yes"]);
        assert_eq!(code, 0, "{err}");
        let (_, c) = s.get(&analyst, "/api/v1/counts");
        assert_eq!(c["servers"], 1);
        let shell = example_shell_sha(&t.compromised);
        assert_eq!(
            s.get(&analyst, &format!("/api/v1/indicators?value={shell}"))
                .1["servers"],
            0
        );
        assert_eq!(
            s.get(&gone, "/api/v1/servers").0,
            401,
            "its tokens are gone too"
        );
        if let Some(f) = &db.sqlite_file {
            drop(s);
            let mut bytes = std::fs::read(f).unwrap();
            if let Ok(w) = std::fs::read(f.with_extension("db-wal")) {
                bytes.extend(w);
            }
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "the deleted organisation's report text is not left in the file"
            );
        }
    }
}

#[test]
fn two_processes_share_one_postgres() {
    let Some(admin) = pg_url() else {
        assert!(
            std::env::var("EXHUNT_NEED_PG").is_err(),
            "EXHUNT_NEED_PG set without EXHUNT_TEST_PG"
        );
        return;
    };
    let t = templates();
    let db = Backend::Postgres(admin).fresh();
    // Both start on an empty database at once: one migrates, the other
    // waits for it.
    let (s1, s2) = std::thread::scope(|sc| {
        let h1 = sc.spawn(|| db.start(&[]));
        let h2 = sc.spawn(|| db.start(&[]));
        (h1.join().unwrap(), h2.join().unwrap())
    });
    let tok = db.org("Org");
    let analyst = db.analyst();
    let mut ids = Vec::new();
    for i in 0..10 {
        let s = if i % 2 == 0 { &s1 } else { &s2 };
        let (st, body, _) = s.post(
            Some(&tok),
            variant(&t.compromised, &format!("EX{i:02}"), "p"),
            false,
        );
        assert_eq!(st, 201);
        ids.push(body["id"].as_i64().unwrap());
    }
    // What one stored the other serves; a duplicate sent to the other is
    // known there.
    assert_eq!(s2.get(&analyst, "/api/v1/servers").1["total"], 10);
    assert_eq!(
        s1.get(&analyst, "/api/v1/counts").1["verdict"]["compromised"],
        10
    );
    let (st, dup, _) = s2.post(Some(&tok), variant(&t.compromised, "EX00", "p"), false);
    assert_eq!(st, 200);
    assert_eq!(dup["id"], ids[0]);
    // The rate limit is the database's, so it holds over both processes.
    drop((s1, s2));
    let s1 = db.start(&["--rate-limit", "3"]);
    let s2 = db.start(&["--rate-limit", "3"]);
    let mut last = Vec::new();
    for round in 0..3 {
        let tok2 = db.org(&format!("Limited {round}"));
        last = (0..4)
            .map(|i| {
                let s = if i % 2 == 0 { &s1 } else { &s2 };
                s.post(
                    Some(&tok2),
                    variant(&t.clean, &format!("L{round}-{i}"), "l"),
                    false,
                )
                .0
            })
            .collect();
        if last[3] == 429 {
            break;
        }
    }
    assert_eq!(last, vec![201, 201, 201, 429], "{last:?}");
}

#[test]
fn probe_results_are_uploaded() {
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let tf = db.token_file(&tok);
        let analyst = db.analyst();
        let s = db.start(&[]);
        let spool = db.dir.path().join("spool");
        let closed = free_port();
        let target = format!("127.0.0.1:{closed}");
        let (code, err) = exhunt_cmd(
            &[
                "probe",
                &target,
                "--format",
                "json",
                "--timeout",
                "3",
                "-q",
                "--upload",
                &s.url,
                "--token-file",
                tf.to_str().unwrap(),
            ],
            &spool,
        );
        assert_eq!(code, 20, "nothing answered: cannot tell ({err})");
        assert!(err.contains("the probe results uploaded"), "{err}");
        let (_, list) = s.get(&analyst, "/api/v1/servers");
        assert_eq!(list["total"], 1);
        let x = &list["servers"][0];
        assert_eq!(x["name"], "127.0.0.1");
        assert_eq!(x["kind"], "probe");
        assert!(x["verdict"].is_null());
        assert_eq!(x["exposure"], "unknown");
        assert!(x["incomplete"].as_bool().unwrap(), "unreachable");
    }
}

#[test]
fn the_pivot_counts_everything_it_cannot_list() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let analyst = db.analyst();
        let s = db.start(&[]);
        for i in 0..3 {
            assert_eq!(
                s.post(
                    Some(&tok),
                    variant(&t.compromised, &format!("EX{i}"), "p"),
                    false
                )
                .0,
                201
            );
        }
        let shell = example_shell_sha(&t.compromised);
        let (_, p) = s.get(
            &analyst,
            &format!("/api/v1/indicators?value={shell}&limit=1"),
        );
        assert_eq!(p["sightings"].as_array().unwrap().len(), 1);
        assert_eq!(p["servers"], 3, "{p}");
        assert_eq!(p["orgs"], 1);
        assert_eq!(p["total"], 3);
        assert_eq!(p["truncated"], true);
        let (_, p) = s.get(&analyst, &format!("/api/v1/indicators?value={shell}"));
        assert_eq!(p["truncated"], false);
        // A deep page of the list is the same rows as the whole list's tail.
        let (_, all) = s.get(&analyst, "/api/v1/servers?sort=priority");
        let (_, tail) = s.get(&analyst, "/api/v1/servers?sort=priority&limit=1&offset=2");
        assert_eq!(tail["servers"][0], all["servers"][2]);
        assert_eq!(tail["total"], 3);
    }
}

#[test]
fn a_clean_stop_leaves_the_database_in_one_file() {
    let t = templates();
    let db = Backend::Sqlite.fresh();
    let tok = db.org("Org");
    let mut s = db.start(&[]);
    assert_eq!(
        s.post(Some(&tok), variant(&t.compromised, "EX01", "w"), false)
            .0,
        201
    );
    let wal = db.sqlite_file.as_ref().unwrap().with_extension("db-wal");
    assert!(wal.exists(), "the write-ahead log while serving");
    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(wait_until(10, || s.log.lock().unwrap().contains("stopped")));
    assert!(!wal.exists(), "the log was written back and removed");
    // The file alone holds the report.
    let copy = db.dir.path().join("copy.db");
    std::fs::copy(db.sqlite_file.as_ref().unwrap(), &copy).unwrap();
    let s2 = Server::start(copy.to_str().unwrap(), "127.0.0.1:0", &[]);
    let analyst = {
        let d2 = Database {
            url: copy.display().to_string(),
            dir: tempfile::tempdir().unwrap(),
            sqlite_file: Some(copy.clone()),
        };
        d2.analyst()
    };
    assert_eq!(s2.get(&analyst, "/api/v1/counts").1["servers"], 1);
}
