//! Reading one log through the read seam: the sink that runs the
//! detectors over each record, and what the read tells the judge (time
//! window, build, problems).

use crate::engine::Engine;
use crate::gate::{FileCap, FindingGate};
use crate::worker::FileOutcome;
use exhunt_core::{ArtifactKind, BuildSeen, Finding};
use exhunt_detect::events::EventDetector;
use exhunt_detect::{LineDetector, LogContext, LogFamily};
use exhunt_judge::FileWindow;
use exhunt_sources::{Candidate, LineFilter, LogFile, Readers, Rec, RecordSink, SourceError};
use std::io::Read;

/// What one pass shares between its workers: the engine, the finding gate,
/// the event detectors of this pass and their IIS line pre-filter.
pub(crate) struct LogPass<'a> {
    pub engine: &'a Engine,
    pub gate: &'a FindingGate,
    pub events: Vec<&'a dyn EventDetector>,
    pub iis: Option<exhunt_sources::LineKeep>,
}

/// Runs the detectors that apply to one log over its records; keeps a
/// finding with the file unless the finding gate takes or counts it.
struct DetectSink<'a> {
    ctx: LogContext<'a>,
    lines: Vec<&'a dyn LineDetector>,
    events: Vec<&'a dyn EventDetector>,
    engine: &'a Engine,
    gate: &'a FindingGate,
    /// This file's findings per rule: past the cap they are counted, not
    /// kept (a log written to match millions of times stays small).
    cap: FileCap,
    /// Sign-ins and boots in a Security log, for the ledger.
    logons: &'a mut LogonBook,
}

/// Most accounts kept per file (a domain controller's log can name every
/// account of the forest; the count says how many more).
const LOGON_CAP: usize = 5000;

/// Who signed in (Security 4624, 4648 with explicit credentials) and when
/// Windows started (4608), from one file.
#[derive(Default)]
pub(crate) struct LogonBook {
    pub accounts: std::collections::HashMap<String, exhunt_core::Logon>,
    pub boots: Vec<String>,
    pub more: u64,
}

impl LogonBook {
    fn see(&mut self, path: &str, r: &exhunt_core::EventRecord) {
        use exhunt_core::Record;
        // The logsource first (no field lookup): most events are not the
        // Security log's.
        if !r
            .logsource
            .service
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("security"))
        {
            return;
        }
        let Some(id) = r.field("EventID") else { return };
        let id = id.trim();
        if !matches!(id, "4624" | "4648" | "4608") {
            return;
        }
        let time = r.time().map(str::to_string);
        if id == "4608" {
            if let Some(t) = time {
                if self.boots.len() < 1000 {
                    self.boots.push(t);
                }
            }
            return;
        }
        let user = r.field("TargetUserName").unwrap_or("").trim();
        let domain = r.field("TargetDomainName").unwrap_or("").trim();
        // Machine accounts and Windows' own sessions hold no person's
        // password.
        let own = [
            "SYSTEM",
            "LOCAL SERVICE",
            "NETWORK SERVICE",
            "ANONYMOUS LOGON",
            "-",
            "",
        ];
        if user.ends_with('$')
            || own.iter().any(|o| user.eq_ignore_ascii_case(o))
            || user.starts_with("DWM-")
            || user.starts_with("UMFD-")
            || domain.eq_ignore_ascii_case("NT AUTHORITY")
            || domain.eq_ignore_ascii_case("Window Manager")
            || domain.eq_ignore_ascii_case("Font Driver Host")
            || user.len() > 256
            || domain.len() > 256
        {
            return;
        }
        let account = if domain.is_empty() || domain == "-" {
            user.to_string()
        } else {
            format!("{domain}\\{user}")
        };
        let key = account.to_ascii_lowercase();
        if !self.accounts.contains_key(&key) && self.accounts.len() >= LOGON_CAP {
            self.more += 1;
            return;
        }
        let l = self
            .accounts
            .entry(key)
            .or_insert_with(|| exhunt_core::Logon {
                account,
                first: None,
                last: None,
                count: 0,
                path: path.to_string(),
            });
        l.count += 1;
        if let Some(t) = time {
            if l.first.as_deref().is_none_or(|f| t.as_str() < f) {
                l.first = Some(t.clone());
            }
            if l.last.as_deref().is_none_or(|x| t.as_str() > x) {
                l.last = Some(t);
            }
        }
    }
}

