//! STIX 2.1: a bundle of what others can block or hunt for, for a CERT or
//! an ISAC (OASIS STIX 2.1, https://docs.oasis-open.org/cti/stix/v2.1/).
//!
//! - an `identity` for the reporting organisation (`--org`) and one for the
//!   server (`identity_class` `system`), where the sightings were made;
//! - `indicator`s with STIX patterns: the attack's client addresses
//!   (findings at medium or above), web-shell SHA-256s, the web-shell paths
//!   requested and the attack's user agents; each with a `sighting` on the
//!   server (first and last seen, count);
//! - `malware` for each web-shell family our rules name, `attack-pattern`s
//!   for the ATT&CK techniques, `vulnerability` for the CVEs;
//! - `relationship`s: an indicator `indicates` the malware or the attack
//!   pattern, an attack pattern `targets` the vulnerability;
//! - every object marked with the TLP 2.0 marking chosen (`--tlp`, default
//!   amber), as published by OASIS (cti-stix-common-objects,
//!   extension-definition-specifications/tlp-2.0).
//!
//! Identifiers are UUIDs in version 4 form derived from the content (a
//! SHA-256), so that the same report gives the same bundle and the same
//! indicator has the same id in every bundle.

use exhunt_core::time::normalize_utc_millis;
use exhunt_core::{Finding, FindingKind, Report, Severity};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The Traffic Light Protocol level (TLP 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tlp {
    Clear,
    Green,
    #[default]
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    /// The published marking definition's id and name, and the extension's
    /// value.
    /// The marking definition itself, as a bundle carries it.
    pub fn marking_object(self) -> Value {
        let (id, name, value) = self.marking();
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": name,
            "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": value}},
        })
    }

    /// The marking definition's id, name and TLP 2.0 value.
    pub fn marking(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Tlp::Clear => (
                "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
                "TLP:CLEAR",
                "clear",
            ),
            Tlp::Green => (
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                "TLP:GREEN",
                "green",
            ),
            Tlp::Amber => (
                "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
                "TLP:AMBER",
                "amber",
            ),
            Tlp::AmberStrict => (
                "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
                "TLP:AMBER+STRICT",
                "amber+strict",
            ),
            Tlp::Red => (
                "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                "TLP:RED",
                "red",
            ),
        }
    }
}

/// What the bundle says of who reports it and how it may be shared.
#[derive(Debug, Clone)]
pub struct StixOptions {
    /// The reporting organisation's name (`--org`).
    pub org: Option<String>,
    pub tlp: Tlp,
    /// The bundle's creation time (`YYYY-MM-DDTHH:MM:SS.mmmZ`).
    pub now: String,
}

impl Default for StixOptions {
    /// No organisation named, TLP:AMBER, created now.
    fn default() -> Self {
        let now = exhunt_core::time::system_time_iso(std::time::SystemTime::now());
        StixOptions {
            org: None,
            tlp: Tlp::default(),
            now: format!("{}.000Z", now.trim_end_matches('Z')),
        }
    }
}

const TLP_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// `type--<uuid>` from the content: SHA-256, with the version-4 and
/// RFC 4122 variant bits set. The same key gives the same id in every
/// bundle, which lets a receiver merge them.
pub fn stix_id(kind: &str, key: &str) -> String {
    id(kind, key)
}

