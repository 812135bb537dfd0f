//! IIS logs in the W3C extended format
//! (`inetpub/logs/LogFiles/W3SVC1/u_ex210303.log`).
//!
//! Format facts this reader copes with:
//! - `#` directive lines (`#Software:`, `#Version:`, `#Date:`, `#Fields:`)
//!   may appear anywhere: IIS writes a new block after each restart, and
//!   each `#Fields:` resets the column list (columns can change between
//!   blocks when logging options change). Other `#` lines are comments.
//! - Values are separated by spaces and never hold one: IIS writes spaces
//!   inside values as `+` (`Mozilla/5.0+(Windows+NT+10.0)`); `-` means empty.
//! - Times are UTC (IIS always logs W3C times in UTC, whatever the server's
//!   zone), `date` and `time` in separate columns.
//! - CRLF endings, a UTF-8 BOM, bytes that are not UTF-8 (read lossily,
//!   warned once), a last line cut off by a copy of a log still being
//!   written, lines longer than the buffer.
//!
//! Every line becomes an [`EventRecord`] whose fields keep their W3C names
//! (`date`, `time`, `s-ip`, `cs-method`, `cs-uri-stem`, `cs-uri-query`,
//! `cs-username`, `c-ip`, `cs(User-Agent)`, `cs(Referer)`, `sc-status`, ...),
//! with `-` given as an empty value, followed by the names of Sigma's
//! webserver taxonomy, so that public Sigma rules match as written:
//!
//! | Sigma name | from |
//! |---|---|
//! | `cs-user-agent`, `c-useragent` | `cs(User-Agent)` |
//! | `cs-referrer` | `cs(Referer)` |
//! | `cs-cookie` | `cs(Cookie)` |
//! | `cs-host` | `cs(Host)` (IIS's own `cs-host` column keeps its name) |
//! | `c-uri-stem`, `c-uri-query` | `cs-uri-stem`, `cs-uri-query` |
//! | `c-uri` | stem, and `?` + query when there is a query (HTTPERR's `cs-uri` as is) |
//! | `c-uri-extension` | the stem's extension without the dot (`aspx`), when it has one |
//! | `src_ip`, `dst_ip` | `c-ip`, `s-ip` |
//!
//! The user agent is kept as logged, with `+` for spaces, in every name:
//! Sigma's IIS rules write agents that way (`Mozilla/5.0+(compatible;...`),
//! and decoding would make `+` in a real agent indistinguishable.
//!
//! Records come out with `time` = `date`T`time`Z, `line` = the line number,
//! `raw` = the line, and `logsource` category `webserver`, product
//! `windows`, service `iis`. The record is reused from line to line (its
//! strings keep their allocations), so a callback that keeps one must clone
//! it.

use crate::lines::{chunk_lines, trim_cr, LineSplitter, CHUNK, MAX_LINE};
use crate::prefilter::LineKeep;
use crate::read::ReadSummary;
use crate::winevent::widen;
use crate::SourceError;
use exhunt_core::{EventRecord, LogSource};
use std::borrow::Cow;
use std::io::Read;

/// The columns IIS writes by default, assumed for data lines that come
/// before any `#Fields:` directive (a log cut out of the middle of a file).
const IIS_DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

/// Sigma webserver names for W3C columns (compared without case).
const ALIASES: &[(&str, &[&str])] = &[
    ("cs(User-Agent)", &["cs-user-agent", "c-useragent"]),
    ("cs(Referer)", &["cs-referrer"]),
    ("cs(Cookie)", &["cs-cookie"]),
    ("cs(Host)", &["cs-host"]),
    ("cs-uri-stem", &["c-uri-stem"]),
    ("cs-uri-query", &["c-uri-query"]),
    ("cs-uri", &["c-uri"]),
    ("c-ip", &["src_ip"]),
    ("s-ip", &["dst_ip"]),
];

