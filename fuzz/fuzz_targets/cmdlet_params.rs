//! A cmdlet's parameters as the MSExchange Management log writes them
//! (attacker-controlled: an intruder chooses the rule names, mailbox
//! names and addresses): exhunt-core's `cmdlet_params` splits them for the
//! mail-flow detector and the ledger, `ps_quote` quotes what the next steps
//! paste back into PowerShell, and the detector's recipient and domain
//! helpers read the forwarding targets. Every value must come from the
//! input, and a quoted value must never end early.
#![no_main]

use exhunt_core::{cmdlet_params, ps_quote};
use exhunt_detect::mailflow::{domain_of, recipients};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    for (name, value) in cmdlet_params(&s) {
        assert!(!name.is_empty());
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert!(s.contains(value));
        for r in recipients(value) {
            std::hint::black_box(domain_of(&r));
        }
        let q = ps_quote(value);
        assert!(q.len() >= 2 && q.starts_with('\'') && q.ends_with('\''));
        // Inside, every quote PowerShell would end the string at is doubled.
        let inner: Vec<char> = q[1..q.len() - 1].chars().collect();
        let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        let mut i = 0;
        while i < inner.len() {
            if quote(inner[i]) {
                assert!(i + 1 < inner.len() && quote(inner[i + 1]), "{q:?}");
                i += 2;
            } else {
                assert!(!inner[i].is_control());
                i += 1;
            }
        }
    }
});
