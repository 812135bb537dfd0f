//! Windows events exported as JSON lines (Winlogbeat, OTRF/NXLog,
//! evtx_dump): `EventsJsonlReader::scan` (also with a small buffer and
//! line cap), then the scan's read seam with the Sigma rules behind it.
#![no_main]

use exhunt_core::ArtifactKind;
use exhunt_fuzz::read_log;
use exhunt_sources::EventsJsonlReader;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // Reused from input to input, as a worker thread reuses them.
    static READERS: RefCell<(EventsJsonlReader, EventsJsonlReader)> =
        RefCell::new((EventsJsonlReader::new(), EventsJsonlReader::with_buffer(64, 1024)));
}

fuzz_target!(|data: &[u8]| {
    READERS.with_borrow_mut(|(reader, small)| {
        let mut n = 0usize;
        let _ = reader.scan(&mut &data[..], &mut |rec| n += rec.fields.len());
        let _ = small.scan(&mut &data[..], &mut |rec| n += rec.fields.len());
        std::hint::black_box(n);
    });
    std::hint::black_box(read_log(&ArtifactKind::EventJsonl, data));
});
