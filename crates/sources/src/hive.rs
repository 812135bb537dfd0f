//! Exchange's Setup key in an offline `SOFTWARE` registry hive
//! (`Windows/System32/config/SOFTWARE` of a mounted or copied disk).
//!
//! Exchange Setup writes `HKLM\SOFTWARE\Microsoft\ExchangeServer\v15\Setup`
//! (`v14` for Exchange 2010): `MsiInstallPath` is where Exchange is
//! installed, and `MsiProductMajor`/`MsiProductMinor`/`MsiBuildMajor`/
//! `MsiBuildMinor` the build Setup installed (a CU; security updates do not
//! rewrite them). The hive is parsed with `notatin` (Stroz Friedberg), with
//! the transaction logs (`SOFTWARE.LOG1`, `.LOG2`) applied when they are
//! given, since a hive copied from a running or crashed system is often
//! "dirty" and its last changes are only in the logs.

use std::io::Cursor;
use std::sync::Arc;

/// The key paths tried, newest product first (relative to the hive root).
const SETUP_KEYS: &[&str] = &[
    "Microsoft\\ExchangeServer\\v15\\Setup",
    "Microsoft\\ExchangeServer\\v14\\Setup",
];

/// The hive's base block (its header); the hive bins follow it.
const BASE_BLOCK: usize = 4096;

/// What Exchange Setup recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeSetup {
    /// The key it was read from, as `SOFTWARE\Microsoft\ExchangeServer\v15\Setup`.
    pub key: String,
    /// `MsiInstallPath`, as written (a Windows path, usually with a trailing `\`).
    pub install_path: Option<String>,
    /// The build from the four `Msi*` values, when all four are present.
    pub build: Option<String>,
}

/// What reading a hive gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetupRead {
    /// Exchange's Setup key, when it was found.
    pub setup: Option<ExchangeSetup>,
    /// Why the hive could not be read whole (cut short, a damaged header,
    /// hive bin or key on the way to the Setup key), one sentence each.
    /// Not empty: the hive is damaged evidence, and a missing `setup` does
    /// not mean Exchange is absent.
    pub damage: Vec<String>,
    /// Why the transaction logs given could not be applied; the hive was
    /// then read without them (its last changes may be missing).
    pub logs_not_applied: Option<String>,
}

/// Why a hive could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HiveError {
    #[error("not a registry hive (no `regf` signature)")]
    NotAHive,
    #[error("broken registry hive: {0}")]
    Broken(String),
}

/// True when the bytes start like a registry hive.
pub fn is_hive(bytes: &[u8]) -> bool {
    bytes.starts_with(b"regf")
}

/// The hive's bytes, shared by the reads with and without the transaction
/// logs (the parser wants a reader it owns; it copies what it reads).
#[derive(Clone)]
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Exchange's Setup key from the bytes of a `SOFTWARE` hive and its
/// transaction logs (see [`read_exchange_setup`]). `Ok(None)`: a sound
/// hive without the key (a machine without Exchange 2010–2019/SE, or one it
/// was removed from); a damaged hive without it is an error, never taken
/// for a machine without Exchange; a malformed one is never a panic.
pub fn exchange_setup(
    hive: Vec<u8>,
    logs: Vec<Vec<u8>>,
) -> Result<Option<ExchangeSetup>, HiveError> {
    let read = read_exchange_setup(hive, logs)?;
    match read.setup {
        None if !read.damage.is_empty() => Err(HiveError::Broken(read.damage.join("; "))),
        setup => Ok(setup),
    }
}

