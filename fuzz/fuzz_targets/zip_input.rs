//! Zip inputs (a collection, or any zip given to scan): the bytes written
//! to a temporary `.zip`, listed by `input::discover`, every member read
//! through `MemberOpener` with a read cap (a zip bomb must not run away),
//! and a collection's manifest replayed (`collection::replay`).
#![no_main]

use exhunt_sources::collection::replay;
use exhunt_sources::{discover, Input, MemberOpener};
use libfuzzer_sys::fuzz_target;
use std::io::Read;

/// Bytes read from one member at most, and from the whole zip.
const MEMBER_CAP: u64 = 1 << 20;
const TOTAL_CAP: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let path = exhunt_fuzz::scratch("input.zip");
    std::fs::write(&path, data).expect("scratch file written");
    let mut found = discover(&[Input::plain(&path)]);
    let mut errors = Vec::new();
    let replayed = replay(&mut found.candidates, &mut errors);
    std::hint::black_box((replayed.len(), errors.len()));
    let mut opener = MemberOpener::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    for c in &found.candidates {
        if total >= TOTAL_CAP {
            break;
        }
        let read = opener.with_reader(&c.location, |r| {
            let mut r = r.take(MEMBER_CAP.min(TOTAL_CAP - total));
            let mut n = 0u64;
            loop {
                match r.read(&mut buf)? {
                    0 => return Ok(n),
                    k => n += k as u64,
                }
            }
        });
        if let Ok(n) = read {
            total += n;
        }
    }
});
