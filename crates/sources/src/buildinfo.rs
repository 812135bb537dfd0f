//! The Exchange build a server runs, from its files: the version resource
//! of a PE file (`ExSetup.exe`, as Microsoft's Health Checker reads it) and
//! an exported registry key (`...\ExchangeServer\v15\Setup`, `.reg` text).
//! Log headers (`#Version:`) are read by the log readers.

use memchr::memmem;

/// The file version of a PE file's `VS_VERSIONINFO` resource, from its
/// `VS_FIXEDFILEINFO` (signature `0xFEEF04BD` right after the
/// `VS_VERSION_INFO` key): `[major, minor, build, private]`.
pub fn pe_file_version(bytes: &[u8]) -> Option<[u32; 4]> {
    if !bytes.starts_with(b"MZ") {
        return None;
    }
    let key: Vec<u8> = "VS_VERSION_INFO"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let mut from = 0;
    while let Some(p) = memmem::find(&bytes[from..], &key) {
        let at = from + p + key.len();
        // The key is followed by padding to a 32-bit boundary, then the
        // fixed structure.
        let window = &bytes[at..bytes.len().min(at + 16)];
        if let Some(q) = memmem::find(window, &[0xBD, 0x04, 0xEF, 0xFE]) {
            let s = at + q;
            let rd = |o: usize| -> Option<u32> {
                Some(u32::from_le_bytes(
                    bytes.get(s + o..s + o + 4)?.try_into().ok()?,
                ))
            };
            let (ms, ls) = (rd(8)?, rd(12)?);
            return Some([ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff]);
        }
        from = at;
    }
    None
}

/// The Exchange build in a registry export (`regedit` `.reg` text, UTF-16
/// with BOM or UTF-8): the `MsiProductMajor`, `MsiProductMinor`,
/// `MsiBuildMajor` and `MsiBuildMinor` values of
/// `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v15\Setup` (or
/// `v14`). Returns the build and the key it was read from.
pub fn reg_exchange_build(bytes: &[u8]) -> Option<(String, String)> {
    let text = if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned()
    };
    let mut key: Option<String> = None;
    let mut vals = [None::<u32>; 4];
    let names = [
        "msiproductmajor",
        "msiproductminor",
        "msibuildmajor",
        "msibuildminor",
    ];
    for line in text.lines() {
        let l = line.trim();
        if let Some(k) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if vals.iter().all(Option::is_some) {
                break;
            }
            let kl = k.to_ascii_lowercase();
            key = (kl.ends_with("\\microsoft\\exchangeserver\\v15\\setup")
                || kl.ends_with("\\microsoft\\exchangeserver\\v14\\setup"))
            .then(|| k.to_string());
            vals = [None; 4];
            continue;
        }
        if key.is_none() {
            continue;
        }
        let Some((name, value)) = l.split_once('=') else {
            continue;
        };
        let name = name.trim().trim_matches('"').to_ascii_lowercase();
        if let Some(i) = names.iter().position(|n| *n == name) {
            let v = value.trim().to_ascii_lowercase();
            if let Some(hex) = v.strip_prefix("dword:") {
                vals[i] = u32::from_str_radix(hex.trim(), 16).ok();
            }
        }
    }
    let [a, b, c, d] = vals;
    Some((format!("{}.{}.{}.{}", a?, b?, c?, d?), key?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PE-like file with a version resource, as the linker lays
    /// it out: `VS_VERSION_INFO` in UTF-16, padding, `VS_FIXEDFILEINFO`.
    pub fn fake_exe(v: [u16; 4]) -> Vec<u8> {
        let mut b = b"MZ\x90\x00".to_vec();
        b.resize(512, 0);
        b.extend_from_slice(&[0x5c, 0x03, 0x34, 0x00, 0x00, 0x00]); // wLength, wValueLength, wType
        for u in "VS_VERSION_INFO".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b.extend_from_slice(&[0, 0, 0, 0]); // terminator + padding
        b.extend_from_slice(&0xFEEF04BDu32.to_le_bytes());
        b.extend_from_slice(&0x0001_0000u32.to_le_bytes());
        b.extend_from_slice(&((u32::from(v[0]) << 16) | u32::from(v[1])).to_le_bytes());
        b.extend_from_slice(&((u32::from(v[2]) << 16) | u32::from(v[3])).to_le_bytes());
        b.extend_from_slice(&[0u8; 64]);
        b
    }

    #[test]
    fn pe_version() {
        assert_eq!(
            pe_file_version(&fake_exe([15, 1, 2106, 2])),
            Some([15, 1, 2106, 2])
        );
        assert_eq!(pe_file_version(b"MZ no resource here"), None);
        assert_eq!(pe_file_version(b"not a PE"), None);
        // A version key without the fixed structure behind it.
        let mut b = fake_exe([15, 2, 792, 10]);
        let at = memmem::find(&b, &[0xBD, 0x04, 0xEF, 0xFE]).unwrap();
        b[at] = 0;
        assert_eq!(pe_file_version(&b), None);
        // Cut short: no panic.
        let b = fake_exe([15, 2, 792, 10]);
        assert_eq!(pe_file_version(&b[..at_of(&b) + 6]), None);
    }

    fn at_of(b: &[u8]) -> usize {
        memmem::find(b, &[0xBD, 0x04, 0xEF, 0xFE]).unwrap()
    }

    const REG: &str = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup]\r\n\"MsiInstallPath\"=\"D:\\\\Exchange\\\\V15\\\\\"\r\n\"MsiProductMajor\"=dword:0000000f\r\n\"MsiProductMinor\"=dword:00000001\r\n\"MsiBuildMajor\"=dword:0000083a\r\n\"MsiBuildMinor\"=dword:0000000d\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup\\Other]\r\n\"MsiBuildMinor\"=dword:00000099\r\n";

    #[test]
    fn registry_export_utf16_and_utf8() {
        let want = Some((
            "15.1.2106.13".to_string(),
            "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup".to_string(),
        ));
        assert_eq!(reg_exchange_build(REG.as_bytes()), want);
        let mut u16 = vec![0xFF, 0xFE];
        for u in REG.encode_utf16() {
            u16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(reg_exchange_build(&u16), want);
        // Another key only, or a value missing: nothing.
        assert_eq!(
            reg_exchange_build(
                b"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Other]\r\n\"MsiBuildMinor\"=dword:1\r\n"
            ),
            None
        );
        let partial = REG.replace("\"MsiBuildMinor\"=dword:0000000d\r\n", "");
        assert_eq!(reg_exchange_build(partial.as_bytes()), None);
    }
}
