//! `exhunt-testgen`: writes the synthetic Exchange trees of
//! [`exhunt_testgen::tree`] to disk.

#![forbid(unsafe_code)]

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: exhunt-testgen example DIR          compromised example tree
       exhunt-testgen clean DIR            same layout, benign only
       exhunt-testgen bench DIR --bytes N [--seed S]
                                           large tree of about N bytes (N may end in K, M or G)
       exhunt-testgen server DIR --bytes N [--days D] [--seed S] [--plant]
                                           D days (default 30) of one server's logs, about N bytes:
                                           hourly HttpProxy (nine protocols) and ECP Server logs,
                                           daily OABGenerator and IIS logs; --plant adds a
                                           ProxyLogon chain (benchmark)
       exhunt-testgen example-zip FILE     the example as a zip
       exhunt-testgen sysroot DIR          the example as a server's system drive, Exchange in
                                           C:\\Apps\\Exchange Server\\V15 (SOFTWARE hive made with hivexsh)
       exhunt-testgen iis DIR --bytes N    IIS W3C logs of about N bytes (benchmark)
       exhunt-testgen files DIR --count N [--seed S]
                                           N ordinary server files with a web shell in every 5,000 (benchmark)

DIR must not exist or be empty; FILE must not exist.";

fn fail(msg: &str) -> ExitCode {
    eprintln!("exhunt-testgen: {msg}");
    ExitCode::from(2)
}

/// `2G`, `200M`, `512K`, `1048576` (binary units, optional trailing `B`).
fn parse_bytes(s: &str) -> Option<u64> {
    let t = s.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1u64 << 10),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        'T' => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// Refuses to write into a folder that already holds something: the
/// generators would mix their files with whatever is there.
fn check_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        if !dir.is_dir() {
            return Err(format!("{} exists and is not a directory", dir.display()));
        }
        let mut entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty; refusing to write into it",
                dir.display()
            ));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first().map(String::as_str) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if matches!(cmd, "-h" | "--help" | "help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let Some(target) = args.get(1) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let target = Path::new(target);
    let rest = &args[2..];
    let started = Instant::now();
    let result = match cmd {
        "iis" => {
            if let Err(e) = check_dir(target) {
                return fail(&e);
            }
            match (
                rest.first().map(String::as_str),
                rest.get(1).and_then(|v| parse_bytes(v)),
            ) {
                (Some("--bytes"), Some(b)) if rest.len() == 2 => {
                    exhunt_testgen::w3c::write_iis_bench(target, b)
                }
                _ => return fail("iis needs --bytes N"),
            }
        }
        "server" => {
            if let Err(e) = check_dir(target) {
                return fail(&e);
            }
            let mut spec = exhunt_testgen::server::ServerSpec::default();
            let mut bytes = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--bytes" => match it.next().and_then(|v| parse_bytes(v)) {
                        Some(b) if b > 0 => bytes = Some(b),
                        _ => return fail("--bytes needs a size like 1G, 100M or 1048576"),
                    },
                    "--days" => match it.next().and_then(|v| v.parse().ok()) {
                        Some(d) if (1..=3660).contains(&d) => spec.days = d,
                        _ => return fail("--days needs a number of days (1 to 3660)"),
                    },
                    "--seed" => match it.next().and_then(|v| v.parse().ok()) {
                        Some(s) => spec.seed = s,
                        None => return fail("--seed needs an unsigned integer"),
                    },
                    "--plant" => spec.plant = true,
                    other => return fail(&format!("unknown argument {other:?}\n{USAGE}")),
                }
            }
            let Some(bytes) = bytes else {
                return fail("server needs --bytes N");
            };
            spec.bytes = bytes;
            exhunt_testgen::server::write_server(target, &spec)
        }
        "files" => {
            if let Err(e) = check_dir(target) {
                return fail(&e);
            }
            let mut count = None;
            let mut seed = 0x5EED_F11E;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--count" => match it.next().and_then(|v| v.parse().ok()) {
                        Some(n) => count = Some(n),
                        None => return fail("--count needs a number of files"),
                    },
                    "--seed" => match it.next().and_then(|v| v.parse().ok()) {
                        Some(s) => seed = s,
                        None => return fail("--seed needs an unsigned integer"),
                    },
                    other => return fail(&format!("unknown argument {other:?}\n{USAGE}")),
                }
            }
            let Some(count) = count else {
                return fail("files needs --count N");
            };
            exhunt_testgen::files::write_file_tree(target, count, seed)
        }
        "example" | "clean" | "bench" => {
            if let Err(e) = check_dir(target) {
                return fail(&e);
            }
            match cmd {
                "example" if rest.is_empty() => exhunt_testgen::write_example(target),
                "clean" if rest.is_empty() => exhunt_testgen::write_clean(target),
                "bench" => {
                    let mut bytes = None;
                    let mut seed = exhunt_testgen::tree::BENCH_SEED;
                    let mut it = rest.iter();
                    while let Some(a) = it.next() {
                        match a.as_str() {
                            "--bytes" => match it.next().and_then(|v| parse_bytes(v)) {
                                Some(b) => bytes = Some(b),
                                None => {
                                    return fail("--bytes needs a size like 2G, 200M or 1048576")
                                }
                            },
                            "--seed" => match it.next().and_then(|v| v.parse().ok()) {
                                Some(s) => seed = s,
                                None => return fail("--seed needs an unsigned integer"),
                            },
                            other => return fail(&format!("unknown argument {other:?}\n{USAGE}")),
                        }
                    }
                    let Some(bytes) = bytes else {
                        return fail("bench needs --bytes N");
                    };
                    exhunt_testgen::write_bench_seeded(target, bytes, seed)
                }
                _ => return fail(&format!("unexpected arguments {rest:?}\n{USAGE}")),
            }
        }
        "sysroot" => {
            if let Err(e) = check_dir(target) {
                return fail(&e);
            }
            if !rest.is_empty() {
                return fail(&format!("unexpected arguments {rest:?}\n{USAGE}"));
            }
            let spec = exhunt_testgen::sysroot::SystemRootSpec::default();
            exhunt_testgen::sysroot::write_system_root(
                target,
                &spec,
                &exhunt_testgen::sysroot::HiveExchange::Installed {
                    install_path: format!("{}\\", spec.install),
                    build: Some([15, 1, 2106, 2]),
                },
            )
            .map(|b| b.summary())
        }
        "example-zip" => {
            if !rest.is_empty() {
                return fail(&format!("unexpected arguments {rest:?}\n{USAGE}"));
            }
            if target.exists() {
                return fail(&format!(
                    "{} exists; refusing to overwrite it",
                    target.display()
                ));
            }
            exhunt_testgen::write_example_zip(target)
        }
        other => return fail(&format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(s) => {
            let secs = started.elapsed().as_secs_f64();
            let mbps = s.bytes as f64 / (1u64 << 20) as f64 / secs.max(1e-9);
            eprintln!(
                "exhunt-testgen: {cmd}: {} files, {} bytes, {} log lines, {} planted traces in {secs:.2} s ({mbps:.0} MiB/s) -> {}",
                s.files,
                s.bytes,
                s.rows,
                s.planted.len(),
                target.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("exhunt-testgen: {}: {e}", target.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("2G"), Some(2 << 30));
        assert_eq!(parse_bytes("200MB"), Some(200 << 20));
        assert_eq!(parse_bytes("512k"), Some(512 << 10));
        assert_eq!(parse_bytes("1048576"), Some(1 << 20));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes(""), None);
    }
}
