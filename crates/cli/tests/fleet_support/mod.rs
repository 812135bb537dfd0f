//! The fleet tests' harness: a real `exhunt serve` process on SQLite (a
//! temporary file) or on PostgreSQL (a new database in the cluster that
//! `EXHUNT_TEST_PG` names, which `.ci/run` starts), organisations and
//! tokens made through the real CLI, and reports made by the real scanner.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_exhunt"))
}

/// The databases to run a test against: always SQLite; PostgreSQL when
/// `EXHUNT_TEST_PG` is set (required when `EXHUNT_NEED_PG=1`).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    match std::env::var("EXHUNT_TEST_PG") {
        Ok(url) if !url.is_empty() => v.push(Backend::Postgres(url)),
        _ => {
            assert!(
                std::env::var("EXHUNT_NEED_PG").is_err(),
                "EXHUNT_NEED_PG is set but EXHUNT_TEST_PG (a PostgreSQL admin URL) is not"
            );
            eprintln!("note: EXHUNT_TEST_PG not set: the fleet tests run on SQLite only");
        }
    }
    v
}

pub fn pg_url() -> Option<String> {
    std::env::var("EXHUNT_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The admin URL (`postgres://postgres@127.0.0.1:PORT/postgres`).
    Postgres(String),
}

static DBS: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database for one test.
pub struct Database {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub sqlite_file: Option<PathBuf>,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub fn fresh(&self) -> Database {
        let dir = tempfile::tempdir().unwrap();
        match self {
            Backend::Sqlite => {
                let f = dir.path().join("fleet.db");
                Database {
                    url: f.display().to_string(),
                    sqlite_file: Some(f),
                    dir,
                }
            }
            Backend::Postgres(admin) => {
                let name = format!(
                    "exhunt_t{}_{}_{}",
                    std::process::id(),
                    DBS.fetch_add(1, Ordering::SeqCst),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .subsec_nanos()
                );
                let out = Command::new("psql")
                    .args([
                        admin.as_str(),
                        "-q",
                        "-c",
                        &format!("CREATE DATABASE {name}"),
                    ])
                    .output()
                    .expect("psql");
                assert!(
                    out.status.success(),
                    "CREATE DATABASE: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
                Database {
                    url: format!("{base}/{name}"),
                    sqlite_file: None,
                    dir,
                }
            }
        }
    }
}

impl Database {
    /// `exhunt serve --database URL ARGS…`: (status code, stdout, stderr).
    pub fn admin(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(bin())
            .arg("serve")
            .args(["--database", &self.url])
            .args(args)
            .env_remove("EXHUNT_DATABASE")
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A new organisation's token.
    pub fn org(&self, name: &str) -> String {
        let (code, out, err) = self.admin(&["org", "add", name]);
        assert_eq!(code, 0, "org add {name}: {err}");
        let t = out.trim().to_string();
        assert!(t.starts_with("exh_"), "{out}");
        t
    }

    pub fn analyst(&self) -> String {
        let (code, out, err) = self.admin(&["token", "add", "--analyst"]);
        assert_eq!(code, 0, "{err}");
        out.trim().to_string()
    }

    /// A token written to a file, for the client.
    pub fn token_file(&self, token: &str) -> PathBuf {
        let p = self.dir.path().join(format!("token-{}.txt", &token[4..12]));
        std::fs::write(&p, format!("{token}\n")).unwrap();
        p
    }

    pub fn start(&self, extra: &[&str]) -> Server {
        Server::start(&self.url, "127.0.0.1:0", extra)
    }
}

/// A running `exhunt serve`; killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    pub fn start(db: &str, listen: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--database", db, "--listen", listen])
            .args(extra)
            .env_remove("EXHUNT_DATABASE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log2.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(url);
                    }
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("exhunt serve did not start: {}", log.lock().unwrap());
            }
        };
        Server { child, url, log }
    }

    pub fn kill9(&mut self) {
        // Child::kill is SIGKILL on Unix: no clean shutdown, as a crash.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = client()
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn get_text(&self, token: &str, path: &str) -> (u16, String) {
        let r = client()
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    /// POST a report: (status, body JSON, Retry-After).
    pub fn post(
        &self,
        token: Option<&str>,
        body: Vec<u8>,
        gzip: bool,
    ) -> (u16, Value, Option<String>) {
        post(&self.url, token, body, gzip).expect("the server answers")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

pub fn post(
    base: &str,
    token: Option<&str>,
    body: Vec<u8>,
    gzip: bool,
) -> Result<(u16, Value, Option<String>), reqwest::Error> {
    let mut r = client()
        .post(format!("{base}/api/v1/reports"))
        .header("Content-Type", "application/json");
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let body = if gzip {
        r = r.header("Content-Encoding", "gzip");
        gz(&body)
    } else {
        body
    };
    let resp = r.body(body).send()?;
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or("").to_string());
    let text = resp.text()?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        retry,
    ))
}

