//! The probe's reading of a server's answers (servers on the network may
//! be hostile): `exhunt_probe::read_answer_for_fuzz`, the code the probe
//! runs on an `/owa/` answer (the `X-OWA-Version` header, the logon page's
//! `/owa/auth/<build>/` links), the export tool manifest, both active
//! checks' readings, and the build's explanation.
//!
//! Input: two bytes of HTTP status, the header value up to the first
//! newline, the page body, and after a NUL byte the export tool's body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]) % 600;
    let rest = &data[2..];
    let (header, rest) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    };
    let (body, tool) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // The probe reads the header only when it is visible ASCII, and the
    // bodies as lossy UTF-8.
    let header = header
        .filter(|h| h.iter().all(|&b| b == b'\t' || (32..127).contains(&b)))
        .map(|h| String::from_utf8_lossy(h).into_owned());
    let body = String::from_utf8_lossy(body);
    let tool = tool.map(String::from_utf8_lossy);
    let out = exhunt_probe::read_answer_for_fuzz(status, header.as_deref(), &body, tool.as_deref());
    std::hint::black_box(out);
});
