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

/// The key paths tried, newest product first (relative to the hive root).
const SETUP_KEYS: &[&str] = &[
    "Microsoft\\ExchangeServer\\v15\\Setup",
    "Microsoft\\ExchangeServer\\v14\\Setup",
];

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

/// Reads Exchange's Setup key from the bytes of a `SOFTWARE` hive and its
/// transaction logs. `Ok(None)`: a readable hive without the key (a machine
/// without Exchange 2010–2019/SE, or one it was removed from). A malformed
/// hive is an error, never a panic.
pub fn exchange_setup(
    hive: Vec<u8>,
    logs: Vec<Vec<u8>>,
) -> Result<Option<ExchangeSetup>, HiveError> {
    if !is_hive(&hive) {
        return Err(HiveError::NotAHive);
    }
    // notatin indexes into the file's bytes as the hive's own offsets say;
    // a corrupt hive must end as an error, not take the scan down.
    let parsed = std::panic::catch_unwind(move || read_setup(hive, logs));
    match parsed {
        Ok(r) => r,
        Err(_) => Err(HiveError::Broken(
            "the hive's structure is inconsistent (parser gave up)".to_string(),
        )),
    }
}

fn read_setup(hive: Vec<u8>, logs: Vec<Vec<u8>>) -> Result<Option<ExchangeSetup>, HiveError> {
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
        return Ok(Some(ExchangeSetup {
            key: format!("SOFTWARE\\{key_path}"),
            install_path: string("MsiInstallPath")
                .map(|s| s.trim_end_matches('\0').to_string())
                .filter(|s| !s.trim().is_empty()),
            build,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_hive_is_an_error() {
        assert_eq!(
            exchange_setup(b"MZ\x90\0".to_vec(), vec![]),
            Err(HiveError::NotAHive)
        );
        assert_eq!(exchange_setup(Vec::new(), vec![]), Err(HiveError::NotAHive));
    }

    #[test]
    fn truncated_or_scrambled_hive_is_an_error_not_a_panic() {
        let mut bytes = include_bytes!("../tests/data/hivex-minimal-hive/minimal.hive").to_vec();
        // Cut inside the first hive bin.
        let cut = bytes[..4200].to_vec();
        assert!(exchange_setup(cut, vec![]).is_err());
        // Root cell offset pointing far outside the file.
        bytes[36..40].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        assert!(exchange_setup(bytes.clone(), vec![]).is_err());
        // Every byte of the bin scrambled.
        for b in bytes.iter_mut().skip(4096) {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        let r = exchange_setup(bytes, vec![]);
        assert!(r.is_err() || r == Ok(None), "{r:?}");
    }

    #[test]
    fn empty_hive_has_no_exchange() {
        let bytes = include_bytes!("../tests/data/hivex-minimal-hive/minimal.hive").to_vec();
        assert_eq!(exchange_setup(bytes, vec![]), Ok(None));
    }
}
