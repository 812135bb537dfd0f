//! The fleet dashboard through a real `exhunt serve`: sign-in (cookie
//! flags, rate limit, CSRF), the same isolation as the API through every
//! page, the security headers; then in headless chromium over the DevTools
//! protocol: sign in, the overview's counts equal the database's, filter
//! the list, open a server, search an indicator, export CSV, an
//! organisation's person cannot reach another's server by URL, a report
//! whose evidence holds `<script>`, `<img onerror>` and `javascript:`
//! strings runs nothing, and screenshots of the overview and a server page.

mod cdp;
mod fleet_support;

use fleet_support::*;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A `name=value` cookie from a response's Set-Cookie headers.
fn set_cookie(r: &reqwest::blocking::Response, name: &str) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let value = v.split(';').next().unwrap()[name.len() + 1..].to_string();
            (value, v.to_string())
        })
}

/// The hidden CSRF field of a page.
fn csrf_field(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[i..i + 64].to_string()
}

/// Signs in over HTTP: (status, session cookie and its Set-Cookie line).
fn sign_in(base: &str, name: &str, password: &str) -> (u16, Option<(String, String)>) {
    let c = no_redirects();
    let page = c.get(format!("{base}/login")).send().unwrap();
    let (login_cookie, _) = set_cookie(&page, "exhunt_login").expect("the sign-in form's cookie");
    let csrf = csrf_field(&page.text().unwrap());
    let r = c
        .post(format!("{base}/login"))
        .header("Cookie", format!("exhunt_login={login_cookie}"))
        .form(&[("name", name), ("password", password), ("csrf", &csrf)])
        .send()
        .unwrap();
    (r.status().as_u16(), set_cookie(&r, "exhunt_session"))
}

fn page(base: &str, session: &str, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = no_redirects()
        .get(format!("{base}{path}"))
        .header("Cookie", format!("exhunt_session={session}"))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().unwrap(), headers)
}

fn add_user(db: &Database, name: &str, who: &[&str]) {
    let pw = db.dir.path().join(format!("{name}.pw"));
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let mut args = vec!["user", "add", name, "--password-file", pw.to_str().unwrap()];
    args.extend_from_slice(who);
    let (code, _, err) = db.admin(&args);
    assert_eq!(code, 0, "{err}");
}

/// A compromised report whose evidence and names carry script.
fn hostile(t: &Value) -> Vec<u8> {
    let mut v = t.clone();
    let payloads = [
        "<script>window.__pwned=1</script>",
        "<img src=x onerror=\"window.__pwned=2\">",
        "javascript:window.__pwned=3",
        "\"><svg onload=window.__pwned=4>",
    ];
    for (i, f) in v["findings"].as_array_mut().unwrap().iter_mut().enumerate() {
        let p = payloads[i % payloads.len()];
        f["title"] = json!(format!("{p} {}", f["title"].as_str().unwrap()));
        f["evidence"]["UserAgent"] = json!(p);
        f["evidence"]["note"] = json!(p);
        f["host"] = Value::Null;
    }
    v["next_steps"][0] = json!(format!(
        "{} {}",
        payloads[1],
        v["next_steps"][0].as_str().unwrap()
    ));
    v["host"] = json!("<img src=x onerror=window.__pwned=5>");
    v["inputs"] = json!(["javascript:alert(1)"]);
    serde_json::to_vec(&v).unwrap()
}

struct Fleet {
    db: Database,
    /// The documents uploaded, one per server.
    sent: Vec<Value>,
    s: Server,
    analyst_token: String,
    town_server: i64,
    shop_server: i64,
    shell: String,
}

