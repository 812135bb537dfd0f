//! What the fuzz targets share: the detectors and pre-filters the scan
//! builds (made once per process), a record sink that runs them, and the
//! read seam every log goes through in a scan.
//!
//! Every target feeds attacker-controlled bytes to a real library entry
//! point; nothing here re-implements a parser.

use exhunt_core::{ArtifactKind, Finding, LogSource};
use exhunt_detect::events::{bundled_rules, line_needs, AttackerIps, EventDetector, SigmaDetector};
use exhunt_detect::pages::UnshippedPages;
use exhunt_detect::{DetectorSet, LogContext, LogFamily};
use exhunt_sources::read::{LineFilter, LogFile, Rec, RecordSink};
use exhunt_sources::{LineKeep, Location, Prefilter, Readers};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The built-in detectors and the pre-filters made from them, as the
/// scan's engine makes them (crates/scan/src/engine.rs).
pub struct Detectors {
    pub lines: DetectorSet,
    pub sigma: SigmaDetector,
    pub ips: AttackerIps,
    pub pages: UnshippedPages,
    pub prefilters: HashMap<LogFamily, Prefilter>,
    /// The IIS line pre-filter (`None`: every line is read).
    pub iis_keep: Option<LineKeep>,
}

static DETECTORS: LazyLock<Detectors> = LazyLock::new(|| {
    let lines = DetectorSet::builtin();
    let sigma = SigmaDetector::new(bundled_rules().build());
    let mut prefilters = HashMap::new();
    for fam in LogFamily::ALL {
        let mut caseless = lines.caseless_needs(fam);
        if fam == LogFamily::HttpProxy {
            caseless.extend(sigma.httpproxy_needs());
        }
        let pf =
            Prefilter::with_caseless(&lines.literals(fam), lines.case_sensitive(fam), &caseless)
                .expect("the built-in pre-filters build");
        prefilters.insert(fam, pf);
    }
    let pages = UnshippedPages::builtin();
    let ips = AttackerIps::bundled();
    let iis_keep = {
        let dets: [&dyn EventDetector; 3] = [&sigma, &ips, &pages];
        line_needs(&dets, &iis_kind(), &iis_logsource()).and_then(|n| LineKeep::new(&n).ok())
    };
    Detectors {
        lines,
        sigma,
        ips,
        pages,
        prefilters,
        iis_keep,
    }
});

pub fn detectors() -> &'static Detectors {
    &DETECTORS
}

pub fn iis_kind() -> ArtifactKind {
    ArtifactKind::IisLog {
        site: "W3SVC1".into(),
    }
}

/// IIS logs' logsource, as the scan names it.
pub fn iis_logsource() -> LogSource {
    LogSource {
        category: Some("webserver".into()),
        product: Some("windows".into()),
        service: Some("iis".into()),
    }
}

/// A kind of each Exchange CSV log family.
pub fn csv_kind(fam: LogFamily) -> ArtifactKind {
    match fam {
        LogFamily::HttpProxy => ArtifactKind::HttpProxyLog {
            protocol: "Ecp".into(),
        },
        LogFamily::EcpServer => ArtifactKind::EcpServerLog,
        LogFamily::OabGenerator => ArtifactKind::OabGeneratorLog,
        LogFamily::RpsHttp => ArtifactKind::RpsHttpLog,
    }
}

/// Runs the detectors a scan runs over one kind of log.
pub struct Sink<'a> {
    pub kind: &'a ArtifactKind,
    pub findings: usize,
}

impl RecordSink for Sink<'_> {
    fn record(&mut self, rec: Rec<'_>) -> Vec<Finding> {
        let d = detectors();
        let ctx = LogContext {
            path: "fuzz/input.log",
            kind: self.kind,
        };
        let mut out = Vec::new();
        match rec {
            Rec::Csv(r) => {
                if let Some(fam) = LogFamily::of(self.kind) {
                    for det in d.lines.for_family(fam) {
                        det.check(&ctx, r, &mut out);
                    }
                    if fam == LogFamily::HttpProxy {
                        d.sigma.check_httpproxy(&ctx, r, &mut out);
                    }
                }
            }
            Rec::Event(r) => {
                for det in [&d.sigma as &dyn EventDetector, &d.ips, &d.pages] {
                    if det.applies_to(self.kind) {
                        det.check(&ctx, r, &mut out);
                    }
                }
            }
        }
        self.findings += out.len();
        out
    }
}

