//! Decoding text logs: UTF-16 logs (re-saved by PowerShell) come out as
//! UTF-8, and the first bytes of a file are read for recognising it.

use std::io::{self, Read};

/// Wraps a reader so that UTF-16 input (with its BOM) comes out as UTF-8.
/// UTF-8 and BOM-less input pass through untouched.
pub fn utf8_reader<'a, R: Read + 'a>(mut r: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut bom = [0u8; 2];
    let mut n = 0;
    while n < 2 {
        match r.read(&mut bom[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = io::Cursor::new(bom[..n].to_vec());
    if n == 2 && (bom == [0xFF, 0xFE] || bom == [0xFE, 0xFF]) {
        Ok(Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .strip_bom(true)
                .build(head.chain(r)),
        ))
    } else {
        Ok(Box::new(head.chain(r)))
    }
}

/// Reads up to `max` bytes from the start of a reader (for classification).
pub fn read_prefix(r: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(max);
    read_prefix_into(r, max, &mut buf)?;
    Ok(buf)
}

/// As [`read_prefix`], into a buffer reused from file to file (a new one
/// per file costs an allocation and fresh pages each time).
pub fn read_prefix_into(r: &mut dyn Read, max: usize, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    r.take(max as u64).read_to_end(buf)?;
    Ok(())
}
