//! The text report on a terminal: a first screen an administrator can act
//! on, lines wrapped to the window, and colour for the verdict, the
//! exposure and the severities.
//!
//! A terminal shows the end of what a command printed: the whole report
//! (90 lines for the bundled example) scrolls its verdict out of sight. So
//! on a terminal the report is brief by default ([`brief`]): the verdict,
//! the exposure, the worst findings one line each, the first next steps,
//! and how to get the rest (`--detail`, or JSON). Piped or written to a
//! file, the text report is whole, as before.
//!
//! Colour and wrapping are a last pass over text the sections wrote, which
//! has already been escaped (`safe`): the colour codes are ours, added only
//! at the places our own words stand (the verdict word, `EXPOSED`, a
//! severity at the start of a finding line, section headings), so nothing
//! from the evidence can set or fake a colour.

use crate::group::groups;
use crate::safe::safe;
use crate::text::{group_line, header};
use exhunt_core::{ExposureState, Report, Severity, Verdict};
use std::io::{self, Write};
use unicode_width::UnicodeWidthChar;

/// The worst finding groups shown on the first screen.
const GROUPS_SHOWN: usize = 5;
/// The next steps shown on the first screen.
const STEPS_SHOWN: usize = 3;

/// The first screen of one report, or of several servers.
pub(crate) fn brief(r: &Report, w: &mut dyn Write) -> io::Result<()> {
    if r.servers.is_empty() {
        header(r, w)?;
    } else {
        crate::text::fleet_header(r, w)?;
    }
    let main = groups(&r.findings, false);
    // The ledger's lines take the place of two kinds of finding, so that
    // the first screen still fits a terminal.
    let thefts = r
        .taken
        .iter()
        .any(|e| e.certainty != exhunt_core::Certainty::Info);
    let shown = if thefts {
        GROUPS_SHOWN - 2
    } else {
        GROUPS_SHOWN
    };
    if main.is_empty() {
        writeln!(w, "What was found: nothing that points to an intrusion.")?;
    } else {
        writeln!(
            w,
            "What was found ({} kind(s), the worst first):",
            main.len()
        )?;
        for g in main.iter().take(shown) {
            let f = g.first;
            let host = match (&f.host, r.servers.is_empty()) {
                (Some(h), false) => format!("{}: ", safe(h)),
                _ => String::new(),
            };
            group_line(g, &host, w)?;
        }
        if main.len() > shown {
            writeln!(w, "  ... and {} more kind(s)", main.len() - shown)?;
        }
    }
    crate::ledger::brief(r, w)?;
    writeln!(w)?;
    // One server's steps, or the worst server's when there are several.
    let (steps, whose) = if r.servers.is_empty() {
        (&r.next_steps, None)
    } else {
        let worst = r.servers.iter().max_by_key(|s| s.verdict).expect("servers");
        (&worst.next_steps, Some(worst.server_name()))
    };
    if !steps.is_empty() {
        writeln!(
            w,
            "What to do now{} (the first {} of {}):",
            whose
                .map(|n| format!(" on {}", safe(&n)))
                .unwrap_or_default(),
            steps.len().min(STEPS_SHOWN),
            steps.len()
        )?;
        for (i, s) in steps.iter().take(STEPS_SHOWN).enumerate() {
            writeln!(w, "  {}. {}", i + 1, safe(first_sentence(s)))?;
        }
        writeln!(w)?;
    }
    writeln!(
        w,
        "The whole report (every finding, every step, how far back the logs reach, what could not be read): add --detail, or --format json."
    )
}

/// A step's first sentence: up to a full stop followed by a capital.
fn first_sentence(s: &str) -> &str {
    let b = s.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        if b[i] == b'.' && b[i + 1] == b' ' && b[i + 2].is_ascii_uppercase() {
            return &s[..=i];
        }
    }
    s
}

