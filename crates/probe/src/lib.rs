//! exhunt-probe: the Exchange build of servers on the network, for hosts the
//! user is authorised to test.
//!
//! Per target, plain GET requests only (nothing exploit-shaped), as the
//! public fingerprinting tools do (reference notes §4.3, §4.4):
//!
//! 1. `GET /owa/` (redirects followed): the `X-OWA-Version` response header
//!    carries the full build on many servers;
//! 2. otherwise the logon page's resource links, `/owa/auth/<build>/…`
//!    (three or four parts), from the same response or from
//!    `GET /owa/auth/logon.aspx`;
//! 3. with only three parts, `GET /ecp/Current/exporttool/
//!    microsoft.exchange.ediscovery.exporttool.application`: its
//!    `assemblyIdentity version="…"` is the full build.
//!
//! The build goes through exhunt-patch for product, CU and open CVEs.
//! Requests run on one async runtime with bounded concurrency and a global
//! request rate that is never exceeded (one start per tick); every request
//! has a timeout, bodies are read up to a cap, redirects are bounded, and
//! certificates that do not verify (self-signed, expired, wrong name) are
//! accepted but flagged per target.

#![forbid(unsafe_code)]

pub mod fake;

use futures::StreamExt;
use serde::Serialize;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Limits of one probe run.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Targets probed at the same time.
    pub concurrency: usize,
    /// Most requests started per second, over all targets.
    pub rate: f64,
    /// Longest one request may take (connect, TLS, headers, body).
    pub timeout: Duration,
    /// Most body bytes read per response.
    pub max_body: usize,
    pub max_redirects: usize,
    /// Default port for targets given without one (443 → https, else http).
    pub port: u16,
    /// Also send the non-destructive ProxyShell and ProxyNotShell checks
    /// (reference §4.2, §4.4): exploit-shaped requests that leave traces in
    /// the target's logs.
    pub active_checks: bool,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            concurrency: 64,
            rate: 100.0,
            timeout: Duration::from_secs(10),
            max_body: 512 << 10,
            max_redirects: 5,
            port: 443,
            active_checks: false,
        }
    }
}

/// What one target gave. Field names follow DESIGN.md's probe contract
/// (`exhunt/probe/v1`); the fields after `error` are additions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub target: String,
    pub reachable: bool,
    pub build: Option<String>,
    /// `X-OWA-Version`, `owa-path` or `exporttool`.
    pub build_source: Option<String>,
    pub product: Option<String>,
    pub open_cves: Vec<String>,
    pub error: Option<String>,
    /// Added: the URL the target was probed at.
    pub url: String,
    /// Added: the server's certificate did not verify (self-signed, expired,
    /// wrong name) and was accepted anyway.
    pub tls_unverified: bool,
    /// Added: open CVEs by campaign (ProxyLogon, ProxyShell, ...).
    pub campaigns: Vec<(String, Vec<String>)>,
    /// Added: what to install, and caveats (three-part builds).
    pub install: Option<String>,
    pub notes: Vec<String>,
    /// Added: requests sent to this target.
    pub requests: u32,
    /// Added: results of `--active-checks` (empty without it).
    pub active: Vec<ActiveCheck>,
}

/// The outcome of one active check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveCheck {
    /// `proxyshell` or `proxynotshell`.
    pub check: String,
    pub cves: Vec<String>,
    /// `vulnerable`, `not vulnerable` or `inconclusive`.
    pub result: String,
    /// Status and what decided it.
    pub evidence: String,
}

/// ProxyShell (CVE-2021-34473): the autodiscover SSRF path. A 302 to OWA
/// (Kevin Beaumont's check) or OWA's user-not-found exception in the body
/// (nuclei CVE-2021-34473) means the path reached the back end.
const PROXYSHELL_PATH: &str =
    "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com";
/// ProxyNotShell (CVE-2022-41040): 302 without "Protocol" in the body means
/// the request was not blocked (nuclei CVE-2022-41040); 401 on this path
/// reads as patched or mitigated (CronUp's checker).
const PROXYNOTSHELL_PATH: &str = "/autodiscover/autodiscover.json?a@foo.var/owa/?&Email=autodiscover/autodiscover.json?a@foo.var&Protocol=XYZ&FooProtocol=Powershell";

