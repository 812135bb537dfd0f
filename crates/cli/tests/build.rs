//! `exhunt build VERSION...` through the real binary.

mod common;

use common::*;
use serde_json::Value;

fn build_json(args: &[&str]) -> (Value, i32) {
    let out = exhunt()
        .arg("build")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn explains_builds_in_every_form() {
    let (v, code) = build_json(&[
        "15.01.2106.002",
        "15.1.2106.13",
        "15.1.2308.8",
        "15.2.1118.20",
        "15.1.2106",
    ]);
    // Builds lacking fixes: exposed (exit_codes.rs has every code).
    assert_eq!(code, 10);
    assert_eq!(v["schema"], "exhunt/build/v1");
    let r = v["results"].as_array().unwrap();
    // CU18 as shipped: every campaign open.
    assert_eq!(r[0]["build"], "15.1.2106.2");
    assert_eq!(r[0]["product"], "Exchange Server 2016 CU18");
    for c in ["ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"] {
        assert!(r[0]["campaigns"][c].is_array(), "{c}: {:#}", r[0]);
    }
    assert_eq!(r[0]["listed"]["kb"], "KB4571788");
    // With the March 2021 update: ProxyLogon closed, ProxyShell (April/May 2021) open.
    assert!(r[1]["campaigns"]["ProxyLogon"].is_null());
    let ps: Vec<&str> = r[1]["campaigns"]["ProxyShell"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(ps, ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"]);
    // CU21 contains April and May 2021, not July.
    assert!(r[2]["campaigns"]["ProxyShell"].is_null());
    assert!(r[2]["open_cves"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CVE-2021-31206"));
    // 2019 CU12 with November 2022: nothing of the campaigns open.
    assert!(r[3]["open_cves"].as_array().unwrap().is_empty());
    // Three parts: said to be ambiguous.
    assert_eq!(r[4]["build"], "15.1.2106.?");
    assert!(r[4]["notes"][0]
        .as_str()
        .unwrap()
        .contains("Three-part build"));
}

#[test]
fn garbage_is_named_and_the_rest_still_explained() {
    let (v, code) = build_json(&["15.1.2106.2", "not-a-build"]);
    // Exposed wins over a build exhunt cannot place.
    assert_eq!(code, 10);
    let r = v["results"].as_array().unwrap();
    assert_eq!(r[0]["product"], "Exchange Server 2016 CU18");
    assert!(r[1]["error"].as_str().unwrap().contains("not-a-build"));
}

#[test]
fn text_groups_by_campaign() {
    let out = exhunt().args(["build", "15.1.2176.9"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Exchange Server 2016 CU19"), "{text}");
    assert!(
        text.contains("ProxyShell    CVE-2021-34473, CVE-2021-34523, CVE-2021-31207"),
        "{text}"
    );
    assert!(text.contains("Install May21SU"), "{text}");
    assert!(!text.contains("ProxyLogon "), "{text}");
}
