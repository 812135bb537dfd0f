//! The real Exchange 2016 web.configs captured by Microsoft's Health Checker
//! tests (tests/data/css-exchange-benign-config, MIT) must give no finding:
//! they are full of `<remove name=…>` for modules and handlers, which the
//! URL Rewrite check must not mistake for a removed mitigation rule. Their
//! hashes also match no baseline hash, which is why a differing `.config`
//! is not reported by the file check.

use exhunt_detect::webfiles::{self, Baselines, Known};
use std::path::Path;

fn configs() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/css-exchange-benign-config");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("web.config"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn real_exchange_web_configs_give_no_finding() {
    let all = configs();
    assert_eq!(all.len(), 4);
    for (name, text) in &all {
        assert!(text.contains("<remove name="), "{name}");
        let found = webfiles::check_web_config(name, text).unwrap();
        assert!(found.is_empty(), "{name}: {found:?}");
        // They parse as applicationHost.config input too, without findings.
        assert!(webfiles::check_application_host_config(name, text)
            .unwrap()
            .is_empty());
    }
}

#[test]
fn real_web_configs_differ_from_every_baseline_hash_and_are_not_reported() {
    let b = Baselines::builtin();
    let places = [
        (
            "DefaultWebSite-ECP_web.config",
            "v15/frontend/httpproxy/ecp/web.config",
        ),
        (
            "DefaultWebSite-OAB_web.config",
            "v15/frontend/httpproxy/oab/web.config",
        ),
        (
            "DefaultWebSite-OWA_web.config",
            "v15/frontend/httpproxy/owa/web.config",
        ),
        (
            "ExchangeBackEnd-OAB_web.config",
            "v15/clientaccess/oab/web.config",
        ),
    ];
    for (name, text) in configs() {
        let rel = places.iter().find(|(n, _)| *n == name).unwrap().1;
        let sha = sha256_hex(text.as_bytes());
        let inst = webfiles::install_relative(rel).unwrap();
        assert_eq!(
            b.hash_known_for(inst, &sha, None),
            Known::StockDiffers,
            "{name}"
        );
        let found = webfiles::check_web_file(rel, rel, &sha, b"", Some("15.1.2242.4"), b);
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hashes PROVENANCE.md lists for the copied files.
#[test]
fn copies_match_their_provenance() {
    let prov = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/css-exchange-benign-config/PROVENANCE.md"),
    )
    .unwrap();
    for (name, text) in configs() {
        assert!(prov.contains(&sha256_hex(text.as_bytes())), "{name}");
    }
}