fn id(kind: &str, key: &str) -> String {
    let d = Sha256::digest(format!("exhunt:{kind}:{key}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A string inside a STIX pattern's single quotes (`\` and `'` escaped).
pub fn pattern_string(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    for c in v.chars() {
        if c == '\\' || c == '\'' {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// A time as STIX writes it (UTC, milliseconds, `Z`).
fn stix_time(t: &str) -> Option<String> {
    normalize_utc_millis(t)
}

/// One thing to hunt for, and where and when it was seen.
struct Seen {
    pattern: String,
    name: String,
    first: Option<String>,
    last: Option<String>,
    count: u64,
    /// Attack patterns and malware it points to (ids).
    indicates: Vec<String>,
}

impl Seen {
    fn see(&mut self, t: Option<&str>) {
        self.count += 1;
        if let Some(t) = t.and_then(stix_time) {
            if self.first.as_ref().is_none_or(|f| &t < f) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|l| &t > l) {
                self.last = Some(t);
            }
        }
    }
}

fn ip_pattern(ip: &str) -> Option<String> {
    if ip.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(format!("[ipv4-addr:value = '{ip}']"))
    } else if ip.parse::<std::net::Ipv6Addr>().is_ok() {
        Some(format!("[ipv6-addr:value = '{ip}']"))
    } else {
        None
    }
}

/// Writes the bundle.
pub(crate) fn stix(r: &Report, o: &StixOptions, w: &mut dyn Write) -> io::Result<()> {
    let servers: Vec<&Report> = if r.servers.is_empty() {
        vec![r]
    } else {
        r.servers.iter().collect()
    };
    let tlp_id = o.tlp.marking().0;
    let org_name = o.org.clone().unwrap_or_else(|| "exhunt user".to_string());
    let org = id("identity", &org_name);
    let mut objects: Vec<Value> = vec![o.tlp.marking_object()];
    let common = |kind: &str, key: &str| {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": id(kind, key),
            "created": o.now,
            "modified": o.now,
            "created_by_ref": org,
            "object_marking_refs": [tlp_id],
        })
    };
    let push = |objects: &mut Vec<Value>, mut base: Value, extra: Value| {
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        objects.push(base);
    };
    let mut org_obj = common("identity", &org_name);
    org_obj["id"] = json!(org);
    push(
        &mut objects,
        org_obj,
        json!({"name": org_name, "identity_class": "organization"}),
    );

    // Vulnerabilities, attack patterns and malware, once for the bundle.
    let mut cves: BTreeMap<String, String> = BTreeMap::new();
    let mut techniques: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let mut sightings: Vec<(String, String)> = Vec::new();
    for s in &servers {
        let server_name = s.server_name();
        let server = id("identity", &format!("server:{server_name}"));
        push(
            &mut objects,
            {
                let mut b = common("identity", &format!("server:{server_name}"));
                b["id"] = json!(server);
                b
            },
            json!({"name": server_name, "identity_class": "system",
                   "description": "The Exchange server the sightings were made on (its logs and files, read by exhunt)."}),
        );
        let mut here: BTreeMap<String, Seen> = BTreeMap::new();
        let moving: Vec<&Finding> = s
            .findings
            .iter()
            .filter(|f| f.severity <= Severity::Medium)
            .collect();
        for f in &moving {
            for c in &f.cves {
                cves.entry(c.clone())
                    .or_insert_with(|| id("vulnerability", c));
            }
            for t in &f.attack {
                let e = techniques
                    .entry(t.clone())
                    .or_insert_with(|| (id("attack-pattern", t), Vec::new()));
                for c in &f.cves {
                    if !e.1.contains(c) {
                        e.1.push(c.clone());
                    }
                }
            }
            let family = (f.kind == FindingKind::Webshell).then(|| f.title.clone());
            let family_id = family.as_ref().map(|t| {
                families
                    .entry(t.clone())
                    .or_insert_with(|| id("malware", t))
                    .clone()
            });
            let tech_ids: Vec<String> = f.attack.iter().map(|t| id("attack-pattern", t)).collect();
            let mut add = |pattern: String, name: String, to: Vec<String>| {
                let e = here.entry(pattern.clone()).or_insert_with(|| Seen {
                    pattern,
                    name,
                    first: None,
                    last: None,
                    count: 0,
                    indicates: Vec::new(),
                });
                e.see(f.time.as_deref());
                for t in to {
                    if !e.indicates.contains(&t) {
                        e.indicates.push(t);
                    }
                }
            };
            if let Some(ip) = ["ClientIpAddress", "c-ip"]
                .iter()
                .find_map(|k| f.evidence.get(*k))
            {
                let ip = ip.trim();
                if !exhunt_core::is_internal_ip(ip) {
                    if let Some(p) = ip_pattern(ip) {
                        add(
                            p,
                            format!("Address that attacked Exchange: {ip}"),
                            tech_ids.clone(),
                        );
                    }
                }
            }
            for k in ["UserAgent", "cs(User-Agent)"] {
                if let Some(ua) = f
                    .evidence
                    .get(k)
                    .map(|u| u.trim())
                    .filter(|u| !u.is_empty() && *u != "-")
                {
                    add(
                        format!(
                            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '{}']",
                            pattern_string(ua)
                        ),
                        format!("User agent of an Exchange attack: {ua}"),
                        tech_ids.clone(),
                    );
                }
            }
            if let Some(fam) = &family_id {
                if let Some(sha) = f
                    .evidence
                    .get("sha256")
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    add(
                        format!("[file:hashes.'SHA-256' = '{}']", sha.to_ascii_lowercase()),
                        format!(
                            "Web shell file: {}",
                            f.path.rsplit('/').next().unwrap_or(&f.path)
                        ),
                        vec![fam.clone()],
                    );
                }
                for k in ["cs-uri-stem", "c-uri-stem"] {
                    if let Some(p) = f.evidence.get(k) {
                        add(
                            format!(
                                "[network-traffic:extensions.'http-request-ext'.request_value = '{}']",
                                pattern_string(p)
                            ),
                            format!("Web shell path requested: {p}"),
                            vec![fam.clone()],
                        );
                        break;
                    }
                }
            }
        }
        for (pattern, v) in here {
            let ind = id("indicator", &pattern);
            sightings.push((ind.clone(), server.clone()));
            let sighting_key = format!("{server}:{pattern}");
            let mut sighting = json!({
                "sighting_of_ref": ind,
                "where_sighted_refs": [server],
                "count": v.count,
            });
            if let Some(f) = &v.first {
                sighting["first_seen"] = json!(f);
            }
            if let Some(l) = &v.last {
                sighting["last_seen"] = json!(l);
            }
            push(&mut objects, common("sighting", &sighting_key), sighting);
            match seen.get_mut(&pattern) {
                Some(e) => {
                    if v.first < e.first || e.first.is_none() {
                        e.first = v.first.clone().or(e.first.take());
                    }
                    for t in v.indicates {
                        if !e.indicates.contains(&t) {
                            e.indicates.push(t);
                        }
                    }
                }
                None => {
                    seen.insert(pattern, v);
                }
            }
        }
    }
    for (pattern, v) in &seen {
        let ind = id("indicator", pattern);
        push(
            &mut objects,
            common("indicator", pattern),
            json!({
                "name": v.name,
                "description": format!(
                    "Seen by exhunt in an Exchange server's logs or files{} ({} time(s)); see the sightings.",
                    match (&v.first, &v.last) {
                        (Some(a), Some(b)) if a != b => format!(" from {a} to {b}"),
                        (Some(a), _) => format!(" at {a}"),
                        _ => String::new(),
                    },
                    v.count
                ),
                "indicator_types": ["malicious-activity"],
                "pattern": v.pattern,
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": v.first.clone().unwrap_or_else(|| o.now.clone()),
            }),
        );
        for t in &v.indicates {
            push(
                &mut objects,
                common("relationship", &format!("{ind}:indicates:{t}")),
                json!({"relationship_type": "indicates", "source_ref": ind, "target_ref": t}),
            );
        }
    }
    for (title, fid) in &families {
        let mut b = common("malware", title);
        b["id"] = json!(fid);
        push(
            &mut objects,
            b,
            json!({"name": title, "is_family": true, "malware_types": ["webshell"]}),
        );
    }
    for (c, vid) in &cves {
        let mut b = common("vulnerability", c);
        b["id"] = json!(vid);
        push(
            &mut objects,
            b,
            json!({"name": c, "external_references": [{"source_name": "cve", "external_id": c}]}),
        );
    }
    for (t, (tid, targets)) in &techniques {
        let mut b = common("attack-pattern", t);
        b["id"] = json!(tid);
        let url = format!(
            "https://attack.mitre.org/techniques/{}/",
            t.replace('.', "/")
        );
        push(
            &mut objects,
            b,
            json!({"name": format!("MITRE ATT&CK {t}"),
                   "external_references": [{"source_name": "mitre-attack", "external_id": t, "url": url}]}),
        );
        for c in targets {
            let vid = &cves[c];
            push(
                &mut objects,
                common("relationship", &format!("{tid}:targets:{vid}")),
                json!({"relationship_type": "targets", "source_ref": tid, "target_ref": vid}),
            );
        }
    }
    let bundle = json!({
        "type": "bundle",
        "id": id("bundle", &format!("{}:{}", o.now, objects.len())),
        "objects": objects,
    });
    serde_json::to_writer_pretty(&mut *w, &bundle)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_4_uuids_from_the_content() {
        let a = id("indicator", "[ipv4-addr:value = '1.2.3.4']");
        assert_eq!(a, id("indicator", "[ipv4-addr:value = '1.2.3.4']"));
        assert_ne!(a, id("indicator", "[ipv4-addr:value = '1.2.3.5']"));
        let u = a.strip_prefix("indicator--").unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn pattern_strings_escape_quotes_and_backslashes() {
        assert_eq!(pattern_string(r"a'b\c"), r"a\'b\\c");
    }
}
