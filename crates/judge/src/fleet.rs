//! Several servers in one scan: each judged on its own evidence, then one
//! report that sums them up.
//!
//! A verdict speaks of one server: a web shell on EX01 and a clean EX02 are
//! two answers, and a request in EX02's logs for a page found on EX01's
//! disk ties nothing. So the scan judges each server alone and this module
//! writes the report around them: `servers` holds each whole report; the
//! top-level fields keep their single-server meaning for the fleet (the
//! worst verdict, every finding with its `host`, the most exposed build),
//! so a consumer of the single-server shape still reads "not clean" when
//! any server is not.

use exhunt_core::{ExposureState, Report, Stats};

/// The report of several servers: `servers` in the order given, and the
/// fleet's fields above them. Finding ids become `S<n>-F0001` (in each
/// server's report too, and in `related`), so they stay unique and the
/// top-level list points into the servers'. One report is returned as is.
pub fn fleet(mut servers: Vec<Report>) -> Report {
    if servers.len() == 1 {
        return servers.pop().expect("one report");
    }
    assert!(!servers.is_empty(), "a fleet of no server");
    for (k, s) in servers.iter_mut().enumerate() {
        let tag = |id: &str| format!("S{}-{id}", k + 1);
        for f in &mut s.findings {
            f.id = tag(&f.id);
            f.related = f.related.iter().map(|r| tag(r)).collect();
        }
        let host = s.host.clone();
        for e in &mut s.taken {
            e.findings = e.findings.iter().map(|r| tag(r)).collect();
            for ev in &mut e.evidence {
                ev.finding = ev.finding.as_deref().map(tag);
            }
            e.host.clone_from(&host);
        }
    }
    let first = &servers[0];
    let mut top = Report {
        schema: first.schema.clone(),
        tool: first.tool.clone(),
        inputs: Vec::new(),
        verdict: servers.iter().map(|s| s.verdict).max().expect("servers"),
        incomplete: servers.iter().any(|s| s.incomplete),
        coverage: Vec::new(),
        patch: None,
        findings: Vec::new(),
        errors: Vec::new(),
        next_steps: Vec::new(),
        stats: Stats::default(),
        suppressed: Vec::new(),
        rules: first.rules.clone(),
        skipped: Vec::new(),
        discovery: servers.iter().find_map(|s| s.discovery.clone()),
        why_inconclusive: Vec::new(),
        exposure: Default::default(),
        host: None,
        servers: Vec::new(),
        taken: Vec::new(),
    };
    for s in &servers {
        let name = s.server_name();
        top.inputs.extend(s.inputs.iter().cloned());
        top.coverage.extend(s.coverage.iter().cloned());
        top.findings.extend(s.findings.iter().cloned());
        top.taken.extend(s.taken.iter().cloned());
        top.errors.extend(s.errors.iter().cloned());
        top.suppressed.extend(s.suppressed.iter().cloned());
        top.skipped.extend(s.skipped.iter().cloned());
        top.next_steps
            .extend(s.next_steps.iter().map(|n| format!("{name}: {n}")));
        top.why_inconclusive
            .extend(s.why_inconclusive.iter().map(|w| format!("{name}: {w}")));
        let st = &mut top.stats;
        st.files_seen += s.stats.files_seen;
        st.files_examined += s.stats.files_examined;
        st.bytes_read += s.stats.bytes_read;
        st.lines_read += s.stats.lines_read;
        st.files_content_scanned += s.stats.files_content_scanned;
        st.web_files += s.stats.web_files;
    }
    // The headline build is the most exposed server's: an exposed build
    // first (most open CVEs), then an unknown one, then a patched one.
    let worst = servers
        .iter()
        .max_by_key(|s| {
            let rank = match s.exposure.state {
                ExposureState::Exposed => 2,
                ExposureState::Unknown => 1,
                ExposureState::Patched => 0,
            };
            (rank, s.exposure.cves.len())
        })
        .expect("servers");
    top.patch = worst.patch.clone();
    top.exposure = worst.exposure.clone();
    if !top.exposure.summary.is_empty() {
        top.exposure.summary = format!("{}: {}", worst.server_name(), top.exposure.summary);
    }
    top.servers = servers;
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::{Exposure, Verdict};

    fn server(host: &str, verdict: Verdict, state: ExposureState) -> Report {
        let mut r = crate::judge(
            crate::Evidence {
                inputs: vec![format!("{host}.zip")],
                host: Some(host.to_string()),
                ..Default::default()
            },
            "test",
        );
        r.verdict = verdict;
        r.exposure = Exposure {
            state,
            summary: format!("{state:?}"),
            ..Default::default()
        };
        r
    }

    #[test]
    fn the_fleet_takes_the_worst_verdict_and_the_most_exposed_build() {
        let r = fleet(vec![
            server("EX01", Verdict::Clean, ExposureState::Patched),
            server("EX02", Verdict::Compromised, ExposureState::Unknown),
            server("EX03", Verdict::Attempted, ExposureState::Exposed),
        ]);
        assert_eq!(r.verdict, Verdict::Compromised);
        assert_eq!(r.servers.len(), 3);
        assert_eq!(r.exposure.state, ExposureState::Exposed);
        assert_eq!(r.exposure.summary, "EX03: Exposed");
        assert_eq!(r.inputs, ["EX01.zip", "EX02.zip", "EX03.zip"]);
        assert!(r.host.is_none());
    }

    #[test]
    fn each_servers_ledger_is_summed_up_with_its_host_and_finding_ids() {
        let mut ex2 = server("EX02", Verdict::Compromised, ExposureState::Exposed);
        ex2.taken = vec![exhunt_core::TakenEntry {
            what: exhunt_core::TakenWhat::AddressBook,
            whose: vec![],
            whose_note: None,
            how: "oab-download".into(),
            how_text: "t".into(),
            first: None,
            last: None,
            clients: vec![],
            findings: vec!["F0003".into()],
            evidence: vec![exhunt_core::TakenEvidence {
                path: "u_ex210303.log".into(),
                line: Some(4),
                finding: Some("F0003".into()),
            }],
            count: 1,
            certainty: exhunt_core::Certainty::Confirmed,
            ongoing: false,
            size: None,
            to: None,
            host: None,
        }];
        let r = fleet(vec![
            server("EX01", Verdict::Clean, ExposureState::Patched),
            ex2,
        ]);
        assert_eq!(r.taken.len(), 1);
        assert_eq!(r.taken[0].host.as_deref(), Some("EX02"));
        assert_eq!(r.taken[0].findings, ["S2-F0003"]);
        assert_eq!(r.taken[0].evidence[0].finding.as_deref(), Some("S2-F0003"));
        // The server's own report says the same.
        assert_eq!(r.servers[1].taken, r.taken);
    }

    #[test]
    fn one_server_is_its_own_report() {
        let one = server("EX01", Verdict::Attempted, ExposureState::Patched);
        assert_eq!(fleet(vec![one.clone()]), one);
    }
}
