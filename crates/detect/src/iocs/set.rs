//! [`FileIocs`]: the compiled, immutable indicator set a scan asks, by
//! digest or by path.

use super::hashes::Hashes;
use super::paths::NameIndex;
use super::regexes::RegexIndex;
use super::{FileIocsBuilder, HashIoc, IocCounts, PathIoc, PathIocKind};
use std::sync::OnceLock;

/// A compiled, immutable set of file indicators, shared by all threads.
#[derive(Debug)]
pub struct FileIocs {
    pub(super) hashes: Hashes,
    /// Every path, name and regex indicator, in load order.
    pub(super) iocs: Vec<PathIoc>,
    pub(super) names: NameIndex,
    pub(super) regexes: RegexIndex,
}

impl FileIocs {
    /// The bundled lists, compiled once.
    pub fn bundled() -> &'static FileIocs {
        static B: OnceLock<FileIocs> = OnceLock::new();
        B.get_or_init(|| {
            // Our own data, checked by the unit tests: a failure is a broken
            // build, not bad input.
            FileIocsBuilder::new()
                .bundled()
                .build()
                .expect("bundled rules/iocs lists compile")
        })
    }

    /// The indicator for a SHA-256 (hex, any case).
    pub fn hash(&self, sha256_hex: &str) -> Option<&HashIoc> {
        self.hashes.sha256_hex(sha256_hex)
    }

    /// The indicator for a SHA-256 digest.
    pub fn hash_bytes(&self, sha256: &[u8; 32]) -> Option<&HashIoc> {
        self.hashes.sha256.get(sha256)
    }

    /// The indicator for a SHA-1 (hex).
    pub fn sha1(&self, sha1_hex: &str) -> Option<&HashIoc> {
        self.hashes.sha1_hex(sha1_hex)
    }

    /// The indicator for an MD5 (hex).
    pub fn md5(&self, md5_hex: &str) -> Option<&HashIoc> {
        self.hashes.md5_hex(md5_hex)
    }

    /// The indicator for a SHA-1 digest.
    pub fn sha1_bytes(&self, sha1: &[u8; 20]) -> Option<&HashIoc> {
        self.hashes.sha1.get(sha1)
    }

    /// The indicator for an MD5 digest.
    pub fn md5_bytes(&self, md5: &[u8; 16]) -> Option<&HashIoc> {
        self.hashes.md5.get(md5)
    }

    /// Whether any SHA-1 or MD5 is held (a scanner need compute them only then).
    pub fn has_weak_hashes(&self) -> bool {
        self.has_sha1() || self.has_md5()
    }

    /// Whether any SHA-1 is held (a file's SHA-1 is computed only then).
    pub fn has_sha1(&self) -> bool {
        !self.hashes.sha1.is_empty()
    }

    /// Whether any MD5 is held (a file's MD5 is computed only then).
    pub fn has_md5(&self) -> bool {
        !self.hashes.md5.is_empty()
    }

    /// Every path, name and regex indicator, in load order.
    pub fn path_iocs(&self) -> &[PathIoc] {
        &self.iocs
    }

    pub fn counts(&self) -> IocCounts {
        counts(&self.hashes, &self.iocs)
    }

    pub fn is_empty(&self) -> bool {
        self.counts().total() == 0
    }

    /// The path, name and regex indicators a file's path matches, highest
    /// score first. `path` is the file's path inside the scanned input
    /// (`Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/bob.aspx`,
    /// `inetpub/wwwroot/aspnet_client/system_web/shell.aspx`); `/` or `\`,
    /// any case, a drive is ignored.
    ///
    /// Cheap for the common case of no match: one hash lookup of the
    /// lower-cased file name (on the stack) and one Aho-Corasick scan.
    pub fn path(&self, path: &str) -> Vec<&PathIoc> {
        let mut out: Vec<&PathIoc> = Vec::new();
        self.names.matches(path, |i| out.push(&self.iocs[i]));
        self.regexes.matches(path, |i| out.push(&self.iocs[i]));
        // Stable: equal scores and kinds keep the order found.
        out.sort_by_key(|i| (std::cmp::Reverse(i.score), i.kind));
        out
    }
}

/// How many indicators of each kind (a built set's, or a builder's so far).
pub(super) fn counts(hashes: &Hashes, iocs: &[PathIoc]) -> IocCounts {
    let mut c = IocCounts {
        sha256: hashes.sha256.len(),
        sha1: hashes.sha1.len(),
        md5: hashes.md5.len(),
        ..IocCounts::default()
    };
    for i in iocs {
        match i.kind {
            PathIocKind::Path => c.path += 1,
            PathIocKind::Name => c.name += 1,
            PathIocKind::Regex => c.regex += 1,
        }
    }
    c
}