/// Whether `prefix` (the start of a file, transcoded to UTF-8) is a W3C
/// log: a `#Software: Microsoft Internet Information Services` directive or
/// a `#Fields: date time ...` line among the first lines. HTTPERR logs
/// (`#Software: Microsoft HTTP API 2.0`, `#Fields: date time c-ip ...`) are
/// W3C logs too and are recognised.
pub fn is_w3c(prefix: &[u8]) -> bool {
    let text = String::from_utf8_lossy(prefix);
    let text = text.trim_start_matches('\u{feff}');
    text.lines().take(16).any(|line| {
        let lower = line.trim_end_matches('\r').to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("#software:") {
            return rest
                .trim_start()
                .starts_with("microsoft internet information services");
        }
        if let Some(rest) = lower.strip_prefix("#fields:") {
            let mut cols = rest.split_ascii_whitespace();
            return cols.next() == Some("date") && cols.next() == Some("time");
        }
        false
    })
}

/// The column list of the current `#Fields:` block and what derives from it.
#[derive(Debug, Default)]
struct Columns {
    names: Vec<String>,
    /// (column, Sigma name) pairs, computed once per block.
    aliases: Vec<(usize, &'static str)>,
    date: Option<usize>,
    time: Option<usize>,
    stem: Option<usize>,
    query: Option<usize>,
    /// Whether `c-uri` is built from stem and query (no `cs-uri` column).
    build_uri: bool,
}

impl Columns {
    fn set(&mut self, spec: &str) {
        self.names = spec.split_ascii_whitespace().map(str::to_string).collect();
        let find = |n: &str| self.names.iter().position(|c| c.eq_ignore_ascii_case(n));
        self.date = find("date");
        self.time = find("time");
        self.stem = find("cs-uri-stem");
        self.query = find("cs-uri-query");
        self.aliases.clear();
        for (i, name) in self.names.iter().enumerate() {
            if let Some((_, al)) = ALIASES.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) {
                for a in al.iter() {
                    // A column the log already has under that name wins.
                    if find(a).is_none() {
                        self.aliases.push((i, a));
                    }
                }
            }
        }
        self.build_uri = self.stem.is_some() && find("cs-uri").is_none() && find("c-uri").is_none();
    }
}

/// A reusable W3C reader: one per worker thread, its buffers reused from
/// file to file.
#[derive(Debug)]
pub struct W3cReader {
    lines: LineSplitter,
    rec: EventRecord,
    cols: Columns,
    /// Byte spans of the current line's values.
    spans: Vec<(usize, usize)>,
    /// The read buffer lower-cased, for the line filter's search.
    lower: Vec<u8>,
}

impl Default for W3cReader {
    fn default() -> Self {
        Self::new()
    }
}

/// Per-file state.
#[derive(Default)]
struct FileState {
    out: ReadSummary,
    /// Earliest and latest `date time` of the lines skipped unsplit, as
    /// written (they order as text): made ISO strings once, at the end,
    /// rather than for each of millions of lines.
    skipped_first: Option<[u8; 19]>,
    skipped_last: Option<[u8; 19]>,
    have_fields: bool,
    utf8_warned: bool,
    extra_values: u64,
    extra_first: u64,
}

impl W3cReader {
    pub fn new() -> Self {
        Self::with_buffer(CHUNK, MAX_LINE)
    }

    /// A reader with another buffer size and line cap (bytes); lines longer
    /// than `max_line` are skipped with a warning.
    pub fn with_buffer(initial: usize, max_line: usize) -> Self {
        W3cReader {
            lines: LineSplitter::new(initial, max_line),
            rec: EventRecord {
                logsource: LogSource {
                    category: Some("webserver".into()),
                    product: Some("windows".into()),
                    service: Some("iis".into()),
                },
                ..EventRecord::default()
            },
            cols: Columns::default(),
            spans: Vec::new(),
            lower: Vec::new(),
        }
    }

    /// Streams one log; `on_record` sees every data line. UTF-16 logs must
    /// be transcoded first ([`crate::csvlog::utf8_reader`]); binary content
    /// is refused with [`SourceError::Binary`].
    pub fn scan(
        &mut self,
        rdr: &mut dyn Read,
        on_record: &mut dyn FnMut(&EventRecord),
    ) -> Result<ReadSummary, SourceError> {
        self.scan_filtered(rdr, None, on_record, &mut |_, _| {})
    }

