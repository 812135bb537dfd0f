//! A `web.config` (the IIS root's, where Microsoft's mitigation tools put
//! their URL Rewrite rules, or an application's): exhunt-detect's
//! `check_web_config`, the bytes taken as the scan takes them (UTF-8,
//! BOM stripped by `apphost::decode`, else lossy).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match exhunt_system::apphost::decode(data) {
        Ok(t) => t,
        Err(_) => String::from_utf8_lossy(data).into_owned(),
    };
    let _ = exhunt_detect::webfiles::check_web_config("inetpub/wwwroot/web.config", &text);
});
