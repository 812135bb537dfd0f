//! How many webserver records per second the Sigma engine evaluates against
//! about twenty rules. A measurement to read, not a test:
//!
//! ```sh
//! cargo run --release -p exhunt-sigma --example throughput [RULE_DIR]
//! ```
//!
//! The twenty rules are written here, in the shapes SigmaHQ's web rules use
//! (contains, contains|all, endswith, numeric status, keywords, `not`
//! filters, a regex). With RULE_DIR, its rules are measured as well.

use exhunt_core::{EventRecord, LogSource};
use exhunt_sigma::{RuleSet, RuleSetBuilder};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn rules() -> Vec<String> {
    let mut v = Vec::new();
    let head = |i: usize| {
        format!("title: web rule {i}\nid: 00000000-0000-4000-8000-{i:012}\nlogsource:\n    category: webserver\nlevel: high\n")
    };
    let bodies = [
        "detection:\n    s:\n        cs-method: POST\n        cs-uri-stem|contains: '/owa/auth/Current/themes/resources/'\n    condition: s",
        "detection:\n    s:\n        cs-method: POST\n        cs-uri-query|contains|all: ['/ecp/', '.js']\n    condition: s",
        "detection:\n    s:\n        sc-status: 401\n    u:\n        cs-uri-query|contains: ['/powershell', '/mapi/nspi', '/EWS', 'X-Rps-CAT']\n    a:\n        cs-uri-query|contains: '/autodiscover.json'\n    condition: s and u and a",
        "detection:\n    s:\n        cs-uri-query|contains: '/autodiscover.json'\n    st:\n        sc-status: [200, 301]\n    condition: s and st",
        "detection:\n    s:\n        cs-uri-stem|endswith: ['.aspx', '.ashx']\n        cs-uri-stem|startswith: '/aspnet_client/'\n    condition: s",
        "detection:\n    s:\n        cs-user-agent: ['antSword/v2.1', 'python-requests/2.25.1', 'ExchangeServicesClient/0.0.0.0']\n    condition: s",
        "detection:\n    k:\n        - '=whoami'\n        - '=net+user'\n        - '=cmd+/c+'\n        - '=powershell+'\n    m:\n        cs-method: GET\n    condition: k and m",
        "detection:\n    s:\n        cs-method: POST\n        cs-uri-query|contains: '/owa/calendar/a'\n    f:\n        sc-status: 503\n    condition: s and not f",
        "detection:\n    s:\n        cs-method: POST\n        sc-status: 500\n        cs-uri-query|contains|all: ['SecurityToken=', '/ecp/']\n    condition: s",
        "detection:\n    s:\n        cs-method: POST\n        sc-status: 200\n        cs-uri-query|contains|all: ['/owa/', '/powershell']\n        cs-uri-query|contains: ['@', '%40']\n    f:\n        cs-user-agent: ['ClientInfo', 'Microsoft WinRM Client', 'Exchange BackEnd Probes']\n    condition: s and not f",
        "detection:\n    s:\n        cs-uri-stem: '/ecp/DDI/DDIService.svc/SetObject'\n        cs-uri-query|contains|all: ['schema=Reset', 'VirtualDirectory']\n    condition: s",
        "detection:\n    s:\n        cs-uri-query|re: 'Set-.+VirtualDirectory.+<script'\n    condition: s",
        "detection:\n    s:\n        cs-uri-stem|contains: '/rpc/rpcproxy.dll'\n        cs-uri-query|contains: 'RpcProxy=ex'\n    condition: s",
        "detection:\n    s:\n        cs-uri-stem|endswith: ['/errorEE.aspx', '/shell.aspx', '/help.aspx']\n        sc-status: 200\n    condition: s",
        "detection:\n    s:\n        cs-uri-stem|contains: '/ecp/proxyLogon.ecp'\n    condition: s",
        "detection:\n    s:\n        cs-uri-query|contains: ['ServerInfo~', 'X-AnonResource-Backend', 'X-BEResource']\n    condition: s",
        "detection:\n    s:\n        cs-uri-stem|startswith: '/ecp/'\n        cs-uri-stem|endswith: '.flt'\n        cs-method: POST\n    condition: s",
        "detection:\n    s:\n        cs-uri-stem|contains: '/owa/auth/'\n        cs-uri-stem|endswith: '.aspx'\n    f:\n        cs-uri-stem|endswith: ['/logon.aspx', '/logoff.aspx', '/signout.aspx', '/errorFE.aspx', '/expiredpassword.aspx']\n    condition: s and not f",
        "detection:\n    s:\n        cs-username|endswith: '$'\n        cs-method: POST\n        cs-uri-stem|startswith: '/ecp/'\n    condition: s",
        "detection:\n    s:\n        c-ip|cidr: ['203.0.113.0/24', '198.51.100.0/24']\n        cs-method: POST\n    condition: s",
    ];
    for (i, b) in bodies.iter().enumerate() {
        v.push(format!("{}{b}\n", head(i + 1)));
    }
    v
}