fn fleet(b: &Backend, extra: &[&str]) -> Fleet {
    let t = templates();
    let db = b.fresh();
    let town = db.org("Town");
    let shop = db.org("Shop");
    db.org("Silent Org");
    let analyst_token = db.analyst();
    add_user(&db, "alice", &["--analyst"]);
    add_user(&db, "bob", &["--org", "Town"]);
    let s = db.start(extra);
    let mut sent = Vec::new();
    let doc = variant(&t.compromised, "EX01", "t");
    sent.push(serde_json::from_slice(&doc).unwrap());
    let (st, r, _) = s.post(Some(&town), doc, false);
    assert_eq!(st, 201);
    let town_server = r["servers"][0]["id"].as_i64().unwrap();
    for i in 0..12 {
        sent.push(
            serde_json::from_slice(&variant(&t.clean, &format!("TOWN-{i:02}"), "t")).unwrap(),
        );
        assert_eq!(
            s.post(
                Some(&town),
                variant(&t.clean, &format!("TOWN-{i:02}"), "t"),
                false
            )
            .0,
            201
        );
    }
    sent.push(serde_json::from_slice(&hostile(&t.compromised)).unwrap());
    let (st, r, _) = s.post(Some(&shop), hostile(&t.compromised), false);
    assert_eq!(st, 201, "{r}");
    let shop_server = r["servers"][0]["id"].as_i64().unwrap();
    let shell = t.compromised["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "webshell")
        .find_map(|f| f["evidence"]["sha256"].as_str())
        .unwrap()
        .to_string();
    Fleet {
        db,
        sent,
        s,
        analyst_token,
        town_server,
        shop_server,
        shell,
    }
}

#[test]
fn sign_in_cookies_rate_limit_and_csrf() {
    for b in backends() {
        let f = fleet(&b, &[]);
        let base = &f.s.url;
        // Not signed in: every page sends to the sign-in page.
        let (st, _, h) = page(base, "nope", "/servers");
        assert_eq!(st, 303);
        assert_eq!(h["location"], "/login");
        let (st, cookie) = sign_in(base, "alice", PASSWORD);
        assert_eq!(st, 303);
        let (session, line) = cookie.expect("a session cookie");
        assert!(
            line.contains("HttpOnly") && line.contains("SameSite=Strict"),
            "{line}"
        );
        assert!(!line.contains("Secure"), "plain HTTP: {line}");
        let (st, body, h) = page(base, &session, "/");
        assert_eq!(st, 200);
        assert!(body.contains("The fleet today"));
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");

        // A post without the form's token is refused, and changes nothing.
        let c = no_redirects();
        let r = c
            .post(format!("{base}/logout"))
            .header("Cookie", format!("exhunt_session={session}"))
            .form(&[("csrf", "0")])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        let r = c
            .post(format!("{base}/logout"))
            .header("Cookie", format!("exhunt_session={session}"))
            .send()
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        assert_eq!(page(base, &session, "/").0, 200, "still signed in");
        let r = c
            .post(format!("{base}/login"))
            .form(&[("name", "alice"), ("password", PASSWORD), ("csrf", "x")])
            .send()
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            403,
            "sign-in without the form's cookie"
        );
        // With the token, signing out ends the session.
        let csrf = csrf_field(&page(base, &session, "/").1);
        let r = c
            .post(format!("{base}/logout"))
            .header("Cookie", format!("exhunt_session={session}"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(page(base, &session, "/").0, 303);

        // Wrong passwords: 401 each, then 429 for that name.
        for _ in 0..10 {
            assert_eq!(sign_in(base, "bob", "wrong password!!").0, 401);
        }
        let (st, cookie) = sign_in(base, "bob", PASSWORD);
        assert_eq!(st, 429, "rate-limited, even with the right password");
        assert!(cookie.is_none());
        // The address's own limit is higher (people share a proxy's): 40
        // more failures under other names pass, then it closes too.
        for i in 0..40 {
            assert_eq!(
                sign_in(base, &format!("guess{i}"), "wrong password!!").0,
                401
            );
        }
        assert_eq!(
            sign_in(base, "nobody-here", PASSWORD).0,
            429,
            "the address is limited too"
        );
        drop(f);
    }
    // On TLS the cookie is Secure.
    let db = Backend::Sqlite.fresh();
    add_user(&db, "alice", &["--analyst"]);
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
    let c = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let base = s.url.replace("127.0.0.1", "localhost");
    let p = c.get(format!("{base}/login")).send().unwrap();
    let (lc, line) = set_cookie(&p, "exhunt_login").unwrap();
    assert!(line.contains("Secure"), "{line}");
    let csrf = csrf_field(&p.text().unwrap());
    let r = c
        .post(format!("{base}/login"))
        .header("Cookie", format!("exhunt_login={lc}"))
        .form(&[
            ("name", "alice"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .unwrap();
    let (_, line) = set_cookie(&r, "exhunt_session").unwrap();
    assert!(
        line.contains("Secure") && line.contains("HttpOnly"),
        "{line}"
    );
}

#[test]
fn an_organisations_people_see_only_their_own_pages() {
    for b in backends() {
        let f = fleet(&b, &[]);
        let base = &f.s.url;
        let (_, bob) = sign_in(base, "bob", PASSWORD);
        let bob = bob.unwrap().0;
        for path in [
            format!("/servers/{}", f.shop_server),
            format!("/servers/{}/report.html", f.shop_server),
        ] {
            let (st, body, _) = page(base, &bob, &path);
            assert_eq!(st, 404, "{path}");
            assert!(!body.contains("onerror"), "{path}");
        }
        assert_eq!(
            page(base, &bob, &format!("/servers/{}", f.town_server)).0,
            200
        );
        let (_, list, _) = page(base, &bob, "/servers?limit=500");
        assert!(
            list.contains("ex01") && !list.contains("Shop"),
            "the list holds Town's only"
        );
        let (_, csv, _) = page(base, &bob, "/servers.csv");
        assert_eq!(csv.lines().count(), 14, "{csv}");
        let (_, found, _) = page(base, &bob, &format!("/indicators?value={}", f.shell));
        assert!(
            found.contains("1 server(s)") && !found.contains("Shop"),
            "{found}"
        );
        let (st, stix, _) = page(base, &bob, &format!("/indicators.stix?value={}", f.shell));
        assert_eq!(st, 200);
        keep_stix(&format!("dashboard-indicator-{}", b.name()), &stix);
        let stix: Value = serde_json::from_str(&stix).unwrap();
        let sightings = stix["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["type"] == "sighting")
            .count();
        assert_eq!(sightings, 1);
        let (_, silent, _) = page(base, &bob, "/not-reporting?days=1");
        assert!(
            !silent.contains("Silent Org"),
            "another organisation's name"
        );
        // The overview's numbers are Town's.
        let (_, over, _) = page(base, &bob, "/");
        assert!(over.contains("13 servers in 1 organisation"), "{over}");
        // An analyst sees both, and the organisation that never reported.
        let (_, alice) = sign_in(base, "alice", PASSWORD);
        let alice = alice.unwrap().0;
        assert_eq!(
            page(base, &alice, &format!("/servers/{}", f.shop_server)).0,
            200
        );
        let (_, silent, _) = page(base, &alice, "/not-reporting");
        assert!(silent.contains("Silent Org"), "{silent}");
        let (_, found, _) = page(base, &alice, &format!("/indicators?value={}", f.shell));
        assert!(
            found.contains("2 server(s)") && found.contains("2 organisation(s)"),
            "{found}"
        );
    }
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn in_a_real_browser() {
    let Some(browser) = cdp::chromium() else {
        return;
    };
    let f = fleet(&Backend::Sqlite, &[]);
    let base = f.s.url.clone();
    let profile = tempfile::tempdir().unwrap();
    let mut c = cdp::Cdp::launch(&browser, profile.path());
    c.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
    );
    // Sign in through the form.
    c.goto(&format!("{base}/servers"));
    assert_eq!(c.eval("location.pathname"), json!("/login"));
    c.eval(&format!(
        "document.querySelector('input[name=name]').value='alice'; document.querySelector('input[name=password]').value={}; true",
        serde_json::to_string(PASSWORD).unwrap()
    ));
    c.click_and_wait("#signin");
    assert_eq!(c.eval("location.pathname"), json!("/"));
    assert_eq!(
        c.eval("document.querySelector('h1').textContent"),
        json!("The fleet today")
    );

    // The overview's counts are the database's: what was stored (each
    // server's report, counted here from the documents sent, not through
    // the server's own counting) and what the API says.
    let (_, counts) = f.s.get(&f.analyst_token, "/api/v1/counts");
    let mut sent: std::collections::BTreeMap<String, i64> = Default::default();
    for d in &f.sent {
        *sent
            .entry(d["verdict"].as_str().unwrap().to_string())
            .or_default() += 1;
        *sent
            .entry(format!(
                "exposure:{}",
                d["exposure"]["state"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    for (k, n) in &sent {
        match k.strip_prefix("exposure:") {
            Some(e) => assert_eq!(counts["exposure"][e], *n, "{k}"),
            None => assert_eq!(counts["verdict"][k.as_str()], *n, "{k}"),
        }
    }
    for v in [
        "compromised",
        "exploited",
        "attempted",
        "inconclusive",
        "clean",
        "none",
    ] {
        let shown = c.eval(&format!(
            "document.querySelector('[data-verdict={v}] .count').textContent"
        ));
        let want = counts["verdict"]
            .get(v)
            .and_then(Value::as_i64)
            .unwrap_or(0);
        assert_eq!(shown, json!(want.to_string()), "{v}");
    }
    for e in ["exposed", "unknown", "patched"] {
        let shown = c.eval(&format!(
            "document.querySelector('[data-exposure={e}] .count').textContent"
        ));
        let want = counts["exposure"]
            .get(e)
            .and_then(Value::as_i64)
            .unwrap_or(0);
        assert_eq!(shown, json!(want.to_string()), "{e}");
    }
    assert_eq!(
        c.eval("[...document.querySelectorAll('#call tbody tr')].slice(0, 2).every(r => r.querySelector('.v-compromised'))"),
        json!(true),
        "the two compromised servers first"
    );
    assert_eq!(
        c.eval("document.querySelectorAll('#call tbody tr .v-compromised').length"),
        json!(2)
    );
    let shot = c.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = base64_decode(shot["data"].as_str().unwrap());
    assert_eq!(png_size(&png).0, 1280);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("overview.png"), &png).unwrap();

    // Filter the list.
    c.goto(&format!("{base}/servers"));
    c.eval("document.querySelector('#f-verdict').value='clean'; true");
    c.click_and_wait("#filter");
    let (_, api) = f.s.get(&f.analyst_token, "/api/v1/servers?verdict=clean");
    assert_eq!(
        c.eval("document.querySelectorAll('#servers tbody tr').length"),
        json!(api["total"].as_i64().unwrap())
    );
    assert_eq!(
        c.eval("new URL(location.href).searchParams.get('verdict')"),
        json!("clean")
    );

    // Export CSV of the current filter, with the browser's session.
    let href = c
        .eval("document.querySelector('#csv').href")
        .as_str()
        .unwrap()
        .to_string();
    assert!(href.contains("verdict=clean"), "{href}");
    let cookies = c.call("Network.getCookies", json!({"urls": [base.clone()]}));
    let session = cookies["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "exhunt_session")
        .expect("the session cookie");
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");
    let csv = no_redirects()
        .get(&href)
        .header(
            "Cookie",
            format!("exhunt_session={}", session["value"].as_str().unwrap()),
        )
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        csv.lines().count() as i64,
        1 + api["total"].as_i64().unwrap(),
        "{csv}"
    );

    // Open a server.
    c.goto(&format!("{base}/servers?verdict=compromised&org=Town"));
    c.click_and_wait("#servers tbody tr a");
    assert_eq!(
        c.eval("document.querySelector('h1').textContent"),
        json!("ex01")
    );
    assert_eq!(
        c.eval("document.querySelector('#verdict').textContent"),
        json!("compromised")
    );
    assert!(
        c.eval("document.querySelectorAll('#history tbody tr').length")
            .as_i64()
            .unwrap()
            >= 1
    );
    assert_eq!(
        c.eval("document.querySelectorAll('iframe.report').length"),
        json!(1)
    );
    let shared = c
        .eval("document.querySelector('#shared').textContent")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        shared.contains("1 other server(s) in 1 organisation(s)"),
        "{shared}"
    );
    // The report's frame is its own process (sandboxed): a capture beyond
    // the viewport leaves it blank, so the page is taken a screen at a time.
    let top = c.call("Page.captureScreenshot", json!({"format": "png"}));
    let png = base64_decode(top["data"].as_str().unwrap());
    assert_eq!(png_size(&png), (1280, 900));
    std::fs::write(dir.join("server.png"), &png).unwrap();
    c.eval("document.querySelector('iframe.report').scrollIntoView(); true");
    c.settle(500);
    let framed = c.call("Page.captureScreenshot", json!({"format": "png"}));
    std::fs::write(
        dir.join("server-report.png"),
        base64_decode(framed["data"].as_str().unwrap()),
    )
    .unwrap();

    // Search an indicator.
    c.goto(&format!("{base}/indicators"));
    c.eval(&format!(
        "document.querySelector('#value').value='{}'; true",
        f.shell.to_uppercase()
    ));
    c.click_and_wait("#search");
    let summary = c
        .eval("document.querySelector('#summary').textContent")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("2 server(s)") && summary.contains("2 organisation(s)"),
        "{summary}"
    );
    assert!(c
        .eval("document.querySelector('#export-stix').href")
        .as_str()
        .unwrap()
        .contains("/indicators.stix?value="));

    // The hostile report, everywhere it shows: nothing runs.
    c.events.clear();
    for path in [
        "/".to_string(),
        "/servers?org=Shop".to_string(),
        format!("/servers/{}", f.shop_server),
        "/indicators?value=%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E".to_string(),
        format!("/servers/{}/report.html", f.shop_server),
    ] {
        c.goto(&format!("{base}{path}"));
        assert_eq!(
            c.eval("typeof window.__pwned"),
            json!("undefined"),
            "{path}"
        );
        assert_eq!(
            c.eval("document.querySelectorAll('script, [onerror], [onload]').length"),
            json!(0),
            "{path}"
        );
    }
    c.settle(500);
    assert!(c.noise().is_empty(), "{:?}", c.noise());
    let text = c
        .eval("document.body.textContent")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("<script>window.__pwned=1</script>"),
        "the payload is shown as text"
    );

    // An organisation's person cannot open another's server by its URL.
    c.call("Network.clearBrowserCookies", json!({}));
    c.goto(&format!("{base}/login"));
    c.eval(&format!(
        "document.querySelector('input[name=name]').value='bob'; document.querySelector('input[name=password]').value={}; true",
        serde_json::to_string(PASSWORD).unwrap()
    ));
    c.click_and_wait("#signin");
    c.goto(&format!("{base}/servers/{}", f.shop_server));
    assert!(c
        .eval("document.querySelector('h1').textContent")
        .as_str()
        .unwrap()
        .starts_with("404"));
    c.goto(&format!("{base}/servers/{}", f.town_server));
    assert_eq!(
        c.eval("document.querySelector('h1').textContent"),
        json!("ex01")
    );
    drop(f.db);
}

fn base64_decode(s: &str) -> Vec<u8> {
    let table = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => 0,
        }
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= table(c) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}