/// Reads one log through the scan's read seam ([`Readers::read`]: the
/// reader its kind needs, the detectors behind the sink, context lines on
/// their findings), decoded to UTF-8 first as the scan's worker does.
/// Returns the findings kept, or `None` when the read was refused.
pub fn read_log(kind: &ArtifactKind, data: &[u8]) -> Option<usize> {
    // One thread's readers, reused from input to input as the scan reuses
    // them from file to file (their megabyte buffers are not made anew).
    thread_local! {
        static READERS: std::cell::RefCell<Readers> = std::cell::RefCell::new(Readers::new());
    }
    READERS.with_borrow_mut(|readers| read_with(readers, kind, data))
}

fn read_with(readers: &mut Readers, kind: &ArtifactKind, data: &[u8]) -> Option<usize> {
    let d = detectors();
    let filter = match LogFamily::of(kind) {
        Some(fam) => LineFilter::Literals(&d.prefilters[&fam]),
        None => match (&d.iis_keep, kind) {
            (Some(k), ArtifactKind::IisLog { .. }) => LineFilter::Lines(k),
            _ => LineFilter::All,
        },
    };
    // A zip member's location: EVTX is then read from the stream, as it
    // is from a collection.
    let location = Location::ZipMember {
        zip: "fuzz.zip".into(),
        index: 0,
    };
    let file = LogFile {
        kind,
        location: &location,
        size: data.len() as u64,
    };
    let mut sink = Sink { kind, findings: 0 };
    let read = if matches!(kind, ArtifactKind::EventLog { .. }) {
        readers.read(file, &mut &data[..], filter, &mut sink)
    } else {
        let mut dec = exhunt_sources::csvlog::utf8_reader(data).ok()?;
        readers.read(file, &mut dec, filter, &mut sink)
    };
    read.ok().map(|(_, found)| found.len())
}

/// A scratch file of this process (for the entry points that read a path):
/// `<temp>/exhunt-fuzz-<pid>/<name>`. `run.sh` points `TMPDIR` at a folder
/// it removes afterwards.
pub fn scratch(name: &str) -> std::path::PathBuf {
    static DIR: LazyLock<std::path::PathBuf> = LazyLock::new(|| {
        let d = std::env::temp_dir().join(format!("exhunt-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch folder created");
        d
    });
    DIR.join(name)
}

/// For targets whose entry point catches a third-party parser's panics by
/// design (EVTX, registry hives): libFuzzer's hook would abort on them
/// before the `catch_unwind` in exhunt is reached. This hook only reports
/// each new panic location once; a panic that escapes the target still
/// aborts (libfuzzer-sys aborts when the target unwinds).
pub fn caught_panics_allowed() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let seen = std::sync::Mutex::new(std::collections::HashSet::new());
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if seen.lock().map(|mut s| s.insert(at.clone())).unwrap_or(false) {
                eprintln!("exhunt-fuzz: panic at {at} (caught by exhunt's guard if the run goes on): {info}");
            }
        }));
    });
}

