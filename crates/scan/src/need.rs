//! What a scan reads of each file, decided once for the scan and for
//! `exhunt collect` (a collection must hold exactly what the scan of the
//! server would read, and say why it left the rest out in the same words).

use exhunt_core::ArtifactKind;
use exhunt_sources::csvlog::{read_prefix, utf8_reader};
use exhunt_sources::{classify_content, Candidate, MemberOpener, PathInterest, SourceError};

/// Bytes read from the top of a file to recognise it.
pub(crate) const SNIFF: usize = 16 * 1024;

/// Why a file's content is not read (the scan and the collection say it alike).
pub(crate) fn too_large(size: u64, max_file: u64) -> String {
    format!(
        "larger than --max-filesize ({size} bytes > {max_file}): content not hashed or YARA-scanned"
    )
}

/// What a scan reads of a file, for `exhunt collect`: the whole file, or
/// nothing but its path, size and time.
pub enum Need {
    /// `text_log`: an Exchange or IIS text log (limited by `--since`).
    Whole { text_log: bool },
    /// The scan reads none of it beyond its first bytes; the reason is the
    /// one the scan would give.
    Skip(String),
}

/// Decides as the scan's worker does: logs whole whatever their size, other
/// files whole up to `max_file`; a larger file only when its first bytes
/// make it a log or a memory dump the scan reads through.
pub fn collect_need(
    c: &Candidate,
    pi: &PathInterest,
    max_file: u64,
    opener: &mut MemberOpener,
) -> Result<Need, SourceError> {
    let is_evtx = matches!(pi.log, Some(ArtifactKind::EventLog { .. }));
    // Logs, and the protocol logs the access pass reads for the ledger.
    if pi.log.is_some() || pi.access.is_some() {
        return Ok(Need::Whole { text_log: !is_evtx });
    }
    let small = c.size <= max_file;
    if small && !pi.maybe_log {
        return Ok(Need::Whole { text_log: false });
    }
    let skip = too_large(c.size, max_file);
    if !small && !pi.needs_open() {
        return Ok(Need::Skip(skip));
    }
    opener.with_reader(&c.location, |r| {
        let mut dec = utf8_reader(r)?;
        let prefix = read_prefix(&mut dec, SNIFF)?;
        if log_kind(pi, &prefix).is_some() {
            return Ok(Need::Whole { text_log: true });
        }
        if small {
            return Ok(Need::Whole { text_log: false });
        }
        let dump = pi.lsass_name || (pi.dump_place && prefix.starts_with(b"MDMP"));
        Ok(if dump {
            Need::Whole { text_log: false }
        } else {
            Need::Skip(skip)
        })
    })
}

/// The log kind of a file, from its path or its first lines.
pub(crate) fn log_kind(pi: &PathInterest, prefix: &[u8]) -> Option<ArtifactKind> {
    pi.log.clone().or_else(|| {
        if pi.maybe_log {
            classify_content(prefix)
        } else {
            None
        }
    })
}
