//! Reports made from real ones: each template (a report `exhunt scan`
//! wrote) is serialised once with placeholders for its patch and exposure,
//! then copied once per server with its host name, organisation domain,
//! build, attacker addresses, web-shell names and hashes replaced in one
//! Aho-Corasick pass. Addresses, shell names and shell hashes come from
//! small shared pools with a skew (the first few on many servers, as one
//! campaign's infrastructure was), so the indicator pivot finds one value
//! on thousands of servers.

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// SplitMix64: deterministic, seedable, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// In [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// In [0, n), low values likelier: `u^power` (power 1 is uniform).
    pub fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((self.unit().powf(power) * n as f64) as usize).min(n.saturating_sub(1))
    }
    pub fn hex64(&mut self) -> String {
        (0..4).map(|_| format!("{:016x}", self.next())).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Clean,
    Attempted,
    Exploited,
    Compromised,
}

impl Class {
    pub const ALL: [Class; 4] = [
        Class::Clean,
        Class::Attempted,
        Class::Exploited,
        Class::Compromised,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Class::Clean => "clean",
            Class::Attempted => "attempted",
            Class::Exploited => "exploited",
            Class::Compromised => "compromised",
        }
    }
}

/// A real Exchange build, as `exhunt build --format json` explains it.
pub struct Build {
    pub build: String,
    pub exposed: bool,
    result: Value,
}

/// The builds of `exhunt build --format json B...` (its `results`).
pub fn builds(doc: &Value) -> Result<Vec<Build>, String> {
    let results = doc["results"]
        .as_array()
        .ok_or("the builds file is not `exhunt build --format json` output")?;
    let mut out = Vec::new();
    for r in results {
        let Some(b) = r["build"].as_str() else {
            continue;
        };
        let exposed = r["campaigns"]
            .as_object()
            .is_some_and(|c| c.keys().any(|k| k != "other"));
        out.push(Build {
            build: b.to_string(),
            exposed,
            result: r.clone(),
        });
    }
    if !out.iter().any(|b| b.exposed) || !out.iter().any(|b| !b.exposed) {
        return Err("the builds file needs both exposed and patched builds".into());
    }
    Ok(out)
}

/// Campaigns in the order the scanner lists them.
const CAMPAIGNS: [&str; 4] = ["ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"];

