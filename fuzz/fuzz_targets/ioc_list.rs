//! A user's indicator lists (`--iocs FILE`): `FileIocsBuilder::add_file`
//! (UTF-8 or UTF-16 text; plain hash and path lists, exhunt's CSV, the
//! MSTIC feed, signature-base's `hash-iocs.txt` / `filename-iocs.txt` with
//! their regular expressions), the set built, and looked up as the file
//! sweep does.
#![no_main]

use exhunt_detect::iocs::FileIocsBuilder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = exhunt_fuzz::scratch("iocs.txt");
    std::fs::write(&path, data).expect("scratch file written");
    let mut b = FileIocsBuilder::new();
    let _ = b.add_file(&path);
    std::hint::black_box(b.warnings().len());
    let Ok(set) = b.build() else {
        return;
    };
    std::hint::black_box(set.counts());
    std::hint::black_box(set.hash(&"ab".repeat(32)).is_some());
    std::hint::black_box(set.hash_bytes(&[0xab; 32]).is_some());
    std::hint::black_box(set.sha1(&"ab".repeat(20)).is_some());
    std::hint::black_box(set.md5(&"ab".repeat(16)).is_some());
    for p in [
        "inetpub/wwwroot/aspnet_client/system_web/nwJvpgRH.aspx",
        "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/x.aspx",
        "ProgramData/COM/it.zip",
        "",
        "/",
    ] {
        std::hint::black_box(set.path(p).len());
    }
});
