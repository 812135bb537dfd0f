//! Detect: turn records and files into findings.
//!
//! Built-in Exchange detectors live here, one module per log family, plus
//! the file detectors (LSASS dumps, staged archives). Every line detector
//! names the literals a line must hold for it to possibly match; the reader
//! combines them into one pre-filter per log family, so lines that no
//! detector could match are never split into fields.
//!
//! Each rule cites the public source it rests on; the reference script's
//! predicates (Test-ProxyLogon.ps1) are reproduced exactly and our
//! extensions are marked as such in each finding's `predicate` evidence.

#![forbid(unsafe_code)]

use exhunt_core::{ArtifactKind, Finding, Record};

pub mod ecp;
pub mod events;
pub mod files;
pub mod httpproxy;
pub mod iocs;
pub mod mailflow;
pub mod oab;
pub mod pages;
pub mod rps;
pub mod shells;
pub mod webfiles;

/// Sources cited by the rules.
pub mod sources {
    pub const TEST_PROXYLOGON: &str = "microsoft/CSS-Exchange Security/src/Test-ProxyLogon.ps1; https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/";
    pub const PR306: &str = "microsoft/CSS-Exchange PR #306 (autodiscover and localhost rows are failed attempts and nmap probes)";
    pub const ISSUE310: &str = "Microsoft HAFNIUM blog query (AuthenticatedUser empty; BackEndCookie like 'Server~*/*~*'); microsoft/CSS-Exchange issue #310";
    pub const PR386: &str =
        "microsoft/CSS-Exchange PR #386 (Test-ProxyLogon.ps1 27065/26858 predicates)";
    pub const CROWDSTRIKE_OWASSRF: &str = "CrowdStrike, 'OWASSRF: CrowdStrike Identifies New Method for Bypassing ProxyNotShell Mitigations' (2022-12-20) and its Rps_Http-IOC.ps1 (ClientInfo other than 'Microsoft WinRM Client' or 'Exchange BackEnd Probes' in the Remote PowerShell proxy logs; HttpStatus 200 = possibly successful)";
    pub const CISA: &str = "CISA AA21-062A (cisagov/CHIRP indicators/AA21062A.yaml)";
}

/// What a line detector is told about the file its records come from.
#[derive(Debug, Clone, Copy)]
pub struct LogContext<'a> {
    /// Display path of the file (for findings).
    pub path: &'a str,
    pub kind: &'a ArtifactKind,
}

/// The log families; each gets its own pre-filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFamily {
    HttpProxy,
    EcpServer,
    OabGenerator,
    /// The Remote PowerShell proxy log.
    RpsHttp,
}

impl LogFamily {
    pub const ALL: [LogFamily; 4] = [
        LogFamily::HttpProxy,
        LogFamily::EcpServer,
        LogFamily::OabGenerator,
        LogFamily::RpsHttp,
    ];

    pub fn of(kind: &ArtifactKind) -> Option<LogFamily> {
        match kind {
            ArtifactKind::HttpProxyLog { .. } => Some(LogFamily::HttpProxy),
            ArtifactKind::EcpServerLog => Some(LogFamily::EcpServer),
            ArtifactKind::OabGeneratorLog => Some(LogFamily::OabGenerator),
            ArtifactKind::RpsHttpLog => Some(LogFamily::RpsHttp),
            _ => None,
        }
    }
}

/// A detector over log records.
pub trait LineDetector: Send + Sync {
    /// The log family it reads.
    fn family(&self) -> LogFamily;
    /// A line must hold one of these (ASCII case-insensitive) for `check` to
    /// be able to match; used to build the pre-filter.
    fn literals(&self) -> &[&'static str];
    /// True when Exchange writes these literals in a fixed case, so the
    /// pre-filter may match them case-sensitively (much faster on the large
    /// HttpProxy logs). The predicates themselves stay case-insensitive.
    fn literals_case_sensitive(&self) -> bool {
        false
    }
    /// Needs a line may meet instead, their literals compared without
    /// ASCII case even when the family's pre-filter is case-sensitive: what
    /// a client sends (a URL), which Exchange writes as it came.
    fn caseless_needs(&self) -> Vec<exhunt_core::LineNeed> {
        Vec::new()
    }
    /// Looks at one record; pushes what it finds.
    fn check(&self, ctx: &LogContext<'_>, rec: &dyn Record, out: &mut Vec<Finding>);
}

/// The configured set of detectors, built once and shared by all threads.
pub struct DetectorSet {
    line: Vec<Box<dyn LineDetector>>,
}

impl DetectorSet {
    /// The built-in Exchange detectors.
    pub fn builtin() -> Self {
        DetectorSet {
            line: vec![
                Box::new(httpproxy::HttpProxySsrf::new()),
                Box::new(ecp::EcpSetVirtualDirectory::new()),
                Box::new(oab::OabDownloadPath::new()),
                Box::new(rps::RpsProxiedClient),
                Box::new(pages::UnshippedPages::builtin()),
            ],
        }
    }

    /// Adds a detector after the built-in ones.
    pub fn push(&mut self, d: Box<dyn LineDetector>) {
        self.line.push(d);
    }

    /// Detectors of one family.
    pub fn for_family(&self, fam: LogFamily) -> impl Iterator<Item = &dyn LineDetector> {
        self.line
            .iter()
            .map(|d| d.as_ref())
            .filter(move |d| d.family() == fam)
    }

    /// Whether every detector of the family allows a case-sensitive pre-filter.
    pub fn case_sensitive(&self, fam: LogFamily) -> bool {
        self.for_family(fam).all(|d| d.literals_case_sensitive())
    }

    /// Every need of the family's detectors compared without case (see
    /// [`LineDetector::caseless_needs`]).
    pub fn caseless_needs(&self, fam: LogFamily) -> Vec<exhunt_core::LineNeed> {
        self.for_family(fam)
            .flat_map(|d| d.caseless_needs())
            .collect()
    }

    /// Every literal the family's detectors need.
    pub fn literals(&self, fam: LogFamily) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .for_family(fam)
            .flat_map(|d| d.literals().iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Copies a record's fields into a finding's evidence, skipping empty ones.
pub(crate) fn evidence_fields(mut f: Finding, rec: &dyn Record, names: &[&str]) -> Finding {
    for n in names {
        if let Some(v) = rec.field(n) {
            f = f.with(n, v);
        }
    }
    f
}

pub use exhunt_core::excerpt;

#[cfg(test)]
pub(crate) mod testutil {
    use exhunt_core::Record;
    use std::collections::HashMap;

    /// A record built from name/value pairs, for detector unit tests.
    pub struct MapRecord {
        pub fields: HashMap<String, String>,
        pub raw: String,
    }

    impl MapRecord {
        pub fn new(pairs: &[(&str, &str)]) -> Self {
            MapRecord {
                fields: pairs
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                    .collect(),
                raw: pairs.iter().map(|(_, v)| *v).collect::<Vec<_>>().join(","),
            }
        }
        pub fn line(raw: &str) -> Self {
            MapRecord {
                fields: HashMap::new(),
                raw: raw.to_string(),
            }
        }
    }

    impl Record for MapRecord {
        fn field(&self, name: &str) -> Option<&str> {
            self.fields
                .get(&name.to_ascii_lowercase())
                .map(String::as_str)
        }
        fn raw(&self) -> &[u8] {
            self.raw.as_bytes()
        }
        fn line_no(&self) -> u64 {
            7
        }
        fn time(&self) -> Option<&str> {
            self.field("DateTime")
        }
    }
}
