//! A file's digests, computed in the one read the scan makes of it: the
//! SHA-256 every file finding carries, and the MD5 and SHA-1 only when the
//! indicator lists hold some (no cost otherwise).
//!
//! - [`FileHasher`]: SHA-256 and, as [`HashNeeds`] says, MD5 and SHA-1,
//!   fed the same bytes;
//! - [`HashRead`]: a reader that hashes what passes through it (files the
//!   scan streams: memory dumps and logs larger than `--max-filesize`);
//! - [`Sha256Of`] and [`seal`]: what a file finding says of the file's
//!   SHA-256: its value, or why there is none (`sha256_note`).

use exhunt_core::Finding;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::io::{self, Read};

/// Bytes hashed at a time when several digests are computed over a buffer
/// already in memory: each chunk is fed to every hasher while it is still
/// in the core's cache, so the buffer is read from memory once.
const CHUNK: usize = 64 << 10;

/// Which digests besides SHA-256 are computed: only those the indicator
/// lists hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashNeeds {
    pub md5: bool,
    pub sha1: bool,
}

impl HashNeeds {
    /// Whether anything besides SHA-256 is wanted.
    pub fn any(self) -> bool {
        self.md5 || self.sha1
    }
}

/// A file's digests; MD5 and SHA-1 only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    pub sha256: [u8; 32],
    pub md5: Option<[u8; 16]>,
    pub sha1: Option<[u8; 20]>,
}

impl Digests {
    /// The digests of a buffer, in one pass over it.
    pub fn of(bytes: &[u8], needs: HashNeeds) -> Digests {
        if !needs.any() {
            // SHA-256 alone: one call, as before MD5 and SHA-1 were compared.
            return Digests {
                sha256: Sha256::digest(bytes).into(),
                md5: None,
                sha1: None,
            };
        }
        let mut h = FileHasher::new(needs);
        for chunk in bytes.chunks(CHUNK) {
            h.update(chunk);
        }
        h.finish()
    }
}

/// SHA-256 and the wanted MD5 and SHA-1, fed the same bytes.
#[derive(Clone)]
pub struct FileHasher {
    sha256: Sha256,
    md5: Option<Md5>,
    sha1: Option<Sha1>,
}

impl FileHasher {
    pub fn new(needs: HashNeeds) -> Self {
        FileHasher {
            sha256: Sha256::new(),
            md5: needs.md5.then(Md5::new),
            sha1: needs.sha1.then(Sha1::new),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(h) = &mut self.md5 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
    }

    pub fn finish(self) -> Digests {
        Digests {
            sha256: self.sha256.finalize().into(),
            md5: self.md5.map(|h| h.finalize().into()),
            sha1: self.sha1.map(|h| h.finalize().into()),
        }
    }
}

/// A reader that hashes every byte read through it, when on (off, it only
/// passes the reads on).
pub struct HashRead<R> {
    inner: R,
    hasher: Option<FileHasher>,
}

impl<R: Read> HashRead<R> {
    /// Hashes what is read through it when `on` (SHA-256, and what `needs`
    /// adds).
    pub fn new(inner: R, on: bool, needs: HashNeeds) -> Self {
        HashRead {
            inner,
            hasher: on.then(|| FileHasher::new(needs)),
        }
    }

    /// Reads the rest of the input (hashing it) and gives the digests of
    /// all it passed; `None` when not hashing.
    pub fn finish(mut self) -> io::Result<Option<Digests>> {
        if self.hasher.is_none() {
            return Ok(None);
        }
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.hasher.map(FileHasher::finish))
    }
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The SHA-256 of a buffer, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    exhunt_core::hex(&Sha256::digest(bytes))
}

/// What a file finding says of the file's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sha256Of {
    /// Lower-case hex.
    Known(String),
    /// Why there is none (the file was not read, or not to its end).
    Absent(String),
}

impl Sha256Of {
    pub fn known(d: &Digests) -> Self {
        Sha256Of::Known(exhunt_core::hex(&d.sha256))
    }
}

/// Gives every finding that lacks it the file's `sha256`, or a
/// `sha256_note` saying why there is none: a file finding never leaves the
/// hash silently out.
pub fn seal(findings: &mut [Finding], sha: &Sha256Of) {
    for f in findings {
        if f.evidence.contains_key("sha256") || f.evidence.contains_key("sha256_note") {
            continue;
        }
        let (key, value) = match sha {
            Sha256Of::Known(hex) => ("sha256", hex),
            Sha256Of::Absent(why) => ("sha256_note", why),
        };
        f.evidence.insert(key.to_string(), value.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        exhunt_core::hex(b)
    }

    #[test]
    fn one_pass_gives_the_same_digests_as_each_alone() {
        // Longer than a chunk, not a multiple of it.
        let data: Vec<u8> = (0..200_001u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let all = Digests::of(
            &data,
            HashNeeds {
                md5: true,
                sha1: true,
            },
        );
        assert_eq!(all.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        assert_eq!(all.md5, Some(Md5::digest(&data).into()));
        assert_eq!(all.sha1, Some(Sha1::digest(&data).into()));
        let plain = Digests::of(&data, HashNeeds::default());
        assert_eq!(
            (plain.sha256, plain.md5, plain.sha1),
            (all.sha256, None, None)
        );
        // Known values of the empty input.
        let empty = Digests::of(
            b"",
            HashNeeds {
                md5: true,
                sha1: false,
            },
        );
        assert_eq!(hex(&empty.md5.unwrap()), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(empty.sha1, None);
        assert_eq!(
            hex(&empty.sha256),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_hashing_reader_hashes_what_was_read_and_the_rest() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut r = HashRead::new(&data[..], true, HashNeeds::default());
        let mut head = [0u8; 1000];
        r.read_exact(&mut head).unwrap();
        let d = r.finish().unwrap().unwrap();
        assert_eq!(d.sha256, <[u8; 32]>::from(Sha256::digest(&data)));
        let r = HashRead::new(&data[..], false, HashNeeds::default());
        assert_eq!(r.finish().unwrap(), None);
    }

    #[test]
    fn seal_fills_what_is_missing_only() {
        let spec = exhunt_core::RuleSpec {
            id: "t",
            title: "t",
            cves: &[],
            kind: exhunt_core::FindingKind::Webshell,
            verdict: exhunt_core::Verdict::Compromised,
            severity: exhunt_core::Severity::High,
            source: "s",
            next_step: None,
        };
        let mut f = vec![
            Finding::from_spec(&spec, "a"),
            Finding::from_spec(&spec, "a").with("sha256", "ab"),
        ];
        seal(&mut f, &Sha256Of::Known("cd".into()));
        assert_eq!(f[0].evidence["sha256"], "cd");
        assert_eq!(f[1].evidence["sha256"], "ab");
        let mut f = vec![Finding::from_spec(&spec, "a")];
        seal(&mut f, &Sha256Of::Absent("not read".into()));
        assert_eq!(f[0].evidence["sha256_note"], "not read");
        assert!(!f[0].evidence.contains_key("sha256"));
    }
}
