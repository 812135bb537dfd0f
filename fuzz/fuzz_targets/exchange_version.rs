//! Exchange build strings (typed by the user, read from a log's
//! `#Version:` header, a registry export, a server's `X-OWA-Version`):
//! exhunt-patch's `parse_version` and `Table::explain` against the
//! embedded build table (product, CU, open CVEs, what to install).
#![no_main]

use exhunt_patch::{parse_version, Parsed, Table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let table = Table::embedded();
    match parse_version(&s) {
        Ok(Parsed::Full(v)) => {
            std::hint::black_box(v.to_string());
            std::hint::black_box(table.has_update(v, "SU Mar21"));
        }
        Ok(Parsed::Partial(p)) => {
            std::hint::black_box(p);
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
    if let Ok(e) = table.explain(&s) {
        std::hint::black_box((e.open_cves().len(), e.by_campaign().len()));
    }
});
