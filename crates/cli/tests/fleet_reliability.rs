//! The fleet server under stress, through the real binary: 200 uploads at
//! once from 200 tokens, `kill -9` in the middle of a stream of uploads,
//! and a database that runs out of room. Every acknowledged report must be
//! there exactly once, nothing half-stored, and the client's spool must
//! deliver the rest.

mod fleet_support;

use fleet_support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn two_hundred_uploads_at_once() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tokens: Vec<String> = (0..200).map(|i| db.org(&format!("Org {i:03}"))).collect();
        let analyst = db.analyst();
        let s = db.start(&["--max-connections", "16"]);
        let bodies: Vec<Vec<u8>> = (0..200)
            .map(|i| {
                let tpl = if i % 4 == 0 { &t.compromised } else { &t.clean };
                variant(tpl, &format!("SRV{i:03}"), &format!("c{i}"))
            })
            .collect();
        let answers: Vec<(u16, Value)> = std::thread::scope(|sc| {
            let handles: Vec<_> = tokens
                .iter()
                .zip(&bodies)
                .map(|(tok, body)| {
                    let url = s.url.clone();
                    sc.spawn(move || {
                        let (st, v, _) =
                            post(&url, Some(tok), body.clone(), false).expect("answer");
                        (st, v)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok: Vec<i64> = answers
            .iter()
            .filter(|(st, _)| *st == 201)
            .map(|(_, v)| v["id"].as_i64().unwrap())
            .collect();
        // Writers queue (SQLite) or run side by side (PostgreSQL): none is
        // turned away.
        for (st, v) in &answers {
            assert_eq!(*st, 201, "{b:?}: {v}");
        }
        let distinct: BTreeSet<i64> = ok.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            ok.len(),
            "every acknowledged report has its own id"
        );
        let (_, c) = s.get(&analyst, "/api/v1/counts");
        assert_eq!(c["servers"], ok.len() as i64, "{b:?}: {c}");
        assert_eq!(c["organisations"], ok.len() as i64);
        for id in &ok {
            assert_eq!(s.get(&analyst, &format!("/api/v1/reports/{id}")).0, 200);
        }
        // Sent again, all at once: each is known, none stored twice.
        let again: Vec<u16> = std::thread::scope(|sc| {
            let handles: Vec<_> = tokens
                .iter()
                .zip(&bodies)
                .map(|(tok, body)| {
                    let url = s.url.clone();
                    sc.spawn(move || post(&url, Some(tok), body.clone(), true).expect("answer").0)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let dup = again.iter().filter(|s| **s == 200).count();
        assert!(dup >= ok.len(), "{again:?}");
        let (_, list) = s.get(&analyst, "/api/v1/servers?limit=1000");
        assert!(list["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["reports"] == 1));
    }
}

#[test]
fn kill_nine_in_the_middle_of_uploads() {
    let t = templates();
    for b in backends() {
        let db = b.fresh();
        let tok = db.org("Org");
        let tf = db.token_file(&tok);
        let analyst = db.analyst();
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let url = format!("http://{listen}");
        let mut s = Server::start(&db.url, &listen, &["--rate-limit", "0"]);
        let dir = db.dir.path().join("reports");
        std::fs::create_dir(&dir).unwrap();
        let n = 150;
        let mut files = Vec::new();
        for i in 0..n {
            let p = dir.join(format!("r{i:03}.json"));
            let tpl = if i % 3 == 0 { &t.compromised } else { &t.clean };
            std::fs::write(&p, variant(tpl, &format!("K{i:03}"), "k")).unwrap();
            files.push(p);
        }
        let spool = db.dir.path().join("spool");
        let mut args: Vec<String> = vec![
            "upload".into(),
            "--to".into(),
            url.clone(),
            "--token-file".into(),
            tf.display().to_string(),
        ];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let client = std::process::Command::new(bin())
            .args(&args)
            .env("EXHUNT_SPOOL", &spool)
            .env("EXHUNT_UPLOAD_BACKOFF_MS", "20")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Kill the server once some reports are in, the client still sending.
        assert!(wait_until(60, || {
            s.get(&analyst, "/api/v1/counts").1["servers"]
                .as_i64()
                .unwrap_or(0)
                >= 30
        }));
        s.kill9();
        let out = client.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "some uploads failed: {err}");
        // What the client heard 201 for: "FILE uploaded to URL (report N)".
        let acked: BTreeMap<String, i64> = err
            .lines()
            .filter_map(|l| {
                let l = l.strip_prefix("exhunt: ")?;
                let (file, rest) = l.split_once(" uploaded to ")?;
                let id = rest
                    .rsplit_once("(report ")?
                    .1
                    .trim_end_matches(')')
                    .parse()
                    .ok()?;
                Some((file.to_string(), id))
            })
            .collect();
        assert!(
            acked.len() >= 30 && acked.len() < n,
            "{} acknowledged",
            acked.len()
        );
        let waiting = spooled(&spool).len();
        assert_eq!(
            acked.len() + waiting,
            n,
            "every report was acknowledged or kept: {err}"
        );

        // Restart: the database is sound and holds every acknowledged one.
        let (code, ok, e) = db.admin(&["check"]);
        assert_eq!((code, ok.trim()), (0, "ok"), "{e}");
        let s = Server::start(&db.url, &listen, &["--rate-limit", "0"]);
        for (file, id) in &acked {
            let (st, doc) = s.get_text(&analyst, &format!("/api/v1/reports/{id}"));
            assert_eq!(st, 200, "{file}");
            assert_eq!(doc.as_bytes(), std::fs::read(file).unwrap(), "{file}");
        }
        // The next run sends what waited; each report is there once.
        let (code, err) = exhunt_cmd(
            &["upload", "--to", &url, "--token-file", tf.to_str().unwrap()],
            &spool,
        );
        assert_eq!(code, 0, "{err}");
        assert!(spooled(&spool).is_empty());
        let (_, list) = s.get(&analyst, "/api/v1/servers?limit=1000");
        assert_eq!(list["total"], n as i64);
        assert!(
            list["servers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["reports"] == 1),
            "stored exactly once"
        );
    }
}

#[test]
fn a_full_database_refuses_with_503_and_stores_nothing_partial() {
    let t = templates();
    let db = Backend::Sqlite.fresh();
    let tok = db.org("Org");
    let tf = db.token_file(&tok);
    let analyst = db.analyst();
    // The empty schema takes some 30 pages of 4 KiB; 80 leave room for a
    // few reports only.
    let s = db.start(&["--sqlite-max-pages", "80", "--rate-limit", "0"]);
    let mut stored = 0;
    let mut refused = None;
    for i in 0..200 {
        let (st, v, _) = s.post(
            Some(&tok),
            variant(&t.compromised, &format!("F{i:03}"), "f"),
            false,
        );
        match st {
            201 => stored += 1,
            503 => {
                refused = Some((i, v));
                break;
            }
            other => panic!("{other}: {v}"),
        }
    }
    let (at, why) = refused.expect("the database filled up");
    assert!(stored >= 1, "some reports fit first");
    assert!(why["error"].as_str().unwrap().contains("full"), "{why}");
    // Nothing of the refused report: no server, no history row, no
    // indicator; the database is sound.
    let (_, list) = s.get(&analyst, "/api/v1/servers?limit=1000");
    assert_eq!(list["total"], stored);
    assert!(!list.to_string().contains(&format!("f{at:03}")));
    let (_, c) = s.get(&analyst, "/api/v1/counts");
    assert_eq!(c["servers"], stored);
    for x in list["servers"].as_array().unwrap() {
        let (_, one) = s.get(&analyst, &format!("/api/v1/servers/{}", x["id"]));
        assert_eq!(one["history"].as_array().unwrap().len(), 1);
    }
    let (code, ok, _) = db.admin(&["check"]);
    assert_eq!((code, ok.trim()), (0, "ok"));
    // The client keeps it for later.
    let spool = db.dir.path().join("spool");
    let r = db.dir.path().join("late.json");
    std::fs::write(&r, variant(&t.compromised, "LATE", "f")).unwrap();
    let (code, err) = exhunt_cmd(
        &[
            "upload",
            "--to",
            &s.url,
            "--token-file",
            tf.to_str().unwrap(),
            r.to_str().unwrap(),
        ],
        &spool,
    );
    assert_eq!(code, 2);
    assert!(err.contains("503") && err.contains("next run"), "{err}");
    assert_eq!(spooled(&spool).len(), 1);
}
