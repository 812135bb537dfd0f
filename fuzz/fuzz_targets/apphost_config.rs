//! IIS `applicationHost.config`: exhunt-system's `apphost::decode` and
//! `apphost::parse` (log folders, web folders), every path it names parsed
//! as a Windows path as discovery does, and exhunt-detect's
//! `check_application_host_config` (virtual directories into ProgramData,
//! URL Rewrite mitigations).
#![no_main]

use exhunt_core::winpath::{default_vars, WinPath};
use exhunt_system::apphost;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = apphost::decode(data) else {
        return;
    };
    if let Ok(cfg) = apphost::parse(&text) {
        let vars = default_vars();
        for p in cfg.log_dirs.iter().chain(&cfg.physical_paths) {
            if let Ok(w) = WinPath::parse(&p.raw, &vars) {
                let inner = w.join("W3SVC1\\u_ex210303.log");
                std::hint::black_box(inner.starts_with(&w));
            }
        }
    }
    let _ = exhunt_detect::webfiles::check_application_host_config(
        "Windows/System32/inetsrv/config/applicationHost.config",
        &text,
    );
});