/// A target as given (`host`, `host:port`, `https://host[:port]/`,
/// `10.0.0.0/24`) turned into base URLs. CIDR blocks expand to every
/// address (at most `max_hosts` in all).
pub fn expand_targets(
    specs: &[String],
    port: u16,
    max_hosts: usize,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in specs {
        let s = raw.trim();
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        if s.contains("://") {
            let u = reqwest::Url::parse(s).map_err(|e| format!("{s:?}: not a URL ({e})"))?;
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                return Err(format!("{s:?}: only http:// and https:// URLs with a host"));
            }
            let mut base = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
            if let Some(p) = u.port() {
                base.push_str(&format!(":{p}"));
            }
            out.push(base);
        } else if let Ok(net) = s.parse::<ipnet::IpNet>() {
            for ip in net.hosts() {
                if out.len() >= max_hosts {
                    return Err(format!("more than {max_hosts} targets; split the list"));
                }
                out.push(base_url(&ip_host(ip), port));
            }
        } else {
            let (host, p) = split_host_port(s)
                .ok_or_else(|| format!("{s:?}: not a host, host:port, URL or CIDR block"))?;
            out.push(base_url(&host, p.unwrap_or(port)));
        }
        if out.len() > max_hosts {
            return Err(format!("more than {max_hosts} targets; split the list"));
        }
    }
    Ok(out)
}

fn ip_host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => v.to_string(),
        IpAddr::V6(v) => format!("[{v}]"),
    }
}

fn base_url(host: &str, port: u16) -> String {
    match port {
        443 => format!("https://{host}"),
        80 => format!("http://{host}"),
        p => format!("https://{host}:{p}"),
    }
}

/// `host`, `host:port`, `[v6]:port`, `v6`.
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip_host(ip), None));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (h, tail) = rest.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if tail.is_empty() => None,
            None => return None,
        };
        return Some((format!("[{h}]"), port));
    }
    let (h, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse().ok()?)),
        None => (s, None),
    };
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
    ok.then(|| (h.to_ascii_lowercase(), port))
}

/// Records the hosts whose certificate did not verify, and accepts them:
/// the probe reads a version, it sends nothing secret.
#[derive(Debug)]
struct FlaggingVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    unverified: Arc<Mutex<HashSet<String>>>,
}

impl rustls::client::danger::ServerCertVerifier for FlaggingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .is_err()
        {
            self.unverified
                .lock()
                .expect("no panics while flagging")
                .insert(server_name.to_str().to_string());
        }
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A request budget: one request may start per tick, so the rate is never
/// exceeded (ticks missed while idle are not made up in a burst).
struct Limiter {
    next: tokio::sync::Mutex<Instant>,
    gap: Duration,
}

impl Limiter {
    /// Slots run 2% under `rate`: requests started on time can still
    /// reach a server a few milliseconds apart from their slots (timer
    /// granularity, scheduling), and the rate a server sees must not
    /// exceed the configured one either (measured: up to +0.5% at
    /// 2,000/s without the margin).
    fn new(rate: f64) -> Self {
        Limiter {
            next: tokio::sync::Mutex::new(Instant::now()),
            gap: Duration::from_secs_f64(1.0 / (rate.max(0.001) * 0.98)),
        }
    }

    /// Takes the next start slot (slots are `gap` apart, so no window of a
    /// second holds more than `rate` of them), then sleeps until it. The
    /// lock is held only to take the slot: timers have millisecond
    /// granularity, and sleeping under the lock would cap the rate near
    /// 1,000/s.
    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = Instant::now().max(*next);
            *next = slot + self.gap;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// One probe run's shared state.
struct Prober {
    client: reqwest::Client,
    unverified: Arc<Mutex<HashSet<String>>>,
    limiter: Limiter,
    cfg: ProbeConfig,
    patterns: Patterns,
}

/// What the probe looks for in an answer, compiled once per run.
struct Patterns {
    /// `/owa/auth/<build>/` (or `/owa/<build>/`) resource links.
    owa_path: regex::Regex,
    /// The export tool manifest's `assemblyIdentity version="…"`.
    assembly: regex::Regex,
}

impl Patterns {
    fn new() -> Self {
        Patterns {
            owa_path: regex::Regex::new(
                r"/owa/(?:auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/",
            )
            .expect("static regex"),
            assembly: regex::Regex::new(
                r#"<assemblyIdentity[^>]*?\sversion="(\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})""#,
            )
            .expect("static regex"),
        }
    }

    /// The build one answer to `/owa/` or the logon page gives: a full
    /// `X-OWA-Version` header, else the first resource link's build.
    fn page_build(&self, page: &Page) -> Option<(String, &'static str)> {
        if let Some(v) = page.owa_version.as_deref().filter(|v| is_full_build(v)) {
            return Some((v.to_string(), "X-OWA-Version"));
        }
        let m = self.owa_path.captures(&page.body)?;
        Some((m[1].to_string(), "owa-path"))
    }

