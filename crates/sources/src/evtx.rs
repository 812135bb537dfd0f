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
//! The file's shape is checked before its events are read
//! ([`check_shape`]): an EVTX file is a 4 KiB header and whole 64 KiB
//! chunks, as many as the header counts, each with its signature and
//! checksums. The parser alone reads a file cut inside its first chunk, or
//! a header followed by zeros, as an empty log: for an incident responder,
//! a false "nothing happened". Each problem becomes a sentence in
//! [`ReadSummary::warnings`] (the scan lists them as errors of the file,
//! and the report is then incomplete); the events that are there are still
//! read (a chunk cut short is read up to the cut).
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
use ::evtx::{checksum_ieee, ChunkFlags, EvtxFileHeader, EvtxParser, ParserSettings};
use exhunt_core::open::{open_regular, Links, OpenError};
use exhunt_core::{EventRecord, Record};
use std::io::{self, Read, Seek, SeekFrom};
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

/// Reads an EVTX file on disk, chunk by chunk. The path was found in the
/// evidence: a link is not followed, and what is not a regular file (a FIFO
/// left where a log was) is refused without waiting on it.
pub fn read_evtx_file(
    path: &Path,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let f = open_regular(path, Links::Refuse).map_err(|e| match e {
        OpenError::Io(e) => SourceError::Io(e),
        refused => SourceError::Evtx(refused.to_string()),
    })?;
    read_evtx_seekable(std::io::BufReader::new(f), on_record)
}

/// Reads an EVTX file from anything seekable (a file, a `Cursor`); what is
/// wrong with its shape is in the summary's `warnings` ([`check_shape`]).
pub fn read_evtx_seekable<R: Read + Seek>(
    mut rdr: R,
    on_record: &mut dyn FnMut(&EventRecord),
) -> Result<ReadSummary, SourceError> {
    let shape = check_shape(&mut rdr)?;
    rdr.seek(SeekFrom::Start(0))?;
    // A chunk cut short is read as far as it goes: the parser only reads
    // whole chunks, so the cut one is completed with zeros.
    let padded = ZeroPadded {
        inner: rdr,
        len: shape.len,
        padded: shape.padded_len,
        pos: 0,
    };
    let parser = EvtxParser::from_read_seek(padded)
        .map_err(|e| SourceError::Evtx(format!("cannot read the file header: {e}")))?;
    let mut out = run(parser, on_record)?;
    out.warnings.splice(0..0, shape.problems);
    Ok(out)
}

/// The size of an EVTX file header block, and of each chunk after it.
const HEADER_BLOCK: u64 = 4096;
const CHUNK: u64 = 65536;
/// The size of a chunk's header, where its records start.
const CHUNK_HEADER: usize = 512;
/// The first 8 bytes of every chunk.
const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// Damaged chunks named one by one; more are only counted.
const MAX_CHUNK_PROBLEMS: usize = 10;

/// What [`check_shape`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The file's size.
    pub len: u64,
    /// Its size with a chunk cut short completed (what the parser reads).
    pub padded_len: u64,
    /// What is wrong, one sentence each; empty for a sound file.
    pub problems: Vec<String>,
}

