//! The report's `patch` section: the server's build from what the scan saw
//! (ExSetup.exe's file version, an exported Setup registry key, the
//! `#Version:` headers of Exchange's logs), what it leaves open, and
//! whether the logs show the server unpatched while a campaign was
//! exploited in the wild.

use exhunt_core::{BuildSeen, Patch};
use exhunt_patch::Table;
use std::collections::BTreeMap;

use exhunt_core::CAMPAIGN_WINDOWS as WINDOWS;

/// Builds the `patch` section; `None` when no build evidence was found.
pub fn patch_status(seen: Vec<BuildSeen>) -> Option<Patch> {
    if seen.is_empty() {
        return None;
    }
    // One history entry per (build, source): earliest first, latest last.
    let mut merged: BTreeMap<(String, String), BuildSeen> = BTreeMap::new();
    for s in seen {
        let key = (s.build.clone(), s.source.clone());
        let Some(e) = merged.get_mut(&key) else {
            merged.insert(key, s);
            continue;
        };
        e.files += s.files;
        if s.first.is_some() && (e.first.is_none() || s.first < e.first) {
            e.first = s.first;
        }
        if s.last > e.last {
            e.last = s.last;
            e.path = s.path;
        }
    }
    let mut history: Vec<BuildSeen> = merged.into_values().collect();
    history.sort_by(|a, b| {
        (a.first.as_ref().or(a.last.as_ref()), &a.build)
            .cmp(&(b.first.as_ref().or(b.last.as_ref()), &b.build))
    });
    // The current build: the installed file's version first, then the
    // registry, then the build that wrote the newest log lines.
    let rank = |s: &BuildSeen| {
        if s.source.starts_with("ExSetup") {
            0
        } else if s.source.starts_with("registry") {
            1
        } else {
            2
        }
    };
    let current = history
        .iter()
        .min_by(|a, b| rank(a).cmp(&rank(b)).then(b.last.cmp(&a.last)))?
        .clone();
    let table = Table::embedded();
    let e = table.explain(&current.build).ok()?;
    let mut notes = e.notes.clone();
    let builds: std::collections::BTreeSet<&str> =
        history.iter().map(|h| h.build.as_str()).collect();
    if builds.len() > 1 {
        notes.push(format!(
            "{} builds in the evidence ({}): the server was updated within the period, see history.",
            builds.len(),
            builds.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    // The newest log line each build wrote (log headers only: they are dated).
    let mut last_by_build: BTreeMap<&str, &str> = BTreeMap::new();
    for h in history.iter().filter(|h| h.first.is_some()) {
        let last = h.last.as_deref().unwrap_or("");
        let e = last_by_build.entry(h.build.as_str()).or_default();
        if last > *e {
            *e = last;
        }
    }
    for (build, last) in last_by_build {
        let Ok(he) = table.explain(build) else {
            continue;
        };
        let open: Vec<&str> = he.by_campaign().iter().map(|(c, _)| *c).collect();
        for (campaign, from, source) in WINDOWS {
            if open.contains(campaign) && last >= *from {
                notes.push(format!(
                    "Unpatched during {campaign}: logs up to {} were written by build {build}, which leaves {campaign} open, after its exploitation in the wild began ({from}; {source}).",
                    &last[..last.len().min(10)],
                ));
            }
        }
    }
    let campaigns = e
        .by_campaign()
        .into_iter()
        .map(|(c, v)| (c.to_string(), v.iter().map(|o| o.cve.clone()).collect()))
        .collect();
    Some(Patch {
        build: e.build.clone(),
        product: e.product.clone(),
        source: format!("{} ({})", current.source, current.path),
        open_cves: e.open.iter().map(|o| o.cve.clone()).collect(),
        install: e.install.clone(),
        update_level: e.level.clone(),
        campaigns,
        history,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(build: &str, source: &str, first: Option<&str>, last: &str) -> BuildSeen {
        BuildSeen {
            build: build.into(),
            source: source.into(),
            path: format!("p/{build}"),
            first: first.map(str::to_string),
            last: Some(last.into()),
            files: 1,
        }
    }

    #[test]
    fn file_version_wins_and_log_history_shows_the_window() {
        let p = patch_status(vec![
            seen(
                "15.1.2106.2",
                "HttpProxy log header (#Version)",
                Some("2021-02-20T09:00:00Z"),
                "2021-03-03T07:00:00Z",
            ),
            seen(
                "15.1.2106.2",
                "HttpProxy log header (#Version)",
                Some("2021-02-01T00:00:00Z"),
                "2021-02-02T00:00:00Z",
            ),
            seen(
                "15.1.2106.13",
                "HttpProxy log header (#Version)",
                Some("2021-03-09T10:00:00Z"),
                "2021-03-09T11:00:00Z",
            ),
            seen(
                "15.1.2106.13",
                "ExSetup.exe file version",
                None,
                "2021-03-08T12:00:00Z",
            ),
        ])
        .unwrap();
        assert_eq!(p.build, "15.1.2106.13");
        assert!(p.source.starts_with("ExSetup.exe"), "{}", p.source);
        assert!(!p.open_cves.contains(&"CVE-2021-26855".to_string()));
        assert!(p.campaigns.contains_key("ProxyShell"));
        assert_eq!(p.history.len(), 3);
        let old = p.history.iter().find(|h| h.build == "15.1.2106.2").unwrap();
        assert_eq!(old.files, 2);
        assert_eq!(old.first.as_deref(), Some("2021-02-01T00:00:00Z"));
        assert_eq!(old.last.as_deref(), Some("2021-03-03T07:00:00Z"));
        assert!(
            p.notes
                .iter()
                .any(|n| n.starts_with("Unpatched during ProxyLogon") && n.contains("15.1.2106.2")),
            "{:?}",
            p.notes
        );
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("2 builds in the evidence")),
            "{:?}",
            p.notes
        );
        // The patched build's logs (March 9) are before ProxyShell's window.
        assert!(
            !p.notes
                .iter()
                .any(|n| n.contains("ProxyShell") && n.contains("15.1.2106.13")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn logs_only_and_nothing() {
        assert!(patch_status(vec![]).is_none());
        let p = patch_status(vec![seen(
            "15.2.1118.20",
            "ECP Server log header (#Version)",
            Some("2022-12-01T00:00:00Z"),
            "2022-12-02T00:00:00Z",
        )])
        .unwrap();
        assert_eq!(p.product, "Exchange Server 2019 CU12");
        assert!(p.open_cves.is_empty());
        assert!(
            !p.notes.iter().any(|n| n.starts_with("Unpatched")),
            "{:?}",
            p.notes
        );
    }
}
