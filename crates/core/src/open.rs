//! The one way exhunt opens a file it reads: evidence, hives and their
//! transaction logs, rules, indicator lists, collection manifests.
//!
//! Evidence is attacker-controlled, and so is what sits beside it: an
//! intruder who expects a defender to run exhunt can leave a FIFO named
//! `SOFTWARE.LOG1` (an open that never returns), a link to `/dev/zero` (a
//! read that never ends) or a link out of the evidence folder. So every open
//! here:
//! - refuses what is not a regular file (FIFO, socket, device, folder) with
//!   a reason that names what it is; on Unix the open itself does not block
//!   on a FIFO (`O_NONBLOCK`), and the type is checked on the opened handle,
//!   so a file swapped for a FIFO between a check and the open is caught too;
//! - follows a symbolic link only when the caller's policy says so (paths
//!   found by walking evidence: never; a path the user typed: yes, as
//!   ripgrep does); on Unix the refusal is `O_NOFOLLOW` on the open itself;
//! - reads at most a stated number of bytes ([`read_capped`]), and says so
//!   in the error.
//!
//! Nothing here writes; files are opened read-only.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Whether a symbolic link at the path itself is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// A path the user named: a link to a regular file is read.
    Follow,
    /// A path found beside or inside evidence: a link is refused.
    Refuse,
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a regular file ({0}): not read")]
    NotRegular(&'static str),
    #[error("a symbolic link: not followed")]
    Link,
    #[error("larger than the {} limit for this kind of file: not read", human(*.0))]
    TooLarge(u64),
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl OpenError {
    /// The file was passed over on purpose (not a regular file, a link, too
    /// large): a skip with a reason, not a read failure.
    pub fn is_skip(&self) -> bool {
        !matches!(self, OpenError::Io(_))
    }
}

/// What a non-regular file is, for the message.
pub fn kind_of(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Opens `path` for reading if it is a regular file (see the module note).
pub fn open_regular(path: &Path, links: Links) -> Result<File, OpenError> {
    // The link and type checks before the open give the precise reason and
    // keep a FIFO from being opened at all; the checks on the handle after
    // the open close the gap between the two.
    let meta = std::fs::symlink_metadata(path)?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        if links == Links::Refuse {
            return Err(OpenError::Link);
        }
        let target = std::fs::metadata(path)?;
        if !target.is_file() {
            return Err(OpenError::NotRegular(kind_of(target.file_type())));
        }
    } else if !ft.is_file() {
        return Err(OpenError::NotRegular(kind_of(ft)));
    }
    open_checked(path, links)
}

/// The open itself: never waits on a FIFO (`O_NONBLOCK`), refuses a link
/// when asked (`O_NOFOLLOW`), and checks the handle is a regular file.
fn open_checked(path: &Path, links: Links) -> Result<File, OpenError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        opts.custom_flags(flags);
    }
    let file = opts.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) && links == Links::Refuse {
            return OpenError::Link;
        }
        OpenError::Io(e)
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular(kind_of(meta.file_type())));
    }
    Ok(file)
}

/// Opens a path a directory walk just saw as a regular file (not a link):
/// as [`open_regular`] with [`Links::Refuse`], without checking the path
/// again before the open (one `lstat` less per file of a walk of thousands).
/// On Unix the open still refuses a link (`O_NOFOLLOW`), does not wait on a
/// FIFO (`O_NONBLOCK`), and the handle is checked to be a regular file, so
/// a file swapped since the walk is still refused.
pub fn open_walked(path: &Path) -> Result<File, OpenError> {
    if cfg!(unix) {
        open_checked(path, Links::Refuse)
    } else {
        // No O_NOFOLLOW there: the path is looked at before the open.
        open_regular(path, Links::Refuse)
    }
}

/// Reads a whole regular file of at most `cap` bytes.
pub fn read_capped(path: &Path, links: Links, cap: u64) -> Result<Vec<u8>, OpenError> {
    let file = open_regular(path, links)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > cap {
        return Err(OpenError::TooLarge(cap));
    }
    read_to_cap(file, cap, hint)
}

/// Reads a stream of at most `cap` bytes (a zip member, an open file whose
/// size may lie); more is an error rather than a silent cut. `hint` is
/// reserved up front: a regular file's size, or 0 when it is not known.
pub fn read_to_cap(r: impl Read, cap: u64, hint: u64) -> Result<Vec<u8>, OpenError> {
    // `hint` is reserved whole (one allocation, not a doubling that
    // briefly holds two or three times a 1.5 GB hive): callers give a
    // regular file's size, and 0 for a stream whose claimed size may lie.
    let mut buf = Vec::with_capacity(hint.min(cap).saturating_add(1) as usize);
    r.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(OpenError::TooLarge(cap));
    }
    Ok(buf)
}

/// `64 MB`, `512 KB`: a cap as the user reads it.
pub fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (n, u) in UNITS {
        if bytes >= n && bytes.is_multiple_of(n) {
            return format!("{} {u}", bytes / n);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_read_and_capped() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_capped(&p, Links::Refuse, 5).unwrap(), b"hello");
        let e = read_capped(&p, Links::Refuse, 4).unwrap_err();
        assert!(matches!(e, OpenError::TooLarge(4)), "{e}");
        assert!(e.to_string().contains("4 bytes"), "{e}");
        let e = open_regular(d.path(), Links::Follow).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn links_fifos_and_devices() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        std::fs::write(&p, b"hello").unwrap();
        let l = d.path().join("link");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert!(matches!(
            open_regular(&l, Links::Refuse),
            Err(OpenError::Link)
        ));
        assert_eq!(read_capped(&l, Links::Follow, 10).unwrap(), b"hello");
        let z = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &z).unwrap();
        let e = read_capped(&z, Links::Follow, 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let e = read_capped(Path::new("/dev/zero"), Links::Follow, 10).unwrap_err();
        assert!(e.is_skip(), "{e}");
        let f = d.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&f)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        // Would block forever if the FIFO were opened for reading.
        let e = open_regular(&f, Links::Follow).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_walked_path_swapped_since_the_walk_is_still_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("u_ex210303.log");
        std::fs::write(&p, b"#Fields: date time").unwrap();
        let mut s = String::new();
        open_walked(&p).unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "#Fields: date time");
        // Swapped for a link to a file, and for a FIFO (which would block an
        // open for reading without O_NONBLOCK).
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &p).unwrap();
        assert!(matches!(open_walked(&p), Err(OpenError::Link)));
        std::fs::remove_file(&p).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let e = open_walked(&p).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(e.is_skip());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(64 << 20), "64 MB");
        assert_eq!(human(1 << 30), "1 GB");
        assert_eq!(human(1000), "1000 bytes");
    }
}
