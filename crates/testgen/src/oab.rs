//! OABGenerator logs (`<install>\Logging\OABGeneratorLog\OABGenerator*.LOG`).
//! CVE-2021-26858's file write leaves `Download failed and temporary file
//! '<path>' needs to be removed` with a path outside the OAB folder
//! (reference §1.1); the same message with a path inside it is routine.

use crate::csv;
use crate::rng::SplitMix64;
use crate::site;
use crate::time::Time;
use std::io::{self, Write};

/// Column names of the generated files (the detectors read the raw line).
pub const FIELDS: &str = "date-time,server,process,message";

/// One OABGenerator log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OabLine {
    pub time: Time,
    pub message: String,
}

/// Writes one OABGenerator log file (header on creation, CRLF).
pub struct OabWriter<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> OabWriter<W> {
    pub fn new(mut out: W, date: Time) -> io::Result<Self> {
        write!(
            out,
            "#Software: Microsoft Exchange Server\r\n#Version: {}\r\n#Log-type: OABGenerator Log\r\n#Date: {}\r\n#Fields: {FIELDS}\r\n",
            site::BUILD,
            date.iso()
        )?;
        Ok(OabWriter {
            out,
            line: Vec::with_capacity(512),
        })
    }

    pub fn write_line(&mut self, l: &OabLine) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(l.time.iso().as_bytes());
        self.line.push(b',');
        self.line.extend_from_slice(site::SERVER.as_bytes());
        // The generator runs as a time-based assistant.
        self.line
            .extend_from_slice(b",MSExchangeMailboxAssistants,");
        csv::push_field(&mut self.line, &l.message);
        self.line.extend_from_slice(b"\r\n");
        self.out.write_all(&self.line)
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A whole file in memory.
pub fn render(date: Time, lines: &[OabLine]) -> Vec<u8> {
    let mut w = OabWriter::new(Vec::new(), date).expect("writing to memory");
    for l in lines {
        w.write_line(l).expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

/// Routine generation messages.
pub fn benign(rng: &mut SplitMix64, at: Time) -> OabLine {
    let oab = site::OAB_GUID;
    let message = match rng.below(6) {
        0 => format!(
            "OABGeneratorAssistant: starting processing of {}",
            site::ORG_MAILBOX
        ),
        1 => format!("Generating OAB '\\Default Offline Address Book' ({oab}), version 4"),
        2 => format!(
            "Downloaded file 'oab.xml' from 'https://{}:444/OAB/{oab}/oab.xml', {} bytes",
            site::SERVER_FQDN,
            rng.between(900, 4_000)
        ),
        3 => {
            let mut m = String::from("Upload of file '");
            rng.push_guid(&mut m);
            m.push_str(&format!(
                "-data-1.lzx' completed in {} ms",
                rng.between(40, 900)
            ));
            m
        }
        4 => format!(
            "OAB generation for '\\Default Offline Address Book' completed: {} entries, 0 errors",
            rng.between(150, 190)
        ),
        _ => format!("Full OAB download started for '{oab}'"),
    };
    OabLine { time: at, message }
}

/// A failed download whose temporary file sits where it should, inside
/// `<install>ClientAccess\OAB\Temp`: the look-alike Test-ProxyLogon's
/// PR #386 stopped reporting.
pub fn temp_file_inside_oab(rng: &mut SplitMix64, at: Time) -> OabLine {
    let mut message = format!(
        "Download failed and temporary file '{}ClientAccess\\OAB\\Temp\\",
        site::INSTALL_PATH
    );
    rng.push_guid(&mut message);
    message.push_str("\\LZX1.djs' needs to be removed");
    OabLine { time: at, message }
}

/// The line preceding a routine failed download.
pub fn download_error(rng: &mut SplitMix64, at: Time) -> OabLine {
    let mut message = format!(
        "Download of 'https://{}:444/OAB/{}/",
        site::SERVER_FQDN,
        site::OAB_GUID
    );
    rng.push_guid(&mut message);
    message.push_str(
        "-lng0409-1.lzx' failed: The remote server returned an error: (503) Server Unavailable.",
    );
    OabLine { time: at, message }
}

/// CVE-2021-26858: the arbitrary file write to
/// `C:\inetpub\wwwroot\aspnet_client\system_web\<8 letters>.aspx`. Returns
/// the line and the path written.
pub fn shell_write(rng: &mut SplitMix64, at: Time) -> (OabLine, String) {
    let path = format!(
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\{}.aspx",
        rng.letters(8)
    );
    let message = format!("Download failed and temporary file '{path}' needs to be removed");
    (OabLine { time: at, message }, path)
}

/// A day of routine lines: a generation run every few hours, one routine
/// failed download (trap) among them when `trap` is set.
pub fn benign_day(rng: &mut SplitMix64, day: Time, n: usize, trap: bool) -> Vec<OabLine> {
    let n = n.max(4) as i64;
    let step = 86_400_000 / n;
    let mut out: Vec<OabLine> = (0..n)
        .map(|i| {
            let at = day.plus_ms(i * step + rng.below(step as u64 / 4) as i64);
            benign(rng, at)
        })
        .collect();
    if trap {
        let i = (n / 2) as usize;
        let t = out[i].time;
        out.insert(i + 1, download_error(rng, t.plus_ms(20)));
        out.insert(i + 2, temp_file_inside_oab(rng, t.plus_ms(25)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_and_attack_lines() {
        let mut rng = SplitMix64::new(4);
        let at = Time::utc(2021, 3, 3, 6, 50, 10);
        let trap = temp_file_inside_oab(&mut rng, at);
        assert!(trap.message.starts_with(r"Download failed and temporary file 'C:\Program Files\Microsoft\Exchange Server\V15\ClientAccess\OAB\Temp\"));
        assert!(trap.message.ends_with(r"\LZX1.djs' needs to be removed"));
        let (l, path) = shell_write(&mut rng, at);
        assert!(path.starts_with(r"C:\inetpub\wwwroot\aspnet_client\system_web\"));
        let name = path.rsplit('\\').next().unwrap();
        assert_eq!(name.len(), 13);
        assert!(name[..8].chars().all(|c| c.is_ascii_alphabetic()));
        let text = String::from_utf8(render(at.day_start(), &[trap, l])).unwrap();
        assert!(text.contains("#Log-type: OABGenerator Log\r\n"));
        assert!(text.contains(&format!("2021-03-03T06:50:10.000Z,EX01,MSExchangeMailboxAssistants,Download failed and temporary file '{path}' needs to be removed\r\n")));
    }

    #[test]
    fn day_is_in_order() {
        let mut rng = SplitMix64::new(5);
        let lines = benign_day(&mut rng, Time::utc(2021, 2, 20, 0, 0, 0), 40, true);
        assert!(lines.windows(2).all(|w| w[0].time <= w[1].time));
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.message.starts_with("Download failed"))
                .count(),
            1
        );
    }
}