/// Checks the shape of an EVTX file: a 4 KiB header, then whole 64 KiB
/// chunks, at least as many as the header counts (a log not closed cleanly
/// can have more), each starting with `ElfChnk` and matching its header and
/// record checksums. A chunk of zeros is tolerated past the header's count
/// (space not used yet) and in a log the header says never held an event.
/// A file shorter than its header is left to the parser, which refuses it.
/// Reads the whole file once; leaves the reader anywhere.
pub fn check_shape<R: Read + Seek>(rdr: &mut R) -> io::Result<Shape> {
    let len = rdr.seek(SeekFrom::End(0))?;
    let mut shape = Shape {
        len,
        padded_len: len,
        problems: Vec::new(),
    };
    if len < HEADER_BLOCK {
        return Ok(shape);
    }
    rdr.seek(SeekFrom::Start(0))?;
    let mut block = vec![0u8; HEADER_BLOCK as usize];
    rdr.read_exact(&mut block)?;
    let Ok(header) = EvtxFileHeader::from_bytes(&block) else {
        return Ok(shape);
    };
    let problems = &mut shape.problems;
    if !header.validate_checksum() {
        problems.push(
            "the event log's file header is damaged or was altered (its checksum does not match): the number of chunks it gives cannot be trusted".into(),
        );
    }
    let whole = (len - HEADER_BLOCK) / CHUNK;
    let tail = (len - HEADER_BLOCK) % CHUNK;
    if tail > 0 {
        shape.padded_len = len + (CHUNK - tail);
        problems.push(format!(
            "the event log is cut short: it ends {tail} bytes into its chunk {whole} (an EVTX file is a 4 KiB header and whole 64 KiB chunks), so that chunk's events after the cut are lost (e.g. copied while it was written, or truncated)"
        ));
    }
    let present = whole + u64::from(tail > 0);
    let counted = u64::from(header.chunk_count);
    if counted > present {
        problems.push(format!(
            "the event log is incomplete: its header counts {counted} chunk(s) of events, the file holds {}{}; the events of the missing chunks were not read",
            whole,
            if tail > 0 { " and part of one" } else { "" }
        ));
    }
    // A log whose header says no event was ever written may be all zeros.
    let never_written = header.next_record_id <= 1;
    let mut damaged = Vec::new();
    let mut buf = vec![0u8; CHUNK as usize];
    rdr.seek(SeekFrom::Start(HEADER_BLOCK))?;
    for i in 0..present {
        let n = if i < whole { CHUNK } else { tail } as usize;
        let chunk = &mut buf[..n];
        rdr.read_exact(chunk)?;
        if let Some(why) = chunk_problem(chunk, n < CHUNK as usize, i < counted && !never_written) {
            damaged.push(format!("chunk {i} {why}"));
        }
    }
    let more = damaged.len().saturating_sub(MAX_CHUNK_PROBLEMS);
    damaged.truncate(MAX_CHUNK_PROBLEMS);
    if more > 0 {
        damaged.push(format!("{more} more damaged chunk(s)"));
    }
    if !damaged.is_empty() {
        problems.push(format!(
            "the event log is damaged or was altered, its events there are missing or may be wrong: {}",
            damaged.join("; ")
        ));
    }
    Ok(shape)
}

/// What is wrong with one chunk (`cut`: the file ends inside it, which is
/// reported already; `counted`: the header says it holds events).
fn chunk_problem(chunk: &[u8], cut: bool, counted: bool) -> Option<String> {
    if chunk.iter().all(|&b| b == 0) {
        return counted.then(|| {
            "is all zeros though the file header counts it (its events were wiped, or never copied)"
                .to_string()
        });
    }
    if !chunk.starts_with(CHUNK_MAGIC) {
        return Some("has no chunk signature (ElfChnk): it cannot be read".into());
    }
    if cut || chunk.len() < CHUNK_HEADER {
        return None;
    }
    let u32_at = |at: usize| u32::from_le_bytes(chunk[at..at + 4].try_into().expect("4 bytes"));
    // No CRC32 flag: nothing to check.
    if u32_at(120) & ChunkFlags::NO_CRC32.bits() != 0 {
        return None;
    }
    let mut head = [0u8; 120 + CHUNK_HEADER - 128];
    head[..120].copy_from_slice(&chunk[..120]);
    head[120..].copy_from_slice(&chunk[128..CHUNK_HEADER]);
    if checksum_ieee(&head) != u32_at(124) {
        return Some("has a header checksum that does not match".into());
    }
    let free = u32_at(48) as usize;
    let Some(records) = chunk.get(CHUNK_HEADER..free) else {
        return Some(format!(
            "gives where its free space starts as {free}, outside the chunk"
        ));
    };
    (checksum_ieee(records) != u32_at(52))
        .then(|| "has an event checksum that does not match".to_string())
}

/// A reader whose file ends inside a chunk, completed with zeros to the
/// chunk's end.
struct ZeroPadded<R> {
    inner: R,
    len: u64,
    padded: u64,
    pos: u64,
}