/// A report's `exposure` for a build (`None`: no build known).
fn exposure(b: Option<&Build>) -> Value {
    let Some(b) = b else {
        return json!({"state": "unknown", "campaigns": [], "cves": [], "mitigations": [],
            "summary": "UNKNOWN: no build was found in what was read."});
    };
    let c = &b.result["campaigns"];
    let names: Vec<&str> = CAMPAIGNS
        .iter()
        .copied()
        .filter(|n| c.get(*n).is_some())
        .collect();
    let cves: Vec<&str> = names
        .iter()
        .flat_map(|n| c[*n].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let product = b.result["product"].as_str().unwrap_or("Exchange");
    let (state, summary) = if names.is_empty() {
        (
            "patched",
            format!(
                "PATCHED: build {} ({product}) leaves none of the campaigns' CVEs open.",
                b.build
            ),
        )
    } else {
        (
            "exposed",
            format!(
                "EXPOSED: build {} ({product}) leaves {} open ({}).",
                b.build,
                names.join(", "),
                cves.join(", ")
            ),
        )
    };
    json!({"state": state, "campaigns": names, "cves": cves, "mitigations": [], "summary": summary})
}

/// A report's `patch` for a build, from the template's (its source and
/// log history kept, the build's facts replaced).
fn patch(template: &Value, old_build: &str, b: Option<&Build>) -> Value {
    let Some(b) = b else {
        return Value::Null;
    };
    let mut p = if template.is_object() {
        template.clone()
    } else {
        json!({})
    };
    for k in [
        "product",
        "open_cves",
        "install",
        "update_level",
        "campaigns",
    ] {
        p[k] = b.result[k].clone();
    }
    p["build"] = json!(b.build);
    if let Some(h) = p["history"].as_array_mut() {
        for e in h {
            e["build"] = json!(b.build);
        }
    }
    if b.exposed {
        if let Some(n) = p["notes"].as_array_mut() {
            for s in n {
                if let Some(t) = s.as_str() {
                    *s = json!(t.replace(old_build, &b.build));
                }
            }
        }
    } else {
        p["notes"] = json!([]);
    }
    p
}

/// What the judge writes first for these verdicts (crates/judge steps.rs).
fn steps(verdict: &str) -> Option<Value> {
    match verdict {
        "clean" => Some(json!([
            "No trace of the Exchange exploitation campaigns was found in what was read.",
            "Keep the server on the latest Cumulative Update and Security Update; a clean result today says nothing about tomorrow."
        ])),
        "attempted" => Some(json!([
            "Someone tried to exploit this server, but nothing in what was read shows the attempt succeeded.",
            "Make sure the server has the latest Cumulative Update and Security Update: the next attempt may succeed on an unpatched server.",
            "Keep these logs: if other signs appear later (unknown .aspx files, new admin accounts), the attempt's addresses and times are the starting point."
        ])),
        _ => None,
    }
}

/// A report of a lesser verdict made from a real one: only the findings
/// whose own verdict is at most `verdict` are kept (none for `clean`), the
/// ledger entries that name a kept finding, and the judge's opening steps
/// for that verdict.
pub fn derive(mut r: Value, verdict: &str) -> Result<Value, String> {
    let keep: &[&str] = match verdict {
        "clean" => &[],
        "attempted" => &["attempted"],
        "exploited" => &["attempted", "exploited"],
        other => return Err(format!("cannot derive a {other} report")),
    };
    let findings = r["findings"].as_array_mut().ok_or("no findings array")?;
    findings.retain(|f| f["verdict"].as_str().is_some_and(|v| keep.contains(&v)));
    let ids: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f["id"].as_str().map(str::to_string))
        .collect();
    if let Some(t) = r["taken"].as_array_mut() {
        t.retain(|e| {
            e["findings"].as_array().is_some_and(|f| {
                f.iter()
                    .any(|i| i.as_str().is_some_and(|i| ids.contains(i)))
            })
        });
    }
    r["verdict"] = json!(verdict);
    r["why_inconclusive"] = json!([]);
    if let Some(s) = steps(verdict) {
        r["next_steps"] = s;
    }
    Ok(r)
}

/// What a placeholder in the template becomes.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Patch,
    Exposure,
    Build,
    Host,
    Domain,
    Ip(usize),
    ShellName(usize, bool),
    ShellHash(usize),
    OtherHash(usize),
}

const PATCH: &str = "@@fleetbench:patch@@";
const EXPOSURE: &str = "@@fleetbench:exposure@@";

/// One template, serialised with placeholders.
pub struct Template {
    pub path: String,
    text: String,
    ac: AhoCorasick,
    slots: Vec<Slot>,
    patch: Value,
    build: String,
    ips: usize,
    hashes: usize,
    pub shells: usize,
}

fn is_public_v4(s: &str) -> bool {
    let Ok(ip) = s.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || (o[0] == 100 && (o[1] & 0xc0) == 64))
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

