//! An offline `SOFTWARE` registry hive and its transaction logs:
//! `hive::read_exchange_setup` (Exchange's Setup key: install path and
//! build; the hive's damage; logs left out), as discovery calls it, the
//! install path then parsed as a Windows path as discovery does.
//!
//! Input: byte 0 says how many logs follow (bits 0-1: 0, 1 or 2) and
//! whether their entries' Marvin32 hashes are left as they are (bit 2;
//! by default they are recomputed, or notatin would stop at the first
//! entry); then the hive, and each log after a `--exhunt-fuzz-log--`
//! separator. notatin's own panics are caught inside `read_exchange_setup`
//! (by design); they are allowed here, any other panic is a crash.
#![no_main]

use exhunt_core::winpath::{default_vars, WinPath};
use exhunt_sources::hive::read_exchange_setup;
use libfuzzer_sys::fuzz_target;

const SEP: &[u8] = b"--exhunt-fuzz-log--";

fuzz_target!(|data: &[u8]| {
    exhunt_fuzz::caught_panics_allowed();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut parts = split(rest, SEP).into_iter();
    let hive = parts.next().unwrap_or_default().to_vec();
    let n_logs = ((mode & 3) as usize).min(2);
    let logs: Vec<Vec<u8>> = (0..n_logs)
        .map(|_| {
            let mut log = parts.next().unwrap_or_default().to_vec();
            if mode & 4 == 0 {
                exhunt_fuzz::fix_log_hashes(&mut log);
            }
            log
        })
        .collect();
    let Ok(read) = read_exchange_setup(hive, logs) else {
        return;
    };
    std::hint::black_box((read.damage.len(), read.logs_not_applied.is_some()));
    if let Some(setup) = &read.setup {
        if let Some(p) = &setup.install_path {
            std::hint::black_box(WinPath::parse(p, &default_vars()).ok());
        }
        if let Some(b) = &setup.build {
            std::hint::black_box(exhunt_patch::parse_version(b).ok());
        }
    }
});

fn split<'a>(mut s: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = s.windows(sep.len()).position(|w| w == sep) {
        out.push(&s[..i]);
        s = &s[i + sep.len()..];
    }
    out.push(s);
    out
}
