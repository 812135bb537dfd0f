//! Exchange's CSV logs (HttpProxy, ECP Server, OABGenerator, Remote
//! PowerShell proxy): `CsvLogScanner::scan` / `scan_with_columns` with each
//! family's real pre-filter (the RPS log with its default columns), every
//! record's fields, time and context lines; then the same bytes through the
//! scan's read seam with the detectors behind it.
#![no_main]

use exhunt_core::Record;
use exhunt_detect::LogFamily;
use exhunt_fuzz::{csv_kind, detectors, read_log};
use exhunt_sources::csvlog::default_columns;
use exhunt_sources::CsvLogScanner;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // Reused from input to input, as a worker thread reuses it.
    static SCANNER: RefCell<CsvLogScanner> = RefCell::new(CsvLogScanner::new());
}

fuzz_target!(|data: &[u8]| {
    SCANNER.with_borrow_mut(|scanner| run(scanner, data));
});

fn run(scanner: &mut CsvLogScanner, data: &[u8]) {
    let d = detectors();
    for fam in LogFamily::ALL {
        let kind = csv_kind(fam);
        let pf = &d.prefilters[&fam];
        let mut seen = 0usize;
        let mut on_record = |rec: &exhunt_sources::CsvRecord<'_>| {
            seen += rec.len() + rec.around(3).len();
            for name in [
                "DateTime",
                "AnchorMailbox",
                "UrlStem",
                "HttpStatus",
                "ClientInfo",
            ] {
                seen += rec.field(name).map_or(0, str::len);
            }
            seen += rec.time().map_or(0, str::len);
        };
        let _ = match default_columns(&kind) {
            Some(cols) => scanner.scan_with_columns(&mut &data[..], pf, Some(cols), &mut on_record),
            None => scanner.scan(&mut &data[..], pf, &mut on_record),
        };
        std::hint::black_box(seen);
        std::hint::black_box(read_log(&kind, data));
    }
}