    /// As [`W3cReader::scan`], but a data line is split into a record only
    /// when `keep` holds it (a literal pre-filter: most requests can match
    /// no rule). The filter searches each read buffer once; the runs of
    /// lines between its hits go to `on_skipped` whole, as raw bytes (each
    /// line ending with `\n`) with the number of their first line, so a
    /// caller can still show them as context.
    pub fn scan_filtered(
        &mut self,
        rdr: &mut dyn Read,
        keep: Option<&LineKeep>,
        on_record: &mut dyn FnMut(&EventRecord),
        on_skipped: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<ReadSummary, SourceError> {
        let W3cReader {
            lines,
            rec,
            cols,
            spans,
            lower,
        } = self;
        *cols = Columns::default();
        let mut st = FileState::default();
        let stats = lines.run_chunks(rdr, true, &mut |first, chunk| {
            let Some(keep) = keep else {
                let mut n = first;
                for line in chunk_lines(chunk) {
                    whole_line(rec, cols, spans, &mut st, n, line, on_record);
                    n += 1;
                }
                return n - first;
            };
            lower.clear();
            lower.extend(chunk.iter().map(u8::to_ascii_lowercase));
            // Where the next line the filter keeps, and the next directive
            // line, start: each searched for once per buffer, not per line.
            let mut next_kept: Option<Option<(usize, usize)>> = None;
            let mut next_directive: Option<Option<usize>> = None;
            let mut pos = 0usize;
            let mut n = first;
            while pos < chunk.len() {
                // Skipping needs the line's time without splitting it: only
                // when the columns start with date and time, as IIS writes
                // them.
                let plain = n > 1 && cols.date == Some(0) && cols.time == Some(1) && st.have_fields;
                if plain {
                    if next_kept.is_none_or(|k| k.is_some_and(|(s, _)| s < pos)) {
                        next_kept = Some(keep.next_line(lower, chunk, pos));
                    }
                    if next_directive.is_none_or(|d| d.is_some_and(|s| s < pos)) {
                        next_directive = Some(if chunk[pos] == b'#' {
                            Some(pos)
                        } else {
                            memchr::memmem::find(&chunk[pos..], b"\n#").map(|i| pos + i + 1)
                        });
                    }
                    let stop = match (next_kept.flatten(), next_directive.flatten()) {
                        (Some((k, _)), Some(d)) => k.min(d),
                        (Some((k, _)), None) => k,
                        (None, Some(d)) => d,
                        (None, None) => chunk.len(),
                    };
                    if stop > pos {
                        let run = &chunk[pos..stop];
                        let k = skipped_run(&mut st, n, run);
                        on_skipped(n, run);
                        n += k;
                        pos = stop;
                        continue;
                    }
                }
                // A line the filter keeps, a directive, or any line of a
                // block whose columns do not start with date and time.
                let e = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |i| pos + i);
                whole_line(
                    rec,
                    cols,
                    spans,
                    &mut st,
                    n,
                    trim_cr(&chunk[pos..e]),
                    on_record,
                );
                pos = e + 1;
                n += 1;
            }
            n - first
        })?;
        // A long line grew the lower-cased copy with the read buffer: do
        // not keep it for the next file (the splitter shrinks its own).
        if lower.capacity() > 4 * CHUNK {
            *lower = Vec::new();
        }
        let mut out = st.out;
        for raw in [st.skipped_first, st.skipped_last].into_iter().flatten() {
            let t = line_time(&raw);
            widen(&mut out.first_time, &mut out.last_time, t.as_deref());
        }
        if st.extra_values > 0 {
            out.warnings.push(format!(
                "{} line(s) with more values than #Fields: columns (first at line {}); extra values kept as field<N>",
                st.extra_values, st.extra_first
            ));
        }
        if !stats.overlong.is_empty() {
            out.warnings.push(format!(
                "{} line(s) longer than {} bytes skipped (first at line {})",
                stats.overlong.len(),
                MAX_LINE,
                stats.overlong[0]
            ));
        }
        if stats.cut_off_last {
            out.warnings.push(
                "the last line is cut off (file truncated, or still being written)".to_string(),
            );
        }
        out.lines = stats.lines;
        out.bytes = stats.bytes;
        out.fields = std::sync::Arc::new(cols.names.clone());
        Ok(out)
    }
}

