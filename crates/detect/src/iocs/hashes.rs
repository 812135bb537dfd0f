//! Hash indicators: the MD5, SHA-1 and SHA-256 tables, keyed by the raw
//! digest so that any hex case matches, and how a hash listed again (in
//! another list, or twice in one) merges into the entry already held.

use super::{merge_list, HashIoc, HashKind};
use std::collections::HashMap;

/// The three digest tables; the builder fills them, the compiled set reads
/// them.
#[derive(Debug, Default)]
pub(super) struct Hashes {
    pub(super) sha256: HashMap<[u8; 32], HashIoc>,
    pub(super) sha1: HashMap<[u8; 20], HashIoc>,
    pub(super) md5: HashMap<[u8; 16], HashIoc>,
}

impl Hashes {
    /// Adds a hash (hex, any case; its kind told by its length). A hash
    /// already held keeps its name, and gains the new sources and note.
    pub(super) fn add(
        &mut self,
        hex: &str,
        name: &str,
        source: &str,
        note: &str,
    ) -> Result<(), String> {
        let hex = hex.trim();
        let entry = match HashKind::of_hex_len(hex.len()) {
            Some(HashKind::Sha256) => {
                parse_hex::<32>(hex).map(|h| self.sha256.entry(h).or_default())
            }
            Some(HashKind::Sha1) => parse_hex::<20>(hex).map(|h| self.sha1.entry(h).or_default()),
            Some(HashKind::Md5) => parse_hex::<16>(hex).map(|h| self.md5.entry(h).or_default()),
            None => None,
        };
        let Some(e) = entry else {
            return Err(format!("{hex:?} is not an MD5, SHA-1 or SHA-256 in hex"));
        };
        if e.name.is_empty() {
            e.name = name.trim().to_string();
        }
        merge_list(&mut e.source, source);
        let note = note.trim();
        if !note.is_empty() && !e.note.split(" | ").any(|n| n == note) {
            if !e.note.is_empty() {
                e.note.push_str(" | ");
            }
            e.note.push_str(note);
        }
        Ok(())
    }

    pub(super) fn sha256_hex(&self, hex: &str) -> Option<&HashIoc> {
        self.sha256.get(&parse_hex::<32>(hex)?)
    }

    pub(super) fn sha1_hex(&self, hex: &str) -> Option<&HashIoc> {
        self.sha1.get(&parse_hex::<20>(hex)?)
    }

    pub(super) fn md5_hex(&self, hex: &str) -> Option<&HashIoc> {
        self.md5.get(&parse_hex::<16>(hex)?)
    }
}

/// `N` bytes from `2N` hex digits (surrounding blanks ignored).
fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let s = s.trim().as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// Whether `s` is a non-empty run of hex digits.
pub(super) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}
