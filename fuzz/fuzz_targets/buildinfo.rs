//! The Exchange build from a server's files: exhunt-sources'
//! `buildinfo::pe_file_version` (`ExSetup.exe`'s version resource) and
//! `buildinfo::reg_exchange_build` (a `.reg` export of the Setup key,
//! UTF-16 or UTF-8), the result explained by exhunt-patch.
#![no_main]

use exhunt_sources::buildinfo::{pe_file_version, reg_exchange_build};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let table = exhunt_patch::Table::embedded();
    if let Some([a, b, c, d]) = pe_file_version(data) {
        std::hint::black_box(table.explain(&format!("{a}.{b}.{c}.{d}")).is_ok());
    }
    if let Some((build, key)) = reg_exchange_build(data) {
        std::hint::black_box((table.explain(&build).is_ok(), key.len()));
    }
});