/// Takes in a run of data lines the filter skipped unsplit (no directive
/// among them): they count as records, their times widen the reach, and
/// the first one not valid UTF-8 is warned about. Returns how many lines
/// the run holds.
fn skipped_run(st: &mut FileState, first: u64, run: &[u8]) -> u64 {
    if !st.utf8_warned {
        if let Err(e) = simdutf8::compat::from_utf8(run) {
            let bad = first + memchr::memchr_iter(b'\n', &run[..e.valid_up_to()]).count() as u64;
            st.utf8_warned = true;
            st.out.warnings.push(format!(
                "not valid UTF-8 (first at line {bad}); read byte-wise, fields shown with replacement characters"
            ));
        }
    }
    // Coverage still needs the time of every line: the 19 bytes at each
    // line start (a shorter line fails the shape check at its `\n`).
    let mut see = |ls: usize| {
        if let Some(raw) = raw_line_time(&run[ls..]) {
            if st.skipped_first.is_none_or(|f| raw < f) {
                st.skipped_first = Some(raw);
            }
            if st.skipped_last.is_none_or(|l| raw > l) {
                st.skipped_last = Some(raw);
            }
        }
    };
    see(0);
    let mut count = 1u64;
    for i in memchr::memchr_iter(b'\n', run) {
        if i + 1 < run.len() {
            see(i + 1);
            count += 1;
        }
    }
    st.out.records += count;
    count
}

/// One line read whole: a directive, a blank line, or a data line split
/// into the record.
fn whole_line(
    rec: &mut EventRecord,
    cols: &mut Columns,
    spans: &mut Vec<(usize, usize)>,
    st: &mut FileState,
    n: u64,
    bytes: &[u8],
    on_record: &mut dyn FnMut(&EventRecord),
) {
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            if !st.utf8_warned {
                st.utf8_warned = true;
                st.out.warnings.push(format!(
                    "not valid UTF-8 (first at line {n}); read byte-wise, fields shown with replacement characters"
                ));
            }
            String::from_utf8_lossy(bytes)
        }
    };
    let mut line: &str = &text;
    if n == 1 {
        line = line.strip_prefix('\u{feff}').unwrap_or(line);
    }
    if line.trim().is_empty() {
        return;
    }
    if let Some(d) = line.strip_prefix('#') {
        directive(d, cols, st);
        return;
    }
    if !st.have_fields {
        st.have_fields = true;
        cols.set(IIS_DEFAULT_FIELDS);
        st.out.warnings.push(format!(
            "data before any #Fields: directive (line {n}); IIS's default columns assumed"
        ));
    }
    fill(rec, cols, spans, line, n, st);
    widen(
        &mut st.out.first_time,
        &mut st.out.last_time,
        rec.time.as_deref(),
    );
    st.out.records += 1;
    on_record(rec);
}

fn directive(d: &str, cols: &mut Columns, st: &mut FileState) {
    if d.len() > crate::MAX_HEADER_LINE {
        // Far longer than any column list: not split into millions of
        // column names.
        st.out.warnings.push(format!(
            "a directive line of {} bytes ignored: a column list is a few hundred bytes",
            d.len()
        ));
        return;
    }
    let Some((key, value)) = d.split_once(':') else {
        return;
    };
    let key = key.trim();
    if key.eq_ignore_ascii_case("Fields") {
        cols.set(value);
        st.have_fields = true;
    } else if key.eq_ignore_ascii_case("Software") {
        st.out.software = Some(value.trim().to_string());
    }
}

/// Writes `name` into the record's `n`th field slot, reusing its strings,
/// and returns the value string, cleared, for the caller to fill.
fn slot<'r>(rec: &'r mut EventRecord, n: &mut usize, name: &str) -> &'r mut String {
    if *n == rec.fields.len() {
        rec.fields.push((String::new(), String::new()));
    }
    let (k, v) = &mut rec.fields[*n];
    *n += 1;
    k.clear();
    k.push_str(name);
    v.clear();
    v
}

