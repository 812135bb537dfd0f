//! What a scan is asked to do, and the immutable configuration built from
//! it (ripgrep's low-args → high-args split: the builder holds plain values
//! from the command line, `build` loads and compiles every rule once).

use crate::engine::Engine;
use exhunt_core::{ErrorEntry, RuleLoad, SystemDiscovery};
use exhunt_detect::events::{bundled_rules, EventDetector, SigmaDetector};
use exhunt_detect::files::{FileCheck, FileChecks};
use exhunt_detect::iocs::{FileIocsBuilder, IocError};
use exhunt_detect::webfiles::Baselines;
use exhunt_detect::{DetectorSet, LineDetector};
use exhunt_sources::{Input, SourceError};
use exhunt_yara::{YaraError, YaraRulesBuilder};
use std::path::PathBuf;
use std::time::Duration;

/// Why a scan could not be set up (each names what it could not use).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot read Sigma rules from {path}")]
    Sigma {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read YARA rules from {path}")]
    Yara {
        path: PathBuf,
        #[source]
        source: YaraError,
    },
    #[error("cannot use indicator file {path}")]
    Iocs {
        path: PathBuf,
        #[source]
        source: IocError,
    },
    #[error("building the indicator lists")]
    IocBuild(#[source] IocError),
    #[error("building detectors")]
    Prefilter(#[source] SourceError),
}

/// What the user asked for, as plain values (and, for a program that uses
/// the library, checks of its own beside the built-in ones).
pub struct ScanConfigBuilder {
    inputs: Vec<Input>,
    input_names: Vec<String>,
    units: Vec<Unit>,
    root_unit: Option<usize>,
    discovery: Option<SystemDiscovery>,
    discovery_errors: Vec<ErrorEntry>,
    sigma: Vec<PathBuf>,
    yara: Vec<PathBuf>,
    iocs: Vec<PathBuf>,
    max_filesize: u64,
    yara_timeout: Duration,
    line_detectors: Vec<Box<dyn LineDetector>>,
    event_detectors: Vec<Box<dyn EventDetector>>,
    file_checks: Vec<Box<dyn FileCheck>>,
}

impl Default for ScanConfigBuilder {
    fn default() -> Self {
        ScanConfigBuilder {
            inputs: Vec::new(),
            input_names: Vec::new(),
            units: Vec::new(),
            root_unit: None,
            discovery: None,
            discovery_errors: Vec::new(),
            sigma: Vec::new(),
            yara: Vec::new(),
            iocs: Vec::new(),
            max_filesize: 64 << 20,
            yara_timeout: Duration::from_secs(60),
            line_detectors: Vec::new(),
            event_detectors: Vec::new(),
            file_checks: Vec::new(),
        }
    }
}

impl ScanConfigBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// An input to scan, and how the report names it.
    pub fn input(mut self, input: Input, name: impl Into<String>) -> Self {
        self.units.push(Unit {
            inputs: vec![self.inputs.len()],
            names: vec![self.input_names.len()],
            root: false,
        });
        self.inputs.push(input);
        self.input_names.push(name.into());
        self
    }

    /// The unit of the system root: its places, its name and its discovery
    /// are one server.
    fn root(&mut self) -> &mut Unit {
        let i = *self.root_unit.get_or_insert_with(|| {
            self.units.push(Unit {
                root: true,
                ..Unit::default()
            });
            self.units.len() - 1
        });
        &mut self.units[i]
    }

    /// A name in the report's `inputs` without an input of its own (a
    /// system root, whose places are added with [`Self::input_unnamed`]).
    pub fn input_name(mut self, name: impl Into<String>) -> Self {
        let n = self.input_names.len();
        self.root().names.push(n);
        self.input_names.push(name.into());
        self
    }

    /// An input the report does not list by itself.
    pub fn input_unnamed(mut self, input: Input) -> Self {
        let n = self.inputs.len();
        self.root().inputs.push(n);
        self.inputs.push(input);
        self
    }

    /// What discovery found on a system root, and what it could not read.
    pub fn discovery(mut self, d: SystemDiscovery, errors: Vec<ErrorEntry>) -> Self {
        self.root();
        self.discovery = Some(d);
        self.discovery_errors = errors;
        self
    }

    /// Also load the Sigma rules in this folder.
    pub fn sigma_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.sigma.push(dir.into());
        self
    }

    /// Also load the YARA rules in this file or folder.
    pub fn yara_path(mut self, p: impl Into<PathBuf>) -> Self {
        self.yara.push(p.into());
        self
    }

    /// Also load file indicators from this file.
    pub fn iocs_file(mut self, p: impl Into<PathBuf>) -> Self {
        self.iocs.push(p.into());
        self
    }

    /// Largest file whose content is hashed and YARA-scanned.
    pub fn max_filesize(mut self, bytes: u64) -> Self {
        self.max_filesize = bytes;
        self
    }

    /// Longest a YARA scan of one file may take.
    pub fn yara_timeout(mut self, t: Duration) -> Self {
        self.yara_timeout = t;
        self
    }

    /// A detector over Exchange's CSV logs, run after the built-in ones.
    pub fn line_detector(mut self, d: Box<dyn LineDetector>) -> Self {
        self.line_detectors.push(d);
        self
    }

    /// A detector over events and web requests, run after the built-in ones.
    pub fn event_detector(mut self, d: Box<dyn EventDetector>) -> Self {
        self.event_detectors.push(d);
        self
    }

    /// A check over files, run after the built-in ones.
    pub fn file_check(mut self, c: Box<dyn FileCheck>) -> Self {
        self.file_checks.push(c);
        self
    }

    /// Loads every rule and builds the detectors.
    pub fn build(self) -> Result<ScanConfig, ScanError> {
        // YARA's compile is the largest part of the start-up: it runs on
        // one core while the rest is loaded on another.
        let (yara, rest) = rayon::join(
            || -> Result<_, ScanError> {
                let mut yara = YaraRulesBuilder::new().bundled();
                for p in &self.yara {
                    yara.add_path(p).map_err(|source| ScanError::Yara {
                        path: p.clone(),
                        source,
                    })?;
                }
                Ok(yara.build_lazy())
            },
            || -> Result<_, ScanError> {
                let mut rules = bundled_rules();
                for dir in &self.sigma {
                    rules.add_dir(dir).map_err(|source| ScanError::Sigma {
                        path: dir.clone(),
                        source,
                    })?;
                }
                let mut iocs = FileIocsBuilder::new().bundled();
                let bundled_iocs = iocs.counts().total();
                let mut ioc_loads = Vec::new();
                for p in &self.iocs {
                    let n = iocs.add_file(p).map_err(|source| ScanError::Iocs {
                        path: p.clone(),
                        source,
                    })?;
                    ioc_loads.push((p.display().to_string(), n));
                }
                let warnings = iocs.warnings().to_vec();
                let iocs = iocs.build().map_err(ScanError::IocBuild)?;
                Ok((rules.build(), iocs, bundled_iocs, ioc_loads, warnings))
            },
        );
        let yara = yara?;
        let (sigma, iocs, bundled_iocs, ioc_loads, warnings) = rest?;
        let mut files = FileChecks::new(yara, iocs, Baselines::builtin(), self.yara_timeout);
        for c in self.file_checks {
            files.push(c);
        }
        let mut lines = DetectorSet::builtin();
        for d in self.line_detectors {
            lines.push(d);
        }
        let engine = Engine::new(
            lines,
            SigmaDetector::new(sigma),
            self.event_detectors,
            files,
            self.max_filesize,
        )?;
        let rule_loads = rule_loads(&engine, bundled_iocs, ioc_loads);
        Ok(ScanConfig {
            inputs: self.inputs,
            input_names: self.input_names,
            units: self.units,
            discovery: self.discovery,
            discovery_errors: self.discovery_errors,
            engine,
            rule_loads,
            warnings,
        })
    }
}

