//! Fake OWA servers for the tests and the benchmark: they answer the
//! probe's requests as an Exchange front end does (the `X-OWA-Version`
//! header, the logon page's `/owa/auth/<build>/` links, the export tool
//! manifest), or misbehave (hang, send garbage, loop redirects, send an
//! endless body). HTTP/1.1 with `Connection: close`; any stream type, so a
//! test can wrap it in TLS.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How a fake server answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Owa {
        /// `X-OWA-Version` header value, if the server sends one.
        header: Option<String>,
        /// The build in the logon page's resource links (`15.1.2106`).
        path_build: Option<String>,
        /// The export tool manifest's version, if the server has one.
        exporttool: Option<String>,
    },
    /// Answers `/owa/` with an `X-OWA-Version` header, and the
    /// ProxyShell/ProxyNotShell autodiscover checks as an unpatched server
    /// (302 to OWA) or a patched or mitigated one (401).
    OwaActive { header: String, vulnerable: bool },
    /// Reads the request, never answers.
    Hang,
    /// Answers with bytes that are not HTTP.
    Garbage,
    /// Redirects every request to itself.
    RedirectLoop,
    /// A 200 whose body never ends.
    EndlessBody,
}

/// Requests seen, and the most started within any one second.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    starts: Mutex<Vec<Instant>>,
}

impl Stats {
    fn record(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.starts.lock().expect("no panics").push(Instant::now());
    }

    /// The most requests that arrived within any window of `window`.
    pub fn max_in_window(&self, window: Duration) -> usize {
        let mut t = self.starts.lock().expect("no panics").clone();
        t.sort();
        let mut best = 0;
        let mut lo = 0;
        for hi in 0..t.len() {
            while t[hi].duration_since(t[lo]) >= window {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    pub fn last_request(&self) -> Option<Instant> {
        self.starts.lock().expect("no panics").iter().max().copied()
    }
}

/// Serves one connection.
pub async fn handle<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, b: &Behaviour, stats: &Stats) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 16 << 10 {
            return;
        }
    }
    stats.record();
    let head = String::from_utf8_lossy(&buf);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let resp = match b {
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Behaviour::Garbage => {
            let _ = s.write_all(b"\x00\x13\x37 this is not HTTP at all \xff\xfe\r\n\r\n").await;
            return;
        }
        Behaviour::RedirectLoop => format!(
            "HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Behaviour::EndlessBody => {
            if s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            let block = vec![b'x'; 64 << 10];
            while s.write_all(&block).await.is_ok() {}
            return;
        }
        Behaviour::OwaActive { header, vulnerable } => {
            if path.starts_with("/autodiscover/autodiscover.json") {
                if *vulnerable {
                    "HTTP/1.1 302 Found\r\nLocation: /owa/auth/logon.aspx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
                }
            } else {
                format!("HTTP/1.1 200 OK\r\nX-OWA-Version: {header}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            }
        }
        Behaviour::Owa {
            header,
            path_build,
            exporttool,
        } => {
            let hdr = header
                .as_ref()
                .map(|h| format!("X-OWA-Version: {h}\r\n"))
                .unwrap_or_default();
            if path == "/owa/" || path == "/owa" {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: /owa/auth/logon.aspx?url=https%3a%2f%2fmail%2fowa%2f&reason=0\r\n{hdr}X-FEServer: EX01\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else if path.starts_with("/owa/auth/logon.aspx") {
                let link = path_build
                    .as_ref()
                    .map(|b| format!("<link rel=\"stylesheet\" href=\"/owa/auth/{b}/themes/resources/logon.css\">"))
                    .unwrap_or_default();
                let body = format!(
                    "<!DOCTYPE html><html><head><title>Outlook</title>{link}</head><body><form action=\"/owa/auth.owa\" method=\"POST\"><input name=\"username\"></form></body></html>"
                );
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n{hdr}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else if path.starts_with("/ecp/Current/exporttool/") && exporttool.is_some() {
                let v = exporttool.as_deref().unwrap_or_default();
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<asmv1:assembly xsi:schemaLocation=\"urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd\" manifestVersion=\"1.0\" xmlns:asmv1=\"urn:schemas-microsoft-com:asm.v1\">\r\n  <assemblyIdentity name=\"microsoft.exchange.ediscovery.exporttool.application\" version=\"{v}\" publicKeyToken=\"b03f5f7f11d50a3a\" language=\"neutral\" processorArchitecture=\"msil\" xmlns=\"urn:schemas-microsoft-com:asm.v1\" />\r\n</asmv1:assembly>\r\n"
                );
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-ms-application\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            }
        }
    };
    let _ = s.write_all(resp.as_bytes()).await;
    let _ = s.shutdown().await;
}

/// Serves plain HTTP on `listener` until the task is dropped.
pub async fn serve_http(listener: tokio::net::TcpListener, b: Behaviour, stats: Arc<Stats>) {
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            continue;
        };
        let b = b.clone();
        let stats = stats.clone();
        tokio::spawn(async move { handle(sock, &b, &stats).await });
    }
}
