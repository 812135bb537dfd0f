//! Streaming reader for Exchange's CSV logs (HttpProxy, ECP Server,
//! OABGenerator).
//!
//! The file is read in large buffers. A multi-literal searcher (the
//! [`Prefilter`] of `prefilter.rs`, built once from every detector's
//! literals) runs over the
//! whole buffer, ripgrep-style; only the lines around its hits are split into
//! fields and handed to the detectors. All other lines are only counted.
//!
//! Format facts this reader copes with (reference §1.2): the column header is
//! either a bare first line (`DateTime,RequestId,...`, what `Import-Csv` reads)
//! or a `#Fields:` directive, or both; `#` directive lines may repeat; columns
//! differ by build, so fields are looked up by name; CRLF endings; a UTF-8 BOM;
//! UTF-16 files (logs re-saved by PowerShell) are transcoded; quoted fields
//! may hold commas and doubled quotes.

pub use crate::decode::{read_prefix, read_prefix_into, utf8_reader};
pub use crate::prefilter::Prefilter;
use crate::read::ReadSummary;
use crate::SourceError;
use exhunt_core::Record;
use std::collections::HashMap;
use std::io::{self, Read};

const CHUNK: usize = 1 << 20;

#[derive(Debug, Default, Clone)]
struct Header {
    names: std::sync::Arc<Vec<String>>,
    index: std::sync::Arc<HashMap<String, usize>>,
    time_idx: Option<usize>,
}

/// The headers this thread's scanner built lately, by their line: a
/// server's logs of one kind repeat one header in every hourly file, and
/// building it (74 names, their index) was a third of the cost of a small
/// file.
#[derive(Default)]
struct HeaderCache {
    /// Most recently used first.
    entries: Vec<(String, std::sync::Arc<Header>)>,
}

/// Headers kept per thread.
const HEADERS_KEPT: usize = 8;

impl HeaderCache {
    fn get(&mut self, line: &str) -> std::sync::Arc<Header> {
        if let Some(i) = self.entries.iter().position(|(l, _)| l == line) {
            let e = self.entries.remove(i);
            let h = e.1.clone();
            self.entries.insert(0, e);
            return h;
        }
        let mut h = Header::default();
        h.set(line);
        let h = std::sync::Arc::new(h);
        // A header line too long to be one is never kept.
        if line.len() <= crate::MAX_HEADER_LINE {
            self.entries.insert(0, (line.to_string(), h.clone()));
            self.entries.truncate(HEADERS_KEPT);
        }
        h
    }
}

impl Header {
    fn set(&mut self, line: &str) {
        // PowerShell's Export-Csv quotes every name.
        let names: Vec<String> = line
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .collect();
        let mut index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_ascii_lowercase(), i))
            .collect();
        // Columns an analyst renamed ("Client IP", "Status"): also under
        // Exchange's name, unless the file has that column too.
        for (i, n) in names.iter().enumerate() {
            if let Some(c) = canonical_column(n) {
                index.entry(c.to_ascii_lowercase()).or_insert(i);
            }
        }
        self.names = std::sync::Arc::new(names);
        self.index = std::sync::Arc::new(index);
        self.time_idx = ["datetime", "timestamp", "date-time", "date"]
            .iter()
            .find_map(|n| self.index.get(*n).copied());
    }
}

/// Exchange's name for a column an analyst may have renamed in an export
/// (`Select-Object @{n='Client IP';e={$_.ClientIpAddress}}`), or the IIS
/// name of the same value: compared without case, spaces, `_`, `-`, `(`
/// or `)`. `None` for a name that is no known alias.
pub fn canonical_column(name: &str) -> Option<&'static str> {
    let key: String = name
        .trim()
        .trim_matches('"')
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '@')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match key.as_str() {
        "time" | "timestamp" | "@timestamp" | "timegenerated" | "datetimeutc" | "utctime"
        | "datetime" | "date" => "DateTime",
        "clientip" | "clientipaddress" | "cip" | "sourceip" | "srcip" | "remoteip"
        | "clientaddress" => "ClientIpAddress",
        "anchormailbox" => "AnchorMailbox",
        "status" | "statuscode" | "httpstatus" | "httpstatuscode" | "scstatus" => "HttpStatus",
        "url" | "uri" | "urlstem" | "uristem" | "csuristem" | "requesturl" => "UrlStem",
        "query" | "urlquery" | "csuriquery" | "querystring" => "UrlQuery",
        "user" | "username" | "authenticateduser" | "csusername" => "AuthenticatedUser",
        "useragent" | "ua" | "csuseragent" => "UserAgent",
        "method" | "httpmethod" | "csmethod" | "verb" => "Method",
        "requestid" => "RequestId",
        "host" | "urlhost" | "cshost" => "UrlHost",
        "backendcookie" => "BackEndCookie",
        "serverhostname" | "server" => "ServerHostName",
        _ => return None,
    })
}

