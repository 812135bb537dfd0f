//! What a file is, from its first bytes and its path: exhunt-sources'
//! `classify_content`, the format sniffers, `path_interest` and the names
//! taken from paths, and `utf8_reader` (UTF-16 logs transcoded) read to the
//! end, as the scan does for every file.
#![no_main]

use exhunt_sources::classify::{
    canonical_protocol, classify_content, event_log_name, path_interest,
};
use exhunt_sources::csvlog::{read_prefix, utf8_reader};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(classify_content(data));
    std::hint::black_box((
        exhunt_sources::is_w3c(data),
        exhunt_sources::is_evtx(data),
        exhunt_sources::is_events_jsonl(data),
        exhunt_sources::hive::is_hive(data),
    ));
    let s = String::from_utf8_lossy(data);
    let line = s.lines().next().unwrap_or("");
    std::hint::black_box(path_interest(&line.to_lowercase(), line));
    std::hint::black_box(event_log_name(line));
    std::hint::black_box(canonical_protocol(line));
    if let Ok(mut r) = utf8_reader(data) {
        if let Ok(prefix) = read_prefix(&mut r, 8192) {
            std::hint::black_box(classify_content(&prefix));
        }
        let mut out = Vec::new();
        let _ = r.take(4 << 20).read_to_end(&mut out);
    }
});
