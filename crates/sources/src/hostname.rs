//! Which server a log comes from, read from its first records: an event's
//! `Computer`, the HttpProxy log's `ServerHostName`, an IIS log's
//! `s-computername` (when the site logs it). A scan of several inputs uses
//! it to tell servers apart before it reads them whole (a verdict speaks of
//! one server).
//!
//! Only the head of a file is read ([`HEAD_BYTES`]): the first EVTX chunk,
//! the first lines of a text log. What the head does not name is `None`.

use crate::decode::utf8_reader;
use crate::events_jsonl::EventsJsonlReader;
use exhunt_core::{ArtifactKind, EventRecord, Record};
use std::io::{BufRead, BufReader, Read};

/// How much of a file is read for its host name: an EVTX file's header
/// block and its first chunk; many lines of a text log.
pub const HEAD_BYTES: usize = 4096 + 65536;

/// A host name longer than this is not one (DNS names stop at 253).
const MAX_HOST: usize = 253;

/// Whether this kind of log names its server in its first records.
pub fn names_host(kind: &ArtifactKind) -> bool {
    matches!(
        kind,
        ArtifactKind::EventLog { .. }
            | ArtifactKind::EventJsonl
            | ArtifactKind::HttpProxyLog { .. }
            | ArtifactKind::IisLog { .. }
    )
}

/// The host name the first records of `head` (the start of a log of this
/// kind) give, if any.
pub fn host_in(kind: &ArtifactKind, head: &[u8]) -> Option<String> {
    let name = match kind {
        ArtifactKind::EventLog { .. } => {
            let mut found = None;
            // The head is a cut file: the parser reads the whole chunks it
            // holds and says the rest is missing, which is expected here.
            let _ = crate::read_evtx_bytes(head.to_vec(), &mut |r: &EventRecord| {
                if found.is_none() {
                    found = r.field("Computer").map(str::to_string);
                }
            });
            found
        }
        ArtifactKind::EventJsonl => {
            let mut found = None;
            let mut cut = head;
            // The last line of the head may be cut: only whole lines.
            if let Some(end) = memchr::memrchr(b'\n', cut) {
                cut = &cut[..=end];
            }
            let _ = EventsJsonlReader::default().scan(&mut &cut[..], &mut |r: &EventRecord| {
                if found.is_none() {
                    found = r.field("Computer").map(str::to_string);
                }
            });
            found
        }
        ArtifactKind::HttpProxyLog { .. } => column_value(head, b',', "ServerHostName"),
        ArtifactKind::IisLog { .. } => column_value(head, b' ', "s-computername"),
        _ => None,
    }?;
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= MAX_HOST
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| name.to_string())
}

/// The value of `column` in the first data line under a `#Fields:` header
/// (Exchange's CSV logs and IIS's W3C logs both have one).
fn column_value(head: &[u8], sep: u8, column: &str) -> Option<String> {
    let rdr = utf8_reader(head).ok()?;
    let mut index = None;
    for line in BufReader::new(rdr.take(HEAD_BYTES as u64)).split(b'\n') {
        let line = line.ok()?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if let Some(fields) = line.strip_prefix(b"#Fields:") {
            let fields = String::from_utf8_lossy(fields);
            index = fields
                .trim()
                .split(sep as char)
                .position(|f| f.trim().eq_ignore_ascii_case(column));
            continue;
        }
        if line.starts_with(b"#") || line.is_empty() {
            continue;
        }
        // Exchange's logs start with a plain header line before their
        // `#Software:` lines; an exported log may have only that.
        let Some(i) = index else {
            let header = String::from_utf8_lossy(line);
            index = header
                .split(sep as char)
                .position(|f| f.trim().trim_matches('"').eq_ignore_ascii_case(column));
            // No such column: this log does not name its server.
            index?;
            continue;
        };
        let value = if sep == b',' {
            csv_field(&String::from_utf8_lossy(line), i)?
        } else {
            String::from_utf8_lossy(line).split(' ').nth(i)?.to_string()
        };
        return (!value.is_empty() && value != "-").then_some(value);
    }
    None
}

