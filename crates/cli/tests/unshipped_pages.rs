//! Requests for script pages that no Exchange build ships (issue 12, item
//! 6): the trace a web shell leaves in the logs after the antivirus removed
//! the file. Through the real binary on generated IIS and HttpProxy logs
//! laid out like a server, with no web folder to look at.

mod common;

use common::*;
use exhunt_testgen::httpproxy::{self, attack, Format, Protocol, Traffic};
use exhunt_testgen::{w3c, SplitMix64, Time};
use serde_json::Value;
use tempfile::TempDir;

const DAY: Time = Time::utc(2021, 3, 3, 0, 0, 0);
const HOUR: Time = Time::utc(2021, 3, 3, 6, 0, 0);
const SHELL_IP: &str = "203.0.113.66";
const SCANNER_IP: &str = "198.51.100.7";
const IIS: &str = "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log";

/// An IIS request line from `ip`.
fn iis_line(method: &str, stem: &str, ip: &str, status: u16) -> String {
    format!(
        "2021-03-03 06:20:00 10.0.0.10 {method} {stem} - 443 - {ip} python-requests/2.25.1 - {status} 0 0 15\r\n"
    )
}

/// A day of benign IIS traffic (OWA logons and their theme files among
/// it) with `extra` lines appended.
fn iis_log(extra: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    w3c::write_day(&mut out, &mut SplitMix64::new(3), DAY, 300_000, false).unwrap();
    for l in extra {
        out.extend_from_slice(l.as_bytes());
    }
    out
}

fn by_ip<'a>(r: &'a Run, ip: &str) -> Vec<&'a Value> {
    r.findings()
        .iter()
        .filter(|f| f["evidence"]["c-ip"] == ip || f["evidence"]["ClientIpAddress"] == ip)
        .collect()
}

#[test]
fn a_served_page_no_build_ships_is_a_web_shell_even_when_the_file_is_gone() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        IIS,
        &iis_log(&[
            // A shell in a theme folder, under a name no list has.
            iis_line(
                "POST",
                "/owa/auth/Current/themes/resources/rtx2.aspx",
                SHELL_IP,
                200,
            ),
            // Stock pages, whatever the client.
            iis_line("GET", "/owa/auth/errorFE.aspx", SCANNER_IP, 200),
            iis_line("GET", "/ecp/auth/TimeoutLogout.aspx", SCANNER_IP, 200),
            iis_line("GET", "/owa/auth/logon.aspx", SCANNER_IP, 200),
        ]),
    );
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised", "{:#?}", r.findings());
    let mine = by_ip(&r, SHELL_IP);
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let f = mine[0];
    assert_eq!(f["rule"], "webshell-unshipped-page", "{f:#}");
    assert_eq!(f["kind"], "webshell");
    assert_eq!(f["severity"], "high");
    assert!(f["evidence"]["unshipped"]
        .as_str()
        .unwrap()
        .contains("/owa/auth/current/themes/resources/rtx2.aspx"));
    // The stock pages and the benign day say nothing.
    assert!(by_ip(&r, SCANNER_IP).is_empty(), "{:#?}", r.findings());
    assert_eq!(r.findings().len(), 1, "{:#?}", r.findings());
}

#[test]
fn the_same_in_the_front_ends_httpproxy_log() {
    let dir = TempDir::new().unwrap();
    let mut traffic = Traffic::new(4);
    let mut rows = traffic.hour(Protocol::Ecp, HOUR, 300);
    let mut rng = SplitMix64::new(9);
    rows.insert(
        150,
        attack::page(
            &mut rng,
            Protocol::Ecp,
            SHELL_IP,
            HOUR.plus_secs(900),
            ("POST", "/ecp/auth/Zq1.ashx"),
            200,
        ),
    );
    put(
        dir.path(),
        &httpproxy_rel("Ecp", "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &rows),
    );
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "compromised", "{:#?}", r.findings());
    let mine = by_ip(&r, SHELL_IP);
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert!(rules_of(mine[0]).any(|x| x == "webshell-unshipped-page"));
    assert_eq!(mine[0]["evidence"]["UrlStem"], "/ecp/auth/Zq1.ashx");
    // The same stem in mixed case in another row is found too: clients
    // choose the case of a URL, the pre-filter must not.
    let mut rows = traffic.hour(Protocol::Owa, HOUR, 200);
    rows.push(attack::page(
        &mut rng,
        Protocol::Owa,
        SHELL_IP,
        HOUR.plus_secs(1900),
        ("GET", "/OWA/AUTH/OutlookJP.ASPX"),
        200,
    ));
    put(
        dir.path(),
        &httpproxy_rel("Owa", "2021030306"),
        &httpproxy::render(Format::Both, HOUR, &rows),
    );
    let r = scan(&[dir.path()]);
    assert_eq!(by_ip(&r, SHELL_IP).len(), 2, "{:#?}", r.findings());
}

#[test]
fn probes_for_shells_that_are_not_there_are_an_attempt_not_a_compromise() {
    let dir = TempDir::new().unwrap();
    let probes: Vec<String> = [
        ("/owa/auth/shel90.aspx", 404),
        ("/owa/auth/OutlookZH.aspx", 404),
        ("/aspnet_client/system_web/log.aspx", 404),
        ("/OAB/log.aspx", 302),
    ]
    .iter()
    .map(|(s, st)| iis_line("GET", s, SCANNER_IP, *st))
    .collect();
    put(dir.path(), IIS, &iis_log(&probes));
    let r = scan(&[dir.path()]);
    assert_eq!(r.verdict(), "attempted", "{:#?}", r.findings());
    let mine = by_ip(&r, SCANNER_IP);
    assert_eq!(mine.len(), 4, "{mine:#?}");
    for f in mine {
        assert_eq!(f["kind"], "attempt", "{f:#}");
        assert_eq!(f["severity"], "low", "{f:#}");
        assert!(f["title"].as_str().unwrap().contains("answered"), "{f:#}");
    }
}