/// Reads Exchange's Setup key from the bytes of a `SOFTWARE` hive and its
/// transaction logs: with the logs applied, else (they do not fit) from the
/// hive alone, and says so. The hive is held once (moved in, shared by
/// both reads), never copied here; notatin reads its own copy of it.
/// `setup: None` with no `damage`: a sound hive without the key. A hive
/// that cannot be parsed at all is an error; a malformed one is never a
/// panic.
pub fn read_exchange_setup(hive: Vec<u8>, logs: Vec<Vec<u8>>) -> Result<SetupRead, HiveError> {
    if !is_hive(&hive) {
        return Err(HiveError::NotAHive);
    }
    let shape = check_shape(&hive);
    let hive = Shared(Arc::new(hive));
    let mut logs_not_applied = None;
    // A log whose entries claim more hive than the log itself could carry
    // makes the parser allocate what they claim (a hostile log: 4 GiB,
    // found by fuzzing): such logs are left out, and said so.
    let (logs, refused): (Vec<Vec<u8>>, Vec<Vec<u8>>) = logs
        .into_iter()
        .partition(|l| log_growth_is_plausible(hive.as_ref(), l));
    if !refused.is_empty() {
        logs_not_applied = Some(format!(
            "{} transaction log(s) left out: an entry claims more hive data than the log could hold",
            refused.len()
        ));
    }
    if !logs.is_empty() {
        match guarded(hive.clone(), logs) {
            // A base block the logs replaced is no longer damage.
            Ok(found) => return Ok(found.read(shape.cut_or_bins, None)),
            Err(e) => {
                logs_not_applied = Some(match logs_not_applied {
                    Some(l) => format!("{l}; {e}"),
                    None => e.to_string(),
                })
            }
        }
    }
    let mut damage = shape.base;
    damage.extend(shape.cut_or_bins);
    // What is wrong with the layout says more than where the parser
    // stopped.
    let found = guarded(hive, Vec::new()).map_err(|e| match e {
        HiveError::Broken(m) if !damage.is_empty() => HiveError::Broken(format!(
            "{}; and it could not be parsed ({m})",
            damage.join("; ")
        )),
        e => e,
    })?;
    Ok(found.read(damage, logs_not_applied))
}

/// What is wrong with a hive's layout (see [`check_shape`]).
struct Shape {
    /// The base block's checksum.
    base: Vec<String>,
    /// The file shorter than the base block says; hive bins out of line.
    cut_or_bins: Vec<String>,
}

/// Checks the layout the base block describes: its checksum (XOR of its
/// first 127 double words), that the file holds the hive bins' size it
/// gives, and that the bins follow each other (`hbin`, their own offset, a
/// size in 4 KiB steps). The parser reads a hive cut short as one that
/// simply lacks the keys that were cut off.
fn check_shape(hive: &[u8]) -> Shape {
    let mut shape = Shape {
        base: Vec::new(),
        cut_or_bins: Vec::new(),
    };
    if hive.len() < BASE_BLOCK {
        shape.cut_or_bins.push(format!(
            "the hive is cut short: {} bytes, less than its 4 KiB header",
            hive.len()
        ));
        return shape;
    }
    let u32_at = |at: usize| u32::from_le_bytes(hive[at..at + 4].try_into().expect("4 bytes"));
    let mut sum = (0..127).fold(0u32, |x, i| x ^ u32_at(i * 4));
    sum = match sum {
        0 => 1,
        u32::MAX => u32::MAX - 1,
        s => s,
    };
    if sum != u32_at(508) {
        // Its sizes cannot be trusted: nothing more to check against.
        shape.base.push(
            "its header (base block) is damaged or was altered (its checksum does not match)"
                .into(),
        );
        return shape;
    }
    let data = u32_at(40) as usize;
    let held = hive.len() - BASE_BLOCK;
    if data > held {
        shape.cut_or_bins.push(format!(
            "the hive is cut short: its header gives {data} bytes of keys and values after the 4 KiB header, the file holds {held}"
        ));
    }
    let end = data.min(held);
    let mut off = 0usize;
    while off < end {
        let at = BASE_BLOCK + off;
        let Some(head) = hive.get(at..at + 12) else {
            break;
        };
        let size = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes")) as usize;
        let own = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes")) as usize;
        if &head[..4] != b"hbin"
            || own != off
            || size < 4096
            || !size.is_multiple_of(4096)
            || off + size > data
        {
            shape.cut_or_bins.push(format!(
                "its hive bin at offset {at} is damaged (keys and values from there on cannot be trusted)"
            ));
            break;
        }
        off += size;
    }
    shape
}

/// What one parse found.
struct Found {
    setup: Option<ExchangeSetup>,
    /// A key on the way to the Setup key whose subkeys could not all be read.
    damaged_key: Option<String>,
}

impl Found {
    fn read(self, mut damage: Vec<String>, logs_not_applied: Option<String>) -> SetupRead {
        damage.extend(self.damaged_key);
        SetupRead {
            setup: self.setup,
            damage,
            logs_not_applied,
        }
    }
}

