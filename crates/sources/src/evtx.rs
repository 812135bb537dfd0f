//! Windows event logs (`.evtx`), read with the `evtx` crate.
//!
//! Each event is rendered by the crate to compact JSON (kept as the record's
//! `raw`) and flattened into named fields by [`crate::winevent`]: `EventID`,
//! `Channel`, `Provider_Name`, `Computer`, `Level`, `Task`, `EventRecordID`,
//! `TimeCreated`, then the event data by name (`Image`, `CommandLine`, ...),
//! unnamed event data as `Data1`, `Data2`, ... and `Data` (all joined by a
//! space), `UserData` by leaf name. `time` is `TimeCreated` normalised to
//! `YYYY-MM-DDTHH:MM:SS.fffZ`; `line` is the event's `EventRecordID`, the
//! number Event Viewer shows and `Get-WinEvent` filters on (a log saved
//! from a filtered view renumbers its record headers from 1, but keeps each
//! event's own `EventRecordID`), or the header's number when it has none;
//! `logsource` follows Sigma's taxonomy (see
//! [`crate::winevent::windows_logsource`]).
//!
//! A record that fails to parse is listed in [`ReadSummary::errors`] and the
//! file goes on; only a file whose header cannot be read fails as a whole.
//!
//! The `evtx` crate is used without its `multithreading` feature: exhunt
//! spreads files over cores itself, and a rayon pool per file on top of that
//! would only oversubscribe. The parser needs `Read + Seek`: a file on disk
//! is read chunk by chunk (64 KiB each), never whole; a zip member cannot
//! seek, so [`read_evtx_stream`] reads it into memory first, up to
//! [`MAX_IN_MEMORY_EVTX`] (Windows caps event logs at 20 MiB by default),
//! and a larger one (Security and Sysmon logs enlarged to gigabytes) into
//! an unnamed temporary file of the analyst's machine, deleted when done.

use crate::read::ReadSummary;
use crate::winevent::{finish_event, walk_json, widen, EventBuilder, Seg, Slots};
use crate::SourceError;
use ::evtx::{EvtxParser, ParserSettings};
use exhunt_core::{EventRecord, Record};
use std::io::{Read, Seek};
use std::path::Path;

/// The first 8 bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The largest EVTX read into memory (zip members): 512 MiB.
pub const MAX_IN_MEMORY_EVTX: u64 = 512 << 20;

/// Error messages kept per file; the rest are only counted in
/// [`ReadSummary::failed`], so that a file of garbage cannot fill memory.
const MAX_ERRORS: usize = 100;

/// Whether `prefix` (the first bytes of a file) starts an EVTX file.
pub fn is_evtx(prefix: &[u8]) -> bool {
    prefix.starts_with(EVTX_MAGIC)
}

/// Reads an EVTX file on disk, chunk by chunk.
pub fn read_evtx_file(
    path: &Path,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let f = std::fs::File::open(path)?;
    read_evtx_seekable(std::io::BufReader::new(f), on_record)
}

/// Reads an EVTX file from anything seekable (a file, a `Cursor`).
pub fn read_evtx_seekable<R: Read + Seek>(
    rdr: R,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let parser = EvtxParser::from_read_seek(rdr)
        .map_err(|e| SourceError::Evtx(format!("cannot read the file header: {e}")))?;
    run(parser, on_record)
}

/// Reads an EVTX file held in memory.
pub fn read_evtx_bytes(
    data: Vec<u8>,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    if !is_evtx(&data) {
        return Err(SourceError::Evtx("no EVTX file header (ElfFile)".into()));
    }
    read_evtx_seekable(std::io::Cursor::new(data), on_record)
}

/// Reads an EVTX file from a stream that cannot seek (a zip member): into
/// memory up to [`MAX_IN_MEMORY_EVTX`], past that into an unnamed temporary
/// file (the system's temporary folder, never an input), so that a zip of
/// a server reads the same events as the server.
pub fn read_evtx_stream(
    rdr: &mut dyn Read,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    read_evtx_stream_spilling(rdr, MAX_IN_MEMORY_EVTX, on_record)
}

/// [`read_evtx_stream`] with another memory limit (bytes).
pub fn read_evtx_stream_spilling(
    rdr: &mut dyn Read,
    in_memory: u64,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let mut data = Vec::new();
    rdr.take(in_memory.saturating_add(1))
        .read_to_end(&mut data)?;
    if data.len() as u64 <= in_memory {
        return read_evtx_bytes(data, on_record);
    }
    if !is_evtx(&data) {
        return Err(SourceError::Evtx("no EVTX file header (ElfFile)".into()));
    }
    let mut tmp = tempfile::tempfile()?;
    std::io::Write::write_all(&mut tmp, &data)?;
    drop(data);
    std::io::copy(rdr, &mut tmp)?;
    std::io::Seek::seek(&mut tmp, std::io::SeekFrom::Start(0))?;
    read_evtx_seekable(std::io::BufReader::new(tmp), on_record)
}