pub fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, b).unwrap();
    e.finish().unwrap()
}

/// Real reports, made once per test binary by the real scanner: the
/// bundled compromised example, and a clean tree.
pub struct Templates {
    pub compromised: Value,
    pub clean: Value,
}

pub fn templates() -> &'static Templates {
    static T: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/proxylogon-compromised");
        let scan = |p: &Path| -> Value {
            let out = Command::new(bin())
                .args(["scan", "-q", "--format", "json"])
                .arg(p)
                .output()
                .unwrap();
            serde_json::from_slice(&out.stdout).expect("the scan's JSON")
        };
        let clean_dir = tempfile::tempdir().unwrap();
        let root = clean_dir.path();
        let d = root.join("Logging/HttpProxy/Owa");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("HttpProxy_2021030100-1.LOG"),
            "#Software: Microsoft Exchange Server\n#Version: 15.01.2106.002\n#Log-type: HttpProxy Logs\n#Date: 2021-03-01T00:00:00.000Z\n#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus\n2021-03-01T08:00:00.000Z,a1,15,1,2106,2,,Owa,mail.contoso.com,/owa/,,Negotiate,true,CONTOSO\\jane,,Smtp~jane@contoso.com,Mozilla/5.0,10.0.0.5,EX01,200\n",
        )
        .unwrap();
        Templates {
            compromised: scan(&example),
            clean: scan(root),
        }
    })
}

/// A report of `host`, from a template: the host (and so the content
/// hash) changed, and `marker` put in the first input so that two
/// variants of one host differ.
pub fn variant(template: &Value, host: &str, marker: &str) -> Vec<u8> {
    let mut v = template.clone();
    v["host"] = Value::String(host.to_string());
    v["inputs"] = serde_json::json!([format!("{marker}")]);
    for f in v["findings"].as_array_mut().into_iter().flatten() {
        f["host"] = Value::Null;
    }
    serde_json::to_vec(&v).unwrap()
}

/// Waits for `f` to be true, up to `secs`.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `exhunt upload` (or another command) with a short backoff: (code, stderr).
pub fn exhunt_cmd(args: &[&str], spool: &Path) -> (i32, String) {
    let out = Command::new(bin())
        .args(args)
        .env("EXHUNT_SPOOL", spool)
        .env("EXHUNT_UPLOAD_BACKOFF_MS", "50")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The files waiting in a spool (every endpoint's folder).
pub fn spooled(spool: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(spool) {
        for d in rd.flatten() {
            if let Ok(inner) = std::fs::read_dir(d.path()) {
                for f in inner.flatten() {
                    if f.file_name().to_string_lossy().ends_with(".json.gz") {
                        v.push(f.path());
                    }
                }
            }
        }
    }
    v
}

/// Keeps a STIX bundle a test got for `.ci/run`, which runs OASIS's
/// validator on every file in `target/tmp/stix-bundles` after the tests.
pub fn keep_stix(name: &str, bundle: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stix-bundles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.json")), bundle).unwrap();
}
