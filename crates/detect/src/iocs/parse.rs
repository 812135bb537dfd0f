//! The list formats [`FileIocsBuilder`] reads: telling a file's format from
//! its first content line, decoding UTF-8 or UTF-16, and reading exhunt's
//! CSVs, MSTIC's feed CSV, signature-base's `hash;comment` and
//! `regex;score[;false-positive regex]` lines and plain lists (see the
//! [module documentation](super) for each).

use super::builder::At;
use super::hashes::is_hex;
use super::{FileIocsBuilder, HashKind, IocError, PathIocKind, DEFAULT_SCORE, MSTIC_PATH_SCORE};

/// What one file's lines are.
pub(super) enum Format {
    HashCsv {
        hash: usize,
        name: Option<usize>,
        source: Option<usize>,
        note: Option<usize>,
    },
    PathCsv {
        pattern: usize,
        kind: usize,
        score: Option<usize>,
        source: Option<usize>,
    },
    Mstic {
        indicator: usize,
        typ: usize,
        added: Option<usize>,
        first: Option<usize>,
    },
    Lines,
}

/// Per-file tally.
#[derive(Default)]
pub(super) struct Tally {
    /// Indicators taken.
    pub(super) taken: usize,
    /// The first unusable line and why.
    pub(super) first_bad: Option<(usize, String)>,
    /// MSTIC indicator types not matched on files, with their counts.
    pub(super) unsupported: Vec<(String, usize)>,
}

impl FileIocsBuilder {
    /// Reads the records of one of the CSV formats, header first.
    pub(super) fn read_csv(&mut self, origin: &str, text: &str, format: &Format, t: &mut Tally) {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut header_seen = false;
        for rec in rdr.records() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    self.bad(origin, line, format!("unreadable CSV record: {e}"), t);
                    continue;
                }
            };
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if rec.iter().all(str::is_empty) {
                continue;
            }
            if !header_seen {
                header_seen = true;
                continue;
            }
            let col = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("");
            let res = match *format {
                Format::HashCsv {
                    hash,
                    name,
                    source,
                    note,
                } => match rec.get(hash) {
                    None => Err("no sha256 column".to_string()),
                    Some(h) => {
                        let src = or_origin(col(source), origin);
                        self.take_hash(h, col(name), src, col(note))
                    }
                },
                Format::PathCsv {
                    pattern,
                    kind,
                    score,
                    source,
                } => match (rec.get(pattern), rec.get(kind)) {
                    (Some(p), Some(k)) => match PathIocKind::parse(k) {
                        None => Err(format!("kind {k:?}: expected path, name or regex")),
                        Some(kind) => parse_score_opt(col(score)).and_then(|score| {
                            let src = or_origin(col(source), origin);
                            self.take(kind, p, score, src, None, At { origin, line })
                        }),
                    },
                    _ => Err("expected pattern,kind,score,source".to_string()),
                },
                Format::Mstic {
                    indicator,
                    typ,
                    added,
                    first,
                } => match (rec.get(indicator), rec.get(typ)) {
                    (Some(ind), Some(ty)) => {
                        let ty = ty.to_ascii_lowercase();
                        match ty.as_str() {
                            "sha256" | "sha1" | "md5" => {
                                let mut note = String::new();
                                if !col(added).is_empty() {
                                    note = format!("DateAdded {}", col(added));
                                }
                                if !col(first).is_empty() {
                                    if !note.is_empty() {
                                        note.push(' ');
                                    }
                                    note.push_str(&format!("FirstSeen {}", col(first)));
                                }
                                match HashKind::of_hex_len(ind.len()) {
                                    Some(k) if k == hash_kind_named(&ty) => {
                                        self.take_hash(ind, "", origin, &note)
                                    }
                                    _ => Err(format!("{ind:?} is not a {ty}")),
                                }
                            }
                            "filepath" => self.take(
                                PathIocKind::Path,
                                ind,
                                MSTIC_PATH_SCORE,
                                origin,
                                None,
                                At { origin, line },
                            ),
                            "filename" => self.take(
                                PathIocKind::Name,
                                ind,
                                DEFAULT_SCORE,
                                origin,
                                None,
                                At { origin, line },
                            ),
                            _ => {
                                let ty = if ty.is_empty() { "(none)".into() } else { ty };
                                match t.unsupported.iter_mut().find(|(k, _)| *k == ty) {
                                    Some((_, n)) => *n += 1,
                                    None => t.unsupported.push((ty, 1)),
                                }
                                continue;
                            }
                        }
                    }
                    _ => Err("expected an Indicator and an IndicatorType".to_string()),
                },
                Format::Lines => unreachable!("read_lines reads these"),
            };
            match res {
                Ok(()) => t.taken += 1,
                Err(m) => self.bad(origin, line, m, t),
            }
        }
    }

    /// Reads signature-base lines or a plain list.
    pub(super) fn read_lines(&mut self, origin: &str, text: &str, t: &mut Tally) {
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let res = self.take_line(line, origin, n + 1);
            match res {
                Ok(()) => t.taken += 1,
                Err(m) => self.bad(origin, n + 1, m, t),
            }
        }
    }

    /// One line of a signature-base file or a plain list.
    fn take_line(&mut self, line: &str, origin: &str, n: usize) -> Result<(), String> {
        if let Some((first, rest)) = line.split_once(';') {
            let first = first.trim();
            if is_hex(first) && HashKind::of_hex_len(first.len()).is_some() {
                return self.take_hash(first, "", origin, rest.trim());
            }
            if is_hex(first) && first.len() >= 16 {
                return Err(format!(
                    "{} hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64)",
                    first.len()
                ));
            }
            // regex;score or regex;score;false-positive regex
            let fields: Vec<&str> = line.split(';').collect();
            let k = fields.len();
            let parsed = if let Some(s) = parse_score(fields[k - 1]) {
                Some((fields[..k - 1].join(";"), s, None))
            } else if k >= 3 {
                parse_score(fields[k - 2]).map(|s| {
                    let fp = fields[k - 1].trim();
                    (fields[..k - 2].join(";"), s, (!fp.is_empty()).then_some(fp))
                })
            } else {
                None
            };
            let Some((pattern, score, fp)) = parsed else {
                return Err(
                    "expected `hash;comment` or `regex;score[;false-positive regex]`".to_string(),
                );
            };
            let score = score?;
            return self.take(
                PathIocKind::Regex,
                &pattern,
                score,
                origin,
                fp,
                At { origin, line: n },
            );
        }
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if is_hex(first) && first.len() >= 16 {
            if HashKind::of_hex_len(first.len()).is_none() {
                return Err(format!(
                    "{} hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64)",
                    first.len()
                ));
            }
            // `sha256sum` output: hash, blanks, optional `*`, file name.
            let name = line[first.len()..].trim().trim_start_matches('*');
            return self.take_hash(first, name, origin, "");
        }
        if let Some(name) = markdown_name(line) {
            return self.take(
                PathIocKind::Name,
                &name,
                DEFAULT_SCORE,
                origin,
                None,
                At { origin, line: n },
            );
        }
        if line.contains(['/', '\\']) {
            self.take(
                PathIocKind::Path,
                line,
                DEFAULT_SCORE,
                origin,
                None,
                At { origin, line: n },
            )
        } else {
            self.take(
                PathIocKind::Name,
                line,
                DEFAULT_SCORE,
                origin,
                None,
                At { origin, line: n },
            )
        }
    }

    /// Warns about an unusable line and remembers the first.
    fn bad(&mut self, origin: &str, line: usize, message: String, t: &mut Tally) {
        // The message quotes the line, which can be megabytes long.
        let message = shorten(message, 200);
        self.warnings.push(
            IocError::Line {
                origin: origin.to_string(),
                line,
                message: message.clone(),
            }
            .to_string(),
        );
        if t.first_bad.is_none() {
            t.first_bad = Some((line, message));
        }
    }
}

