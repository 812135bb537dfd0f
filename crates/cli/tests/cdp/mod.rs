//! Headless chromium for the tests: finding it, and a small client of the
//! DevTools protocol (over tungstenite) to drive one page.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|c| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(c))
                    .find(|f| f.is_file())
            })
        });
    if found.is_none() {
        assert!(
            std::env::var_os("EXHUNT_NEED_CHROMIUM").is_none(),
            "chromium is needed (EXHUNT_NEED_CHROMIUM is set)"
        );
        eprintln!("skipped: no chromium on PATH");
    }
    found
}

/// A DevTools protocol session with one page of a headless chromium.
pub struct Cdp {
    child: std::process::Child,
    pub ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    next: u64,
    pub events: Vec<serde_json::Value>,
    enabled: bool,
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cdp {
    pub fn launch(browser: &Path, profile: &Path) -> Cdp {
        use std::io::{BufRead, BufReader, Read, Write};
        let mut child = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut port = None;
        let mut line = String::new();
        for _ in 0..200 {
            line.clear();
            if err.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(rest) = line
                .trim()
                .strip_prefix("DevTools listening on ws://127.0.0.1:")
            {
                port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
                break;
            }
        }
        let port = port.expect("chromium's DevTools port");
        // Keep reading its log so that it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = err.read_to_end(&mut sink);
        });
        // The page target's WebSocket, from the /json/list endpoint.
        let mut http = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            http,
            "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        http.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        // Headers, then as many bytes as Content-Length says (the server
        // keeps the connection open).
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let body_at = loop {
            let n = http.read(&mut buf).unwrap();
            assert!(n > 0, "DevTools closed the connection");
            got.extend_from_slice(&buf[..n]);
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&got[..body_at]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("a Content-Length");
        while got.len() < body_at + len {
            let n = http.read(&mut buf).unwrap();
            assert!(n > 0, "DevTools closed the connection");
            got.extend_from_slice(&buf[..n]);
        }
        let json = String::from_utf8(got[body_at..body_at + len].to_vec()).unwrap();
        let json = json.as_str();
        let targets: serde_json::Value = serde_json::from_str(json).unwrap();
        let url = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string();
        let (ws, _) = tungstenite::connect(url.as_str()).unwrap();
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(std::time::Duration::from_millis(200)))
                .unwrap();
        }
        Cdp {
            child,
            ws,
            next: 0,
            events: Vec::new(),
            enabled: false,
        }
    }

    /// The next message, or `None` after the read timeout.
    pub fn read(&mut self) -> Option<serde_json::Value> {
        match self.ws.read() {
            Ok(tungstenite::Message::Text(t)) => Some(serde_json::from_str(t.as_str()).unwrap()),
            Ok(_) => self.read(),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                None
            }
            Err(e) => panic!("DevTools: {e}"),
        }
    }

    pub fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let id = self.next;
        let msg = serde_json::json!({"id": id, "method": method, "params": params});
        self.ws
            .send(tungstenite::Message::Text(msg.to_string().into()))
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Some(m) = self.read() {
                if m["id"] == id {
                    assert!(m.get("error").is_none(), "{method}: {m}");
                    return m["result"].clone();
                }
                self.events.push(m);
            }
        }
        panic!("no answer to {method}");
    }

    /// Waits for an event (keeping every event seen).
    pub fn wait_for(&mut self, method: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if self.events.iter().any(|e| e["method"] == method) {
                return;
            }
            if let Some(m) = self.read() {
                self.events.push(m);
            }
        }
        panic!("no {method}");
    }

    /// Events for a while longer.
    pub fn settle(&mut self, ms: u64) {
        let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
        while std::time::Instant::now() < until {
            if let Some(m) = self.read() {
                self.events.push(m);
            }
        }
    }

    pub fn open(&mut self, page: &Path) {
        self.call("Page.enable", serde_json::json!({}));
        self.call("Runtime.enable", serde_json::json!({}));
        self.call(
            "Page.navigate",
            serde_json::json!({"url": format!("file://{}", page.display())}),
        );
        self.wait_for("Page.loadEventFired");
        self.settle(1000);
    }

    /// Goes to a URL (http or file) and waits for its load event.
    pub fn goto(&mut self, url: &str) {
        if !self.enabled {
            self.call("Page.enable", serde_json::json!({}));
            self.call("Runtime.enable", serde_json::json!({}));
            self.enabled = true;
        }
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        self.call("Page.navigate", serde_json::json!({"url": url}));
        self.wait_for("Page.loadEventFired");
        self.settle(200);
    }

    /// Clicks an element (by CSS selector) that navigates, and waits for
    /// the next page's load event.
    pub fn click_and_wait(&mut self, selector: &str) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        let js = format!(
            "document.querySelector({}).click(); true",
            serde_json::to_string(selector).unwrap()
        );
        assert_eq!(self.eval(&js), serde_json::json!(true), "{selector}");
        self.wait_for("Page.loadEventFired");
        self.settle(200);
    }

    pub fn eval(&mut self, js: &str) -> serde_json::Value {
        self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": js, "returnByValue": true}),
        )["result"]["value"]
            .clone()
    }

    /// Dialogs, console messages and exceptions seen.
    pub fn noise(&self) -> Vec<&serde_json::Value> {
        self.events
            .iter()
            .filter(|e| {
                matches!(
                    e["method"].as_str(),
                    Some("Page.javascriptDialogOpening")
                        | Some("Runtime.consoleAPICalled")
                        | Some("Runtime.exceptionThrown")
                )
            })
            .collect()
    }
}
