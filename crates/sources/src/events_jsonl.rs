//! Windows events exported as JSON lines, one event per line, as SIEM
//! shippers and public datasets write them. Three shapes are read, and all
//! give the field names of the EVTX reader ([`crate::evtx`]), so that the
//! same rules run on both:
//!
//! - **Winlogbeat / Elastic Agent**: `winlog.event_id`, `winlog.channel`,
//!   `winlog.provider_name`, `winlog.computer_name`, `winlog.record_id`,
//!   `winlog.event_data.*` (by name), `winlog.user_data.*` (by leaf name),
//!   `@timestamp`; nested or as dotted keys (`"winlog.event_id": 1`).
//!   Unnamed event data, which Winlogbeat calls `param1`, `param2`, ..., is
//!   also given as `Data1`, `Data2`, ... and `Data`. Other values keep their
//!   dotted path (`host.name`, `winlog.process.pid`, `message`).
//! - **Flat** (NXLog, the OTRF Security-Datasets): `EventID`, `Channel`,
//!   `SourceName` (→ `Provider_Name`), `Hostname` (→ `Computer`),
//!   `TimeCreated` / `@timestamp`, `Message`, and the event data at the top
//!   level (`Image`, `CommandLine`, `ParentImage`, `TargetFilename`, ...).
//!   Every key is kept under its own name as well.
//! - **`evtx_dump -o jsonl`** (the `evtx` crate's renderer, also what
//!   Chainsaw reads): `{"Event":{"System":{..},"EventData":{..}}}`,
//!   flattened exactly like an EVTX record.
//!
//! MSExchange Management events exported by NXLog-style pipelines have no
//! event data, only the rendered `Message`:
//! `Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl
//! "http://ffff/#<script ...>" -Identity "OAB (Default Web Site)".`
//! (Exchange's own spelling). The cmdlet and its parameters are taken out of
//! it as `Data1` and `Data2`, and `Data` holds both, as in the EVTX record
//! (where they are the first two unnamed `<Data>` items); `Message` stays.
//!
//! `time` is the first of `TimeCreated`, `winlog.time_created`,
//! `@timestamp`, `event.created`, `EventTime` that parses, normalised to
//! `YYYY-MM-DDTHH:MM:SS.fffZ`; a time without a zone is taken as UTC.
//! `line` is the line number and `raw` the line.
//!
//! A line that is not a JSON object is counted in
//! [`ReadSummary::failed`] with its line number, and the read goes on.

use crate::lines::{LineSplitter, CHUNK, MAX_LINE};
use crate::read::ReadSummary;
use crate::winevent::{
    finish_event, leaf_by_name, push_scalar, walk_json, widen, EventBuilder, Scalar, Seg, Slots,
};
use crate::SourceError;
use exhunt_core::{EventRecord, Record};
use std::borrow::Cow;
use std::io::Read;

/// Error messages kept per file; the rest are only counted.
const MAX_ERRORS: usize = 100;

/// Whether `prefix` (the start of a file, transcoded to UTF-8) is JSON lines
/// of Windows events: the first non-empty line is a JSON object with an
/// `EventID`, `event_id` or `winlog` key (or `evtx_dump`'s `Event.System`).
/// A first line longer than the prefix is judged on what the prefix holds.
pub fn is_events_jsonl(prefix: &[u8]) -> bool {
    let text = String::from_utf8_lossy(prefix);
    let text = text.trim_start_matches('\u{feff}');
    let mut segments = text.split('\n').peekable();
    let (line, complete) = loop {
        let Some(seg) = segments.next() else {
            return false;
        };
        let seg = seg.trim();
        if !seg.is_empty() {
            // The last segment has no newline after it: maybe cut off.
            break (seg, segments.peek().is_some());
        }
    };
    if !line.starts_with('{') {
        return false;
    }
    if complete && serde_json::from_str::<serde::de::IgnoredAny>(line).is_err() {
        return false;
    }
    let lower = line.to_ascii_lowercase();
    ["\"eventid\"", "\"event_id\"", "\"winlog\"", "\"winlog."]
        .iter()
        .any(|k| lower.contains(k))
        || (lower.starts_with("{\"event\"") && lower.contains("\"system\""))
}