/// Whether every entry of a transaction log (`HvLE`, after its 512-byte
/// base block) claims a hive no larger than the primary hive's own hive-bins
/// size plus the whole log: a hive grows only by the pages a log carries.
/// notatin grows its buffer to what an entry claims, unchecked.
fn log_growth_is_plausible(hive: &[u8], log: &[u8]) -> bool {
    let u32_at = |b: &[u8], at: usize| {
        b.get(at..at + 4)
            .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as u64)
    };
    let primary = u32_at(hive, 40).unwrap_or(0);
    let limit = primary + log.len() as u64;
    let mut at = 512usize;
    while let Some(entry) = log.get(at..at + 24) {
        if &entry[..4] != b"HvLE" {
            break;
        }
        let size = u32_at(entry, 4).unwrap_or(0) as usize;
        let claimed = u32_at(entry, 16).unwrap_or(0);
        if claimed > limit {
            return false;
        }
        if size < 24 {
            break;
        }
        at = match at.checked_add(size) {
            Some(n) => n,
            None => break,
        };
    }
    true
}

/// [`read_setup`], with the parser's panics caught: notatin indexes into
/// the file's bytes as the hive's own offsets say, and a corrupt hive must
/// end as an error, not take the scan down.
fn guarded(hive: Shared, logs: Vec<Vec<u8>>) -> Result<Found, HiveError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || read_setup(hive, logs)))
        .unwrap_or_else(|_| {
            Err(HiveError::Broken(
                "the hive's structure is inconsistent (parser gave up)".to_string(),
            ))
        })
}