impl Template {
    pub fn new(path: &str, mut r: Value) -> Result<Template, String> {
        if r["schema"] != "exhunt/report/v1" {
            return Err(format!("{path}: not an exhunt/report/v1 report"));
        }
        let host = r["host"].as_str().unwrap_or("").to_string();
        let build = r["patch"]["build"].as_str().unwrap_or("").to_string();
        let mut ips = Vec::new();
        let mut shells: Vec<String> = Vec::new();
        let mut shell_hashes = Vec::new();
        let mut other_hashes = Vec::new();
        for f in r["findings"].as_array().into_iter().flatten() {
            let ev = &f["evidence"];
            for k in ["ClientIpAddress", "c-ip", "src_ip"] {
                if let Some(ip) = ev[k].as_str().filter(|ip| is_public_v4(ip)) {
                    push_unique(&mut ips, ip);
                }
            }
            let webshell = f["kind"] == "webshell";
            if let Some(h) = ev["sha256"].as_str().filter(|h| h.len() == 64) {
                if webshell {
                    push_unique(&mut shell_hashes, h);
                } else {
                    push_unique(&mut other_hashes, h);
                }
            }
            if webshell {
                for k in ["file_name", "web_shell_file"] {
                    if let Some(name) = ev[k].as_str() {
                        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
                        let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
                        if stem.len() >= 4 && !shells.iter().any(|s| s.eq_ignore_ascii_case(stem)) {
                            shells.push(stem.to_string());
                        }
                    }
                }
            }
        }
        other_hashes.retain(|h| !shell_hashes.contains(h));
        for t in r["taken"].as_array().into_iter().flatten() {
            for ip in t["clients"].as_array().into_iter().flatten() {
                if let Some(ip) = ip.as_str().filter(|ip| is_public_v4(ip)) {
                    push_unique(&mut ips, ip);
                }
            }
        }
        let patch = std::mem::replace(&mut r["patch"], json!(PATCH));
        r["exposure"] = json!(EXPOSURE);
        let text = serde_json::to_string(&r).map_err(|e| e.to_string())?;
        let mut pats: Vec<String> = Vec::new();
        let mut slots = Vec::new();
        let mut add = |p: String, s: Slot| {
            if !p.is_empty() && text.contains(&p) && !pats.contains(&p) {
                pats.push(p);
                slots.push(s);
            }
        };
        add(format!("\"{PATCH}\""), Slot::Patch);
        add(format!("\"{EXPOSURE}\""), Slot::Exposure);
        add(build.clone(), Slot::Build);
        add(host.clone(), Slot::Host);
        add(host.to_lowercase(), Slot::Host);
        add(host.to_uppercase(), Slot::Host);
        add("contoso.com".into(), Slot::Domain);
        for (i, ip) in ips.iter().enumerate() {
            add(ip.clone(), Slot::Ip(i));
        }
        for (i, s) in shells.iter().enumerate() {
            add(s.clone(), Slot::ShellName(i, false));
            add(s.to_lowercase(), Slot::ShellName(i, true));
        }
        for (i, h) in shell_hashes.iter().enumerate() {
            add(h.clone(), Slot::ShellHash(i));
            add(h.to_uppercase(), Slot::ShellHash(i));
        }
        for (i, h) in other_hashes.iter().enumerate() {
            add(h.clone(), Slot::OtherHash(i));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&pats)
            .map_err(|e| e.to_string())?;
        Ok(Template {
            path: path.to_string(),
            text,
            ac,
            slots,
            patch,
            build,
            ips: ips.len(),
            hashes: other_hashes.len(),
            shells: shells.len().max(shell_hashes.len()),
        })
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }
}

/// The shared indicator pools of one run.
pub struct Pools {
    pub ips: Vec<String>,
    pub shells: Vec<String>,
    pub shell_hashes: Vec<String>,
}