/// Wraps every line longer than `width` columns at spaces, continuing
/// under the line's own indentation (plus two for a numbered step, to the
/// text after the number). A word longer than the room is cut.
pub(crate) fn wrap(text: &str, width: usize) -> String {
    let width = width.max(20);
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if columns(body) <= width {
            out.push_str(line);
            continue;
        }
        let indent = hanging_indent(body).min(width / 2);
        let pad = " ".repeat(indent);
        let mut col = 0;
        let mut first = true;
        for word in body.split(' ') {
            let ww = columns(word);
            if !first && col + 1 + ww > width {
                out.push('\n');
                out.push_str(&pad);
                col = indent;
            } else if !first {
                out.push(' ');
                col += 1;
            }
            first = false;
            // A word wider than the room is cut where it reaches the edge.
            let mut rest = word;
            while col + columns(rest) > width && col < width {
                let (head, tail) = split_at_columns(rest, width - col);
                if head.is_empty() {
                    break;
                }
                out.push_str(head);
                out.push('\n');
                out.push_str(&pad);
                col = indent;
                rest = tail;
            }
            out.push_str(rest);
            col += columns(rest);
        }
        out.push_str(nl);
    }
    out
}

/// Where a wrapped line continues: under its text, past its indentation,
/// a severity (`  CRITICAL `) or a step number (`  10. `).
fn hanging_indent(line: &str) -> usize {
    let lead = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[lead..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && rest[digits..].starts_with(". ") {
        return lead + digits + 2;
    }
    for sev in ["CRITICAL ", "HIGH     ", "MEDIUM   ", "LOW      "] {
        if rest.starts_with(sev) {
            return lead + sev.len();
        }
    }
    lead + 2
}

/// The columns a string takes on a terminal.
fn columns(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Splits `s` after at most `cols` columns (at a character boundary).
fn split_at_columns(s: &str, cols: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > cols {
            return s.split_at(i);
        }
        used += w;
    }
    (s, "")
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const GREEN: &str = "\x1b[1;32m";
const CYAN: &str = "\x1b[36m";

fn verdict_colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Compromised | Verdict::Exploited => RED,
        Verdict::Attempted | Verdict::Inconclusive => YELLOW,
        Verdict::Clean => GREEN,
    }
}

fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => RED,
        Severity::Medium => YELLOW,
        _ => CYAN,
    }
}

/// Colours our own words in the text: the verdict (and each server's in a
/// fleet), the exposure headline's first word, severities that start a
/// finding line, section headings.
pub(crate) fn colour(text: &str) -> String {
    let verdicts = [
        Verdict::Compromised,
        Verdict::Exploited,
        Verdict::Attempted,
        Verdict::Inconclusive,
        Verdict::Clean,
    ];
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let mut done = false;
        // `VERDICT: X` and `VERDICT (worst of n servers): X`.
        if line.starts_with("VERDICT") {
            if let Some(colon) = line.find(": ") {
                for v in verdicts {
                    let word = v.as_str().to_uppercase();
                    let at = colon + 2;
                    if line[at..].starts_with(&word) {
                        out.push_str(&format!(
                            "{BOLD}{}{RESET}{}{word}{RESET}{}",
                            &line[..at],
                            verdict_colour(v),
                            &line[at + word.len()..]
                        ));
                        done = true;
                        break;
                    }
                }
            }
        }
        // The exposure headline.
        for (word, c) in [
            ("EXPOSED", RED),
            ("PATCHED", GREEN),
            ("BUILD UNKNOWN", YELLOW),
        ] {
            if !done && line.starts_with(word) {
                out.push_str(&format!("{c}{word}{RESET}{}", &line[word.len()..]));
                done = true;
            }
        }
        // A finding line: two spaces, then the severity.
        if !done {
            if let Some(rest) = line.strip_prefix("  ") {
                for s in severities {
                    let word = s.as_str().to_uppercase();
                    if rest.starts_with(&word) && rest[word.len()..].starts_with(' ') {
                        out.push_str(&format!(
                            "  {}{word}{RESET}{}",
                            severity_colour(s),
                            &rest[word.len()..]
                        ));
                        done = true;
                        break;
                    }
                }
            }
        }
        // A fleet line: name, verdict, exposure.
        if !done && line.starts_with("  ") {
            for v in verdicts {
                let word = format!("  {}  ", v.as_str().to_uppercase());
                if let Some(at) = line.find(&word) {
                    out.push_str(&format!(
                        "{}  {}{}{RESET}  {}",
                        &line[..at],
                        verdict_colour(v),
                        v.as_str().to_uppercase(),
                        &line[at + word.len()..]
                    ));
                    done = true;
                    break;
                }
            }
        }
        // Section headings: our sentences that end in a colon at column 0.
        if !done
            && (line.starts_with("What ")
                || line.starts_with("How far back")
                || line.starts_with("Where exhunt")
                || line.starts_with("════"))
        {
            let body = line.trim_end_matches('\n');
            out.push_str(&format!("{BOLD}{body}{RESET}"));
            if line.ends_with('\n') {
                out.push('\n');
            }
            done = true;
        }
        if !done {
            out.push_str(line);
        }
    }
    out
}