fn read_setup(hive: Shared, logs: Vec<Vec<u8>>) -> Result<Found, HiveError> {
    let mut builder = notatin::parser_builder::ParserBuilder::from_file(Cursor::new(hive));
    builder.recover_deleted(false);
    for log in logs {
        builder.with_transaction_log(Cursor::new(log));
    }
    let mut parser = builder
        .build()
        .map_err(|e| HiveError::Broken(e.to_string()))?;
    // A hive always has a root key; without one the header points nowhere.
    if !matches!(parser.get_root_key(), Ok(Some(_))) {
        return Err(HiveError::Broken("its root key cannot be read".to_string()));
    }
    for key_path in SETUP_KEYS {
        let key = parser
            .get_key(key_path, false)
            .map_err(|e| HiveError::Broken(e.to_string()))?;
        let Some(key) = key else {
            continue;
        };
        let string = |name: &str| match key.get_value(name).map(|v| v.get_content().0) {
            Some(notatin::cell_value::CellValue::String(s)) => Some(s),
            Some(notatin::cell_value::CellValue::MultiString(v)) => v.into_iter().next(),
            _ => None,
        };
        let number = |name: &str| match key.get_value(name).map(|v| v.get_content().0) {
            Some(notatin::cell_value::CellValue::U32(n)) => Some(u64::from(n)),
            Some(notatin::cell_value::CellValue::I32(n)) => u64::try_from(n).ok(),
            Some(notatin::cell_value::CellValue::U64(n)) => Some(n),
            Some(notatin::cell_value::CellValue::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let build = match (
            number("MsiProductMajor"),
            number("MsiProductMinor"),
            number("MsiBuildMajor"),
            number("MsiBuildMinor"),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => Some(format!("{a}.{b}.{c}.{d}")),
            _ => None,
        };
        return Ok(Found {
            setup: Some(ExchangeSetup {
                key: format!("SOFTWARE\\{key_path}"),
                install_path: string("MsiInstallPath")
                    .map(|s| s.trim_end_matches('\0').to_string())
                    .filter(|s| !s.trim().is_empty()),
                build,
            }),
            damaged_key: None,
        });
    }
    Ok(Found {
        setup: None,
        damaged_key: damaged_on_the_way(&mut parser),
    })
}

/// The Setup key was not found: was that because a key on the way to it
/// could not be read (its subkey list, or a subkey, damaged)? Then the
/// hive does not say that Exchange is absent.
fn damaged_on_the_way(parser: &mut notatin::parser::Parser) -> Option<String> {
    let mut at = parser.get_root_key().ok().flatten()?;
    let levels: [&[&str]; 4] = [
        &["Microsoft"],
        &["ExchangeServer"],
        &["v15", "v14"],
        &["Setup"],
    ];
    for wanted in levels {
        let children = at.read_sub_keys(parser);
        let whole = !at.logs.has_logs()
            && children.len() as u64 >= u64::from(at.detail.number_of_sub_keys());
        let next = children
            .into_iter()
            .find(|k| wanted.iter().any(|w| k.key_name.eq_ignore_ascii_case(w)));
        match next {
            Some(k) => at = k,
            None if whole => return None,
            None => {
                let path = at.path.trim_start_matches('\\');
                return Some(format!(
                    "the subkeys of {} could not all be read (a damaged key list or key), and Exchange's Setup key may be among them",
                    if path.is_empty() { "its root key" } else { path }
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &[u8] = include_bytes!("../tests/data/hivex-minimal-hive/minimal.hive");

    #[test]
    fn not_a_hive_is_an_error() {
        assert_eq!(
            exchange_setup(b"MZ\x90\0".to_vec(), vec![]),
            Err(HiveError::NotAHive)
        );
        assert_eq!(exchange_setup(Vec::new(), vec![]), Err(HiveError::NotAHive));
    }

    /// Sound, or an error, or damage named: never a hive read as sound
    /// when it is not.
    fn damaged(r: &Result<SetupRead, HiveError>) -> bool {
        match r {
            Err(_) => true,
            Ok(read) => !read.damage.is_empty(),
        }
    }

    #[test]
    fn truncated_or_scrambled_hive_is_an_error_not_a_panic() {
        let mut bytes = MINIMAL.to_vec();
        // Cut inside the first hive bin, and at its end: the header says
        // how much there should be.
        for cut in [4200, 4096, 2000] {
            let r = read_exchange_setup(bytes[..cut].to_vec(), vec![]);
            assert!(damaged(&r), "{cut}: {r:?}");
        }
        // Root cell offset pointing far outside the file (the header's
        // checksum fixed, so that only the offset is wrong).
        bytes[36..40].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        let sum = (0..127).fold(0u32, |x, i| {
            x ^ u32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap())
        });
        bytes[508..512].copy_from_slice(&sum.to_le_bytes());
        assert!(read_exchange_setup(bytes.clone(), vec![]).is_err());
        // Every byte of the bin scrambled.
        for b in bytes.iter_mut().skip(4096) {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        let r = read_exchange_setup(bytes.clone(), vec![]);
        assert!(damaged(&r), "{r:?}");
        assert!(exchange_setup(bytes, vec![]).is_err());
    }

    #[test]
    fn the_shape_of_a_hive_is_checked() {
        let sound = check_shape(MINIMAL);
        assert!(sound.base.is_empty() && sound.cut_or_bins.is_empty());
        let data = u32::from_le_bytes(MINIMAL[40..44].try_into().unwrap());
        let cut = check_shape(&MINIMAL[..MINIMAL.len() - 4096]);
        assert_eq!(
            cut.cut_or_bins,
            [format!(
                "the hive is cut short: its header gives {data} bytes of keys and values after the 4 KiB header, the file holds {}",
                data - 4096
            )]
        );
        let mut bin = MINIMAL.to_vec();
        bin[4096..4100].copy_from_slice(b"XXXX");
        assert!(check_shape(&bin).cut_or_bins[0].contains("hive bin at offset 4096 is damaged"));
        let mut base = MINIMAL.to_vec();
        base[100] ^= 1;
        assert!(check_shape(&base).base[0].contains("checksum does not match"));
        // The same damage through the reader.
        let r = read_exchange_setup(MINIMAL[..MINIMAL.len() - 4096].to_vec(), vec![]);
        assert!(damaged(&r), "{r:?}");
        // Damaged and without the key: an error, not "no Exchange".
        let r = exchange_setup(MINIMAL[..MINIMAL.len() - 4096].to_vec(), vec![]);
        assert!(
            matches!(&r, Err(HiveError::Broken(m)) if m.contains("cut short")),
            "{r:?}"
        );
    }

    #[test]
    fn a_log_claiming_gigabytes_of_hive_is_left_out_not_applied() {
        // Found by fuzzing: notatin allocated the 4 GiB this log's entry
        // claims (and aborted where that much was not available).
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hive-hostile-log/");
        let hive = std::fs::read(format!("{dir}SOFTWARE")).unwrap();
        let log = std::fs::read(format!("{dir}SOFTWARE.LOG1")).unwrap();
        assert!(!log_growth_is_plausible(&hive, &log));
        let t = std::time::Instant::now();
        let read = read_exchange_setup(hive, vec![log]).unwrap();
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        let why = read
            .logs_not_applied
            .expect("the log is said to be left out");
        assert!(why.contains("left out"), "{why}");
    }

    #[test]
    fn empty_hive_has_no_exchange() {
        assert_eq!(exchange_setup(MINIMAL.to_vec(), vec![]), Ok(None));
        assert_eq!(
            read_exchange_setup(MINIMAL.to_vec(), vec![]),
            Ok(SetupRead::default())
        );
        // A log that is not one does not hide the hive.
        let r = read_exchange_setup(MINIMAL.to_vec(), vec![b"not a log".to_vec()]).unwrap();
        assert_eq!(r.setup, None);
        assert!(r.damage.is_empty(), "{r:?}");
    }
}