fn fill(
    rec: &mut EventRecord,
    cols: &Columns,
    spans: &mut Vec<(usize, usize)>,
    line: &str,
    line_no: u64,
    st: &mut FileState,
) {
    spans.clear();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
            i += 1;
        }
        if i > s {
            spans.push((s, i));
        }
    }
    let value = |c: usize| -> &str {
        match spans.get(c) {
            Some(&(s, e)) if &line[s..e] != "-" => &line[s..e],
            _ => "",
        }
    };
    let mut n = 0usize;
    for (c, name) in cols.names.iter().enumerate() {
        slot(rec, &mut n, name).push_str(value(c));
    }
    if spans.len() > cols.names.len() {
        if st.extra_values == 0 {
            st.extra_first = line_no;
        }
        st.extra_values += 1;
        for c in cols.names.len()..spans.len() {
            let name = format!("field{}", c + 1);
            slot(rec, &mut n, &name).push_str(value(c));
        }
    }
    for &(c, alias) in &cols.aliases {
        slot(rec, &mut n, alias).push_str(value(c));
    }
    if let Some(stem_c) = cols.stem {
        let stem = value(stem_c);
        if cols.build_uri {
            let query = cols.query.map_or("", value);
            let v = slot(rec, &mut n, "c-uri");
            v.push_str(stem);
            if !query.is_empty() {
                v.push('?');
                v.push_str(query);
            }
        }
        let last = stem.rsplit('/').next().unwrap_or(stem);
        if let Some((_, ext)) = last.rsplit_once('.') {
            if !ext.is_empty() {
                slot(rec, &mut n, "c-uri-extension").push_str(ext);
            }
        }
    }
    rec.fields.truncate(n);
    rec.line = line_no;
    rec.raw.clear();
    rec.raw.push_str(line);
    let date = cols.date.map_or("", value);
    let time = cols.time.map_or("", value);
    if date.is_empty() || time.is_empty() {
        rec.time = None;
    } else {
        let t = rec.time.get_or_insert_with(String::new);
        t.clear();
        t.push_str(date);
        t.push('T');
        t.push_str(time);
        t.push('Z');
    }
}

/// `2019-09-03 10:13:36 ...` → `2019-09-03T10:13:36Z`: the time of a line
/// that is not split into fields (IIS's default columns start with date and
/// time, in UTC).
pub fn line_time(line: &[u8]) -> Option<String> {
    let b = raw_line_time(line)?;
    let s = std::str::from_utf8(&b).ok()?;
    Some(format!("{}T{}Z", &s[..10], &s[11..19]))
}