impl<R: Read + Seek> Read for ZeroPadded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.len {
            let want = buf.len().min((self.len - self.pos) as usize);
            let n = self.inner.read(&mut buf[..want])?;
            self.pos += n as u64;
            return Ok(n);
        }
        let n = buf.len().min(self.padded.saturating_sub(self.pos) as usize);
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for ZeroPadded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.padded.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.inner.seek(SeekFrom::Start(target.min(self.len)))?;
        self.pos = target;
        Ok(target)
    }
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

    fn sample() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"
        ))
        .unwrap()
    }

    /// Records read and the summary's warnings.
    fn read(bytes: Vec<u8>) -> (u64, Vec<String>) {
        let mut n = 0;
        let out = read_evtx_bytes(bytes, &mut |_| n += 1).unwrap();
        assert_eq!(out.records, n);
        (n, out.warnings)
    }

    fn with_header_crc(mut bytes: Vec<u8>) -> Vec<u8> {
        let crc = checksum_ieee(&bytes[..120]);
        bytes[124..128].copy_from_slice(&crc.to_le_bytes());
        bytes
    }

    #[test]
    fn real_logs_have_a_sound_shape() {
        for dir in ["evtx-attack-samples", "evtx-to-mitre-attack"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(dir);
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "evtx") {
                    let mut f = std::fs::File::open(&p).unwrap();
                    let shape = check_shape(&mut f).unwrap();
                    assert!(shape.problems.is_empty(), "{}: {shape:?}", p.display());
                    assert_eq!(shape.len, shape.padded_len);
                }
            }
        }
    }

    #[test]
    fn a_log_cut_short_says_so_and_keeps_what_is_there() {
        let real = sample();
        let (all, warnings) = read(real.clone());
        assert!(warnings.is_empty(), "{warnings:?}");
        // Cut at 34 KB: its events (the first 11.6 KB of the chunk) are
        // still read, and the cut is named.
        let (n, warnings) = read(real[..34 << 10].to_vec());
        assert_eq!(n, all);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("cut short: it ends 30720 bytes into its chunk 0"),
            "{warnings:?}"
        );
        // Cut inside the events: fewer, and still said.
        let (n, warnings) = read(real[..4096 + 6000].to_vec());
        assert!(n < all);
        assert!(warnings[0].contains("cut short"), "{warnings:?}");
        // Cut at the end of the header: no chunk at all, where one is counted.
        let (n, warnings) = read(real[..4096].to_vec());
        assert_eq!(n, 0);
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("header counts 1 chunk(s) of events, the file holds 0")),
            "{warnings:?}"
        );
    }

    #[test]
    fn missing_zeroed_and_damaged_chunks_are_named() {
        let real = sample();
        // The header followed by zeros.
        let mut zeros = real[..4096].to_vec();
        zeros.resize(4096 + 65536, 0);
        let (n, warnings) = read(zeros);
        assert_eq!(n, 0);
        assert!(
            warnings[0].contains("chunk 0 is all zeros though the file header counts it"),
            "{warnings:?}"
        );
        // A header that counts two chunks, over one.
        let mut two = real.clone();
        two[42] = 2;
        let (n, warnings) = read(with_header_crc(two.clone()));
        assert!(n > 0);
        assert!(
            warnings[0].contains("header counts 2 chunk(s) of events, the file holds 1;"),
            "{warnings:?}"
        );
        // The same without the header's checksum fixed: that is said too.
        let (_, warnings) = read(two);
        assert!(
            warnings[0].contains("file header is damaged"),
            "{warnings:?}"
        );
        // A byte of the chunk header changed (not one the parser needs).
        let mut head = real.clone();
        head[4096 + 60] ^= 0x55;
        let (n, warnings) = read(head);
        assert!(n > 0);
        assert!(
            warnings[0].contains("chunk 0 has a header checksum that does not match"),
            "{warnings:?}"
        );
        // A letter of an event changed: the event checksum.
        let needle: Vec<u8> = "cmd.exe"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let at = real
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        let mut text = real.clone();
        text[at] = b'C';
        let (n, warnings) = read(text);
        assert!(n > 0);
        assert!(
            warnings[0].contains("chunk 0 has an event checksum that does not match"),
            "{warnings:?}"
        );
        // The chunk's signature gone.
        let mut sig = real.clone();
        sig[4096..4096 + 8].copy_from_slice(b"XXXXXXXX");
        let (n, warnings) = read(sig);
        assert_eq!(n, 0);
        assert!(
            warnings[0].contains("has no chunk signature"),
            "{warnings:?}"
        );
        // A zero chunk past the header's count is space not used yet.
        let mut spare = real.clone();
        spare.resize(4096 + 2 * 65536, 0);
        assert!(read(spare).1.is_empty());
        // A log that never held an event may be zeros.
        let mut empty = real[..4096].to_vec();
        empty[24..32].copy_from_slice(&1u64.to_le_bytes());
        empty.resize(4096 + 65536, 0);
        assert!(read(with_header_crc(empty)).1.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn links_and_fifos_are_not_read() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("Security.evtx");
        std::fs::write(&real, sample()).unwrap();
        let link = d.path().join("System.evtx");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = read_evtx_file(&link, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let fifo = d.path().join("Sysmon.evtx");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // Would wait forever for a writer if the FIFO were opened.
        let e = read_evtx_file(&fifo, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("named pipe (FIFO)"), "{e}");
        assert!(read_evtx_file(&real, &mut |_| {}).unwrap().records > 0);
    }

    #[test]
    fn magic() {
        assert!(is_evtx(b"ElfFile\0\0\0\0\0"));
        assert!(!is_evtx(b"ElfFile"));
        assert!(!is_evtx(b"ElfChnk\0"));
    }
}