impl Pools {
    pub fn new(seed: u64) -> Pools {
        let mut rng = Rng::new(seed ^ 0x5eed_1ee7);
        let mut ips = Vec::new();
        while ips.len() < 200 {
            let a = 1 + rng.below(222);
            let ip = format!(
                "{a}.{}.{}.{}",
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            );
            if is_public_v4(&ip) && !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let shells = (0..40)
            .map(|_| {
                (0..8)
                    .map(|_| ALPHA[rng.below(ALPHA.len())] as char)
                    .collect()
            })
            .collect();
        let shell_hashes = (0..40).map(|_| rng.hex64()).collect();
        Pools {
            ips,
            shells,
            shell_hashes,
        }
    }
}

/// One server's report: what it is, and its body gzipped as the client
/// sends it.
pub struct Made {
    pub org: usize,
    pub class: Class,
    pub verdict: String,
    pub exposure: &'static str,
    pub json_len: usize,
    pub gz: Vec<u8>,
}

/// How the fleet is drawn.
pub struct Plan<'a> {
    pub seed: u64,
    pub orgs: usize,
    /// Share of each class, in `Class::ALL` order (sums to 1).
    pub mix: [f64; 4],
    pub templates: [&'a [Template]; 4],
    pub builds: &'a [Build],
    pub pools: &'a Pools,
}

/// Share of servers whose build the scan could not find.
const UNKNOWN_BUILD: f64 = 0.03;
/// Share of exposed builds among the servers of each class.
fn exposed_share(c: Class) -> f64 {
    match c {
        Class::Clean => 0.3,
        Class::Attempted => 0.5,
        Class::Exploited | Class::Compromised => 1.0,
    }
}

impl Plan<'_> {
    /// Report `i` (0-based; the host is `srv-{i+1:06}`): the same `i` and
    /// seed always give the same report.
    pub fn make(&self, i: usize) -> Made {
        let mut rng = Rng::new(self.seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ (i as u64));
        rng.next();
        let u = rng.unit();
        let mut acc = 0.0;
        let mut class = Class::Compromised;
        for (c, share) in Class::ALL.iter().zip(self.mix) {
            acc += share;
            if u < acc {
                class = *c;
                break;
            }
        }
        // A few organisations hold many servers (hosting firms, large
        // groups), most a handful.
        let org = rng.skewed(self.orgs, 2.0);
        let build = if rng.unit() < UNKNOWN_BUILD {
            None
        } else {
            let exposed = rng.unit() < exposed_share(class);
            let pool: Vec<&Build> = self
                .builds
                .iter()
                .filter(|b| b.exposed == exposed)
                .collect();
            Some(pool[rng.below(pool.len())])
        };
        let tpls = self.templates[class as usize];
        let t = &tpls[rng.below(tpls.len())];
        let name = format!("srv-{:06}", i + 1);
        let domain = format!("org{:05}.example", org + 1);
        let exp = exposure(build);
        let state = match exp["state"].as_str() {
            Some("exposed") => "exposed",
            Some("patched") => "patched",
            _ => "unknown",
        };
        let ips: Vec<&str> = (0..t.ips)
            .map(|_| self.pools.ips[rng.skewed(self.pools.ips.len(), 3.0)].as_str())
            .collect();
        let shells: Vec<&str> = (0..t.shells)
            .map(|_| self.pools.shells[rng.skewed(self.pools.shells.len(), 2.0)].as_str())
            .collect();
        let shell_hashes: Vec<&str> = (0..t.shells)
            .map(|_| {
                self.pools.shell_hashes[rng.skewed(self.pools.shell_hashes.len(), 2.0)].as_str()
            })
            .collect();
        let other: Vec<String> = (0..t.hashes).map(|_| rng.hex64()).collect();
        let reps: Vec<String> = t
            .slots
            .iter()
            .map(|s| match *s {
                Slot::Patch => patch(&t.patch, &t.build, build).to_string(),
                Slot::Exposure => exp.to_string(),
                Slot::Build => build.map_or(t.build.clone(), |b| b.build.clone()),
                Slot::Host => name.clone(),
                Slot::Domain => domain.clone(),
                Slot::Ip(k) => ips[k].to_string(),
                Slot::ShellName(k, lower) => {
                    let s = shells[k % shells.len().max(1)];
                    if lower {
                        s.to_lowercase()
                    } else {
                        s.to_string()
                    }
                }
                Slot::ShellHash(k) => shell_hashes[k % shell_hashes.len().max(1)].to_string(),
                Slot::OtherHash(k) => other[k].clone(),
            })
            .collect();
        let mut text = t.ac.replace_all(&t.text, &reps);
        // A clean-class server whose build is exposed is `inconclusive`,
        // as the scanner says of the template's tree (its logs start after
        // the campaigns did); on a patched build it is `clean`.
        let mut verdict = class.name().to_string();
        if class == Class::Clean && state != "patched" {
            verdict = "inconclusive".into();
        }
        if class == Class::Clean {
            let mut v: Value = serde_json::from_str(&text).expect("made from JSON");
            if verdict == "clean" {
                v = derive(v, "clean").expect("clean");
            } else {
                v["verdict"] = json!("inconclusive");
            }
            text = v.to_string();
        }
        let json_len = text.len();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, text.as_bytes()).expect("in memory");
        Made {
            org,
            class,
            verdict,
            exposure: state,
            json_len,
            gz: gz.finish().expect("in memory"),
        }
    }
}
