//! The fleet's STIX 2.1 bundle: the latest reports of the servers that
//! saw an attack, handed to the same writer as `exhunt scan --format
//! stix`, each server named with its organisation.

use crate::read::ServerRow;
use crate::FleetError;
use exhunt_core::Report;
use serde_json::{json, Value};

/// A stored report as the writer's `Report`: the fields older reports may
/// lack are filled with empty values.
fn as_report(mut v: Value, name: String) -> Option<Report> {
    let o = v.as_object_mut()?;
    o.entry("stats").or_insert_with(
        || json!({"files_seen": 0, "files_examined": 0, "bytes_read": 0, "lines_read": 0}),
    );
    o.entry("suppressed").or_insert_with(|| json!([]));
    o.entry("rules").or_insert_with(|| json!([]));
    o.insert("servers".into(), json!([]));
    let mut r: Report = serde_json::from_value(v).ok()?;
    r.host = Some(name);
    Some(r)
}

pub fn bundle(
    reports: Vec<(String, ServerRow, Value)>,
    tlp: exhunt_report::Tlp,
) -> Result<Vec<u8>, FleetError> {
    let servers: Vec<Report> = reports
        .into_iter()
        .filter_map(|(org, s, v)| as_report(v, format!("{org}: {}", s.name)))
        .collect();
    let empty = json!({
        "schema": "exhunt/report/v1",
        "tool": {"name": "exhunt", "version": env!("CARGO_PKG_VERSION")},
        "inputs": [], "verdict": "clean", "incomplete": false, "coverage": [], "patch": null,
        "findings": [], "errors": [], "next_steps": [],
        "stats": {"files_seen": 0, "files_examined": 0, "bytes_read": 0, "lines_read": 0},
        "suppressed": [], "rules": [], "host": "exhunt fleet (no server saw an attack)",
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
