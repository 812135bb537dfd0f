//! A collection's manifest (`_exhunt/manifest.json` in an `exhunt collect`
//! zip): the input is the manifest's text, put in a zip beside two members
//! it may name, discovered and replayed with `collection::replay` (exact
//! times, files left out, the collection's errors and discovery).
#![no_main]

use exhunt_sources::collection::{replay, MANIFEST};
use exhunt_sources::{discover, Input};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let path = exhunt_fuzz::scratch("collection.zip");
    {
        let file = std::fs::File::create(&path).expect("scratch file created");
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, body) in [
            (
                "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
                &b"#Fields: date time\n"[..],
            ),
            ("ProgramData/it.zip", &b"PK"[..]),
            (MANIFEST, data),
        ] {
            zip.start_file(name, opts).expect("member started");
            zip.write_all(body).expect("member written");
        }
        zip.finish().expect("zip written");
    }
    let mut found = discover(&[Input::plain(&path)]);
    let mut errors = Vec::new();
    let replayed = replay(&mut found.candidates, &mut errors);
    for r in &replayed {
        std::hint::black_box((r.errors.len(), r.skipped.len()));
    }
    std::hint::black_box((found.candidates.len(), errors.len()));
});