/// A reusable JSON-lines reader: one per worker thread.
#[derive(Debug)]
pub struct EventsJsonlReader {
    lines: LineSplitter,
    slots: Slots,
    builder: EventBuilder,
}

impl Default for EventsJsonlReader {
    fn default() -> Self {
        Self::new()
    }
}

impl EventsJsonlReader {
    pub fn new() -> Self {
        Self::with_buffer(CHUNK, MAX_LINE)
    }

    /// A reader with another buffer size and line cap (bytes); lines longer
    /// than `max_line` are counted as failed.
    pub fn with_buffer(initial: usize, max_line: usize) -> Self {
        EventsJsonlReader {
            lines: LineSplitter::new(initial, max_line),
            slots: Slots::default(),
            builder: EventBuilder::default(),
        }
    }

    /// Streams one file; `on_record` sees every event. UTF-16 exports must
    /// be transcoded first ([`crate::csvlog::utf8_reader`]); binary content
    /// is refused with [`SourceError::Binary`].
    pub fn scan(
        &mut self,
        rdr: &mut dyn Read,
        on_record: &mut dyn FnMut(&EventRecord),
    ) -> Result<ReadSummary, SourceError> {
        let EventsJsonlReader {
            lines,
            slots,
            builder,
        } = self;
        let mut out = ReadSummary::default();
        let mut utf8_warned = false;
        let mut no_id = (0u64, 0u64);
        let stats = lines.run(rdr, true, &mut |n, bytes| {
            let text = match simdutf8::basic::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => {
                    if !utf8_warned {
                        utf8_warned = true;
                        out.warnings.push(format!(
                            "not valid UTF-8 (first at line {n}); read byte-wise, values shown with replacement characters"
                        ));
                    }
                    String::from_utf8_lossy(bytes)
                }
            };
            let mut line: &str = &text;
            if n == 1 {
                line = line.strip_prefix('\u{feff}').unwrap_or(line);
            }
            let line = line.trim();
            if line.is_empty() {
                return;
            }
            match event_from_line(slots, builder, line) {
                Ok(rec) => {
                    rec.line = n;
                    if rec.field("EventID").is_none() {
                        if no_id.0 == 0 {
                            no_id.1 = n;
                        }
                        no_id.0 += 1;
                    }
                    widen(&mut out.first_time, &mut out.last_time, rec.time.as_deref());
                    out.records += 1;
                    on_record(rec);
                }
                Err(e) => {
                    out.failed += 1;
                    if out.errors.len() < MAX_ERRORS {
                        out.errors.push(format!("line {n}: {e}"));
                    }
                }
            }
        })?;
        for &l in &stats.overlong {
            out.failed += 1;
            if out.errors.len() < MAX_ERRORS {
                out.errors
                    .push(format!("line {l}: longer than {MAX_LINE} bytes, skipped"));
            }
        }
        if no_id.0 > 0 {
            out.warnings.push(format!(
                "{} event(s) without an event id (first at line {})",
                no_id.0, no_id.1
            ));
        }
        if stats.cut_off_last {
            out.warnings.push(
                "the last line is cut off (file truncated, or still being written)".to_string(),
            );
        }
        out.lines = stats.lines;
        out.bytes = stats.bytes;
        Ok(out)
    }
}

/// The standard names filled from the export's own names, pushed at the
/// end when the export did not already use the standard name.
#[derive(Default)]
struct Canon {
    event_id: Option<String>,
    channel: Option<String>,
    provider: Option<String>,
    computer: Option<String>,
    record_id: Option<String>,
    winlog_time: Option<String>,
    event_created: Option<String>,
}

fn set_once(slot: &mut Option<String>, v: &Scalar<'_>) {
    if slot.is_none() {
        if let Some(v) = v {
            *slot = Some(v.to_string());
        }
    }
}

