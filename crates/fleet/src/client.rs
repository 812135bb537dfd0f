//! The upload client (`exhunt scan --upload`, `exhunt probe --upload`,
//! `exhunt upload`): sends a report with retries and backoff; what cannot
//! be sent now (the server down, busy or out of room) is kept in a spool
//! folder and sent first on the next run. TLS is verified (the system's
//! web roots, plus `--ca-cert` for a private CA).
//!
//! The spool keeps documents, never tokens: the token is read from its
//! file at each run.

use crate::FleetError;
use exhunt_core::hex;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What became of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Stored (201), with the server's report id.
    Stored(i64),
    /// Already there (200): stored once before.
    Duplicate(i64),
    /// Not sent now; in the spool, with why.
    Spooled(String),
    /// Refused for good (400, 401, 403, 413): with the status and the
    /// server's reason. Not spooled: sending it again would not help.
    Rejected(u16, String),
    /// Not sent, and the spool could not keep it (full, not writable).
    NotKept(String),
}

impl Sent {
    pub fn delivered(&self) -> bool {
        matches!(self, Sent::Stored(_) | Sent::Duplicate(_))
    }
}

pub struct Uploader {
    http: reqwest::Client,
    endpoint: String,
    token: String,
    spool: PathBuf,
    backoff: Vec<Duration>,
    /// Most documents the spool holds: past it a report is not kept (and
    /// the message says how to empty the spool), so that a server gone
    /// for months does not fill the disk of the one being scanned.
    spool_limit: usize,
}

/// The spool's default limit, in documents.
pub const SPOOL_LIMIT: usize = 1000;

/// The default spool folder: `EXHUNT_SPOOL`, else ProgramData's (Windows)
/// or the user's state folder.
pub fn default_spool() -> PathBuf {
    if let Some(p) = std::env::var_os("EXHUNT_SPOOL") {
        return PathBuf::from(p);
    }
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| "C:\\ProgramData".into());
        return PathBuf::from(base).join("exhunt").join("spool");
    }
    if let Some(s) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(s).join("exhunt").join("spool");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home)
        .join(".local")
        .join("state")
        .join("exhunt")
        .join("spool")
}

/// `https://host[:port]` or a full `…/api/v1/reports` URL → the endpoint.
pub fn endpoint(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    if u.ends_with("/api/v1/reports") {
        u.to_string()
    } else {
        format!("{u}/api/v1/reports")
    }
}

/// A small file the user names (a token, a certificate, a password): a
/// regular file (a FIFO or a device would hang the read), at most `cap`.
pub fn read_small(path: &Path, what: &str, cap: u64) -> Result<Vec<u8>, FleetError> {
    exhunt_core::open::read_capped(path, exhunt_core::open::Links::Follow, cap)
        .map_err(|e| FleetError::Io(format!("cannot read the {what} {}: {e}", path.display())))
}

/// Reads a token file: the first non-empty line, trimmed.
pub fn read_token(path: &Path) -> Result<String, FleetError> {
    let s = String::from_utf8(read_small(path, "token file", 64 << 10)?)
        .map_err(|_| FleetError::Io(format!("the token file {} is not text", path.display())))?;
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| FleetError::Io(format!("the token file {} is empty", path.display())))
}

