//! CSV exports (the server list, an indicator's sightings): every cell
//! through `exhunt_report::csv_cell`, so that report text cannot become a
//! spreadsheet formula.

use crate::read::{ServerRow, Sighting};
use crate::FleetError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use exhunt_report::csv_cell;

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, FleetError> {
    w.into_inner()
        .map_err(|e| FleetError::Internal(e.to_string()))
}

fn row<I: IntoIterator<Item = String>>(
    w: &mut csv::Writer<Vec<u8>>,
    cells: I,
) -> Result<(), FleetError> {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| csv_cell(&c).into_owned())
        .collect();
    w.write_record(&cells)
        .map_err(|e| FleetError::Internal(e.to_string()))
}

pub fn servers_csv(rows: &[ServerRow]) -> Result<Vec<u8>, FleetError> {
    let mut w = writer();
    row(
        &mut w,
        [
            "id",
            "organisation",
            "server",
            "verdict",
            "incomplete",
            "exposure",
            "campaigns",
            "build",
            "product",
            "open_cves",
            "last_seen",
            "first_seen",
            "reports",
            "findings",
            "taken",
            "first_step",
        ]
        .map(String::from),
    )?;
    for s in rows {
        row(
            &mut w,
            [
                s.id.to_string(),
                s.org.clone(),
                s.name.clone(),
                s.verdict.clone().unwrap_or_else(|| "not scanned".into()),
                s.incomplete.to_string(),
                s.exposure.clone(),
                s.campaigns.join(" "),
                s.build.clone().unwrap_or_default(),
                s.product.clone().unwrap_or_default(),
                s.open_cves.join(" "),
                s.last_seen.clone(),
                s.first_seen.clone(),
                s.reports.to_string(),
                s.findings.to_string(),
                s.taken.to_string(),
                s.first_step.clone().unwrap_or_default(),
            ],
        )?;
    }
    finish(w)
}

pub fn sightings_csv(rows: &[Sighting]) -> Result<Vec<u8>, FleetError> {
    let mut w = writer();
    row(
        &mut w,
        [
            "organisation",
            "server_id",
            "server",
            "kind",
            "value",
            "first",
            "last",
            "count",
            "report",
            "received",
        ]
        .map(String::from),
    )?;
    for s in rows {
        row(
            &mut w,
            [
                s.org.clone(),
                s.server.to_string(),
                s.server_name.clone(),
                s.kind.clone(),
                s.value.clone(),
                s.first.clone().unwrap_or_default(),
                s.last.clone().unwrap_or_default(),
                s.count.to_string(),
                s.report.to_string(),
                s.received.clone(),
            ],
        )?;
    }
    finish(w)
}

/// A CSV body as a download named `file` (a fixed name of ours).
pub fn attachment(file: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}