/// Registry transaction logs carry two Marvin32 hashes per log entry; a
/// fuzzer cannot guess them, and notatin stops at the first entry whose
/// hashes do not match. [`fix_log_hashes`] recomputes them so that the
/// entries' content is what gets fuzzed. Marvin32 as notatin computes it
/// (notatin 1.0.1 src/marvin32.rs, after .NET's marvin32.cpp, MIT).
pub fn marvin32(seed: u64, data: &[u8]) -> u64 {
    let mut s0 = seed as u32;
    let mut s1 = (seed >> 32) as u32;
    fn block(a: &mut u32, b: &mut u32) {
        *b ^= *a;
        *a = a.rotate_left(20);
        *a = a.wrapping_add(*b);
        *b = b.rotate_left(9);
        *b ^= *a;
        *a = a.rotate_left(27);
        *a = a.wrapping_add(*b);
        *b = b.rotate_left(19);
    }
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        s0 = s0.wrapping_add(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        block(&mut s0, &mut s1);
    }
    let r = chunks.remainder();
    s0 = s0.wrapping_add(match r.len() {
        0 => 0x80,
        1 => 0x8000 | r[0] as u32,
        2 => 0x80_0000 | u16::from_le_bytes([r[0], r[1]]) as u32,
        _ => 0x8000_0000 | (r[2] as u32) << 16 | u16::from_le_bytes([r[0], r[1]]) as u32,
    });
    block(&mut s0, &mut s1);
    block(&mut s0, &mut s1);
    s0 as u64 | (s1 as u64) << 32
}

/// Rewrites the hashes of every `HvLE` entry of a transaction log (after
/// its 512-byte base block) that lies whole in `log`.
pub fn fix_log_hashes(log: &mut [u8]) {
    const SEED: u64 = 0x82EF_4D88_7A4E_55C5;
    let mut at = 512;
    while at + 40 <= log.len() && &log[at..at + 4] == b"HvLE" {
        let size = u32::from_le_bytes(log[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        if size < 40 || at + size > log.len() {
            break;
        }
        let h1 = marvin32(SEED, &log[at + 40..at + size]);
        log[at + 24..at + 32].copy_from_slice(&h1.to_le_bytes());
        let h2 = marvin32(SEED, &log[at..at + 32]);
        log[at + 32..at + 40].copy_from_slice(&h2.to_le_bytes());
        at += size;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn marvin32_as_notatin() {
        // notatin's own test vectors.
        let data_256: Vec<u8> = (0..=255).collect();
        assert_eq!(super::marvin32(0x4FB61A001BDBCC, &[]), 0x30ED35C100CD3C7D);
        assert_eq!(
            super::marvin32(0x4FB61A001BDBCC, &[0xAF]),
            0x48E73FC77D75DDC1
        );
        assert_eq!(
            super::marvin32(0x4FB61A001BDBCC, &[0x37, 0xF4, 0x95]),
            0xF0B07C789B8CF7E8
        );
        assert_eq!(
            super::marvin32(0x4FB61A001BDBCC, &data_256),
            0x7DFCAB33FCEAD72C
        );
        assert_eq!(
            super::marvin32(
                0x804FB61A801BDBCC,
                &[0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF]
            ),
            0xFDFD187B1D3CE784
        );
    }
}

#[cfg(test)]
mod seed_tests {
    /// The hive seed's transaction log is applied (its entry's hashes put
    /// right as the target does), so the fuzzer starts from a log notatin
    /// reads: the build in the log (…2176.10), not the hive's (…2176.9).
    #[test]
    fn hive_seed_log_is_applied() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/hive/");
        let Ok(seed) = std::fs::read(format!("{dir}seed-exchange-setup-log1")) else {
            return; // made without hivexsh
        };
        let sep = b"--exhunt-fuzz-log--";
        let at = seed.windows(sep.len()).position(|w| w == sep).unwrap();
        let hive = seed[1..at].to_vec();
        let mut log = seed[at + sep.len()..].to_vec();
        let plain = exhunt_sources::hive::exchange_setup(hive.clone(), vec![])
            .unwrap()
            .unwrap();
        assert_eq!(plain.build.as_deref(), Some("15.1.2176.9"));
        let unfixed = exhunt_sources::hive::exchange_setup(hive.clone(), vec![log.clone()]);
        assert_eq!(
            unfixed.unwrap().unwrap().build.as_deref(),
            Some("15.1.2176.9")
        );
        super::fix_log_hashes(&mut log);
        let applied = exhunt_sources::hive::exchange_setup(hive, vec![log])
            .unwrap()
            .unwrap();
        assert_eq!(applied.build.as_deref(), Some("15.1.2176.10"));
    }
}