/// Whether a header name stands for Exchange's column `wanted`: the same
/// name in any case, or a name an analyst renamed it to.
pub fn same_column(name: &str, wanted: &str) -> bool {
    name.eq_ignore_ascii_case(wanted)
        || canonical_column(name).is_some_and(|c| c.eq_ignore_ascii_case(wanted))
}

/// One candidate line with its fields, borrowed from the scanner's buffers.
pub struct CsvRecord<'a> {
    raw: &'a [u8],
    out: &'a str,
    ends: &'a [usize],
    header: &'a Header,
    line_no: u64,
    /// The buffer the line sits in and the line's span in it, for context.
    region: &'a [u8],
    span: (usize, usize),
    /// Line number of the file's first data line (context stops there).
    first_data: u64,
}

impl<'a> CsvRecord<'a> {
    /// Up to `k` data lines before and after this one, as `(line number,
    /// text)`, from the same read buffer (a line at a buffer's edge may
    /// have less context: buffers hold a megabyte of lines).
    pub fn around(&self, k: usize) -> Vec<(u64, &'a [u8])> {
        let mut before = Vec::new();
        let mut end = self.span.0;
        let mut n = self.line_no;
        while before.len() < k && end > 0 && n > self.first_data {
            let body = end - 1; // the newline ending the previous line
            let start = memchr::memrchr(b'\n', &self.region[..body]).map_or(0, |i| i + 1);
            n -= 1;
            let l = trim_cr(&self.region[start..body]);
            if l.first() != Some(&b'#') && !l.is_empty() {
                before.push((n, l));
            }
            end = start;
        }
        before.reverse();
        let mut after = Vec::new();
        let mut start = self.span.1 + 1;
        let mut n = self.line_no;
        while after.len() < k && start < self.region.len() {
            let e = memchr::memchr(b'\n', &self.region[start..])
                .map_or(self.region.len(), |i| start + i);
            n += 1;
            let l = trim_cr(&self.region[start..e]);
            if l.first() != Some(&b'#') && !l.is_empty() {
                after.push((n, l));
            }
            start = e + 1;
        }
        before.extend(after);
        before
    }
}

impl CsvRecord<'_> {
    fn nth(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..end)
    }

    /// Number of fields on the line.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Whether the file's header names this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.header.index.contains_key(&name.to_ascii_lowercase())
    }
}

impl Record for CsvRecord<'_> {
    fn field(&self, name: &str) -> Option<&str> {
        let idx = match self.header.index.get(name) {
            Some(i) => *i,
            None => *self.header.index.get(&name.to_ascii_lowercase())?,
        };
        // A short line (fewer fields than columns) has empty trailing fields.
        Some(self.nth(idx).unwrap_or(""))
    }
    fn raw(&self) -> &[u8] {
        self.raw
    }
    fn line_no(&self) -> u64 {
        self.line_no
    }
    fn time(&self) -> Option<&str> {
        let v = self.nth(self.header.time_idx.unwrap_or(0))?;
        looks_like_time(v).then_some(v)
    }
    fn for_each_field(&self, f: &mut dyn FnMut(&str, &str)) {
        for (i, name) in self.header.names.iter().enumerate() {
            if let Some(v) = self.nth(i) {
                f(name, v);
            }
        }
    }
}

/// `2021-03-03T06:49:42.162Z` and close relatives.
fn looks_like_time(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
}