/// Parses one line into the record held by `slots`.
fn event_from_line<'s>(
    slots: &'s mut Slots,
    builder: &mut EventBuilder,
    line: &str,
) -> Result<&'s mut EventRecord, String> {
    if !line.starts_with('{') {
        return Err("not a JSON object".into());
    }
    slots.begin();
    builder.unnamed.clear();
    let mut canon = Canon::default();
    walk_json(line, &mut |path, v| {
        if path
            .iter()
            .any(|s| s.key().is_some_and(|k| k.contains('.')))
        {
            // Dotted keys (`"winlog.event_data.Image"`): the same as nested.
            let split: Vec<Seg<'_>> = path
                .iter()
                .flat_map(|s| match s {
                    Seg::Key(k) => k
                        .split('.')
                        .map(|p| Seg::Key(Cow::Borrowed(p)))
                        .collect::<Vec<_>>(),
                    Seg::Index(i) => vec![Seg::Index(*i)],
                })
                .collect();
            leaf(slots, builder, &mut canon, &split, v);
        } else {
            leaf(slots, builder, &mut canon, path, v);
        }
    })
    .map_err(|e| format!("not JSON: {e}"))?;
    builder.finish_unnamed(slots);
    let rec = slots.end();
    for (name, v) in [
        ("EventID", canon.event_id.take()),
        ("Channel", canon.channel.take()),
        ("Provider_Name", canon.provider.take()),
        ("Computer", canon.computer.take()),
        ("EventRecordID", canon.record_id.take()),
    ] {
        if let Some(v) = v {
            if rec.field(name).is_none() {
                rec.push(name, v);
            }
        }
    }
    exchange_cmdlet_from_message(rec);
    let created = rec.field("TimeCreated").map(str::to_string);
    let stamp = rec.field("@timestamp").map(str::to_string);
    let event_time = rec.field("EventTime").map(str::to_string);
    finish_event(
        rec,
        &[
            created.as_deref(),
            canon.winlog_time.as_deref(),
            stamp.as_deref(),
            canon.event_created.as_deref(),
            event_time.as_deref(),
        ],
    );
    rec.raw.clear();
    rec.raw.push_str(line);
    Ok(rec)
}