/// Field `i` of one CSV line, split as the CSV log reader splits it.
fn csv_field(line: &str, i: usize) -> Option<String> {
    crate::csvlog::nth_field(line.as_bytes(), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy() -> ArtifactKind {
        ArtifactKind::HttpProxyLog {
            protocol: "Ecp".into(),
        }
    }

    #[test]
    fn the_httpproxy_log_names_its_front_end() {
        let log = "#Software: Microsoft Exchange Server\r\n#Fields: DateTime,RequestId,ServerHostName,Protocol\r\n2021-03-03T06:49:42.162Z,abc,\"EX01\",Ecp\r\n";
        assert_eq!(host_in(&proxy(), log.as_bytes()).as_deref(), Some("EX01"));
    }

    #[test]
    fn a_log_with_a_plain_header_line_first_is_read_too() {
        let log = "DateTime,RequestId,ServerHostName\r\n#Software: Microsoft Exchange Server\r\n#Fields: DateTime,RequestId,ServerHostName\r\n2021-03-03T06:49:42.162Z,abc,EX03\r\n";
        assert_eq!(host_in(&proxy(), log.as_bytes()).as_deref(), Some("EX03"));
        let exported = "\"DateTime\",\"ServerHostName\"\n\"2021-03-03T06:49:42Z\",\"EX04\"\n";
        assert_eq!(
            host_in(&proxy(), exported.as_bytes()).as_deref(),
            Some("EX04")
        );
    }

    #[test]
    fn an_iis_log_names_its_server_only_when_the_site_logs_it() {
        let iis = ArtifactKind::IisLog {
            site: "W3SVC1".into(),
        };
        let with = "#Fields: date time s-computername s-ip cs-method\n2021-03-03 06:49:42 EX02 10.0.0.5 GET\n";
        assert_eq!(host_in(&iis, with.as_bytes()).as_deref(), Some("EX02"));
        let without = "#Fields: date time s-ip cs-method\n2021-03-03 06:49:42 10.0.0.5 GET\n";
        assert_eq!(host_in(&iis, without.as_bytes()), None);
    }

    #[test]
    fn what_is_not_a_host_name_is_not_taken_for_one() {
        let log = "#Fields: DateTime,ServerHostName\n2021-03-03T06:49:42Z,\"EX01\x1b[2J\"\n";
        assert_eq!(host_in(&proxy(), log.as_bytes()), None);
        let log = "#Fields: DateTime,ServerHostName\n2021-03-03T06:49:42Z,\n";
        assert_eq!(host_in(&proxy(), log.as_bytes()), None);
        assert_eq!(host_in(&proxy(), b"no header at all\n"), None);
    }

    #[test]
    fn an_event_log_names_its_computer_in_its_first_chunk() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/evtx-attack-samples/privexchange_dirkjan.evtx"
        );
        let mut head = std::fs::read(path).unwrap();
        head.truncate(HEAD_BYTES);
        let kind = ArtifactKind::EventLog {
            name: "Security".into(),
        };
        let host = host_in(&kind, &head).expect("a computer name");
        assert!(!host.is_empty());
    }

    #[test]
    fn a_quoted_csv_field_is_read_whole() {
        assert_eq!(
            csv_field("a,\"b,\"\"c\"\"\",d", 1).as_deref(),
            Some("b,\"c\"")
        );
        assert_eq!(csv_field("a,b", 1).as_deref(), Some("b"));
        assert_eq!(csv_field("a,b", 2), None);
    }

    #[test]
    fn an_event_export_names_its_computer() {
        let line = r#"{"Event":{"System":{"Provider_attributes":{"Name":"Microsoft-Windows-Security-Auditing"},"EventID":4688,"TimeCreated_attributes":{"SystemTime":"2021-03-14T01:40:15.338123Z"},"EventRecordID":99,"Channel":"Security","Computer":"MXS01.example.org"},"EventData":{"NewProcessName":"C:\\Windows\\System32\\cmd.exe"}}}"#;
        let head = format!("{line}\n{{\"cut");
        assert_eq!(
            host_in(&ArtifactKind::EventJsonl, head.as_bytes()).as_deref(),
            Some("MXS01.example.org")
        );
    }
}