/// A PATH as given, or a system root with its places: what is one server
/// or part of one, never split.
#[derive(Debug, Clone, Default)]
pub(crate) struct Unit {
    pub(crate) inputs: Vec<usize>,
    pub(crate) names: Vec<usize>,
    /// The system root's unit: it carries the discovery.
    pub(crate) root: bool,
}

/// A scan, ready to run: inputs, and every rule loaded and compiled.
pub struct ScanConfig {
    pub(crate) inputs: Vec<Input>,
    pub(crate) input_names: Vec<String>,
    /// What may be one server each: a PATH as given, or a system root with
    /// its places (indices into `inputs` and `input_names`).
    pub(crate) units: Vec<Unit>,
    pub(crate) discovery: Option<SystemDiscovery>,
    pub(crate) discovery_errors: Vec<ErrorEntry>,
    pub(crate) engine: Engine,
    pub(crate) rule_loads: Vec<RuleLoad>,
    warnings: Vec<String>,
}

impl ScanConfig {
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Every rule file and indicator list, loaded or skipped with the reason.
    pub fn rule_loads(&self) -> &[RuleLoad] {
        &self.rule_loads
    }

    /// Indicator lines that were not used (with why), for standard error.
    pub fn ioc_warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// The report's `rules` section: Sigma rules, YARA files and indicator
/// lists, each loaded or skipped with the reason.
fn rule_loads(
    engine: &Engine,
    bundled_iocs: usize,
    ioc_loads: Vec<(String, usize)>,
) -> Vec<RuleLoad> {
    let mut out: Vec<RuleLoad> = engine
        .sigma_rules()
        .load_report()
        .iter()
        .map(|l| RuleLoad {
            engine: "sigma".to_string(),
            origin: l.origin.clone(),
            title: l.title.clone(),
            id: l.id.clone(),
            status: if l.status.is_loaded() {
                "loaded"
            } else {
                "skipped"
            }
            .to_string(),
            reason: match &l.status {
                exhunt_sigma::LoadStatus::Skipped { reason } => Some(reason.clone()),
                exhunt_sigma::LoadStatus::Loaded => None,
            },
            note: None,
        })
        .collect();
    out.extend(engine.yara_rules().loads().iter().map(|l| RuleLoad {
        engine: "yara".to_string(),
        origin: l.origin.clone(),
        title: Some(format!("{} rule(s)", l.rules)),
        id: None,
        status: if l.is_loaded() { "loaded" } else { "skipped" }.to_string(),
        reason: if l.is_loaded() {
            None
        } else if l.errors.is_empty() {
            Some("no rules in file".to_string())
        } else {
            Some(l.errors.join("; "))
        },
        note: None,
    }));
    for (origin, n) in
        std::iter::once(("bundled:rules/iocs".to_string(), bundled_iocs)).chain(ioc_loads)
    {
        out.push(RuleLoad {
            engine: "iocs".to_string(),
            origin,
            title: Some(format!("{n} indicator(s)")),
            id: None,
            status: "loaded".to_string(),
            reason: None,
            note: None,
        });
    }
    out
}