/// `s` cut to at most `max` characters, with `…` where it was cut.
fn shorten(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

/// A file name copied from markdown (`aspnet\_www.aspx`: IOC lists on
/// GitHub and in blog posts escape `_`): every `\` escapes a `_` and there is
/// no other separator.
fn markdown_name(line: &str) -> Option<String> {
    if !line.contains("\\_") || line.contains(['/', ':']) {
        return None;
    }
    let mut parts = line.split('\\');
    parts.next();
    if parts.all(|part| part.starts_with('_')) {
        Some(line.replace("\\_", "_"))
    } else {
        None
    }
}

fn or_origin<'a>(s: &'a str, origin: &'a str) -> &'a str {
    if s.trim().is_empty() {
        origin
    } else {
        s
    }
}

fn hash_kind_named(ty: &str) -> HashKind {
    match ty {
        "md5" => HashKind::Md5,
        "sha1" => HashKind::Sha1,
        _ => HashKind::Sha256,
    }
}

/// A signature-base score: an integer, capped at 100; a negative one (a
/// false-positive rule) is refused. `None`: not an integer.
fn parse_score(s: &str) -> Option<Result<u8, String>> {
    let v: i64 = s.trim().parse().ok()?;
    Some(if v < 0 {
        Err(format!(
            "score {v}: a negative score marks a false-positive rule; not used"
        ))
    } else {
        Ok(v.min(100) as u8)
    })
}

fn parse_score_opt(s: &str) -> Result<u8, String> {
    if s.trim().is_empty() {
        return Ok(DEFAULT_SCORE);
    }
    parse_score(s).unwrap_or_else(|| Err(format!("score {s:?}: expected an integer 0-100")))
}

/// The format of a file, from its first content line; `None`: a CSV header
/// exhunt does not read.
pub(super) fn detect(first: &str) -> Option<Format> {
    let cols: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| cols.iter().position(|c| c == name);
    if let (Some(indicator), Some(typ)) = (find("indicator"), find("indicatortype")) {
        return Some(Format::Mstic {
            indicator,
            typ,
            added: find("dateadded"),
            first: find("firstseen"),
        });
    }
    if let Some(hash) = find("sha256") {
        if cols.len() > 1 {
            return Some(Format::HashCsv {
                hash,
                name: find("name"),
                source: find("source"),
                note: find("note"),
            });
        }
    }
    if let (Some(pattern), Some(kind)) = (find("pattern"), find("kind")) {
        return Some(Format::PathCsv {
            pattern,
            kind,
            score: find("score"),
            source: find("source"),
        });
    }
    // Several bare words separated by commas: a header of some other CSV.
    let looks_like_header = cols.len() > 1
        && !first.contains(';')
        && cols.iter().all(|c| {
            !c.is_empty()
                && !c.contains('.')
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
                && !is_hex(c)
        });
    if looks_like_header {
        return None;
    }
    Some(Format::Lines)
}

/// UTF-8 (BOM optional) or UTF-16 with a BOM.
pub(super) fn decode_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |b: &[u8], le: bool| {
        let units = b.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}
