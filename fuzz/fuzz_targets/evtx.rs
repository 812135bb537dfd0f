//! Windows event logs: `read_evtx_bytes` and `read_evtx_seekable`, then
//! the scan's read seam (a zip member's stream) with the Sigma rules behind
//! it. The evtx crate's own panics are caught inside exhunt by design and
//! allowed here (fuzz/README.md); any other panic is a crash.
#![no_main]

use exhunt_core::ArtifactKind;
use exhunt_fuzz::read_log;
use exhunt_sources::{read_evtx_bytes, read_evtx_seekable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    exhunt_fuzz::caught_panics_allowed();
    let mut n = 0usize;
    let _ = read_evtx_bytes(data.to_vec(), &mut |rec| n += rec.fields.len());
    let _ = read_evtx_seekable(std::io::Cursor::new(data), &mut |rec| n += rec.fields.len());
    std::hint::black_box(n);
    let kind = ArtifactKind::EventLog {
        name: "Microsoft-Windows-Sysmon/Operational".into(),
    };
    std::hint::black_box(read_log(&kind, data));
});