impl RecordSink for DetectSink<'_> {
    fn record(&mut self, rec: Rec<'_>) -> Vec<Finding> {
        let mut here = Vec::new();
        match rec {
            Rec::Csv(r) => {
                for d in &self.lines {
                    d.check(&self.ctx, r, &mut here);
                }
                if matches!(self.ctx.kind, ArtifactKind::HttpProxyLog { .. })
                    && self
                        .engine
                        .httpproxy_sigma
                        .as_ref()
                        .is_some_and(|k| k.is_match(exhunt_core::Record::raw(r)))
                {
                    self.engine.sigma.check_httpproxy(&self.ctx, r, &mut here);
                }
            }
            Rec::Event(r) => {
                for d in &self.events {
                    d.check(&self.ctx, r, &mut here);
                }
                self.logons.see(self.ctx.path, r);
            }
        }
        // A row or an event is one finding, whatever number of rules it
        // matched: counts are of records, and one request is not shown as
        // two attacks.
        let mut one: Vec<Finding> = Finding::merged(here).into_iter().collect();
        for f in &mut one {
            self.engine.ips.annotate(f);
        }
        one
    }

    fn keep(&mut self, f: Finding) -> Option<Finding> {
        // Gate as we go, so a flood of rows never piles up.
        let f = self.gate.offer(f)?;
        if self.cap.allows(&f) {
            Some(f)
        } else {
            self.gate.count(&f);
            None
        }
    }
}

/// Reads one log (its first bytes already in `prefix`) and adds what it
/// gave to `out`.
pub(crate) fn read_log(
    pass: &LogPass<'_>,
    readers: &mut Readers,
    c: &Candidate,
    kind: &ArtifactKind,
    input: &mut dyn Read,
    out: &mut FileOutcome,
) -> Result<(), SourceError> {
    let LogPass { engine, gate, .. } = *pass;
    let fam = LogFamily::of(kind);
    let filter = match (fam, kind, &pass.iis) {
        (Some(fam), _, _) => LineFilter::Literals(&engine.prefilters[&fam]),
        (None, ArtifactKind::IisLog { .. }, Some(pf)) => LineFilter::Lines(pf),
        _ => LineFilter::All,
    };
    let mut sink = DetectSink {
        ctx: LogContext {
            path: &c.display,
            kind,
        },
        lines: fam
            .map(|f| engine.lines.for_family(f).collect())
            .unwrap_or_default(),
        events: pass
            .events
            .iter()
            .copied()
            .filter(|d| d.applies_to(kind))
            .collect(),
        engine,
        gate,
        cap: FileCap::default(),
        logons: &mut out.logons,
    };
    let file = LogFile {
        kind,
        location: &c.location,
        size: c.size,
    };
    let (mut s, findings) = readers.read(file, input, filter, &mut sink)?;
    out.findings.extend(findings);
    out.bytes += s.bytes;
    out.lines += s.lines;
    for msg in std::mem::take(&mut s.warnings) {
        out.error(c, msg);
    }
    if fam == Some(LogFamily::HttpProxy) {
        // By Exchange's name, or a name an analyst renamed it to.
        let has = |n: &str| s.has_column(n);
        if s.fields.is_empty() {
            out.error(c, "HttpProxy log without a column header (no #Fields: line and no header line): its rows could not be checked".into());
        } else {
            if !has("AnchorMailbox") {
                out.error(c, "HttpProxy log without an AnchorMailbox column: the CVE-2021-26855 check could not run on it".into());
            }
            if !has("HttpStatus") {
                out.error(c, "HttpProxy log without an HttpStatus column: no request in it can be told to have succeeded, so its matches count as attempts only".into());
            }
        }
    }
    if fam == Some(LogFamily::RpsHttp) && !s.has_column("ClientInfo") {
        out.error(c, "Remote PowerShell proxy log without a ClientInfo column: the OWASSRF check could not run on it".into());
    }
    if let (Some(fam), Some(v)) = (fam, s.version.as_deref()) {
        if let Ok(exhunt_patch::Parsed::Full(b)) = exhunt_patch::parse_version(v) {
            out.builds.push(BuildSeen {
                build: b.to_string(),
                source: format!(
                    "{} log header (#Version)",
                    match fam {
                        LogFamily::HttpProxy => "HttpProxy",
                        LogFamily::EcpServer => "ECP Server",
                        LogFamily::OabGenerator => "OABGenerator",
                        LogFamily::RpsHttp => "Remote PowerShell proxy",
                    }
                ),
                path: c.display.clone(),
                first: s.first_time.clone(),
                last: s.last_time.clone(),
                files: 1,
            });
        }
    }
    out.window = Some(FileWindow {
        family: kind.family().expect("log kinds have a family"),
        first: s.first_time,
        last: s.last_time,
    });
    Ok(())
}
