//! `exhunt-fleetbench`: the load driver of the fleet server's benchmark
//! (`bench/fleet.sh`, issue 18). Not part of exhunt itself.
//!
//! `run` makes N distinct reports from real template reports (one or more
//! per verdict class: clean, attempted, exploited, compromised), spread
//! over the organisations of a tokens file, with real Exchange builds and
//! shared attacker indicators; uploads them gzipped (as `exhunt upload`
//! does) with a fixed number of uploads in flight, timing each; then times
//! the read API (server list pages, counts, indicator pivot, one server's
//! page) with sequential requests. It prints one JSON document.
//!
//! `derive --verdict attempted|exploited|clean REPORT` prints a report of
//! a lesser verdict made from a real one (only the findings of at most that
//! verdict kept), for the classes no quick generated tree gives.
//!
//! `table` prints the Markdown table of several runs' results.

mod gen;

use gen::{Class, Plan, Pools, Template};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const USAGE: &str = "usage:
  exhunt-fleetbench run --url http://HOST:PORT --tokens FILE --analyst TOKEN --builds FILE
        --clean F[,F] --attempted F[,F] --exploited F[,F] --compromised F[,F]
        [-n 30000] [--concurrency 8] [--reads 50] [--seed 1] [--mix 60,25,10,5] [--no-upload]
      FILE of --tokens: one `org<TAB>token` a line; --builds: `exhunt build --format json B...`
  exhunt-fleetbench derive --verdict attempted|exploited|clean REPORT
  exhunt-fleetbench table LABEL=RESULT.json,DB_BYTES[,SERVER_CPU_S] ...";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("derive") => derive(&args[1..]),
        Some("table") => table(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    if let Err(e) = r {
        eprintln!("exhunt-fleetbench: {e}");
        std::process::exit(2);
    }
}

/// `--name value` options; flags without a value are `""`.
struct Opts(Vec<(String, String)>);

impl Opts {
    fn parse(args: &[String], flags: &[&str]) -> Result<(Opts, Vec<String>), String> {
        let mut o = Vec::new();
        let mut rest = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if flags.contains(&a.as_str()) {
                o.push((a.clone(), String::new()));
            } else if a.starts_with('-') {
                let v = it.next().ok_or(format!("{a} needs a value\n{USAGE}"))?;
                o.push((a.clone(), v.clone()));
            } else {
                rest.push(a.clone());
            }
        }
        Ok((Opts(o), rest))
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn need(&self, k: &str) -> Result<&str, String> {
        self.get(k).ok_or(format!("{k} is needed\n{USAGE}"))
    }
    fn num(&self, k: &str, default: u64) -> Result<u64, String> {
        self.get(k).map_or(Ok(default), |v| {
            v.parse().map_err(|_| format!("{k}: not a number: {v}"))
        })
    }
}

fn read_json(path: &str) -> Result<Value, String> {
    let b = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_slice(&b).map_err(|e| format!("{path}: {e}"))
}

fn derive(args: &[String]) -> Result<(), String> {
    let (o, rest) = Opts::parse(args, &[])?;
    let verdict = o.need("--verdict")?;
    let path = rest.first().ok_or(USAGE)?;
    let r = gen::derive(read_json(path)?, verdict)?;
    println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    Ok(())
}