    /// The export tool manifest's full build, when it extends `partial`
    /// (the three parts a resource link gave).
    fn exporttool_build(&self, body: &str, partial: &str) -> Option<String> {
        let m = self.assembly.captures(body)?;
        m[1].starts_with(partial).then(|| m[1].to_string())
    }
}

/// What the probe reads from answers, without the network: the build an
/// `/owa/` answer gives (its `X-OWA-Version` header or its resource
/// links), the export tool manifest's build when `exporttool` holds one's
/// body, both active checks' readings of the same answer, and exhunt-patch's
/// explanation of the build. The same code [`probe_all`] runs on the
/// answers it receives; public for the fuzz target
/// `fuzz/fuzz_targets/probe_response.rs` (servers' answers are hostile).
#[doc(hidden)]
pub fn read_answer_for_fuzz(
    status: u16,
    owa_version: Option<&str>,
    body: &str,
    exporttool: Option<&str>,
) -> Vec<String> {
    static PATTERNS: std::sync::LazyLock<Patterns> = std::sync::LazyLock::new(Patterns::new);
    let patterns = &*PATTERNS;
    let page = Page {
        status,
        owa_version: owa_version.map(|v| v.trim().to_string()),
        body: body.to_string(),
    };
    let mut out = Vec::new();
    for check in ["proxyshell", "proxynotshell"] {
        let (result, evidence) = judge_active(check, &page);
        out.push(format!("{check}: {result} ({evidence})"));
    }
    let mut found = patterns.page_build(&page);
    if let (Some((b, "owa-path")), Some(body)) = (&found, exporttool) {
        if !is_full_build(b) {
            if let Some(full) = patterns.exporttool_build(body, b) {
                found = Some((full, "exporttool"));
            }
        }
    }
    if let Some((b, src)) = found {
        out.push(format!("{src}: {b}"));
        match exhunt_patch::Table::embedded().explain(&b) {
            Ok(e) => out.push(format!("{} {} {:?}", e.build, e.product, e.open_cves())),
            Err(msg) => out.push(msg.to_string()),
        }
    }
    out
}

/// Probes every target; `on_done` is called after each. Results come back
/// in the order of `targets`.
pub async fn probe_all(
    targets: &[String],
    cfg: &ProbeConfig,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<ProbeResult>, String> {
    let unverified = Arc::new(Mutex::new(HashSet::new()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("TLS set-up: {e}"))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(FlaggingVerifier {
            inner,
            unverified: unverified.clone(),
        }))
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "exhunt-probe/",
            env!("CARGO_PKG_VERSION"),
            " (Exchange build check)"
        ))
        .pool_max_idle_per_host(1)
        .build()
        .map_err(|e| format!("HTTP client set-up: {e}"))?;
    let p = Arc::new(Prober {
        client,
        unverified,
        limiter: Limiter::new(cfg.rate),
        cfg: cfg.clone(),
        patterns: Patterns::new(),
    });
    let mut results: Vec<(usize, ProbeResult)> = futures::stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let p = p.clone();
            async move {
                let r = p.probe(t).await;
                on_done();
                (i, r)
            }
        })
        .buffer_unordered(cfg.concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

/// A response, its body read up to the cap.
struct Page {
    status: u16,
    owa_version: Option<String>,
    body: String,
}

impl Prober {
    /// GET with redirects followed here (not by the client), so that every
    /// hop waits for the rate limiter and is counted; with `follow` off the
    /// redirect itself is the page (the active checks read the 302).
    /// Returns the page and the number of requests sent.
    async fn get(&self, url: &str, follow: bool) -> Result<(Page, u32), String> {
        let mut url = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
        let mut owa_version = None;
        let mut sent = 0;
        let resp = loop {
            self.limiter.wait().await;
            sent += 1;
            let resp = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| describe(e, &url))?;
            if owa_version.is_none() {
                owa_version = resp
                    .headers()
                    .get("x-owa-version")
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.trim().to_string());
            }
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok());
            match location {
                Some(next) if follow && resp.status().is_redirection() => {
                    if sent > self.cfg.max_redirects as u32 {
                        return Err(format!(
                            "too many redirects (more than {})",
                            self.cfg.max_redirects
                        ));
                    }
                    url = next;
                }
                _ => break resp,
            }
        };
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        let mut resp = resp;
        // Read up to the cap, then stop: a server sending an endless body
        // cannot hold the run.
        while body.len() < self.cfg.max_body {
            match resp.chunk().await {
                Ok(Some(c)) => {
                    body.extend_from_slice(&c[..c.len().min(self.cfg.max_body - body.len())])
                }
                Ok(None) => break,
                Err(e) => {
                    if body.is_empty() {
                        return Err(describe(e, &url));
                    }
                    break;
                }
            }
        }
        Ok((
            Page {
                status,
                owa_version,
                body: String::from_utf8_lossy(&body).into_owned(),
            },
            sent,
        ))
    }

    async fn probe(&self, base: &str) -> ProbeResult {
        let mut r = ProbeResult {
            // `host:port`, as DESIGN.md's probe contract shows it.
            target: reqwest::Url::parse(base)
                .ok()
                .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
                .unwrap_or_else(|| base.to_string()),
            reachable: false,
            build: None,
            build_source: None,
            product: None,
            open_cves: Vec::new(),
            error: None,
            url: base.to_string(),
            tls_unverified: false,
            campaigns: Vec::new(),
            install: None,
            notes: Vec::new(),
            requests: 0,
            active: Vec::new(),
        };
        let mut found: Option<(String, &'static str)> = None;
        let mut errors = Vec::new();
        for path in ["/owa/", "/owa/auth/logon.aspx"] {
            match self.get(&format!("{base}{path}"), true).await {
                Ok((page, sent)) => {
                    r.requests += sent;
                    r.reachable = true;
                    if let Some(b) = self.patterns.page_build(&page) {
                        found = Some(b);
                        break;
                    }
                    if page.status >= 400 && errors.is_empty() {
                        errors.push(format!("{path}: HTTP {}", page.status));
                    }
                }
                Err(e) => {
                    r.requests += 1;
                    errors.push(format!("{path}: {e}"));
                    if !r.reachable {
                        // Nothing answers: a second request would wait again.
                        break;
                    }
                }
            }
        }
        if let Some((b, "owa-path")) = &found {
            if !is_full_build(b) {
                let url = format!("{base}/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application");
                match self.get(&url, true).await {
                    Ok((page, sent)) => {
                        r.requests += sent;
                        if let Some(full) = self.patterns.exporttool_build(&page.body, b) {
                            found = Some((full, "exporttool"));
                        }
                    }
                    Err(e) => {
                        r.requests += 1;
                        errors.push(format!("exporttool: {e}"));
                    }
                }
            }
        }
        if self.cfg.active_checks && r.reachable {
            for (check, path, cves) in [
                (
                    "proxyshell",
                    PROXYSHELL_PATH,
                    vec!["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
                ),
                (
                    "proxynotshell",
                    PROXYNOTSHELL_PATH,
                    vec!["CVE-2022-41040", "CVE-2022-41082"],
                ),
            ] {
                r.requests += 1;
                let (result, evidence) = match self.get(&format!("{base}{path}"), false).await {
                    Ok((page, _)) => judge_active(check, &page),
                    Err(e) => ("inconclusive", e),
                };
                r.active.push(ActiveCheck {
                    check: check.to_string(),
                    cves: cves.into_iter().map(str::to_string).collect(),
                    result: result.to_string(),
                    evidence,
                });
            }
        }
        let host = base.split("://").nth(1).unwrap_or(base);
        let host = host
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        r.tls_unverified = base.starts_with("https://")
            && self
                .unverified
                .lock()
                .expect("no panics while flagging")
                .contains(host);
        match found {
            Some((b, src)) => {
                r.build_source = Some(src.to_string());
                match exhunt_patch::Table::embedded().explain(&b) {
                    Ok(e) => {
                        r.build = Some(e.build.clone());
                        r.product = Some(e.product.clone());
                        r.open_cves = e.open.iter().map(|o| o.cve.clone()).collect();
                        r.campaigns = e
                            .by_campaign()
                            .into_iter()
                            .map(|(c, v)| {
                                (c.to_string(), v.iter().map(|o| o.cve.clone()).collect())
                            })
                            .collect();
                        r.install = Some(e.install.clone());
                        r.notes = e.notes.clone();
                    }
                    Err(msg) => {
                        r.build = Some(b);
                        r.error = Some(msg.to_string());
                    }
                }
            }
            None if r.reachable => {
                r.error = Some(format!(
                    "no Exchange build found (no X-OWA-Version header, no /owa/auth/<build>/ link){}",
                    if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
                ));
            }
            None => r.error = Some(errors.join("; ")),
        }
        r
    }
}

/// Reads an active check's answer.
fn judge_active(check: &str, page: &Page) -> (&'static str, String) {
    let st = page.status;
    match check {
        "proxyshell" if st == 302 || page.body.contains("OwaADUserNotFoundException") => (
            "vulnerable",
            format!("HTTP {st}: the autodiscover path reached the back end"),
        ),
        "proxynotshell" if st == 302 && !page.body.contains("Protocol") => (
            "vulnerable",
            format!("HTTP {st}: the request was not blocked (no patch, no mitigation)"),
        ),
        _ if matches!(st, 400 | 401 | 403 | 404) => ("not vulnerable", format!("HTTP {st}")),
        _ => ("inconclusive", format!("HTTP {st}")),
    }
}

fn is_full_build(s: &str) -> bool {
    s.split('.').count() == 4
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A short reason for a failed request to `url` (reqwest's messages nest
/// their cause).
fn describe(e: reqwest::Error, url: &reqwest::Url) -> String {
    if not_a_tls_record(&e) {
        // A plain HTTP port given as https (or as host:port, https for
        // every port but 80): its first answer is not a TLS record, which
        // rustls calls "received corrupt message of type
        // InvalidContentType".
        return format!(
            "this port does not speak TLS (try http://{}:{})",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(443)
        );
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "broken response body"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}

/// Whether the TLS handshake failed because the server's answer was not a
/// TLS record at all (rustls's `InvalidContentType` down the chain): the
/// port speaks something else, plain HTTP most often. rustls's error
/// reaches here inside io errors (tokio-rustls's, inside hyper's
/// connector's), and an io error's `source` skips the error it wraps:
/// hence `get_ref`.
fn not_a_tls_record(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return matches!(
            t,
            rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
        );
    }
    if let Some(inner) = e
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
    {
        if not_a_tls_record(inner) {
            return true;
        }
    }
    e.source().is_some_and(not_a_tls_record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_forms() {
        let t = |s: &[&str]| {
            expand_targets(
                &s.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                443,
                1000,
            )
        };
        assert_eq!(
            t(&["mail.example.org"]).unwrap(),
            ["https://mail.example.org"]
        );
        assert_eq!(
            t(&["mail.example.org:8443"]).unwrap(),
            ["https://mail.example.org:8443"]
        );
        assert_eq!(t(&["10.0.0.5:80"]).unwrap(), ["http://10.0.0.5"]);
        assert_eq!(
            t(&["http://127.0.0.1:8080/owa/"]).unwrap(),
            ["http://127.0.0.1:8080"]
        );
        assert_eq!(t(&["[::1]:8443"]).unwrap(), ["https://[::1]:8443"]);
        assert_eq!(
            t(&["192.0.2.0/30"]).unwrap(),
            ["https://192.0.2.1", "https://192.0.2.2"]
        );
        assert_eq!(t(&["# comment", ""]).unwrap(), Vec::<String>::new());
        assert!(t(&["not a host!"]).is_err());
        assert!(t(&["ftp://x"]).is_err());
        assert!(t(&["10.0.0.0/8"]).is_err());
    }

    #[test]
    fn answers_read_without_the_network() {
        let r = read_answer_for_fuzz(200, Some(" 15.1.2176.9 "), "", None);
        assert!(r.iter().any(|l| l == "X-OWA-Version: 15.1.2176.9"), "{r:?}");
        let page = r#"<link href="/owa/auth/15.1.2176/themes/resources/x.css">"#;
        let tool = r#"<assemblyIdentity name="x" version="15.1.2176.14" />"#;
        let r = read_answer_for_fuzz(200, None, page, Some(tool));
        assert!(r.iter().any(|l| l == "exporttool: 15.1.2176.14"), "{r:?}");
        // A manifest of another build does not complete the link's.
        let r = read_answer_for_fuzz(200, None, page, Some(&tool.replace("2176", "2375")));
        assert!(r.iter().any(|l| l == "owa-path: 15.1.2176"), "{r:?}");
        let r = read_answer_for_fuzz(302, None, "", None);
        assert!(r[0].starts_with("proxyshell: vulnerable"), "{r:?}");
    }

    #[tokio::test]
    async fn limiter_never_exceeds_its_rate() {
        let l = Limiter::new(200.0);
        let start = Instant::now();
        for _ in 0..41 {
            l.wait().await;
        }
        // 41 starts at 200/s need at least 200 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(200),
            "{:?}",
            start.elapsed()
        );
    }
}