fn run<R: Read + Seek>(
    parser: EvtxParser<R>,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let settings = ParserSettings::new()
        .separate_json_attributes(true)
        .indent(false)
        // Collected logs are often copied from a live system, with the last
        // chunk half written: read what is there rather than refuse it.
        .validate_checksums(false);
    let mut parser = parser.with_configuration(settings);
    let mut out = ReadSummary::default();
    let mut flat = Flattener::default();
    let mut iter = parser.records_json();
    loop {
        // The parser is written in safe Rust and fuzzed, but it is fed
        // attacker-reachable bytes: a panic in it ends this file with an
        // error instead of the scan. The callback runs outside the guard.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| iter.next()));
        let item = match next {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                note_error(&mut out, format!("the EVTX parser gave up: {what}"));
                break;
            }
        };
        match item {
            Ok(r) => match flat.flatten(r.data, r.event_record_id, r.timestamp) {
                Ok(rec) => {
                    widen(&mut out.first_time, &mut out.last_time, rec.time());
                    out.records += 1;
                    on_record(rec);
                }
                Err(e) => note_error(&mut out, format!("record {}: {e}", r.event_record_id)),
            },
            Err(e) => note_error(&mut out, e.to_string()),
        }
    }
    Ok(out)
}

fn note_error(out: &mut ReadSummary, msg: String) {
    out.failed += 1;
    if out.errors.len() < MAX_ERRORS {
        out.errors.push(msg);
    }
}

/// Turns the JSON of one event into a record; reused from event to event.
#[derive(Default)]
struct Flattener {
    slots: Slots,
    builder: EventBuilder,
}

impl Flattener {
    /// `written` is the time in the record header, used when the event has
    /// no `TimeCreated` (it is the same instant when both are there).
    fn flatten(
        &mut self,
        json: String,
        record_id: u64,
        written: ::evtx::Timestamp,
    ) -> Result<&EventRecord, String> {
        let Flattener { slots, builder } = self;
        slots.begin();
        builder.unnamed.clear();
        let mut has_event = false;
        walk_json(&json, &mut |path, v| {
            if let Some(Seg::Key(k)) = path.first() {
                if k == "Event" {
                    has_event = true;
                    builder.event_leaf(slots, &path[1..], v);
                }
            }
        })
        .map_err(|e| format!("unreadable JSON rendering: {e}"))?;
        if !has_event {
            return Err("no Event element".into());
        }
        builder.finish_unnamed(slots);
        let rec = slots.end();
        rec.line = rec
            .field("EventRecordID")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(record_id);
        let created = rec
            .field("TimeCreated")
            .map(str::to_string)
            .unwrap_or_else(|| written.to_string());
        finish_event(rec, &[Some(&created)]);
        rec.raw = json;
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_give_errors_not_panics() {
        let mut n = 0;
        let mut count = |_: &EventRecord| n += 1;
        // Not an EVTX file at all.
        assert!(matches!(
            read_evtx_bytes(b"MZ\x90\0garbage".to_vec(), &mut count),
            Err(SourceError::Evtx(_))
        ));
        // The magic alone, cut before the end of the header.
        assert!(matches!(
            read_evtx_bytes(b"ElfFile\0\x01\x02".to_vec(), &mut count),
            Err(SourceError::Evtx(_))
        ));
        // A header followed by a chunk of garbage: no record, an error or
        // nothing, never a panic.
        let mut data = EVTX_MAGIC.to_vec();
        data.resize(4096, 0);
        data.extend((0..65536u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let r = read_evtx_bytes(data, &mut count);
        assert!(r.is_ok() || matches!(r, Err(SourceError::Evtx(_))), "{r:?}");
        assert_eq!(n, 0);
    }

    #[test]
    fn large_stream_spills_to_a_temporary_file_and_reads_the_same() {
        let real = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"
        ))
        .unwrap();
        let ids = |limit: u64| {
            let mut seen = Vec::new();
            let o = read_evtx_stream_spilling(&mut &real[..], limit, &mut |r| {
                seen.push((r.line, r.time.clone()))
            })
            .unwrap();
            (o.records, seen)
        };
        let (n_mem, mem) = ids(u64::MAX / 2);
        let (n_disk, disk) = ids(4096);
        assert!(n_mem >= 4, "{n_mem}");
        assert_eq!((n_mem, &mem), (n_disk, &disk));
        // Not EVTX, and too large for memory: refused before any spill.
        let junk = vec![7u8; 10_000];
        assert!(matches!(
            read_evtx_stream_spilling(&mut &junk[..], 4096, &mut |_| {}),
            Err(SourceError::Evtx(_))
        ));
    }

    #[test]
    fn magic() {
        assert!(is_evtx(b"ElfFile\0\0\0\0\0"));
        assert!(!is_evtx(b"ElfFile"));
        assert!(!is_evtx(b"ElfChnk\0"));
    }
}