/// How exposure is said in one word, for fleet lines.
pub(crate) fn exposure_word(s: ExposureState) -> &'static str {
    match s {
        ExposureState::Exposed => "EXPOSED",
        ExposureState::Patched => "PATCHED",
        ExposureState::Unknown => "BUILD UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_under_their_text() {
        let line = format!("  10. {}\n", "word ".repeat(40).trim_end());
        let out = wrap(&line, 60);
        for l in out.lines() {
            assert!(columns(l) <= 60, "{l:?}");
        }
        let second = out.lines().nth(1).unwrap();
        assert!(second.starts_with("      word"), "{second:?}");
        assert_eq!(out.split_whitespace().filter(|w| *w == "word").count(), 40);
    }

    #[test]
    fn a_word_wider_than_the_window_is_cut() {
        let url = "x".repeat(150);
        let out = wrap(&format!("  {url}\n"), 50);
        assert!(out.lines().all(|l| columns(l) <= 50), "{out}");
        assert_eq!(out.chars().filter(|c| *c == 'x').count(), 150);
    }

    #[test]
    fn wide_characters_count_twice() {
        let out = wrap(&format!("{}\n", "漢字 ".repeat(30)), 40);
        assert!(out.lines().all(|l| columns(l) <= 40), "{out}");
    }

    #[test]
    fn colour_marks_our_words_only() {
        let text = "VERDICT: COMPROMISED\nEXPOSED: build\n  CRITICAL Memory dump\n  title with CRITICAL inside\nScanned: VERDICT: CLEAN\n";
        let c = colour(text);
        assert!(c.contains(&format!("{RED}COMPROMISED{RESET}")));
        assert!(c.contains(&format!("{RED}EXPOSED{RESET}")));
        assert!(c.contains(&format!("  {RED}CRITICAL{RESET} Memory dump")));
        assert!(c.contains("  title with CRITICAL inside\n"));
        assert!(c.contains("Scanned: VERDICT: CLEAN\n"));
        // Without the codes, the text is unchanged.
        let plain = c
            .replace(RESET, "")
            .replace(BOLD, "")
            .replace(RED, "")
            .replace(YELLOW, "")
            .replace(GREEN, "")
            .replace(CYAN, "");
        assert_eq!(plain, text);
    }

    #[test]
    fn the_first_sentence_of_a_step() {
        assert_eq!(
            first_sentence("Web shell file(s) found on disk: a/b.aspx. Keep copies first."),
            "Web shell file(s) found on disk: a/b.aspx."
        );
        assert_eq!(first_sentence("One sentence only"), "One sentence only");
        assert_eq!(
            first_sentence("Ends with e.g. this. Next"),
            "Ends with e.g. this."
        );
    }
}
