//! What a scan or collection reads: the PATHs as given, plus the places
//! discovery finds on a system root; and the progress bar both show.

use crate::args::RootArgs;
use anyhow::Result;
use exhunt_report::safe;
use exhunt_scan::guard::OutputGuard;
use std::io::IsTerminal;
use std::path::PathBuf;

/// The inputs of a scan or collection: the PATHs as given, plus the
/// places discovery found on a system root.
pub(crate) struct Plan {
    pub(crate) inputs: Vec<exhunt_sources::Input>,
    pub(crate) names: Vec<String>,
    pub(crate) discovery: Option<exhunt_core::SystemDiscovery>,
    pub(crate) discovery_errors: Vec<exhunt_core::ErrorEntry>,
    /// A mounted disk's root and volumes: no output inside them either.
    volumes: Vec<PathBuf>,
}

impl Plan {
    pub(crate) fn new(paths: &[PathBuf], root: &RootArgs, quiet: bool) -> Result<Plan> {
        // A path that does not exist is a mistake in the command, not an
        // input that was read and found clean: no report, a usage error.
        for p in paths {
            if let Err(e) = std::fs::symlink_metadata(p) {
                if e.kind() == std::io::ErrorKind::NotFound {
                    anyhow::bail!("{}: no such file or folder", safe(&p.display().to_string()));
                }
            }
        }
        let mut plan = Plan {
            inputs: paths.iter().map(exhunt_sources::Input::plain).collect(),
            names: paths.iter().map(|p| p.display().to_string()).collect(),
            discovery: None,
            discovery_errors: Vec::new(),
            volumes: Vec::new(),
        };
        if let Some(sys) = root.system_root(paths.is_empty())? {
            plan.volumes = sys.evidence_volumes();
            let layout = sys.discover();
            if !quiet {
                let d = &layout.discovery;
                eprintln!(
                    "exhunt: {} {}: Exchange {}",
                    if d.live {
                        "scanning this server,"
                    } else {
                        "system root"
                    },
                    safe(&d.root),
                    match (&d.exchange_install, &d.exchange_install_from) {
                        (Some(p), Some(f)) => format!("in {} (from {})", safe(p), safe(f)),
                        _ => "install folder not found".to_string(),
                    }
                );
            }
            plan.names.push(format!(
                "{} ({})",
                layout.discovery.root,
                if layout.discovery.live {
                    "live system root"
                } else {
                    "system root"
                }
            ));
            plan.inputs.extend(layout.inputs);
            plan.discovery = Some(layout.discovery);
            plan.discovery_errors = layout.errors;
        }
        Ok(plan)
    }

    /// The guard that keeps every output out of the evidence: every
    /// input, and a mounted disk whole.
    pub(crate) fn guard(&self) -> OutputGuard {
        OutputGuard::new(
            self.inputs
                .iter()
                .map(|i| i.path.clone())
                .chain(self.volumes.iter().cloned())
                .collect(),
        )
    }
}

pub(crate) fn progress_bar(quiet: bool, template: &str) -> indicatif::ProgressBar {
    if !quiet && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(template)
                .expect("static template")
                .progress_chars("=> "),
        );
        pb
    } else {
        indicatif::ProgressBar::hidden()
    }
}
