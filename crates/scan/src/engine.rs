//! The engine: every detector and pre-filter, built once from the
//! configuration and shared read-only by all worker threads.

use crate::ScanError;
use exhunt_core::{ArtifactKind, LogSource};
use exhunt_detect::events::{line_needs, AttackerIps, EventDetector, SigmaDetector};
use exhunt_detect::files::FileChecks;
use exhunt_detect::mailflow::MailFlow;
use exhunt_detect::pages::UnshippedPages;
use exhunt_detect::shells::RequestedShells;
use exhunt_detect::webfiles::Baselines;
use exhunt_detect::{DetectorSet, LogFamily};
use exhunt_sources::{LineKeep, Prefilter};
use std::collections::HashMap;

/// Detectors and their pre-filters.
pub struct Engine {
    /// Built-in detectors over Exchange's CSV logs, with one literal
    /// pre-filter per log family.
    pub(crate) lines: DetectorSet,
    pub(crate) prefilters: HashMap<LogFamily, Prefilter>,
    /// Detectors over events and web requests.
    pub(crate) sigma: SigmaDetector,
    /// What an HttpProxy row must hold for a Sigma rule that reads such
    /// rows to match it: rows kept for the other checks (the SSRF's
    /// `ServerInfo~`) skip the rule evaluation. `None`: no rule reads them.
    pub(crate) httpproxy_sigma: Option<LineKeep>,
    pub(crate) ips: AttackerIps,
    /// Requests for script pages no build ships, in IIS logs (HttpProxy
    /// rows get the same check among the line detectors).
    pub(crate) pages: UnshippedPages,
    /// Forwarding set up through cmdlets, in the MSExchange Management log.
    pub(crate) mailflow: MailFlow,
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
            let mut caseless = lines.caseless_needs(fam);
            if fam == LogFamily::HttpProxy {
                caseless.extend(sigma.httpproxy_needs());
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
        let needs = sigma.httpproxy_needs();
        let httpproxy_sigma = if needs.is_empty() {
            None
        } else {
            Some(LineKeep::new(&needs).map_err(ScanError::Prefilter)?)
        };
        Ok(Engine {
            lines,
            prefilters,
            httpproxy_sigma,
            sigma,
            ips: AttackerIps::bundled(),
            pages: UnshippedPages::builtin(),
            mailflow: MailFlow,
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
        let mut v: Vec<&'a dyn EventDetector> =
            vec![&self.sigma, &self.ips, &self.pages, &self.mailflow, shells];
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
pub(crate) fn iis_prefilter(detectors: &[&dyn EventDetector]) -> Option<LineKeep> {
    let needs = line_needs(
        detectors,
        &ArtifactKind::IisLog {
            site: String::new(),
        },
        &iis_logsource(),
    )?;
    LineKeep::new(&needs).ok()
}
