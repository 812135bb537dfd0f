//! Attacker-controlled text made harmless for the outputs people read.
//!
//! Everything a report carries from the evidence (log fields, file names,
//! paths, account names, user rules' titles, reader errors) may have been
//! written by the intruder. Two places read it without a parser in
//! between:
//!
//! - a terminal, where ESC/CSI/OSC sequences can clear the screen, retitle
//!   the window, hide or forge lines, and bidi overrides reorder what is
//!   shown: [`safe`] shows such characters escaped (`\x1b`, `\r`, `\n`,
//!   `\u{202e}`) and leaves all other text, accents and CJK included, as it
//!   is (backslashes too: Windows paths stay readable);
//! - a spreadsheet opening a CSV, where a cell starting with `=`, `+`, `-`,
//!   `@`, TAB or CR is a formula: [`csv_cell`] neutralises it as OWASP
//!   recommends, with a leading `'`.
//!
//! JSON needs neither: its encoder escapes control characters and a JSON
//! value is never evaluated.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is shown escaped in text output: C0 controls, DEL and C1
/// controls (U+0080..U+009F); the bidi embeddings, overrides, isolates and
/// marks, which reorder what a terminal shows; the line and paragraph
/// separators, which some terminals break lines on; and the invisible
/// zero-width space, word joiner and byte-order mark, which make two
/// different names look alike. The zero-width (non-)joiners are left
/// alone: Indic and Arabic-script text needs them.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes `c` escaped: `\n`, `\r`, `\t` by name, other ASCII controls as
/// `\x1b`, everything else as `\u{202e}`.
fn write_escaped(c: char, w: &mut dyn fmt::Write) -> fmt::Result {
    match c {
        '\n' => w.write_str("\\n"),
        '\r' => w.write_str("\\r"),
        '\t' => w.write_str("\\t"),
        c if (c as u32) < 0x80 => write!(w, "\\x{:02x}", c as u32),
        c => write!(w, "\\u{{{:x}}}", c as u32),
    }
}

/// Writes `s` with every character that [`is_unsafe_char`] (and is not
/// kept) escaped.
fn write_clean(s: &str, keep: Option<char>, w: &mut dyn fmt::Write) -> fmt::Result {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if is_unsafe_char(c) && Some(c) != keep {
            w.write_str(&s[start..i])?;
            write_escaped(c, w)?;
            start = i + c.len_utf8();
        }
    }
    w.write_str(&s[start..])
}

/// One untrusted string for text output, its dangerous characters escaped
/// (see [`is_unsafe_char`]); honours width and alignment (`{:<30}`).
#[derive(Clone, Copy)]
pub struct Safe<'a>(pub &'a str);

/// `s` for text output: `format!("{}", safe(s))`.
pub fn safe(s: &str) -> Safe<'_> {
    Safe(s)
}

impl fmt::Display for Safe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_none() && f.precision().is_none() {
            return write_clean(self.0, None, f);
        }
        f.pad(&clean(self.0))
    }
}

/// `s` with its dangerous characters escaped, borrowed when it has none.
pub fn clean(s: &str) -> Cow<'_, str> {
    clean_but(s, None)
}

/// [`clean`], keeping `keep` (the text report keeps the line ends it wrote
/// itself in its last pass).
pub(crate) fn clean_but(s: &str, keep: Option<char>) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe_char(c) && Some(c) != keep) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    write_clean(s, keep, &mut out).expect("writing to a String");
    Cow::Owned(out)
}

/// Writes text a report wrote, escaping any control or bidi character that
/// reached it (a section that forgot `safe`) but the line ends it wrote.
pub(crate) fn write_clean_text(buf: &[u8], w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let text = String::from_utf8_lossy(buf);
    w.write_all(clean_but(&text, Some('\n')).as_bytes())
}

/// One CSV cell for a spreadsheet: a cell starting with `=`, `+`, `-`, `@`,
/// TAB or CR gets a leading `'` (OWASP, "CSV Injection"), so that Excel,
/// LibreOffice and Google Sheets show it as text instead of evaluating it.
/// The csv writer still quotes the cell when it holds a delimiter, a quote
/// or a line end, so a neutralised cell cannot be split into another cell
/// that starts a formula. Other cells are unchanged.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}