/// Nearest-rank percentile of sorted milliseconds.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn run(args: &[String]) -> Result<(), String> {
    let (o, _) = Opts::parse(args, &["--no-upload"])?;
    let url = o.need("--url")?.trim_end_matches('/').to_string();
    let n = o.num("-n", 30_000)? as usize;
    let concurrency = o.num("--concurrency", 8)?.max(1) as usize;
    let reads = o.num("--reads", 50)?.max(1) as usize;
    let seed = o.num("--seed", 1)?;
    let analyst = o.need("--analyst")?.to_string();
    let mix: Vec<f64> = o
        .get("--mix")
        .unwrap_or("60,25,10,5")
        .split(',')
        .map(|s| s.trim().parse::<f64>().map_err(|_| format!("--mix: {s}")))
        .collect::<Result<_, _>>()?;
    if mix.len() != 4 || mix.iter().sum::<f64>() <= 0.0 {
        return Err("--mix is four shares: clean,attempted,exploited,compromised".into());
    }
    let total: f64 = mix.iter().sum();
    let mix = [
        mix[0] / total,
        mix[1] / total,
        mix[2] / total,
        mix[3] / total,
    ];
    let tokens: Vec<(String, String)> = std::fs::read_to_string(o.need("--tokens")?)
        .map_err(|e| format!("--tokens: {e}"))?
        .lines()
        .filter_map(|l| {
            let (a, b) = l.split_once('\t')?;
            Some((a.to_string(), b.trim().to_string()))
        })
        .collect();
    if tokens.is_empty() {
        return Err("--tokens: no `org<TAB>token` line".into());
    }
    let builds = gen::builds(&read_json(o.need("--builds")?)?)?;
    let mut templates: Vec<Vec<Template>> = Vec::new();
    for c in Class::ALL {
        let mut v = Vec::new();
        for p in o.need(&format!("--{}", c.name()))?.split(',') {
            v.push(Template::new(p, read_json(p)?)?);
        }
        templates.push(v);
    }
    let pools = Pools::new(seed);
    let plan = Plan {
        seed,
        orgs: tokens.len(),
        mix,
        templates: [&templates[0], &templates[1], &templates[2], &templates[3]],
        builds: &builds,
        pools: &pools,
    };

    // Every report made (and gzipped) before the clock starts.
    let t0 = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut made: Vec<Option<gen::Made>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        for (k, chunk) in made.chunks_mut(n.div_ceil(threads).max(1)).enumerate() {
            let plan = &plan;
            let base = k * n.div_ceil(threads).max(1);
            s.spawn(move || {
                for (j, slot) in chunk.iter_mut().enumerate() {
                    *slot = Some(plan.make(base + j));
                }
            });
        }
    });
    let made: Vec<gen::Made> = made.into_iter().map(|m| m.expect("made")).collect();
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    let mut exposures = std::collections::BTreeMap::<&str, usize>::new();
    let mut classes = std::collections::BTreeMap::<&str, (usize, usize, usize)>::new();
    let mut orgs_used = std::collections::BTreeSet::new();
    for m in &made {
        *verdicts.entry(m.verdict.clone()).or_default() += 1;
        *exposures.entry(m.exposure).or_default() += 1;
        let e = classes.entry(m.class.name()).or_default();
        e.0 += 1;
        e.1 += m.json_len;
        e.2 += m.gz.len();
        orgs_used.insert(m.org);
    }
    let mut per_org = vec![0usize; tokens.len()];
    for m in &made {
        per_org[m.org] += 1;
    }
    per_org.sort_unstable();
    let generated = json!({
        "reports": n,
        "seconds": round2(t0.elapsed().as_secs_f64()),
        "templates": templates.iter().flatten().map(|t| json!({"path": t.path, "bytes": t.len()})).collect::<Vec<_>>(),
        "classes": classes.iter().map(|(k, (c, j, g))| (k.to_string(), json!({
            "count": c, "mean_json_bytes": j / c.max(&1), "mean_gzip_bytes": g / c.max(&1)}))).collect::<serde_json::Map<_, _>>(),
        "verdicts": verdicts,
        "exposure": exposures,
        "orgs": orgs_used.len(),
        "servers_per_org_max": per_org.last().copied().unwrap_or(0),
        "servers_per_org_median": per_org[per_org.len() / 2],
        "json_bytes": made.iter().map(|m| m.json_len).sum::<usize>(),
        "gzip_bytes": made.iter().map(|m| m.gz.len()).sum::<usize>(),
        "shared_ip": pools.ips[0],
        "shared_sha256": pools.shell_hashes[0],
    });
    eprintln!(
        "exhunt-fleetbench: {n} reports made in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency * 2)
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| e.to_string())?;

    let upload = if o.get("--no-upload").is_some() {
        Value::Null
    } else {
        rt.block_on(uploads(&client, &url, &tokens, made, concurrency))?
    };
    let reads = rt.block_on(read_api(&client, &url, &analyst, &pools, reads))?;
    let out = json!({"generated": generated, "upload": upload, "reads": reads});
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Uploads every report, `concurrency` in flight, each timed from the
/// request's start to the end of the answer.
async fn uploads(
    client: &reqwest::Client,
    url: &str,
    tokens: &[(String, String)],
    made: Vec<gen::Made>,
    concurrency: usize,
) -> Result<Value, String> {
    let made = Arc::new(made);
    let tokens = Arc::new(tokens.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(Vec::with_capacity(made.len())));
    let endpoint = format!("{url}/api/v1/reports");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (made, tokens, next, results) =
            (made.clone(), tokens.clone(), next.clone(), results.clone());
        let (client, endpoint) = (client.clone(), endpoint.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = made.get(i) else { break };
                let t = Instant::now();
                let r = client
                    .post(&endpoint)
                    .bearer_auth(&tokens[m.org].1)
                    .header("Content-Type", "application/json")
                    .header("Content-Encoding", "gzip")
                    .body(m.gz.clone())
                    .send()
                    .await;
                let status = match r {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        let _ = r.bytes().await;
                        s.to_string()
                    }
                    Err(e) => format!("error: {e}"),
                };
                let d = t.elapsed();
                results.lock().expect("lock").push((d, status));
            }
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    let results = std::mem::take(&mut *results.lock().expect("lock"));
    let mut lat: Vec<f64> = results.iter().map(|r| ms(r.0)).collect();
    lat.sort_by(f64::total_cmp);
    let mut status = std::collections::BTreeMap::<String, usize>::new();
    for r in &results {
        *status.entry(r.1.clone()).or_default() += 1;
    }
    Ok(json!({
        "count": results.len(),
        "concurrency": concurrency,
        "seconds": round2(secs),
        "reports_per_s": round2(results.len() as f64 / secs),
        "p50_ms": round2(pct(&lat, 0.50)),
        "p99_ms": round2(pct(&lat, 0.99)),
        "max_ms": round2(pct(&lat, 1.0)),
        "status": status,
    }))
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Result<(u16, Vec<u8>), String> {
    let r = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let s = r.status().as_u16();
    let b = r.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    Ok((s, b.to_vec()))
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Result<Value, String> {
    let (s, b) = get(client, url, token).await?;
    if s != 200 {
        return Err(format!("{url}: HTTP {s}: {}", String::from_utf8_lossy(&b)));
    }
    serde_json::from_slice(&b).map_err(|e| format!("{url}: {e}"))
}

/// Each read `reads` times in a row (after one untimed warm-up), with the
/// analyst's token (every organisation in scope).
async fn read_api(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    pools: &Pools,
    reads: usize,
) -> Result<Value, String> {
    let api = format!("{url}/api/v1");
    let total = get_json(client, &format!("{api}/servers?limit=1"), token).await?["total"]
        .as_i64()
        .unwrap_or(0);
    let deep = (total - 1000).max(0);
    let ip = &pools.ips[0];
    let sha = &pools.shell_hashes[0];
    // The server page of a compromised server that holds the most shared
    // web-shell hash (its indicators are on many other servers).
    let seen = get_json(
        client,
        &format!("{api}/indicators?value={sha}&limit=1"),
        token,
    )
    .await?;
    let server = seen["sightings"][0]["server"].as_i64().unwrap_or(1);
    // How far the shared indicators reach (the pivot's default page holds
    // at most 1,000 sightings).
    let mut reach = serde_json::Map::new();
    for (k, v) in [("ip", ip), ("sha256", sha)] {
        let all = get_json(
            client,
            &format!("{api}/indicators?value={v}&limit=100000"),
            token,
        )
        .await?;
        reach.insert(
            k.into(),
            json!({"value": v, "servers": all["servers"], "orgs": all["orgs"],
                   "sightings": all["sightings"].as_array().map_or(0, Vec::len)}),
        );
    }
    let list: Vec<(&str, String)> = vec![
        ("servers: first page (priority)", format!("{api}/servers")),
        (
            "servers: verdict=compromised&exposure=exposed",
            format!("{api}/servers?verdict=compromised&exposure=exposed"),
        ),
        ("servers: deep page", format!("{api}/servers?offset={deep}")),
        ("counts", format!("{api}/counts")),
        ("counts/daily", format!("{api}/counts/daily?days=30")),
        (
            "indicators: shared IP",
            format!("{api}/indicators?value={ip}"),
        ),
        (
            "indicators: shared sha256",
            format!("{api}/indicators?value={sha}"),
        ),
        ("servers/{id}", format!("{api}/servers/{server}")),
    ];
    let mut out = Vec::new();
    for (name, u) in list {
        let (status, body) = get(client, &u, token).await?;
        if status != 200 {
            return Err(format!(
                "{u}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let mut lat = Vec::with_capacity(reads);
        for _ in 0..reads {
            let t = Instant::now();
            let (s, _) = get(client, &u, token).await?;
            lat.push(ms(t.elapsed()));
            if s != 200 {
                return Err(format!("{u}: HTTP {s}"));
            }
        }
        lat.sort_by(f64::total_cmp);
        out.push(json!({
            "read": name,
            "path": u.strip_prefix(url).unwrap_or(&u),
            "n": reads,
            "bytes": body.len(),
            "p50_ms": round2(pct(&lat, 0.50)),
            "p99_ms": round2(pct(&lat, 0.99)),
            "max_ms": round2(pct(&lat, 1.0)),
        }));
    }
    Ok(json!({"servers_total": total, "shared": reach, "timings": out}))
}

/// `LABEL=RESULT.json,DB_BYTES[,SERVER_CPU_S]` per database: one Markdown
/// table, a column per database.
fn table(args: &[String]) -> Result<(), String> {
    let mut cols = Vec::new();
    for a in args {
        let (label, rest) = a.split_once('=').ok_or(USAGE)?;
        let mut it = rest.split(',');
        let v = read_json(it.next().ok_or(USAGE)?)?;
        let size: f64 = it
            .next()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(f64::NAN);
        let cpu: Option<f64> = it.next().and_then(|s| s.trim().parse().ok());
        cols.push((label.to_string(), v, size, cpu));
    }
    if cols.is_empty() {
        return Err(USAGE.into());
    }
    let f = |x: &Value| x.as_f64().map_or("-".to_string(), |x| format!("{x:.1}"));
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |name: &str, cells: Vec<String>| rows.push((name.to_string(), cells));
    row(
        "reports uploaded (status)",
        cols.iter()
            .map(|c| {
                let u = &c.1["upload"];
                let st = u["status"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{v} x {k}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                format!("{} ({st})", u["count"])
            })
            .collect(),
    );
    row(
        "upload: reports/s",
        cols.iter()
            .map(|c| f(&c.1["upload"]["reports_per_s"]))
            .collect(),
    );
    row(
        "upload: wall",
        cols.iter()
            .map(|c| format!("{} s", f(&c.1["upload"]["seconds"])))
            .collect(),
    );
    row(
        "upload latency p50 / p99 / max",
        cols.iter()
            .map(|c| {
                let u = &c.1["upload"];
                format!(
                    "{} / {} / {} ms",
                    f(&u["p50_ms"]),
                    f(&u["p99_ms"]),
                    f(&u["max_ms"])
                )
            })
            .collect(),
    );
    row(
        "database size",
        cols.iter()
            .map(|c| format!("{:.0} MB", c.2 / 1e6))
            .collect(),
    );
    if cols.iter().any(|c| c.3.is_some()) {
        row(
            "server CPU (whole run)",
            cols.iter()
                .map(|c| c.3.map_or("-".into(), |x| format!("{x:.0} s")))
                .collect(),
        );
    }
    let names: Vec<String> = cols[0].1["reads"]["timings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["read"].as_str().map(str::to_string))
        .collect();
    for name in names {
        row(
            &format!("read {name}: p50 / p99 (max)"),
            cols.iter()
                .map(|c| {
                    let t = c.1["reads"]["timings"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|t| t["read"] == name.as_str());
                    t.map_or("-".into(), |t| {
                        format!(
                            "{} / {} ({}) ms",
                            f(&t["p50_ms"]),
                            f(&t["p99_ms"]),
                            f(&t["max_ms"])
                        )
                    })
                })
                .collect(),
        );
    }
    println!(
        "| | {} |",
        cols.iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---|".repeat(cols.len()));
    for (name, cells) in rows {
        println!("| {name} | {} |", cells.join(" | "));
    }
    Ok(())
}
