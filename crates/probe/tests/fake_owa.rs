//! The probe against fake OWA servers on loopback, started here: plain
//! HTTP and TLS with a self-signed certificate; 2013, 2016 and 2019 builds,
//! patched and not, with and without the version header; and servers that
//! hang, send garbage, loop redirects, send an endless body or refuse.

use exhunt_probe::fake::{self, Behaviour, Stats};
use exhunt_probe::{probe_all, ProbeConfig, ProbeResult};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

async fn http(b: Behaviour) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(fake::serve_http(l, b, Arc::new(Stats::default())));
    format!("http://127.0.0.1:{port}")
}

async fn https_self_signed(b: Behaviour) -> String {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls_key(cert.key_pair.serialize_der());
    let chain = vec![cert.cert.der().clone()];
    let cfg = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        let stats = Arc::new(Stats::default());
        loop {
            let Ok((sock, _)) = l.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let b = b.clone();
            let stats = stats.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(sock).await {
                    fake::handle(tls, &b, &stats).await;
                }
            });
        }
    });
    format!("https://localhost:{port}")
}

fn rustls_key(der: Vec<u8>) -> tokio_rustls::rustls::pki_types::PrivateKeyDer<'static> {
    tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(der.into())
}

fn owa(header: Option<&str>, path: Option<&str>, export: Option<&str>) -> Behaviour {
    Behaviour::Owa {
        header: header.map(str::to_string),
        path_build: path.map(str::to_string),
        exporttool: export.map(str::to_string),
    }
}

