//! Which inputs are which server. `exhunt scan EX01.zip EX02.zip` is two
//! servers: a verdict speaks of one, and evidence of one (a web shell on
//! EX01's disk) must not tie to another's (a request in EX02's logs).
//!
//! Each unit (a PATH as given, or a system root with its places) is named
//! by the host its logs and events name in their first records
//! ([`exhunt_sources::hostname`]): a few files' heads are read, the name
//! most of them give wins. Units are split only when at least two
//! different hosts are named; then units naming the same host are one
//! server and a unit naming none is a server of its own ("host not
//! identified"). With one host or none, everything is one server, as a
//! scan of one server's logs and event logs given as two folders is.

use crate::config::{ScanConfig, Unit};
use exhunt_sources::hostname::{host_in, names_host, HEAD_BYTES};
use exhunt_sources::{discover, path_interest, Discovery, MemberOpener};
use std::collections::BTreeMap;

/// At most this many files of a unit are read for its host name.
const SNIFFED: usize = 12;

/// One server among the inputs: its host name (as its logs name it, when
/// they do) and the units it was read from.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: Option<String>,
    pub(crate) units: Vec<usize>,
    /// What listing each input found while its host was looked for, by
    /// input index, so that the scan does not walk the same folders again.
    pub(crate) found: Vec<(usize, Discovery)>,
}

impl Server {
    /// The listing of these inputs (indices in order), when every one was
    /// listed while the hosts were looked for: as `discover` would give it.
    pub(crate) fn discovery_of(&self, inputs: &[usize]) -> Option<Discovery> {
        let mut out = Discovery::default();
        for i in inputs {
            let (_, d) = self.found.iter().find(|(k, _)| k == i)?;
            out.candidates.extend(d.candidates.iter().cloned());
            out.errors.extend(d.errors.iter().cloned());
            out.skipped.extend(d.skipped.iter().cloned());
        }
        Some(out)
    }
}

impl Server {
    /// How the report names the inputs of this server.
    pub fn inputs<'a>(&self, config: &'a ScanConfig) -> Vec<&'a str> {
        self.units
            .iter()
            .flat_map(|&u| config.units[u].names.iter())
            .map(|&n| config.input_names[n].as_str())
            .collect()
    }
}

/// The servers among the configured inputs, in the order their first
/// input was given.
pub fn servers(config: &ScanConfig) -> Vec<Server> {
    let mut found: Vec<(usize, Discovery)> = Vec::new();
    let named: Vec<Option<String>> = config
        .units
        .iter()
        .map(|u| unit_host(config, u, &mut found))
        .collect();
    let take = |units: &[usize], found: &mut Vec<(usize, Discovery)>| {
        let mine: Vec<usize> = units
            .iter()
            .flat_map(|&u| config.units[u].inputs.iter().copied())
            .collect();
        let (take, keep): (Vec<_>, Vec<_>) = std::mem::take(found)
            .into_iter()
            .partition(|(i, _)| mine.contains(i));
        *found = keep;
        take
    };
    let mut hosts: Vec<String> = named.iter().flatten().map(|h| host_key(h)).collect();
    hosts.sort();
    hosts.dedup();
    if hosts.len() <= 1 {
        let units: Vec<usize> = (0..config.units.len()).collect();
        return vec![Server {
            host: named.into_iter().flatten().next(),
            found: take(&units, &mut found),
            units,
        }];
    }
    let mut out: Vec<Server> = Vec::new();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for (u, host) in named.into_iter().enumerate() {
        match host {
            Some(h) => match by_key.get(&host_key(&h)) {
                Some(&s) => out[s].units.push(u),
                None => {
                    by_key.insert(host_key(&h), out.len());
                    out.push(Server {
                        host: Some(h),
                        units: vec![u],
                        found: Vec::new(),
                    });
                }
            },
            None => out.push(Server {
                host: None,
                units: vec![u],
                found: Vec::new(),
            }),
        }
    }
    for s in &mut out {
        s.found = take(&s.units, &mut found);
    }
    out
}

/// How host names are compared: the first label, without case (an event
/// log says `EX01.contoso.local` where the HttpProxy log says `EX01`).
fn host_key(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}

/// The host most of a unit's sniffed files name (ties: the first seen);
/// each input's listing is kept in `found` for the scan.
fn unit_host(
    config: &ScanConfig,
    unit: &Unit,
    found: &mut Vec<(usize, Discovery)>,
) -> Option<String> {
    for &i in &unit.inputs {
        found.push((i, discover(std::slice::from_ref(&config.inputs[i]))));
    }
    let mine = found.iter().filter(|(i, _)| unit.inputs.contains(i));
    let mut candidates: Vec<_> = mine
        .flat_map(|(_, d)| d.candidates.iter())
        .filter_map(|c| {
            let kind = path_interest(&c.rel_lower, &c.rel).log?;
            names_host(&kind).then_some((kind, c.clone()))
        })
        .collect();
    // The logs that always name their server first, then IIS (only when
    // its site logs s-computername); the rest in path order.
    candidates.sort_by_key(|(kind, c)| {
        let rank = match kind {
            exhunt_core::ArtifactKind::HttpProxyLog { .. } => 0,
            exhunt_core::ArtifactKind::EventLog { .. } | exhunt_core::ArtifactKind::EventJsonl => 1,
            _ => 2,
        };
        (rank, c.display.clone())
    });
    let mut opener = MemberOpener::new();
    let mut votes: Vec<(String, String, usize)> = Vec::new();
    for (kind, c) in candidates.iter().take(SNIFFED) {
        let Ok(head) = opener.with_reader(&c.location, |r| {
            exhunt_sources::decode::read_prefix(r, HEAD_BYTES).map_err(Into::into)
        }) else {
            continue;
        };
        let Some(host) = host_in(kind, &head) else {
            continue;
        };
        let k = host_key(&host);
        match votes.iter_mut().find(|(key, _, _)| *key == k) {
            Some(v) => v.2 += 1,
            None => votes.push((k, host, 1)),
        }
    }
    // Most votes; among equals the first seen (max_by_key keeps the last).
    votes
        .iter()
        .rev()
        .max_by_key(|v| v.2)
        .map(|(_, host, _)| host.clone())
}
