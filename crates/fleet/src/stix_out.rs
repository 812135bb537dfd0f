//! The fleet's STIX 2.1 bundle: the latest reports of the servers that
//! saw an attack, handed to the same writer as `exhunt scan --format
//! stix`, each server named with its organisation.

use crate::read::ServerRow;
use crate::FleetError;
use exhunt_core::Report;
use serde_json::{json, Value};

/// A stored report (one server's) as the writer's `Report`.
pub fn report_of(v: Value) -> Option<Report> {
    let mut r: Report = serde_json::from_value(v).ok()?;
    r.servers.clear();
    Some(r)
}

pub fn bundle(
    reports: Vec<(String, ServerRow, Value)>,
    tlp: exhunt_report::Tlp,
) -> Result<Vec<u8>, FleetError> {
    let servers: Vec<Report> = reports
        .into_iter()
        .filter_map(|(org, s, v)| {
            let mut r = report_of(v)?;
            r.host = Some(format!("{org}: {}", s.name));
            Some(r)
        })
        .collect();
    let empty = json!({
        "schema": "exhunt/report/v1",
        "tool": {"name": "exhunt", "version": env!("CARGO_PKG_VERSION")},
        "inputs": [], "verdict": "clean", "incomplete": false, "coverage": [], "patch": null,
        "findings": [], "errors": [], "next_steps": [],
        "host": "exhunt fleet (no server saw an attack)",
    });
    let mut top: Report =
        serde_json::from_value(empty).map_err(|e| FleetError::Internal(e.to_string()))?;
    top.servers = servers;
    let options = exhunt_report::StixOptions {
        org: Some("exhunt fleet".into()),
        tlp,
        ..Default::default()
    };
    let mut out = Vec::new();
    exhunt_report::render_stix(&top, &options, &mut out)
        .map_err(|e| FleetError::Internal(e.to_string()))?;
    Ok(out)
}

/// A STIX 2.1 bundle of one indicator and where it was seen: the
/// indicator, a sighting per server (an identity each, named with its
/// organisation), marked with `tlp`.
pub fn indicator_bundle(
    kind: &str,
    value: &str,
    seen: &[crate::read::Sighting],
    tlp: exhunt_report::Tlp,
) -> Option<Vec<u8>> {
    use exhunt_report::{pattern_string, stix_id};
    let v = pattern_string(value);
    let pattern = match kind {
        "ip" if value.parse::<std::net::Ipv4Addr>().is_ok() => format!("[ipv4-addr:value = '{v}']"),
        "ip" => format!("[ipv6-addr:value = '{v}']"),
        "sha256" => format!("[file:hashes.'SHA-256' = '{}']", v.to_ascii_lowercase()),
        "user-agent" => format!(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '{v}']"
        ),
        "path" if value.starts_with('/') => {
            format!("[network-traffic:extensions.'http-request-ext'.request_value = '{v}']")
        }
        "path" => format!(
            "[file:name = '{}']",
            pattern_string(value.rsplit(['/', '\\']).next().unwrap_or(value))
        ),
        _ => return None,
    };
    let now = exhunt_report::StixOptions::default().now;
    let tlp_id = tlp.marking().0;
    let org = stix_id("identity", "exhunt fleet");
    let ind = stix_id("indicator", &pattern);
    let common = |kind: &str, id: &str| {
        json!({"type": kind, "spec_version": "2.1", "id": id, "created": now, "modified": now,
               "created_by_ref": org, "object_marking_refs": [tlp_id]})
    };
    let merge = |mut a: Value, b: Value| {
        if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
            for (k, v) in b {
                a.insert(k.clone(), v.clone());
            }
        }
        a
    };
    let first = seen
        .iter()
        .filter_map(|s| s.first.as_deref())
        .filter_map(exhunt_core::time::normalize_utc_millis)
        .min()
        .unwrap_or_else(|| now.clone());
    let mut objects = vec![
        tlp.marking_object(),
        merge(
            common("identity", &org),
            json!({"name": "exhunt fleet", "identity_class": "organization"}),
        ),
        merge(
            common("indicator", &ind),
            json!({"name": format!("{kind} seen on Exchange servers: {value}"),
                   "indicator_types": ["malicious-activity"], "pattern": pattern,
                   "pattern_type": "stix", "pattern_version": "2.1", "valid_from": first}),
        ),
    ];
    let mut servers: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.org.as_str(), s.server_name.as_str()))
        .collect();
    servers.sort_unstable();
    servers.dedup();
    for (o, name) in servers {
        let label = format!("{o}: {name}");
        let sid = stix_id("identity", &format!("server:{label}"));
        objects.push(merge(
            common("identity", &sid),
            json!({"name": label, "identity_class": "system"}),
        ));
        let rows: Vec<&crate::read::Sighting> = seen
            .iter()
            .filter(|s| s.org == o && s.server_name == name)
            .collect();
        let count: i64 = rows.iter().map(|s| s.count).sum();
        let mut sighting = merge(
            common(
                "sighting",
                &stix_id("sighting", &format!("{sid}:{pattern}")),
            ),
            json!({"sighting_of_ref": ind, "where_sighted_refs": [sid], "count": count.clamp(0, 999_999_999)}),
        );
        let times = |f: fn(&crate::read::Sighting) -> Option<&str>| {
            rows.iter()
                .filter_map(|s| f(s))
                .filter_map(exhunt_core::time::normalize_utc_millis)
                .collect::<Vec<_>>()
        };
        if let Some(t) = times(|s| s.first.as_deref()).into_iter().min() {
            sighting["first_seen"] = json!(t);
        }
        if let Some(t) = times(|s| s.last.as_deref()).into_iter().max() {
            sighting["last_seen"] = json!(t);
        }
        objects.push(sighting);
    }
    let bundle = json!({"type": "bundle", "id": stix_id("bundle", &format!("{pattern}:{now}")), "objects": objects});
    serde_json::to_vec_pretty(&bundle).ok()
}
