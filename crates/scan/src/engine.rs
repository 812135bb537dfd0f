//! The engine: every detector and pre-filter, built once from the
//! configuration and shared read-only by all worker threads.

use crate::ScanError;
use aho_corasick::AhoCorasick;
use exhunt_core::{ArtifactKind, LogSource};
use exhunt_detect::events::{line_prefilter, AttackerIps, EventDetector, SigmaDetector};
use exhunt_detect::files::FileChecks;
use exhunt_detect::pages::UnshippedPages;
use exhunt_detect::shells::RequestedShells;
use exhunt_detect::webfiles::Baselines;
use exhunt_detect::{DetectorSet, LogFamily};
use exhunt_sources::Prefilter;
use std::collections::HashMap;

/// Detectors and their pre-filters.
pub struct Engine {
    /// Built-in detectors over Exchange's CSV logs, with one literal
    /// pre-filter per log family.
    pub(crate) lines: DetectorSet,
    pub(crate) prefilters: HashMap<LogFamily, Prefilter>,
    /// Detectors over events and web requests.
    pub(crate) sigma: SigmaDetector,
    pub(crate) ips: AttackerIps,
    /// Requests for script pages no build ships, in IIS logs (HttpProxy
    /// rows get the same check among the line detectors).
    pub(crate) pages: UnshippedPages,
    /// A library user's own, after the built-in ones.
    pub(crate) events: Vec<Box<dyn EventDetector>>,
    /// Every check over files.
    pub(crate) files: FileChecks,
    pub(crate) baselines: &'static Baselines,
    /// Largest file whose content is read whole; larger ones are only
    /// streamed when a log or a check wants them.
    pub(crate) max_file: u64,
}

impl Engine {
    pub(crate) fn new(
        lines: DetectorSet,
        sigma: SigmaDetector,
        events: Vec<Box<dyn EventDetector>>,
        files: FileChecks,
        max_file: u64,
    ) -> Result<Self, ScanError> {
        let mut prefilters = HashMap::new();
        for fam in LogFamily::ALL {
            // HttpProxy rows are web requests: the webserver rules that read
            // them add what a client sends, compared without case.
            let mut caseless: Vec<String> = lines
                .caseless_literals(fam)
                .into_iter()
                .map(str::to_string)
                .collect();
            if fam == LogFamily::HttpProxy {
                caseless.extend(sigma.httpproxy_literals());
            }
            prefilters.insert(
                fam,
                Prefilter::with_caseless(
                    &lines.literals(fam),
                    lines.case_sensitive(fam),
                    &caseless,
                )
                .map_err(ScanError::Prefilter)?,
            );
        }
        Ok(Engine {
            lines,
            prefilters,
            sigma,
            ips: AttackerIps::bundled(),
            pages: UnshippedPages::new(Baselines::builtin()),
            events,
            files,
            baselines: Baselines::builtin(),
            max_file,
        })
    }

    pub fn sigma_rules(&self) -> &exhunt_sigma::RuleSet {
        self.sigma.rules()
    }

    pub fn yara_rules(&self) -> &exhunt_yara::YaraRules {
        self.files.yara()
    }

    /// The event detectors of one pass: the engine's, and the requests for
    /// web shells the file pass found.
    pub(crate) fn event_detectors<'a>(
        &'a self,
        shells: &'a RequestedShells,
    ) -> Vec<&'a dyn EventDetector> {
        let mut v: Vec<&'a dyn EventDetector> = vec![&self.sigma, &self.ips, &self.pages, shells];
        v.extend(self.events.iter().map(|d| d.as_ref()));
        v
    }
}

/// The logsource of IIS web logs, as Sigma's webserver rules name it.
pub(crate) fn iis_logsource() -> LogSource {
    LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("iis".into()),
    }
}

/// The line pre-filter of IIS logs for these detectors (`None`: some
/// detector may match any line, so every line is read).
pub(crate) fn iis_prefilter(detectors: &[&dyn EventDetector]) -> Option<AhoCorasick> {
    line_prefilter(
        detectors,
        &ArtifactKind::IisLog {
            site: String::new(),
        },
        &iis_logsource(),
    )
}