fn by_url<'a>(r: &'a [ProbeResult], url: &str) -> &'a ProbeResult {
    r.iter().find(|x| x.url == url).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_from_header_path_and_export_tool_and_every_bad_server() {
    let e2016_header = http(owa(Some("15.1.2106.2"), Some("15.1.2106"), None)).await;
    let e2019_tls = https_self_signed(owa(None, Some("15.2.1118"), Some("15.2.1118.20"))).await;
    let e2013_path = http(owa(None, Some("15.0.1497"), None)).await;
    let e2016_patched_tls = https_self_signed(owa(Some("15.1.2507.16"), None, None)).await;
    let hang = http(Behaviour::Hang).await;
    let garbage = http(Behaviour::Garbage).await;
    let looping = http(Behaviour::RedirectLoop).await;
    let endless = http(Behaviour::EndlessBody).await;
    let not_owa = http(owa(None, None, None)).await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    };
    let targets = vec![
        e2016_header.clone(),
        e2019_tls.clone(),
        e2013_path.clone(),
        e2016_patched_tls.clone(),
        hang.clone(),
        garbage.clone(),
        looping.clone(),
        endless.clone(),
        not_owa.clone(),
        refused.clone(),
    ];
    let cfg = ProbeConfig {
        concurrency: 16,
        rate: 200.0,
        timeout: Duration::from_secs(2),
        ..ProbeConfig::default()
    };
    let start = Instant::now();
    let r = probe_all(&targets, &cfg, &|| {}).await.unwrap();
    // A hanging server costs one timeout, not the run.
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.len(), targets.len());

    let a = by_url(&r, &e2016_header);
    assert_eq!(a.build.as_deref(), Some("15.1.2106.2"), "{a:#?}");
    assert_eq!(a.build_source.as_deref(), Some("X-OWA-Version"));
    assert_eq!(a.product.as_deref(), Some("Exchange Server 2016 CU18"));
    assert!(a.open_cves.iter().any(|c| c == "CVE-2021-26855"));
    assert!(!a.tls_unverified);

    let b = by_url(&r, &e2019_tls);
    assert_eq!(b.build.as_deref(), Some("15.2.1118.20"), "{b:#?}");
    assert_eq!(b.build_source.as_deref(), Some("exporttool"));
    assert!(b.tls_unverified, "self-signed certificate must be flagged");
    assert!(
        b.campaigns.iter().all(|(c, _)| c == "other"),
        "{:?}",
        b.campaigns
    );

    let c = by_url(&r, &e2013_path);
    assert_eq!(c.build.as_deref(), Some("15.0.1497.?"), "{c:#?}");
    assert_eq!(c.build_source.as_deref(), Some("owa-path"));
    assert!(c.notes[0].contains("Three-part build"));
    assert_eq!(c.product.as_deref(), Some("Exchange Server 2013 CU23"));

    let d = by_url(&r, &e2016_patched_tls);
    assert_eq!(d.build.as_deref(), Some("15.1.2507.16"));
    assert!(d.tls_unverified);
    assert!(
        !d.open_cves.iter().any(|c| c.starts_with("CVE-2022-4104")),
        "{:?}",
        d.open_cves
    );

    for (url, want) in [
        (&hang, "timed out"),
        (&garbage, ""),
        (&looping, "redirect"),
        (&refused, "could not connect"),
    ] {
        let x = by_url(&r, url);
        assert!(x.build.is_none(), "{x:#?}");
        let err = x
            .error
            .as_deref()
            .unwrap_or_else(|| panic!("{url}: no error: {x:#?}"));
        assert!(err.contains(want), "{url}: {err}");
    }
    assert!(!by_url(&r, &refused).reachable);
    let e = by_url(&r, &endless);
    assert!(e.build.is_none() && e.error.is_some(), "{e:#?}");
    let n = by_url(&r, &not_owa);
    assert!(
        n.reachable && n.error.as_deref().unwrap().contains("no Exchange build"),
        "{n:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_rate_is_never_exceeded() {
    let stats = Arc::new(Stats::default());
    let l = TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(fake::serve_http(
        l,
        owa(Some("15.2.1118.20"), None, None),
        stats.clone(),
    ));
    // 60 targets on 127.0.0.x (loopback answers on every address).
    let targets: Vec<String> = (1..=60)
        .map(|i| format!("http://127.0.0.{i}:{port}"))
        .collect();
    let cfg = ProbeConfig {
        concurrency: 32,
        rate: 50.0,
        timeout: Duration::from_secs(5),
        ..ProbeConfig::default()
    };
    let start = Instant::now();
    let r = probe_all(&targets, &cfg, &|| {}).await.unwrap();
    assert!(
        r.iter().all(|x| x.build.as_deref() == Some("15.2.1118.20")),
        "{:#?}",
        r[0]
    );
    assert!(r.iter().all(|x| x.requests == 2));
    // Two requests per target (the redirect counts): 120 requests at 50/s.
    let total = stats.requests.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(total, 120);
    assert!(
        start.elapsed() >= Duration::from_millis(2300),
        "{:?}",
        start.elapsed()
    );
    let peak = stats.max_in_window(Duration::from_secs(1));
    assert!(
        peak <= 51,
        "{peak} requests within one second at a rate of 50/s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_checks_only_when_asked() {
    let open = http(Behaviour::OwaActive {
        header: "15.1.2308.8".into(),
        vulnerable: true,
    })
    .await;
    let closed = http(Behaviour::OwaActive {
        header: "15.1.2507.16".into(),
        vulnerable: false,
    })
    .await;
    let targets = vec![open.clone(), closed.clone()];
    let passive = probe_all(&targets, &ProbeConfig::default(), &|| {})
        .await
        .unwrap();
    assert!(passive
        .iter()
        .all(|r| r.active.is_empty() && r.requests == 1));
    let cfg = ProbeConfig {
        active_checks: true,
        ..ProbeConfig::default()
    };
    let r = probe_all(&targets, &cfg, &|| {}).await.unwrap();
    let a = by_url(&r, &open);
    assert_eq!(a.active.len(), 2);
    assert!(
        a.active.iter().all(|c| c.result == "vulnerable"),
        "{:#?}",
        a.active
    );
    assert!(a.active[0].cves.contains(&"CVE-2021-34473".to_string()));
    let b = by_url(&r, &closed);
    assert!(
        b.active.iter().all(|c| c.result == "not vulnerable"),
        "{:#?}",
        b.active
    );
}
