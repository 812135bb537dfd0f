//! Memory dumps in the places intruders dumped LSASS to: exhunt-detect's
//! `check_dump` (a minidump's module list searched for `lsass.exe`), with
//! the file's first 4 KiB as its prefix and the rest as a stream, as the
//! file sweep hands them over.
#![no_main]

use exhunt_detect::files::check_dump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.len().min(4096);
    let (prefix, rest) = data.split_at(cut);
    for (lsass_name, dump_place) in [(false, true), (true, false)] {
        let r = check_dump(
            "Windows/Temp/x.dmp",
            lsass_name,
            dump_place,
            prefix,
            &mut &rest[..],
        );
        std::hint::black_box(r.ok());
    }
    // A prefix shorter than the module list: the rest comes from the stream.
    let cut = data.len().min(64);
    let (prefix, rest) = data.split_at(cut);
    std::hint::black_box(check_dump("root/x.dmp", false, true, prefix, &mut &rest[..]).ok());
});