/// A W3C line as exhunt's reader gives it (W3C and Sigma names).
fn record(stem: &str, query: &str) -> EventRecord {
    let mut r = EventRecord {
        logsource: LogSource {
            category: Some("webserver".into()),
            product: Some("windows".into()),
            service: Some("iis".into()),
        },
        ..EventRecord::default()
    };
    let agent = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/89.0.4389.90+Safari/537.36";
    let uri = format!("{stem}?{query}");
    for (k, v) in [
        ("date", "2021-03-03"),
        ("time", "06:49:42"),
        ("s-ip", "10.0.0.5"),
        ("cs-method", "GET"),
        ("cs-uri-stem", stem),
        ("cs-uri-query", query),
        ("s-port", "443"),
        ("cs-username", "EXAMPLE\\alice"),
        ("c-ip", "192.0.2.44"),
        ("cs(User-Agent)", agent),
        ("cs(Referer)", ""),
        ("sc-status", "200"),
        ("sc-substatus", "0"),
        ("sc-win32-status", "0"),
        ("time-taken", "31"),
        ("cs-user-agent", agent),
        ("c-useragent", agent),
        ("c-uri", &uri),
        ("c-uri-stem", stem),
        ("c-uri-query", query),
    ] {
        r.push(k, v);
    }
    r
}

fn measure(name: &str, set: &RuleSet, rec: &EventRecord) {
    let view = set.for_source(&rec.logsource);
    let n = 1_000_000u32;
    let mut hits = 0u64;
    // Warm up, then time.
    for _ in 0..10_000 {
        view.for_each_match(black_box(rec), &mut |_| hits += 1);
    }
    let t = Instant::now();
    for _ in 0..n {
        view.for_each_match(black_box(rec), &mut |_| hits += 1);
    }
    let per_sec = f64::from(n) / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..n {
        hits += set.matching(&rec.logsource, black_box(rec)).len() as u64;
    }
    let per_sec_lookup = f64::from(n) / t.elapsed().as_secs_f64();
    println!(
        "{name}: {} rules apply; {:.2} M records/s (for_source + for_each_match), {:.2} M records/s (RuleSet::matching), {} hits",
        view.len(),
        per_sec / 1e6,
        per_sec_lookup / 1e6,
        hits
    );
}

fn main() {
    let mut b = RuleSetBuilder::new();
    for (i, r) in rules().iter().enumerate() {
        b.add_yaml(r, &format!("inline-{i}.yml"));
    }
    let set = b.build();
    assert_eq!(set.len(), 20, "{:?}", set.load_report());
    let plain = record(
        "/owa/auth/logon.aspx",
        "replaceCurrent=1&url=https%3a%2f%2fmail.example.org%2fowa%2f",
    );
    let hit = record("/aspnet_client/system_web/shell.aspx", "c=whoami");
    measure("20 inline rules, ordinary OWA request", &set, &plain);
    measure("20 inline rules, web-shell request", &set, &hit);

    if let Some(dir) = std::env::args().nth(1) {
        let mut b = RuleSetBuilder::new();
        b.add_dir(Path::new(&dir)).expect("read the rule folder");
        let set = b.build();
        measure(&format!("{dir}, ordinary OWA request"), &set, &plain);
        measure(&format!("{dir}, web-shell request"), &set, &hit);
    }
}