fn leaf(
    rec: &mut Slots,
    builder: &mut EventBuilder,
    canon: &mut Canon,
    path: &[Seg<'_>],
    v: Scalar<'_>,
) {
    let Some(first) = path.first().and_then(Seg::key) else {
        return;
    };
    if first == "Event" && path.len() > 1 {
        // `evtx_dump` rendering: exactly an EVTX record.
        builder.event_leaf(rec, &path[1..], v);
        return;
    }
    if first == "Event_attributes" {
        // Its XML namespace.
        return;
    }
    if first == "winlog" && path.len() > 1 {
        winlog_leaf(rec, builder, canon, &path[1..], v);
        return;
    }
    if path.len() == 1 {
        flat_leaf(rec, canon, first, v);
        return;
    }
    // Other nested values (`host.name`, `event.code`): dotted names.
    let name = path
        .iter()
        .filter_map(Seg::key)
        .collect::<Vec<_>>()
        .join(".");
    match name.as_str() {
        "event.code" => set_once(&mut canon.event_id, &v),
        "event.provider" => set_once(&mut canon.provider, &v),
        "host.name" | "host.hostname" => set_once(&mut canon.computer, &v),
        "event.created" => set_once(&mut canon.event_created, &v),
        _ => {}
    }
    push_scalar(rec, &name, v);
}

fn winlog_leaf(
    rec: &mut Slots,
    builder: &mut EventBuilder,
    canon: &mut Canon,
    path: &[Seg<'_>],
    v: Scalar<'_>,
) {
    let Some(key) = path[0].key() else { return };
    match key {
        "event_data" => {
            if let [Seg::Key(k)] = &path[1..] {
                if let Some(i) = k
                    .strip_prefix("param")
                    .and_then(|d| d.parse::<usize>().ok())
                {
                    builder
                        .unnamed
                        .push((i, v.as_deref().unwrap_or("").to_string()));
                }
            }
            builder.event_data_leaf(rec, &path[1..], v);
        }
        "user_data" => leaf_by_name(rec, &path[1..], v),
        // The canonical names are set by the winlog values first (they are
        // the event's own); `event.code` and the like only fill gaps.
        "event_id" => canon.event_id = v.map(Cow::into_owned).or(canon.event_id.take()),
        "channel" => canon.channel = v.map(Cow::into_owned).or(canon.channel.take()),
        "provider_name" => canon.provider = v.map(Cow::into_owned).or(canon.provider.take()),
        "computer_name" => canon.computer = v.map(Cow::into_owned).or(canon.computer.take()),
        "record_id" => canon.record_id = v.map(Cow::into_owned).or(canon.record_id.take()),
        "time_created" => set_once(&mut canon.winlog_time, &v),
        _ => {
            let name = std::iter::once("winlog")
                .chain(path.iter().filter_map(Seg::key))
                .collect::<Vec<_>>()
                .join(".");
            push_scalar(rec, &name, v);
        }
    }
}

/// A top-level scalar of a flat export: kept under its own name, and its
/// value also fills the standard name it stands for.
fn flat_leaf(rec: &mut Slots, canon: &mut Canon, key: &str, v: Scalar<'_>) {
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "event_id" | "eventid" => set_once(&mut canon.event_id, &v),
        "sourcename" | "providername" | "provider_name" | "provider" => {
            set_once(&mut canon.provider, &v)
        }
        "hostname" | "computername" | "computer_name" | "computer" => {
            set_once(&mut canon.computer, &v)
        }
        "recordnumber" | "record_id" | "eventrecordid" => set_once(&mut canon.record_id, &v),
        "channel" | "logname" => set_once(&mut canon.channel, &v),
        _ => {}
    }
    push_scalar(rec, key, v);
}

/// For MSExchange Management events that only have a rendered message
/// (`Cmdlet suceeded. Cmdlet <name>, parameters <params>.`): adds the cmdlet
/// as `Data1`, its parameters as `Data2`, and both as `Data`.
fn exchange_cmdlet_from_message(rec: &mut EventRecord) {
    let is_mgmt = rec
        .field("Channel")
        .is_some_and(|c| c.eq_ignore_ascii_case("MSExchange Management"));
    if !is_mgmt || rec.field("Data").is_some() {
        return;
    }
    let Some((cmdlet, params)) = rec.field("Message").and_then(split_cmdlet_message) else {
        return;
    };
    let (cmdlet, params) = (cmdlet.to_string(), params.to_string());
    let all = format!("{cmdlet}\n{params}");
    rec.push("Data1", cmdlet);
    rec.push("Data2", params);
    rec.push("Data", all);
}

fn split_cmdlet_message(msg: &str) -> Option<(&str, &str)> {
    const SEP: &str = ", parameters ";
    let i = msg.find(SEP)?;
    let cmdlet = msg[..i].rsplit(char::is_whitespace).next()?;
    let looks_like_cmdlet = cmdlet.contains('-')
        && cmdlet
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !looks_like_cmdlet {
        return None;
    }
    let params = msg[i + SEP.len()..].trim_end();
    Some((cmdlet, params.strip_suffix('.').unwrap_or(params)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(data: &str) -> (Vec<EventRecord>, ReadSummary) {
        let mut got = Vec::new();
        let out = EventsJsonlReader::new()
            .scan(&mut data.as_bytes(), &mut |r| got.push(r.clone()))
            .unwrap();
        (got, out)
    }

    const WINLOGBEAT: &str = r#"{"@timestamp":"2021-03-14T01:40:15.342Z","event":{"code":"1","kind":"event","provider":"Microsoft-Windows-Sysmon"},"host":{"name":"mxs01.example.org"},"message":"Process Create","winlog":{"api":"wineventlog","channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"MXS01.example.org","event_data":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"},"event_id":1,"process":{"pid":2868},"provider_name":"Microsoft-Windows-Sysmon","record_id":3411,"task":"Process Create (rule: ProcessCreate)"}}"#;

    #[test]
    fn winlogbeat_maps_to_the_evtx_names() {
        let (got, out) = scan(WINLOGBEAT);
        assert_eq!(out.records, 1);
        let r = &got[0];
        assert_eq!(r.field("EventID"), Some("1"));
        assert_eq!(
            r.field("Channel"),
            Some("Microsoft-Windows-Sysmon/Operational")
        );
        assert_eq!(r.field("Provider_Name"), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(r.field("Computer"), Some("MXS01.example.org"));
        assert_eq!(r.field("EventRecordID"), Some("3411"));
        assert_eq!(
            r.field("ParentImage"),
            Some("C:\\Windows\\System32\\inetsrv\\w3wp.exe")
        );
        assert_eq!(r.field("CommandLine"), Some("cmd /c whoami"));
        assert_eq!(r.field("winlog.process.pid"), Some("2868"));
        assert_eq!(r.field("host.name"), Some("mxs01.example.org"));
        assert_eq!(r.time.as_deref(), Some("2021-03-14T01:40:15.342Z"));
        assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
        assert_eq!(r.logsource.service.as_deref(), Some("sysmon"));
        assert_eq!(r.raw, WINLOGBEAT);
    }

    #[test]
    fn dotted_keys_and_unnamed_params() {
        let line = r#"{"@timestamp":"2021-06-04T08:41:47.982Z","winlog.channel":"MSExchange Management","winlog.event_id":"6","winlog.provider_name":"MSExchange CmdletLogs","winlog.event_data.param1":"Install-TransportAgent","winlog.event_data.param10":"ten","winlog.event_data.param2":"-Name \"Evil\"","winlog.event_data.param3":"a","winlog.event_data.param4":"b","winlog.event_data.param5":"c","winlog.event_data.param6":"d","winlog.event_data.param7":"e","winlog.event_data.param8":"f","winlog.event_data.param9":"g"}"#;
        let (got, _) = scan(line);
        let r = &got[0];
        assert_eq!(r.field("EventID"), Some("6"));
        assert_eq!(r.field("Data1"), Some("Install-TransportAgent"));
        assert_eq!(r.field("Data2"), Some("-Name \"Evil\""));
        assert_eq!(r.field("Data10"), Some("ten"));
        assert!(r
            .field("Data")
            .unwrap()
            .starts_with("Install-TransportAgent -Name"));
        assert_eq!(r.field("param1"), Some("Install-TransportAgent"));
        assert_eq!(
            r.logsource.service.as_deref(),
            Some("msexchange-management")
        );
    }

    #[test]
    fn bad_lines_are_counted_not_fatal() {
        let data = format!("{WINLOGBEAT}\n\nnot json\n[1,2]\n{{\"EventID\": 4688, \"Channel\":\"Security\", \"NewProcessName\":\"C:\\\\x.exe\"\n{WINLOGBEAT}\r\n");
        let (got, out) = scan(&data);
        assert_eq!(got.len(), 2);
        assert_eq!(out.failed, 3);
        assert_eq!(out.lines, 6);
        assert!(out.errors[0].starts_with("line 3:"), "{:?}", out.errors);
        assert!(out.errors[1].starts_with("line 4:"));
        assert!(out.errors[2].starts_with("line 5:"));
        assert_eq!(got[1].line, 6);
    }

    #[test]
    fn evtx_dump_shape_and_security_4688_names() {
        let line = r#"{"Event":{"System":{"Provider_attributes":{"Name":"Microsoft-Windows-Security-Auditing"},"EventID":4688,"TimeCreated_attributes":{"SystemTime":"2021-03-14T01:40:15.338123Z"},"EventRecordID":99,"Channel":"Security","Computer":"MXS01"},"EventData":{"NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","ParentProcessName":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}}}"#;
        let (got, _) = scan(line);
        let r = &got[0];
        assert_eq!(r.field("Image"), Some("C:\\Windows\\System32\\cmd.exe"));
        assert_eq!(
            r.field("ParentImage"),
            Some("C:\\Windows\\System32\\inetsrv\\w3wp.exe")
        );
        assert_eq!(
            r.field("Provider_Name"),
            Some("Microsoft-Windows-Security-Auditing")
        );
        assert_eq!(r.time.as_deref(), Some("2021-03-14T01:40:15.338Z"));
        assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
        assert_eq!(r.logsource.service.as_deref(), Some("security"));
    }

    #[test]
    fn inline_attributes_unnamed_data_and_user_data() {
        // `evtx_dump -o jsonl` without separate attributes: EventID with
        // its Qualifiers, attributes under `#attributes`.
        let mgmt = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"MSExchange CmdletLogs"}},"EventID":{"#attributes":{"Qualifiers":49152},"#text":6},"Level":2,"TimeCreated":{"#attributes":{"SystemTime":"2021-06-04T08:41:47.9821281Z"}},"EventRecordID":7184,"Channel":"MSExchange Management","Computer":"exchange01.offsec.lan","Security":null},"EventData":{"Data":{"#text":["Install-TransportAgent","-Name \"Evil\"",null,""]}}}}"##;
        let cleared = r##"{"Event":{"System":{"Provider_attributes":{"Name":"Microsoft-Windows-Eventlog"},"EventID":1102,"TimeCreated_attributes":{"SystemTime":"2021-03-14T02:00:00Z"},"Channel":"Security"},"UserData":{"LogFileCleared_attributes":{"xmlns":"http://manifests.microsoft.com/win/2004/08/windows/eventlog"},"LogFileCleared":{"SubjectUserSid":"S-1-5-18","SubjectUserName":"MXS01$"}}}}"##;
        let single = r##"{"Event":{"System":{"EventID":4,"Channel":"Application"},"EventData":{"Data":"one value","Binary":"00AA"}}}"##;
        let (got, out) = scan(&format!("{mgmt}\n{cleared}\n{single}\n"));
        assert_eq!(out.failed, 0, "{:?}", out.errors);
        let r = &got[0];
        assert_eq!(r.field("EventID"), Some("6"));
        assert_eq!(r.field("EventID_Qualifiers"), Some("49152"));
        assert_eq!(r.field("Provider_Name"), Some("MSExchange CmdletLogs"));
        assert_eq!(r.field("TimeCreated"), Some("2021-06-04T08:41:47.9821281Z"));
        assert_eq!(r.time.as_deref(), Some("2021-06-04T08:41:47.982Z"));
        assert_eq!(r.field("Data1"), Some("Install-TransportAgent"));
        assert_eq!(r.field("Data3"), Some(""));
        assert_eq!(r.field("Data4"), Some(""));
        assert_eq!(
            r.field("Data"),
            Some("Install-TransportAgent -Name \"Evil\"  ")
        );
        assert_eq!(r.field("Security"), None);
        assert_eq!(r.field("xmlns"), None);
        assert_eq!(
            r.logsource.service.as_deref(),
            Some("msexchange-management")
        );
        let r = &got[1];
        assert_eq!(r.field("SubjectUserName"), Some("MXS01$"));
        assert_eq!(r.field("SubjectUserSid"), Some("S-1-5-18"));
        assert_eq!(r.field("xmlns"), None);
        assert_eq!(r.field("Provider_Name"), Some("Microsoft-Windows-Eventlog"));
        let r = &got[2];
        assert_eq!(r.field("Data1"), Some("one value"));
        assert_eq!(r.field("Data"), Some("one value"));
        assert_eq!(r.field("Binary"), Some("00AA"));
        assert_eq!(r.time, None);
    }

    #[test]
    fn cmdlet_message_split() {
        assert_eq!(
            split_cmdlet_message(
                "Cmdlet suceeded. Cmdlet Remove-OabVirtualDirectory, parameters -Force \"True\"."
            ),
            Some(("Remove-OabVirtualDirectory", "-Force \"True\""))
        );
        assert_eq!(split_cmdlet_message("Something else, parameters x"), None);
        assert_eq!(split_cmdlet_message("no separator"), None);
    }

    #[test]
    fn recognition() {
        assert!(is_events_jsonl(WINLOGBEAT.as_bytes()));
        assert!(is_events_jsonl(b"\n{\"SourceName\":\"x\",\"EventID\":1}\n"));
        // A first line longer than the prefix.
        assert!(is_events_jsonl(b"{\"EventID\":1,\"Message\":\"abc"));
        assert!(is_events_jsonl(b"\r\n\n{\"EventID\":1,\"Message\":\"abc"));
        assert!(!is_events_jsonl(b"{\"EventID\":1,,}\n"));
        assert!(!is_events_jsonl(b"{\"name\":\"package\"}\n"));
        assert!(!is_events_jsonl(b"#Fields: date time\n"));
        assert!(!is_events_jsonl(b""));
    }
}