/// The columns of the Remote PowerShell proxy log
/// (`Logging\CmdletInfra\Powershell-Proxy\Http\Rps_Http_*.log`), in the
/// fixed order CrowdStrike's `Rps_Http-IOC.ps1` (December 2022, with its
/// OWASSRF write-up) imports the header-less file with.
pub const RPS_HTTP_COLUMNS: &[&str] = &[
    "DateTime",
    "StartTime",
    "RequestId",
    "MajorVersion",
    "MinorVersion",
    "BuildVersion",
    "RevisionVersion",
    "ClientRequestId",
    "UrlHost",
    "UrlStem",
    "AuthenticationType",
    "IsAuthenticated",
    "AuthenticatedUser",
    "Organization",
    "ManagedOrganization",
    "ClientIpAddress",
    "ServerHostName",
    "FrontEndServer",
    "HttpStatus",
    "SubStatus",
    "ErrorCode",
    "Action",
    "CommandId",
    "CommandName",
    "SessionId",
    "ShellId",
    "FailFast",
    "ContributeToFailFast",
    "RequestBytes",
    "ClientInfo",
    "CPU",
    "Memory",
    "ActivityContextLifeTime",
    "TotalTime",
    "UrlQuery",
    "GenericLatency",
    "GenericInfo",
    "GenericErrors",
];

/// The columns of a kind of Exchange CSV log written without a header.
pub fn default_columns(kind: &exhunt_core::ArtifactKind) -> Option<&'static [&'static str]> {
    match kind {
        exhunt_core::ArtifactKind::RpsHttpLog => Some(RPS_HTTP_COLUMNS),
        _ => None,
    }
}

/// A reusable log reader: one per worker thread, its buffers reused from file
/// to file.
pub struct CsvLogScanner {
    buf: Vec<u8>,
    split: Splitter,
    headers: HeaderCache,
    last_line: Vec<u8>,
    /// The longest line read: a longer one is skipped with a warning.
    max_line: usize,
}

/// Reused buffers for splitting one line into fields: the unescaped text,
/// where each field ends, and the CSV state machine.
struct Splitter {
    out: String,
    ends: Vec<usize>,
    csv: csv_core::Reader,
}

impl Default for CsvLogScanner {
    fn default() -> Self {
        Self::new()
    }
}

struct State {
    header: std::sync::Arc<Header>,
    /// The scanner's, for the time of one file.
    headers: HeaderCache,
    first_data: u64,
    in_header: bool,
    line_no: u64,
    outcome: ReadSummary,
    utf8_warned: bool,
    /// The file named its columns (`#Fields:` or a header line); until
    /// then the columns are the kind's default ones, if any.
    own_header: bool,
}

impl CsvLogScanner {
    pub fn new() -> Self {
        CsvLogScanner {
            buf: vec![0; CHUNK],
            split: Splitter {
                out: String::new(),
                ends: Vec::new(),
                csv: csv_core::Reader::new(),
            },
            last_line: Vec::new(),
            max_line: crate::lines::MAX_LINE,
            headers: HeaderCache::default(),
        }
    }

    /// A scanner whose longest line is `max_line` bytes (at least one read
    /// buffer; tests use a small one).
    pub fn with_max_line(max_line: usize) -> Self {
        CsvLogScanner {
            max_line: max_line.max(CHUNK),
            ..Self::new()
        }
    }

