//! IIS W3C logs: `W3cReader::scan` and `scan_filtered` (with the IIS line
//! pre-filter the scan builds), a reader with a small buffer and line cap,
//! then the scan's read seam with Sigma's webserver rules, the
//! attacker-address list and the unshipped-page check behind it.
#![no_main]

use exhunt_fuzz::{detectors, iis_kind, read_log};
use exhunt_sources::W3cReader;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // Reused from input to input, as a worker thread reuses them.
    static READERS: RefCell<(W3cReader, W3cReader)> =
        RefCell::new((W3cReader::new(), W3cReader::with_buffer(64, 512)));
}

fuzz_target!(|data: &[u8]| {
    READERS.with_borrow_mut(|(reader, small)| {
        let d = detectors();
        let mut n = 0usize;
        // Each reader (the scan's, and one so small that lines straddle
        // reads and pass its line cap) whole, then through the scan's
        // buffer-wide line filter: the same lines and bytes are seen.
        for rd in [&mut *reader, &mut *small] {
            let all = rd.scan(&mut &data[..], &mut |rec| n += rec.fields.len());
            let Some(keep) = &d.iis_keep else { continue };
            let mut skipped = 0usize;
            let filtered = rd.scan_filtered(
                &mut &data[..],
                Some(keep),
                &mut |rec| n += rec.fields.len(),
                &mut |_, run| skipped += run.len(),
            );
            n += skipped;
            if let (Ok(a), Ok(f)) = (&all, &filtered) {
                assert_eq!(a.lines, f.lines);
                assert_eq!(a.bytes, f.bytes);
            }
        }
        std::hint::black_box(n);
    });
    std::hint::black_box(read_log(&iis_kind(), data));
});
