//! Line splitting over a reusable buffer, shared by the line-oriented readers
//! ([`crate::w3c`], [`crate::events_jsonl`]).
//!
//! The buffer is filled in large reads and every complete line in it is
//! handed out as a slice, without copying. A line longer than the buffer
//! grows the buffer (up to a cap, so that one garbage file without newlines
//! cannot take all memory); a line longer than the cap is skipped and
//! reported. The buffer shrinks back after such a file, so a reader reused
//! across thousands of files keeps a bounded footprint.

use crate::SourceError;
use std::io::{self, Read};

/// The buffer size for ordinary files.
pub(crate) const CHUNK: usize = 1 << 20;
/// The longest line read; longer ones are skipped with a warning.
pub(crate) const MAX_LINE: usize = 64 << 20;
/// How far into the file a NUL byte means "binary, not a text log".
const BINARY_SNIFF: usize = 8192;

/// What splitting one file established.
#[derive(Debug, Default)]
pub(crate) struct LineStats {
    /// Lines seen, skipped overlong lines included.
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The file does not end with a newline: its last line may be cut off.
    pub cut_off_last: bool,
    /// Numbers of the lines longer than the cap, which were skipped.
    pub overlong: Vec<u64>,
}

#[derive(Debug)]
pub(crate) struct LineSplitter {
    buf: Vec<u8>,
    initial: usize,
    max_line: usize,
}

impl LineSplitter {
    pub(crate) fn new(initial: usize, max_line: usize) -> Self {
        let initial = initial.max(16);
        LineSplitter {
            buf: vec![0; initial],
            initial,
            max_line: max_line.max(initial),
        }
    }

    /// Calls `f(line_no, line)` for every line (1-based numbers, without the
    /// `\n` or `\r\n` ending). With `refuse_binary`, a NUL byte near the start
    /// of the file fails the read with [`SourceError::Binary`] before any line
    /// is handed out.
    pub(crate) fn run(
        &mut self,
        rdr: &mut dyn Read,
        refuse_binary: bool,
        f: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<LineStats, SourceError> {
        self.run_chunks(rdr, refuse_binary, &mut |first, chunk| {
            let mut n = first;
            for line in chunk_lines(chunk) {
                f(n, line);
                n += 1;
            }
            n - first
        })
    }

    /// Calls `f(first_line_no, chunk)` for each run of whole lines in the
    /// buffer (each ending with `\n`, but for a last line cut off at the end
    /// of the file), so that a caller can search many lines at once
    /// (ripgrep's searcher works on buffers, not lines); `f` returns how
    /// many lines the chunk held (it walks them anyway: the splitter does
    /// not count them again). Lines longer than the cap are left out of
    /// the chunks, and counted.
    pub(crate) fn run_chunks(
        &mut self,
        rdr: &mut dyn Read,
        refuse_binary: bool,
        f: &mut dyn FnMut(u64, &[u8]) -> u64,
    ) -> Result<LineStats, SourceError> {
        let mut st = LineStats::default();
        let mut filled = 0usize;
        let mut first = true;
        // Inside a line longer than `max_line`: drop bytes up to its end.
        let mut skipping = false;
        let result = loop {
            if filled == self.buf.len() {
                if self.buf.len() < self.max_line {
                    let len = (self.buf.len() * 2).min(self.max_line);
                    self.buf.resize(len, 0);
                } else {
                    if !skipping {
                        st.lines += 1;
                        st.overlong.push(st.lines);
                        skipping = true;
                    }
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
                    Ok(n) => {
                        filled += n;
                        st.bytes += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if first {
                first = false;
                let head = &self.buf[..filled.min(BINARY_SNIFF)];
                if refuse_binary && memchr::memchr(0, head).is_some() {
                    break Err(SourceError::Binary);
                }
            }
            let mut start = 0usize;
            if skipping {
                // The rest of an overlong line, already counted.
                if let Some(i) = memchr::memchr(b'\n', &self.buf[..filled]) {
                    skipping = false;
                    start = i + 1;
                }
            }
            if !skipping {
                if let Some(i) = memchr::memrchr(b'\n', &self.buf[start..filled]) {
                    let end = start + i + 1;
                    let chunk = &self.buf[start..end];
                    st.lines += f(st.lines + 1, chunk);
                    start = end;
                }
            }
            if eof {
                if start < filled {
                    st.cut_off_last = true;
                    if !skipping {
                        st.lines += f(st.lines + 1, &self.buf[start..filled]);
                    }
                }
                break Ok(st);
            }
            if skipping {
                start = filled;
            }
            self.buf.copy_within(start..filled, 0);
            filled -= start;
        };
        if self.buf.len() > self.initial * 4 {
            self.buf.truncate(self.initial);
            self.buf.shrink_to_fit();
        }
        result
    }
}

/// The lines of a chunk from [`LineSplitter::run_chunks`], without their
/// `\n` or `\r\n` endings.
pub(crate) fn chunk_lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', chunk);
    std::iter::from_fn(move || {
        let end = match ends.next() {
            Some(e) => e,
            // A last line cut off at the end of the file has no `\n`.
            None if start < chunk.len() => chunk.len(),
            None => return None,
        };
        let line = &chunk[start..end];
        start = end + 1;
        Some(trim_cr(line))
    })
}

pub(crate) fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], initial: usize, max: usize) -> (Vec<(u64, String)>, LineStats) {
        let mut ls = LineSplitter::new(initial, max);
        let mut got = Vec::new();
        let st = ls
            .run(&mut &data[..], true, &mut |n, l| {
                got.push((n, String::from_utf8_lossy(l).into_owned()))
            })
            .unwrap();
        (got, st)
    }

    #[test]
    fn crlf_growth_and_cut_off_last_line() {
        let long = "x".repeat(100);
        let data = format!("a\r\n{long}\r\n\r\nlast");
        let (got, st) = split(data.as_bytes(), 16, 1 << 20);
        assert_eq!(
            got,
            vec![
                (1, "a".to_string()),
                (2, long),
                (3, String::new()),
                (4, "last".to_string())
            ]
        );
        assert!(st.cut_off_last);
        assert_eq!(st.lines, 4);
        assert_eq!(st.bytes, data.len() as u64);
    }

    #[test]
    fn overlong_lines_are_skipped_and_counted() {
        let data = format!("a\n{}\nb\n{}", "y".repeat(200), "z".repeat(300));
        let (got, st) = split(data.as_bytes(), 16, 64);
        assert_eq!(got, vec![(1, "a".to_string()), (3, "b".to_string())]);
        assert_eq!(st.overlong, vec![2, 4]);
        assert_eq!(st.lines, 4);
    }

    #[test]
    fn nul_near_the_start_is_binary() {
        let mut ls = LineSplitter::new(64, 64);
        let r = ls.run(&mut &b"MZ\0\0\x90"[..], true, &mut |_, _| {});
        assert!(matches!(r, Err(SourceError::Binary)));
    }
}