impl Uploader {
    /// `spool_root`: the spool folder; documents for this server go in a
    /// subfolder named after its endpoint.
    pub fn new(
        url: &str,
        token: String,
        ca_cert: Option<&Path>,
        spool_root: &Path,
    ) -> Result<Uploader, FleetError> {
        let endpoint = endpoint(url);
        let lower = endpoint.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(FleetError::Invalid(format!(
                "--upload takes an http:// or https:// URL, not {url:?}"
            )));
        }
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("exhunt/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = ca_cert {
            let pem = read_small(ca, "CA certificate", 1 << 20)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                FleetError::Io(format!("{} is not a PEM certificate: {e}", ca.display()))
            })?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let http = b.build().map_err(|e| FleetError::Io(e.to_string()))?;
        let spool = spool_root.join(&hex(&Sha256::digest(endpoint.as_bytes()))[..16]);
        let backoff = match std::env::var("EXHUNT_UPLOAD_BACKOFF_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(ms) => vec![Duration::from_millis(ms); 3],
            None => vec![
                Duration::from_millis(500),
                Duration::from_secs(2),
                Duration::from_secs(5),
            ],
        };
        Ok(Uploader {
            http,
            endpoint,
            token,
            spool,
            backoff,
            spool_limit: SPOOL_LIMIT,
        })
    }

    /// Another limit for the spool (documents).
    pub fn spool_limit(mut self, n: usize) -> Self {
        self.spool_limit = n;
        self
    }

    pub fn spool_dir(&self) -> &Path {
        &self.spool
    }

    /// One try: `Ok` with the outcome the server gave, `Err` with why it
    /// may work later (no answer, 429, 5xx).
    async fn try_once(&self, gz: &[u8]) -> Result<Sent, (String, Option<u64>)> {
        let r = self
            .http
            .post(&self.endpoint)
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip")
            .body(gz.to_vec())
            .send()
            .await
            .map_err(|e| (format!("{}: {}", self.endpoint, error_chain(&e)), None))?;
        let status = r.status().as_u16();
        let retry_after = r
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = r.bytes().await.unwrap_or_default();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let id = body.get("id").and_then(|v| v.as_i64()).unwrap_or(0);
        let reason = body
            .get("error")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        match status {
            201 => Ok(Sent::Stored(id)),
            200 => Ok(Sent::Duplicate(id)),
            429 => Err((format!("rate limited ({reason})"), retry_after)),
            500..=599 => Err((format!("server answered {status}: {reason}"), retry_after)),
            _ => Ok(Sent::Rejected(status, reason)),
        }
    }

    /// Sends with retries; `Err` with the last reason when it never went.
    async fn send_gz(&self, gz: &[u8]) -> Result<Sent, String> {
        let mut last = String::new();
        for attempt in 0..=self.backoff.len() {
            match self.try_once(gz).await {
                Ok(s) => return Ok(s),
                Err((why, retry_after)) => {
                    last = why;
                    let Some(wait) = self.backoff.get(attempt) else {
                        break;
                    };
                    // A Retry-After longer than a minute: spooled, not waited.
                    let wait = match retry_after {
                        Some(s) if s > 60 => break,
                        Some(s) => Duration::from_secs(s).max(*wait),
                        None => *wait,
                    };
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Err(last)
    }

    /// Sends one document (JSON); kept in the spool when it cannot go now.
    pub async fn send(&self, json: &[u8]) -> Sent {
        let gz = gzip(json);
        match self.send_gz(&gz).await {
            Ok(s) => s,
            Err(why) => match self.keep(&gz) {
                Ok(path) => Sent::Spooled(format!("{why}; kept in {}", path.display())),
                Err(e) => Sent::NotKept(format!("{why}; and it could not be kept: {e}")),
            },
        }
    }

    /// Writes a document into the spool: a temporary name, then renamed,
    /// so that a half-written file is never sent.
    fn keep(&self, gz: &[u8]) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.spool)?;
        let waiting = self.spooled().len();
        if waiting >= self.spool_limit {
            return Err(std::io::Error::other(format!(
                "the spool {} already holds {waiting} reports (its limit); send them with `exhunt upload --to URL --token-file FILE`",
                self.spool.display()
            )));
        }
        let name = format!("{}.json.gz", hex(&Sha256::digest(gz)));
        let path = self.spool.join(&name);
        let tmp = self.spool.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, gz)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// The documents waiting in the spool, oldest first.
    pub fn spooled(&self) -> Vec<PathBuf> {
        let Ok(rd) = std::fs::read_dir(&self.spool) else {
            return Vec::new();
        };
        let mut v: Vec<(std::time::SystemTime, PathBuf)> = rd
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json.gz"))
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| {
                let t = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (t, e.path())
            })
            .collect();
        v.sort();
        v.into_iter().map(|x| x.1).collect()
    }

    /// Sends what the spool holds. Delivered documents leave the spool;
    /// refused ones are renamed `.rejected` (kept, never sent again); the
    /// first that cannot go stops the round (the server is away).
    pub async fn flush(&self) -> Vec<(PathBuf, Sent)> {
        let mut out = Vec::new();
        for path in self.spooled() {
            // Our own files, but in a folder others may write to: no link
            // followed, nothing larger than an upload may be.
            let Ok(gz) =
                exhunt_core::open::read_capped(&path, exhunt_core::open::Links::Refuse, 1 << 30)
            else {
                continue;
            };
            match self.send_gz(&gz).await {
                Ok(s) => {
                    if s.delivered() {
                        let _ = std::fs::remove_file(&path);
                    } else {
                        let _ = std::fs::rename(&path, path.with_extension("rejected"));
                    }
                    out.push((path, s));
                }
                Err(why) => {
                    out.push((path, Sent::Spooled(why)));
                    break;
                }
            }
        }
        out
    }
}

fn gzip(json: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = std::io::Write::write_all(&mut e, json);
    e.finish().unwrap_or_default()
}

/// reqwest's error with its causes (a refused connection says so only in
/// the chain).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spool_has_a_limit() {
        let dir = tempfile::tempdir().unwrap();
        // A port nothing listens on, no waiting between tries.
        std::env::set_var("EXHUNT_UPLOAD_BACKOFF_MS", "1");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let up = Uploader::new(
            &format!("http://127.0.0.1:{port}"),
            "exh_x".into(),
            None,
            dir.path(),
        )
        .unwrap()
        .spool_limit(2);
        let rt = tokio::runtime::Runtime::new().unwrap();
        for i in 0..3 {
            let sent = rt.block_on(up.send(format!("{{\"n\":{i}}}").as_bytes()));
            match (i, sent) {
                (0 | 1, Sent::Spooled(why)) => assert!(why.contains("kept in"), "{why}"),
                (2, Sent::NotKept(why)) => assert!(why.contains("its limit"), "{why}"),
                (_, other) => panic!("{other:?}"),
            }
        }
        assert_eq!(up.spooled().len(), 2);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint("https://fleet.example:8470"),
            "https://fleet.example:8470/api/v1/reports"
        );
        assert_eq!(
            endpoint("https://fleet.example/"),
            "https://fleet.example/api/v1/reports"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:1/api/v1/reports"),
            "http://127.0.0.1:1/api/v1/reports"
        );
    }
}