    /// Streams one log. `on_record` sees every data line that holds one of
    /// the prefilter's literals; it returns nothing and cannot stop the read.
    pub fn scan(
        &mut self,
        rdr: &mut dyn Read,
        pf: &Prefilter,
        on_record: &mut dyn FnMut(&CsvRecord<'_>),
    ) -> Result<ReadSummary, SourceError> {
        self.scan_with_columns(rdr, pf, None, on_record)
    }

    /// As [`CsvLogScanner::scan`], for a log written without a column
    /// header: `columns` names its fields until a `#Fields:` directive in
    /// the file says otherwise.
    pub fn scan_with_columns(
        &mut self,
        rdr: &mut dyn Read,
        pf: &Prefilter,
        columns: Option<&[&str]>,
        on_record: &mut dyn FnMut(&CsvRecord<'_>),
    ) -> Result<ReadSummary, SourceError> {
        let mut st = State {
            header: Default::default(),
            headers: std::mem::take(&mut self.headers),
            first_data: 0,
            in_header: true,
            line_no: 0,
            outcome: ReadSummary::default(),
            utf8_warned: false,
            own_header: false,
        };
        if let Some(cols) = columns {
            st.header = st.headers.get(&cols.join(","));
        }
        self.last_line.clear();
        let mut filled = 0usize;
        let mut first = true;
        // Inside a line longer than `max_line`: its bytes are dropped up to
        // its end, so one line without a newline cannot take all memory.
        let mut skipping = false;
        let mut overlong: Vec<u64> = Vec::new();
        loop {
            if filled == self.buf.len() {
                if self.buf.len() < self.max_line {
                    // One line longer than the buffer: grow rather than
                    // split it.
                    let len = (self.buf.len() * 2).min(self.max_line);
                    self.buf.resize(len, 0);
                } else {
                    if !skipping {
                        skipping = true;
                        // Lines before it are counted by the regions.
                        st.line_no += 1;
                        overlong.push(st.line_no);
                    }
                    st.outcome.bytes += filled as u64;
                    filled = 0;
                }
            }
            let mut eof = false;
            while filled < self.buf.len() {
                match rdr.read(&mut self.buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if first {
                first = false;
                let head = &self.buf[..filled.min(8192)];
                if memchr::memchr(0, head).is_some() {
                    return Err(SourceError::Binary);
                }
            }
            if skipping {
                match memchr::memchr(b'\n', &self.buf[..filled]) {
                    Some(i) => {
                        skipping = false;
                        st.outcome.bytes += i as u64 + 1;
                        self.buf.copy_within(i + 1..filled, 0);
                        filled -= i + 1;
                    }
                    None if eof => {
                        st.outcome.bytes += filled as u64;
                        break;
                    }
                    None => continue,
                }
            }
            let end = if eof {
                filled
            } else {
                match memchr::memrchr(b'\n', &self.buf[..filled]) {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            st.outcome.bytes += end as u64;
            let (region, _) = self.buf.split_at(end);
            Self::process_region(
                region,
                eof,
                pf,
                &mut st,
                &mut self.split,
                &mut self.last_line,
                on_record,
            );
            self.buf.copy_within(end..filled, 0);
            filled -= end;
            if eof {
                break;
            }
        }
        if let Some(first) = overlong.first() {
            st.outcome.warnings.push(format!(
                "{} line(s) longer than {} skipped (first: line {first})",
                overlong.len(),
                exhunt_core::open::human(self.max_line as u64)
            ));
        }
        // Timestamp of the last data line.
        if !self.last_line.is_empty() {
            let line = std::mem::take(&mut self.last_line);
            let Splitter { out, ends, csv } = &mut self.split;
            split_fields(&line, out, ends, csv);
            let rec = CsvRecord {
                raw: &line,
                out,
                ends,
                header: &st.header,
                line_no: 0,
                region: &line,
                span: (0, line.len()),
                first_data: 0,
            };
            st.outcome.last_time = rec.time().map(str::to_string);
            self.last_line = line;
        }
        st.outcome.fields = st.header.names.clone();
        st.outcome.column_index = Some(st.header.index.clone());
        st.outcome.lines = st.line_no;
        self.headers = std::mem::take(&mut st.headers);
        // A long line grew the buffer: do not keep it for the next file.
        if self.buf.len() > CHUNK * 4 {
            self.buf.truncate(CHUNK);
            self.buf.shrink_to_fit();
        }
        Ok(st.outcome)
    }

    fn process_region(
        region: &[u8],
        eof: bool,
        pf: &Prefilter,
        st: &mut State,
        split: &mut Splitter,
        last_line: &mut Vec<u8>,
        on_record: &mut dyn FnMut(&CsvRecord<'_>),
    ) {
        let Splitter { out, ends, csv } = split;
        if region.is_empty() {
            return;
        }
        if !st.utf8_warned {
            // simdutf8's pass/fail check is several times faster than std's
            // on long ASCII runs; std is asked again only to locate the error.
            if simdutf8::basic::from_utf8(region).is_err() {
                let e = std::str::from_utf8(region).expect_err("simdutf8 found invalid UTF-8");
                // A cut in the middle of a multi-byte character at the end of
                // a buffer is not an error: regions end at a newline.
                st.utf8_warned = true;
                let at = e.valid_up_to();
                let line =
                    st.line_no + memchr::memchr_iter(b'\n', &region[..at]).count() as u64 + 1;
                st.outcome.warnings.push(format!(
                    "not valid UTF-8 (first at line {line}); read byte-wise, fields shown with replacement characters"
                ));
            }
        }
        let mut pos = 0usize;
        let mut cursor = crate::prefilter::Cursor::default();
        // Header phase: directives and the bare header line at the very top.
        while st.in_header && pos < region.len() {
            let le = memchr::memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i);
            let line = trim_cr(&region[pos..le]);
            let line = if st.line_no == 0 {
                line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
            } else {
                line
            };
            if line.first() == Some(&b'#') {
                directive(line, st);
            } else if line.is_empty() {
                // blank lines carry nothing
            } else if !st.own_header
                && line.len() > crate::MAX_HEADER_LINE
                && is_bare_header(&line[..64])
            {
                header_too_long(line.len(), st);
            } else if !st.own_header && is_bare_header(line) {
                // Names before the first data line: the first line, or the
                // first after PowerShell's `#TYPE` line (a log re-exported
                // with Export-Csv). The file's own names win over the
                // columns a header-less kind of log is read with.
                st.header = st.headers.get(&lossy(line));
                st.own_header = true;
            } else {
                // First data line: note its time, leave it for the detectors.
                split_fields(line, out, ends, csv);
                let rec = CsvRecord {
                    raw: line,
                    out,
                    ends,
                    header: &st.header,
                    line_no: 0,
                    region,
                    span: (0, 0),
                    first_data: 0,
                };
                st.outcome.first_time = rec.time().map(str::to_string);
                st.in_header = false;
                st.first_data = st.line_no + 1;
                break;
            }
            st.line_no += 1;
            pos = (le + 1).min(region.len());
            if le == region.len() {
                pos = region.len();
            }
        }
        if st.in_header {
            return;
        }
        let mut counted = pos;
        while pos < region.len() {
            let Some(mut hit) = pf.find(region, pos, &mut cursor) else {
                break;
            };
            let ls = memchr::memrchr(b'\n', &region[pos..hit.start]).map_or(pos, |i| pos + i + 1);
            let le =
                memchr::memchr(b'\n', &region[hit.end..]).map_or(region.len(), |i| hit.end + i);
            let line = trim_cr(&region[ls..le]);
            // A common literal (`autodiscover.json`) makes a candidate only
            // where the rest of a detector's need is met; another literal
            // later on the line may still.
            let mut wanted = pf.confirms(hit, line, ls);
            while !wanted {
                match pf.find(region, hit.start + 1, &mut cursor) {
                    Some(h) if h.start < le => {
                        hit = h;
                        wanted = pf.confirms(hit, line, ls);
                    }
                    _ => break,
                }
            }
            if !wanted {
                pos = le + 1;
                continue;
            }
            st.line_no += memchr::memchr_iter(b'\n', &region[counted..ls]).count() as u64;
            counted = ls;
            if line.first() == Some(&b'#') {
                directive(line, st);
            } else {
                split_fields(line, out, ends, csv);
                let rec = CsvRecord {
                    raw: line,
                    out,
                    ends,
                    header: &st.header,
                    line_no: st.line_no + 1,
                    region,
                    span: (ls, le),
                    first_data: st.first_data,
                };
                on_record(&rec);
            }
            pos = le + 1;
        }
        st.line_no +=
            memchr::memchr_iter(b'\n', &region[counted.min(region.len())..]).count() as u64;
        if eof && region.last() != Some(&b'\n') {
            st.line_no += 1;
            st.outcome.warnings.push(
                "the last line is cut off (file truncated, or still being written)".to_string(),
            );
        }
        // Remember the last data line of the region for the coverage window.
        let mut end = region.len();
        while end > 0 {
            let body_end = if region[end - 1] == b'\n' {
                end - 1
            } else {
                end
            };
            let ls = memchr::memrchr(b'\n', &region[..body_end]).map_or(0, |i| i + 1);
            let line = trim_cr(&region[ls..body_end]);
            if !line.is_empty() && line[0] != b'#' {
                last_line.clear();
                last_line.extend_from_slice(line);
                break;
            }
            end = ls;
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn directive(line: &[u8], st: &mut State) {
    if line.len() > crate::MAX_HEADER_LINE {
        header_too_long(line.len(), st);
        return;
    }
    let text = lossy(line);
    let Some((key, value)) = text[1..].split_once(':') else {
        return;
    };
    let value = value.trim();
    match key.trim().to_ascii_lowercase().as_str() {
        "fields" => {
            st.header = st.headers.get(value);
            st.own_header = true;
        }
        "version" => st.outcome.version = Some(value.to_string()),
        "log-type" => st.outcome.log_type = Some(value.to_string()),
        _ => {}
    }
}

/// A line as text: borrowed after one SIMD check when it is UTF-8 (as
/// nearly every line is; the standard library's lossy decoding walks it
/// byte by byte), with replacement characters otherwise.
fn lossy(line: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(line) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(line),
    }
}

/// The bare header `Import-Csv` reads: names only, no timestamp; quoted as
/// `Export-Csv` writes it, or not.
/// A `#` directive or header line far longer than any column list (a few
/// hundred bytes): not split into millions of column names.
fn header_too_long(len: usize, st: &mut State) {
    st.outcome.warnings.push(format!(
        "a header line of {len} bytes (line {}) ignored: a column list is a few hundred bytes",
        st.line_no + 1
    ));
}

fn is_bare_header(line: &[u8]) -> bool {
    let first = line.iter().find(|b| **b != b'"');
    line.contains(&b',')
        && !first.is_some_and(u8::is_ascii_digit)
        && line.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b',' | b'-' | b'_' | b' ' | b'.' | b'"')
        })
}

/// Splits one CSV line into `out` (unescaped text) and `ends` (field ends).
/// Field `i` of one CSV line, unquoted as the scan reads it (for a single
/// row read outside a scan: the host name a log's first row gives).
pub(crate) fn nth_field(line: &[u8], i: usize) -> Option<String> {
    let (mut out, mut ends) = (String::new(), Vec::new());
    split_fields(line, &mut out, &mut ends, &mut csv_core::Reader::new());
    let start = if i == 0 { 0 } else { *ends.get(i - 1)? };
    Some(out.get(start..*ends.get(i)?)?.to_string())
}

fn split_fields(line: &[u8], out: &mut String, ends: &mut Vec<usize>, csv: &mut csv_core::Reader) {
    out.clear();
    ends.clear();
    if memchr::memchr(b'"', line).is_none() {
        // Fast path: no quoting, fields are the comma-separated spans.
        let text = lossy(line);
        let mut start = 0;
        for i in memchr::memchr_iter(b',', text.as_bytes()) {
            out.push_str(&text[start..i]);
            ends.push(out.len());
            start = i + 1;
        }
        out.push_str(&text[start..]);
        ends.push(out.len());
        return;
    }
    let mut bytes = vec![0u8; line.len() + 16];
    let mut fends = vec![0usize; line.len() + 2];
    csv.reset();
    let mut input = line;
    let (mut nout_total, mut nend_total) = (0usize, 0usize);
    loop {
        let (res, nin, nout, nend) =
            csv.read_record(input, &mut bytes[nout_total..], &mut fends[nend_total..]);
        input = &input[nin..];
        nout_total += nout;
        nend_total += nend;
        match res {
            csv_core::ReadRecordResult::InputEmpty => {
                if input.is_empty() {
                    // Signal end of input so the last field is closed.
                    let (_, _, _, nend2) =
                        csv.read_record(&[], &mut bytes[nout_total..], &mut fends[nend_total..]);
                    nend_total += nend2;
                    break;
                }
            }
            csv_core::ReadRecordResult::OutputFull => {
                let l = bytes.len();
                bytes.resize(l * 2, 0);
            }
            csv_core::ReadRecordResult::OutputEndsFull => {
                let l = fends.len();
                fends.resize(l * 2, 0);
            }
            csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => break,
        }
    }
    // Field ends index into the unescaped bytes; convert to the lossy string
    // keeping offsets valid (replacement characters change lengths, so map
    // field by field).
    let mut prev = 0;
    for &e in &fends[..nend_total] {
        out.push_str(&String::from_utf8_lossy(&bytes[prev..e]));
        ends.push(out.len());
        prev = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(data: &[u8], lits: &[&str]) -> (Vec<(u64, Vec<String>)>, ReadSummary) {
        // Every pre-filter implementation must see the same lines.
        let insensitive = collect_with(data, lits, false);
        let sensitive = collect_with(data, &["ServerInfo~", "Server~"], true);
        let packed = collect_with(data, &["ServerInfo~", "#Zzz"], true);
        assert_eq!(insensitive.0, sensitive.0);
        assert_eq!(insensitive.0, packed.0);
        assert_eq!(insensitive.1.lines, sensitive.1.lines);
        insensitive
    }

    fn collect_with(
        data: &[u8],
        lits: &[&str],
        case_sensitive: bool,
    ) -> (Vec<(u64, Vec<String>)>, ReadSummary) {
        let pf = Prefilter::new(lits, case_sensitive).unwrap();
        let mut sc = CsvLogScanner::new();
        let mut got = Vec::new();
        let mut rdr = utf8_reader(data).unwrap();
        let out = sc
            .scan(&mut rdr, &pf, &mut |r| {
                got.push((
                    r.line_no(),
                    vec![
                        r.field("AnchorMailbox").unwrap_or("-").to_string(),
                        r.field("httpstatus").unwrap_or("-").to_string(),
                    ],
                ))
            })
            .unwrap();
        (got, out)
    }

    const BARE: &str = "DateTime,RequestId,AnchorMailbox,HttpStatus\r\n#Software: Microsoft Exchange Server\r\n#Version: 15.01.2106.002\r\n#Log-type: HttpProxy Logs\r\n#Date: 2021-03-03T06:00:00.000Z\r\n#Fields: DateTime,RequestId,AnchorMailbox,HttpStatus\r\n2021-03-03T06:00:01.000Z,r1,Smtp~a@b.c,200\r\n2021-03-03T06:49:42.162Z,r2,\"ServerInfo~a]@EX01:444/ecp/y.js?#,x\",200\r\n2021-03-03T07:00:00.000Z,r3,Smtp~a@b.c,200\r\n";

    #[test]
    fn a_files_own_header_wins_over_the_default_columns() {
        let pf = Prefilter::new(&["x"], false).unwrap();
        let mut sc = CsvLogScanner::new();
        let data = b"#TYPE System.Management.Automation.PSCustomObject\r\n\"C\",\"B\",\"A\"\r\n\"x3\",\"x2\",\"x1\"\r\n";
        let mut got = Vec::new();
        let out = sc
            .scan_with_columns(&mut &data[..], &pf, Some(&["A", "B", "C"]), &mut |r| {
                got.push((r.line_no(), r.field("A").map(str::to_string)));
            })
            .unwrap();
        assert_eq!(*out.fields, vec!["C", "B", "A"]);
        assert_eq!(got, vec![(3, Some("x1".to_string()))]);
        // Without a header in the file, the default columns name the fields.
        let mut got = Vec::new();
        sc.scan_with_columns(
            &mut &b"2022-12-19T05:00:10.000Z,x2,x3\n"[..],
            &pf,
            Some(&["A", "B", "C"]),
            &mut |r| {
                got.push(r.field("C").map(str::to_string));
            },
        )
        .unwrap();
        assert_eq!(got, vec![Some("x3".to_string())]);
    }

    #[test]
    fn bare_header_and_fields_directive() {
        let (got, out) = collect(BARE.as_bytes(), &["ServerInfo~"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 8);
        assert_eq!(got[0].1[0], "ServerInfo~a]@EX01:444/ecp/y.js?#,x");
        assert_eq!(got[0].1[1], "200");
        assert_eq!(out.version.as_deref(), Some("15.01.2106.002"));
        assert_eq!(out.first_time.as_deref(), Some("2021-03-03T06:00:01.000Z"));
        assert_eq!(out.last_time.as_deref(), Some("2021-03-03T07:00:00.000Z"));
        assert_eq!(out.lines, 9);
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn context_lines_around_a_hit() {
        let pf = Prefilter::new(&["ServerInfo~"], true).unwrap();
        let mut sc = CsvLogScanner::new();
        let mut ctx = Vec::new();
        sc.scan(&mut BARE.as_bytes(), &pf, &mut |r| {
            ctx = r
                .around(2)
                .into_iter()
                .map(|(n, l)| (n, String::from_utf8_lossy(l).into_owned()))
                .collect();
        })
        .unwrap();
        assert_eq!(ctx.len(), 2, "{ctx:?}");
        assert_eq!(ctx[0].0, 7);
        assert!(ctx[0].1.contains(",r1,"));
        assert_eq!(ctx[1].0, 9);
        assert!(ctx[1].1.contains(",r3,"));
    }

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let mut data = vec![0xFF, 0xFE];
        for u in BARE.encode_utf16() {
            data.extend_from_slice(&u.to_le_bytes());
        }
        let (got, out) = collect(&data, &["ServerInfo~"]);
        assert_eq!(got.len(), 1);
        assert_eq!(out.lines, 9);
    }

    #[test]
    fn utf8_bom_only_fields_and_truncation() {
        let data = "\u{feff}#Fields: DateTime,AnchorMailbox,HttpStatus\n2021-03-03T06:49:42Z,ServerInfo~x/y,500\n2021-03-03T06:50:00Z,ServerInfo~x/z,2";
        let (got, out) = collect(data.as_bytes(), &["ServerInfo~"]);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (3, vec!["ServerInfo~x/z".into(), "2".into()]));
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert_eq!(out.last_time.as_deref(), Some("2021-03-03T06:50:00Z"));
    }

    #[test]
    fn binary_is_refused_and_bad_utf8_warned() {
        let pf = Prefilter::new(&["x"], false).unwrap();
        let mut sc = CsvLogScanner::new();
        let bin = b"MZ\x00\x00\x01\x02";
        assert!(matches!(
            sc.scan(&mut &bin[..], &pf, &mut |_| {}),
            Err(SourceError::Binary)
        ));
        let data = b"#Fields: DateTime,UserAgent\n2021-03-03T06:49:42Z,caf\xe9 x\n";
        let out = sc.scan(&mut &data[..], &pf, &mut |_| {}).unwrap();
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("line 2"));
    }

    #[test]
    fn a_line_longer_than_the_cap_is_skipped_named_and_the_rest_read() {
        // Issue 13: one line of an Exchange CSV log grew the buffer without
        // bound (a 512 MB line cost 2.1 GB). Here the cap is 1 MiB and the
        // line 3 MiB; the hits on both sides of it are still found.
        let mut data = String::from("#Fields: DateTime,AnchorMailbox,HttpStatus\n");
        data.push_str("2021-03-03T06:49:42Z,ServerInfo~a]@e:444/ecp/x.ecp?#,241\n");
        data.push_str(&"A".repeat(3 << 20));
        data.push_str(",ServerInfo~b]@e:444/ecp/y.ecp?#,200\n");
        data.push_str("2021-03-03T06:50:42Z,ServerInfo~c]@e:444/ecp/z.ecp?#,241\n");
        let pf = Prefilter::new(&["ServerInfo~"], true).unwrap();
        let mut sc = CsvLogScanner::with_max_line(1 << 20);
        let mut got = Vec::new();
        let out = sc
            .scan(&mut data.as_bytes(), &pf, &mut |r| {
                got.push((r.line_no(), r.field("AnchorMailbox").unwrap().to_string()))
            })
            .unwrap();
        assert_eq!(
            got,
            vec![
                (2, "ServerInfo~a]@e:444/ecp/x.ecp?#".to_string()),
                (4, "ServerInfo~c]@e:444/ecp/z.ecp?#".to_string())
            ]
        );
        assert_eq!(out.lines, 4);
        assert_eq!(out.bytes, data.len() as u64);
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("longer than 1 MB skipped (first: line 3)")),
            "{:?}",
            out.warnings
        );
        assert!(sc.buf.len() <= 4 << 20, "buffer kept at {}", sc.buf.len());
        // A line that never ends (no newline to the end of the file).
        let mut data = String::from("#Fields: DateTime,AnchorMailbox,HttpStatus\n");
        data.push_str("2021-03-03T06:49:42Z,ServerInfo~a]@e:444/ecp/x.ecp?#,241\n");
        data.push_str(&"B".repeat(3 << 20));
        let mut n = 0;
        let out = sc.scan(&mut data.as_bytes(), &pf, &mut |_| n += 1).unwrap();
        assert_eq!(n, 1);
        assert_eq!(out.lines, 3);
        assert!(out.warnings.iter().any(|w| w.contains("first: line 3")));
    }

    #[test]
    fn lines_across_buffers_and_header_change() {
        let mut data = String::from("#Fields: DateTime,AnchorMailbox,HttpStatus\n");
        for i in 0..60_000 {
            data.push_str(&format!("2021-03-03T06:49:42Z,Smtp~user{i}@x.org,200\n"));
        }
        data.push_str("#Fields: DateTime,HttpStatus,AnchorMailbox\n");
        data.push_str("2021-03-04T00:00:00Z,241,ServerInfo~a]@e:444/ecp/proxyLogon.ecp?#\n");
        let (got, out) = collect(data.as_bytes(), &["ServerInfo~"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 60_003);
        assert_eq!(got[0].1[1], "241");
        assert_eq!(out.lines, 60_003);
    }
}
