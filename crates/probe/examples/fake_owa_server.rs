//! A fake OWA server for the probe benchmark (bench/probe.sh): answers as
//! an Exchange 2019 CU12 front end on 0.0.0.0:PORT (every loopback address),
//! and once no request came for 3 seconds, prints how many it got and the
//! most that arrived within any one second, then exits.
//!
//!     cargo run --release -p exhunt-probe --example fake_owa_server -- 18443

use exhunt_probe::fake::{self, Behaviour, Stats};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18443);
    let l = tokio::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .expect("bind");
    let stats = Arc::new(Stats::default());
    let b = Behaviour::Owa {
        header: None,
        path_build: Some("15.2.1118".into()),
        exporttool: Some("15.2.1118.20".into()),
    };
    tokio::spawn(fake::serve_http(l, b, stats.clone()));
    eprintln!("fake OWA server on port {port}");
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(last) = stats.last_request() {
            if last.elapsed() > Duration::from_secs(3) {
                break;
            }
        } else if started.elapsed() > Duration::from_secs(600) {
            break;
        }
    }
    println!(
        "requests {} max_per_second {}",
        stats.requests.load(Ordering::Relaxed),
        stats.max_in_window(Duration::from_secs(1))
    );
}
