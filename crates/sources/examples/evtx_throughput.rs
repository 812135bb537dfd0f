//! Parse throughput of exhunt's EVTX reader against the `evtx` crate alone.
//!
//! ```sh
//! cargo run --release -p exhunt-sources --example evtx_throughput -- [ROUNDS] [FILE.evtx...]
//! ```
//!
//! Without files it reads the EVTX samples under `tests/data/`. Each file is
//! read `ROUNDS` times (default 200) by: the crate rendering JSON strings
//! (`records_json`, the work exhunt's reader starts from), the crate
//! rendering `serde_json::Value`s (`records_json_value`), and
//! [`exhunt_sources::read_evtx_file`] (JSON rendering + flattening into an
//! `EventRecord` with Sigma names and logsource). `ONLY=exhunt` (any part
//! of a name) runs one of them, for profiling.

use std::path::{Path, PathBuf};
use std::time::Instant;

fn settings() -> evtx::ParserSettings {
    evtx::ParserSettings::new()
        .separate_json_attributes(true)
        .indent(false)
        .validate_checksums(false)
}

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let rounds: usize = match args.peek().and_then(|a| a.parse().ok()) {
        Some(n) => {
            args.next();
            n
        }
        None => 200,
    };
    let mut files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if files.is_empty() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        for dir in ["evtx-attack-samples", "evtx-to-mitre-attack"] {
            let mut found: Vec<PathBuf> = std::fs::read_dir(data.join(dir))
                .expect("test data")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
                .collect();
            found.sort();
            files.extend(found);
        }
    }
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    println!("{} file(s), {bytes} bytes, {rounds} rounds", files.len());

    let only = std::env::var("ONLY").unwrap_or_default();
    let run = |name: &str, f: &dyn Fn(&Path) -> u64| {
        if !only.is_empty() && !name.contains(only.as_str()) {
            return;
        }
        let t = Instant::now();
        let mut n = 0u64;
        for _ in 0..rounds {
            for p in &files {
                n += f(p);
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:<34} {n:>9} records {:>8.1} ms {:>10.0} records/s {:>7.1} MB/s",
            s * 1e3,
            n as f64 / s,
            (bytes * rounds as u64) as f64 / s / 1e6
        );
    };
    run("evtx records_json (String)", &|p| {
        let mut parser = evtx::EvtxParser::from_path(p)
            .unwrap()
            .with_configuration(settings());
        parser.records_json().filter(|r| r.is_ok()).count() as u64
    });
    run("evtx records_json_value (Value)", &|p| {
        let mut parser = evtx::EvtxParser::from_path(p)
            .unwrap()
            .with_configuration(settings());
        parser.records_json_value().filter(|r| r.is_ok()).count() as u64
    });
    run("exhunt read_evtx_file (EventRecord)", &|p| {
        let mut n = 0;
        exhunt_sources::read_evtx_file(p, &mut |_| n += 1).unwrap();
        n
    });
}