/// The `YYYY-MM-DD HH:MM:SS` a W3C line starts with, as written (all
/// ASCII: the shape is checked byte by byte).
fn raw_line_time(line: &[u8]) -> Option<[u8; 19]> {
    let b: [u8; 19] = line.get(..19)?.try_into().ok()?;
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    ok.then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use exhunt_core::Record;

    fn scan(data: &[u8]) -> (Vec<EventRecord>, ReadSummary) {
        scan_with(&mut W3cReader::new(), data)
    }

    fn scan_with(rd: &mut W3cReader, data: &[u8]) -> (Vec<EventRecord>, ReadSummary) {
        let mut got = Vec::new();
        let out = rd
            .scan(&mut &data[..], &mut |r| got.push(r.clone()))
            .unwrap();
        (got, out)
    }

    const HEAD: &str = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";

    #[test]
    fn lines_skipped_unsplit_still_give_the_time_reach() {
        let mut data = HEAD.to_string();
        for t in ["06:00:00", "05:59:59", "07:30:00", "06:10:00"] {
            data.push_str(&format!(
                "2021-03-03 {t} 10.0.0.1 GET /owa/ - 443 - 10.0.0.2 UA - 200 0 0 5\r\n"
            ));
        }
        // A line whose start only looks like a time is not one.
        data.push_str("2021-03-0x 99:99:99 10.0.0.1 GET /owa/ - 443 - 10.0.0.2 UA - 200 0 0 5\r\n");
        let mut kept = 0;
        let out = W3cReader::new()
            .scan_filtered(
                &mut data.as_bytes(),
                Some(&LineKeep::new(&[exhunt_core::LineNeed::any(&["/ecp/x"])]).unwrap()),
                &mut |_| kept += 1,
                &mut |_, _| {},
            )
            .unwrap();
        assert_eq!(kept, 0);
        assert_eq!(out.first_time.as_deref(), Some("2021-03-03T05:59:59Z"));
        assert_eq!(out.last_time.as_deref(), Some("2021-03-03T07:30:00Z"));
    }

    #[test]
    fn fields_aliases_and_time() {
        let data = format!(
            "\u{feff}{HEAD}2021-03-03 06:49:42 10.0.0.5 POST /ecp/DDI/DDIService.svc/SetObject schema=ResetOAB&msExchEcpCanary=x 444 - 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 15\r\n"
        );
        let (got, out) = scan(data.as_bytes());
        assert_eq!(got.len(), 1);
        let r = &got[0];
        assert_eq!(r.line, 5);
        assert_eq!(r.time(), Some("2021-03-03T06:49:42Z"));
        assert_eq!(r.field("cs-method"), Some("POST"));
        assert_eq!(r.field("cs-username"), Some(""));
        assert_eq!(
            r.field("cs(User-Agent)"),
            Some("Mozilla/5.0+(Windows+NT+10.0)")
        );
        assert_eq!(
            r.field("c-useragent"),
            Some("Mozilla/5.0+(Windows+NT+10.0)")
        );
        assert_eq!(
            r.field("cs-user-agent"),
            Some("Mozilla/5.0+(Windows+NT+10.0)")
        );
        assert_eq!(r.field("cs-referrer"), Some(""));
        assert_eq!(r.field("src_ip"), Some("203.0.113.7"));
        assert_eq!(
            r.field("c-uri"),
            Some("/ecp/DDI/DDIService.svc/SetObject?schema=ResetOAB&msExchEcpCanary=x")
        );
        // Path info after `DDIService.svc`: the last segment has no extension.
        assert_eq!(r.field("c-uri-extension"), None);
        assert_eq!(r.logsource.category.as_deref(), Some("webserver"));
        assert_eq!(r.logsource.service.as_deref(), Some("iis"));
        assert!(r.raw.starts_with("2021-03-03 06:49:42 10.0.0.5 POST"));
        assert_eq!(out.records, 1);
        assert_eq!(out.lines, 5);
        assert_eq!(
            out.software.as_deref(),
            Some("Microsoft Internet Information Services 10.0")
        );
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }

    #[test]
    fn each_fields_block_resets_the_columns() {
        let data = format!(
            "{HEAD}2021-03-03 06:00:00 10.0.0.5 GET /owa/ - 443 - 198.51.100.1 UA - 200 0 0 1\r\n\
             #Software: Microsoft Internet Information Services 10.0\r\n\
             #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs-host sc-status\r\n\
             2021-03-03 07:00:00 GET /ecp/y.js a=1 203.0.113.7 mail.example.org 404\r\n"
        );
        let (got, out) = scan(data.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].field("sc-status"), Some("200"));
        assert_eq!(got[0].field("c-uri"), Some("/owa/"));
        assert_eq!(got[0].field("c-uri-extension"), None);
        assert_eq!(got[1].field("sc-status"), Some("404"));
        assert_eq!(got[1].field("cs-host"), Some("mail.example.org"));
        assert_eq!(got[1].field("s-ip"), None);
        assert_eq!(got[1].field("c-uri"), Some("/ecp/y.js?a=1"));
        assert_eq!(got[1].field("c-uri-extension"), Some("js"));
        assert_eq!(got[1].line, 8);
        assert_eq!(out.first_time.as_deref(), Some("2021-03-03T06:00:00Z"));
        assert_eq!(out.last_time.as_deref(), Some("2021-03-03T07:00:00Z"));
        assert_eq!(out.fields.len(), 8);
    }

    #[test]
    fn cut_off_last_line_bad_utf8_and_long_lines() {
        let long_query = "q=".to_string() + &"A".repeat(5000);
        let data = format!(
            "#Fields: date time cs-uri-stem cs-uri-query cs(User-Agent)\n\
             2021-03-03 06:00:00 /a {long_query} caf\u{e9}\n\
             2021-03-03 06:00:01 /b - x"
        );
        let mut bytes = data.into_bytes();
        // Replace the UTF-8 "é" by a Latin-1 byte.
        let at = bytes.windows(2).position(|w| w == [0xC3, 0xA9]).unwrap();
        bytes.splice(at..at + 2, [0xE9]);
        let (got, out) = scan_with(&mut W3cReader::with_buffer(64, 1 << 20), &bytes);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].field("cs-uri-query"), Some(long_query.as_str()));
        assert_eq!(got[0].field("cs(User-Agent)"), Some("caf\u{fffd}"));
        assert_eq!(got[1].field("c-uri"), Some("/b"));
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("line 2"));
        assert!(out.warnings[1].contains("cut off"));
    }

    #[test]
    fn data_without_header_and_extra_values() {
        let data = "2021-03-03 06:00:00 10.0.0.5 GET /owa/auth/x.aspx - 443 - 198.51.100.1 UA - 200 0 0 1 extra\n";
        let (got, out) = scan(data.as_bytes());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field("cs-uri-stem"), Some("/owa/auth/x.aspx"));
        assert_eq!(got[0].field("field16"), Some("extra"));
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
    }

    #[test]
    fn reader_is_reused_across_files() {
        let mut rd = W3cReader::new();
        let first = format!(
            "{HEAD}2021-03-03 06:00:00 10.0.0.5 GET /owa/ - 443 - 198.51.100.1 UA - 200 0 0 1\r\n"
        );
        let (_, out1) = scan_with(&mut rd, first.as_bytes());
        let second = "#Fields: date time cs-uri-stem\n2021-03-04 00:00:00 /x\n";
        let (got, out2) = scan_with(&mut rd, second.as_bytes());
        assert_eq!(out1.records, 1);
        assert_eq!(out2.records, 1);
        assert_eq!(got[0].fields.len(), 5, "{:?}", got[0].fields);
        assert_eq!(got[0].field("sc-status"), None);
    }

    #[test]
    fn recognition() {
        assert!(is_w3c(HEAD.as_bytes()));
        assert!(is_w3c(b"\xEF\xBB\xBF#Fields: date time c-ip c-port\n"));
        assert!(is_w3c(
            b"#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri\r\n"
        ));
        assert!(!is_w3c(
            b"#Software: Microsoft Exchange Server\r\n#Fields: DateTime,RequestId\r\n"
        ));
        assert!(!is_w3c(b"DateTime,RequestId,AnchorMailbox\n"));
        assert!(!is_w3c(b"ElfFile\0"));
    }

    #[test]
    fn binary_is_refused() {
        let r = W3cReader::new().scan(&mut &b"\0\0\0\x01#Fields: date"[..], &mut |_| {});
        assert!(matches!(r, Err(SourceError::Binary)));
    }

    /// The buffer-wide filter keeps exactly the lines the line-by-line
    /// check keeps, and hands every other line to `on_skipped` once, in
    /// order, whatever the read buffer's size: directives mid-file (one
    /// block without date and time first, which is read line by line),
    /// CRLF, a line not UTF-8, a cut-off last line, literals in any case,
    /// a checked literal whose check fails.
    #[test]
    fn the_buffer_filter_keeps_what_the_line_filter_keeps() {
        use exhunt_core::{LineCheck, LineNeed};
        let long_query: LineCheck = std::sync::Arc::new(|l: &[u8], _| l.len() > 120);
        let keep = LineKeep::new(&[
            LineNeed::any(&["/ecp/x", "autodiscover.json", "5.2.69.14"]),
            LineNeed {
                any: vec!["/owa/auth/".into()],
                check: Some(long_query),
            },
        ])
        .unwrap();
        let mut data = HEAD.as_bytes().to_vec();
        let reqs = [
            "GET /owa/ - 443 - 10.0.0.2 UA - 200 0 0 5",
            "POST /ECP/X.js - 443 - 10.0.0.2 UA - 200 0 0 5",
            "GET /owa/auth/logon.aspx - 443 - 10.0.0.2 UA - 200 0 0 5",
            "GET /OWA/Auth/logon.aspx url=https%3a%2f%2fmail.example.org%2fowa%2f&reason=0&aaaaaaaaaaaaaaaaaaaa 443 - 10.0.0.2 UA - 200 0 0 5",
            "GET /Autodiscover/AutoDiscover.JSON - 443 - 10.0.0.2 UA - 200 0 0 5",
            "GET /mapi/ - 443 - 5.2.69.14 UA - 200 0 0 5",
            "GET /ews/exchange.asmx - 443 - 10.0.0.3 caf\u{e9} - 200 0 0 5",
        ];
        for i in 0..300u32 {
            let r = reqs[(i as usize * 7 + i as usize / 3) % reqs.len()];
            let t = format!(
                "2021-03-03 {:02}:{:02}:{:02}",
                i / 3600 % 24,
                i / 60 % 60,
                i % 60
            );
            data.extend_from_slice(format!("{t} 10.0.0.1 {r}\r\n").as_bytes());
            if i == 100 {
                data.extend_from_slice(
                    b"#Fields: s-ip cs-uri-stem\r\n10.0.0.1 /owa/\r\n10.0.0.1 /ecp/x\r\n",
                );
                data.extend_from_slice(HEAD.as_bytes());
            }
            if i == 200 {
                // Latin-1, not UTF-8.
                data.extend_from_slice(b"2021-03-03 09:00:00 10.0.0.1 GET /caf\xe9 - 443 - 10.0.0.2 UA - 200 0 0 5\r\n");
            }
        }
        data.extend_from_slice(b"2021-03-03 23:59:59 10.0.0.1 GET /ecp/x");
        // The line-by-line answer: every record, and whether its line
        // would be kept (data lines of date-and-time blocks only).
        let (all, whole) = scan(&data);
        let plain_block = |r: &EventRecord| r.field("date").is_some();
        let want: Vec<u64> = all
            .iter()
            .filter(|r| !plain_block(r) || keep.is_match(r.raw.as_bytes()))
            .map(|r| r.line)
            .collect();
        let want_skipped: Vec<u64> = all
            .iter()
            .filter(|r| plain_block(r) && !keep.is_match(r.raw.as_bytes()))
            .map(|r| r.line)
            .collect();
        assert!(
            want.len() > 50 && want_skipped.len() > 50,
            "{} {}",
            want.len(),
            want_skipped.len()
        );
        for size in [64, 200, 4096, CHUNK] {
            let mut rd = W3cReader::with_buffer(size, MAX_LINE);
            let mut kept = Vec::new();
            let mut skipped = Vec::new();
            let out = rd
                .scan_filtered(
                    &mut &data[..],
                    Some(&keep),
                    &mut |r| kept.push(r.line),
                    &mut |first, run| {
                        assert!(run.ends_with(b"\n") || !run.contains(&b'\n'));
                        for (k, l) in crate::lines::chunk_lines(run).enumerate() {
                            assert!(!l.starts_with(b"#"));
                            skipped.push(first + k as u64);
                        }
                    },
                )
                .unwrap();
            assert_eq!(kept, want, "buffer {size}");
            assert_eq!(skipped, want_skipped, "buffer {size}");
            assert_eq!(out.lines, whole.lines, "buffer {size}");
            assert_eq!(out.records, whole.records, "buffer {size}");
            assert_eq!(out.first_time, whole.first_time, "buffer {size}");
            assert_eq!(out.last_time, whole.last_time, "buffer {size}");
            assert_eq!(out.warnings, whole.warnings, "buffer {size}");
        }
        assert!(
            whole.warnings.iter().any(|w| w.contains("not valid UTF-8")),
            "{:?}",
            whole.warnings
        );
        assert!(
            whole.warnings.iter().any(|w| w.contains("cut off")),
            "{:?}",
            whole.warnings
        );
    }
}
