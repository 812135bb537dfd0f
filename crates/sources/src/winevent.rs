//! What the Windows event readers ([`crate::evtx`], [`crate::events_jsonl`])
//! share: the event's shape as the `evtx` crate renders it to JSON, Sigma's
//! `logsource` for a channel and event id, Sigma's field names for Security
//! 4688, and timestamps normalised to one form.
//!
//! Events are flattened with a streaming walk over the JSON text (serde's
//! visitor, no `serde_json::Value` tree): every scalar is seen once, with
//! the path of keys that leads to it, in the order the source wrote it. That
//! keeps the source's field order (a `Value` map would sort keys) and avoids
//! building a tree only to take it apart again.

use exhunt_core::{EventRecord, LogSource, Record};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A timestamp as `YYYY-MM-DDTHH:MM:SS.fffZ` (UTC, milliseconds, truncated):
/// the calendar is `exhunt_core::time`'s, under the name this crate has
/// always exported.
use exhunt_core::time::normalize_utc_millis as normalize_time;

/// One step of the path to a JSON value: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

impl Seg<'_> {
    pub(crate) fn key(&self) -> Option<&str> {
        match self {
            Seg::Key(k) => Some(k),
            Seg::Index(_) => None,
        }
    }
}

/// A JSON scalar. Numbers and booleans are given as text, the way they read
/// in the event's XML; `null` is `None`.
pub(crate) type Scalar<'a> = Option<Cow<'a, str>>;

/// Walks the JSON text `text` and calls `sink(path, value)` for every scalar.
pub(crate) fn walk_json<'a>(
    text: &'a str,
    sink: &mut dyn FnMut(&[Seg<'a>], Scalar<'a>),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut path = Vec::with_capacity(8);
    Walker {
        path: &mut path,
        sink,
    }
    .deserialize(&mut de)?;
    de.end()
}

struct Walker<'p, 's, 'a> {
    path: &'p mut Vec<Seg<'a>>,
    sink: &'s mut dyn FnMut(&[Seg<'a>], Scalar<'a>),
}

impl<'a> DeserializeSeed<'a> for Walker<'_, '_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for Walker<'_, '_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Owned(v)));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        (self.sink)(self.path, Some(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        let s = if v { "true" } else { "false" };
        (self.sink)(self.path, Some(Cow::Borrowed(s)));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        (self.sink)(self.path, None);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        (self.sink)(self.path, None);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        loop {
            self.path.push(Seg::Index(i));
            let more = seq.next_element_seed(Walker {
                path: &mut *self.path,
                sink: &mut *self.sink,
            })?;
            self.path.pop();
            if more.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            self.path.push(Seg::Key(key));
            map.next_value_seed(Walker {
                path: &mut *self.path,
                sink: &mut *self.sink,
            })?;
            self.path.pop();
        }
        Ok(())
    }
}

/// Object keys, borrowed from the text when they hold no escapes.
struct KeySeed;

impl<'a> DeserializeSeed<'a> for KeySeed {
    type Value = Cow<'a, str>;
    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<Cow<'a, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'a> Visitor<'a> for KeySeed {
    type Value = Cow<'a, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<Cow<'a, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'a, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'a, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// Builds an [`EventRecord`] from the scalars of one event as the `evtx`
/// crate renders it (`{"Event":{"System":{..},"EventData":{..}}}`), with
/// attributes either separate (`Provider_attributes: {Name}`) or inline
/// (`Provider: {"#attributes": {Name}}`, `EventID: {"#text": 6, ..}`).
///
/// Field names:
/// - `System` children by their element names (`EventID`, `Channel`,
///   `Computer`, `Level`, `Task`, `EventRecordID`, ...), attributes as
///   `<element>_<attribute>` (`Provider_Name`, `Execution_ProcessID`), except
///   `TimeCreated`, which takes its `SystemTime` attribute;
/// - named `EventData` items by their `Name` (`<Data Name="Image">` → `Image`);
/// - unnamed `EventData` items (classic event sources such as MSExchange
///   Management) as `Data1`, `Data2`, ... and `Data`, all of them joined by a
///   newline (what Sigma rules mean by `Data`: the event data as a whole);
/// - `UserData` and anything else by leaf element or attribute name.
#[derive(Debug, Default)]
pub(crate) struct EventBuilder {
    /// Unnamed event data in order (index, value); sorted before use, since
    /// Winlogbeat exports (`param1`, `param10`, `param2`, ...) come sorted as text.
    pub unnamed: Vec<(usize, String)>,
}

impl EventBuilder {
    /// Takes one scalar at `path`, the path below the `Event` element.
    pub(crate) fn event_leaf(&mut self, rec: &mut Slots, path: &[Seg<'_>], v: Scalar<'_>) {
        match path.first().and_then(Seg::key) {
            Some("System") => system_leaf(rec, &path[1..], v),
            Some("EventData") => self.event_data_leaf(rec, &path[1..], v),
            // Localised text added from an .MTA file: only the message is
            // worth a field (its Level/Task names would shadow the numbers
            // in System).
            Some("RenderingInfo") if path.last().and_then(Seg::key) == Some("Message") => {
                push_scalar(rec, "Message", v)
            }
            Some("RenderingInfo") => {}
            Some(k) if k.ends_with("_attributes") || k == "#attributes" => {}
            Some(_) => leaf_by_name(rec, &path[1..], v),
            None => {}
        }
    }

    /// One scalar under `EventData` (`path` below it).
    pub(crate) fn event_data_leaf(&mut self, rec: &mut Slots, path: &[Seg<'_>], v: Scalar<'_>) {
        let keys = Keys::of(path);
        match keys.as_slice() {
            // `EventData` itself holds text: one unnamed value.
            [] => {
                if v.is_some() {
                    self.push_unnamed(v);
                }
            }
            // Unnamed `<Data>` items: one string, an array, or `#text`.
            [Some("Data")]
            | [Some("Data"), None]
            | [Some("Data"), Some("#text")]
            | [Some("Data"), Some("#text"), None]
            | [Some("#text")]
            | [Some("#text"), None] => self.push_unnamed(v),
            [Some(k), ..] if k.ends_with("_attributes") || *k == "#attributes" => {}
            [Some(_), Some("#attributes"), ..] => {}
            // Named items, possibly repeated (an array) or with attributes.
            [Some(k)] | [Some(k), None] | [Some(k), Some("#text")] => push_scalar(rec, k, v),
            _ => leaf_by_name(rec, path, v),
        }
    }

    pub(crate) fn push_unnamed(&mut self, v: Scalar<'_>) {
        let i = self.unnamed.len();
        self.unnamed
            .push((i, v.map(Cow::into_owned).unwrap_or_default()));
    }

    /// Adds `Data1`... and `Data` from the unnamed values, and resets.
    pub(crate) fn finish_unnamed(&mut self, rec: &mut Slots) {
        if self.unnamed.is_empty() {
            return;
        }
        self.unnamed.sort_by_key(|(i, _)| *i);
        let mut name = String::new();
        for (n, (_, v)) in self.unnamed.iter().enumerate() {
            name.clear();
            name.push_str("Data");
            name.push_str(&(n + 1).to_string());
            rec.put(&name, v);
        }
        // Joined by a space, as the cmdlet and its parameters read on a
        // command line: SigmaHQ's MSExchange keywords carry leading spaces
        // (`' -Mailbox '`) that a newline between the two would defeat.
        let all = rec.slot("Data");
        for (n, (_, v)) in self.unnamed.drain(..).enumerate() {
            if n > 0 {
                all.push(' ');
            }
            all.push_str(&v);
        }
    }
}

/// The keys of a short path (`None` for array indices), without allocating:
/// the patterns matched on are at most 3 deep; a deeper path is given as its
/// first 4 keys, which no pattern of 3 matches.
struct Keys<'p> {
    keys: [Option<&'p str>; 4],
    len: usize,
}

impl<'p> Keys<'p> {
    fn of(path: &'p [Seg<'_>]) -> Self {
        let mut keys = [None; 4];
        let len = path.len().min(4);
        for (k, s) in keys.iter_mut().zip(path) {
            *k = s.key();
        }
        Keys { keys, len }
    }
    fn as_slice(&self) -> &[Option<&'p str>] {
        &self.keys[..self.len]
    }
}

fn system_leaf(rec: &mut Slots, path: &[Seg<'_>], v: Scalar<'_>) {
    if v.is_none() {
        // `Correlation: null`, `Security: null`: empty elements.
        return;
    }
    let keys = Keys::of(path);
    match keys.as_slice() {
        [Some(elem), Some(attr)] if elem.ends_with("_attributes") => {
            system_attr(rec, &elem[..elem.len() - "_attributes".len()], attr, v)
        }
        [Some(elem), Some("#attributes"), Some(attr)] => system_attr(rec, elem, attr, v),
        [Some(elem)] | [Some(elem), Some("#text")] | [Some(elem), None] => {
            push_scalar(rec, elem, v)
        }
        _ => leaf_by_name(rec, path, v),
    }
}

fn system_attr(rec: &mut Slots, elem: &str, attr: &str, v: Scalar<'_>) {
    if elem == "TimeCreated" && attr == "SystemTime" {
        push_scalar(rec, "TimeCreated", v);
    } else {
        let value = rec.slot_parts(&[elem, "_", attr]);
        value.push_str(v.as_deref().unwrap_or(""));
    }
}

/// A scalar named after the nearest element or attribute above it
/// (`UserData/EventXML/Param1` → `Param1`); namespace declarations skipped.
pub(crate) fn leaf_by_name(rec: &mut Slots, path: &[Seg<'_>], v: Scalar<'_>) {
    let name = path
        .iter()
        .rev()
        .filter_map(Seg::key)
        .find(|k| *k != "#text" && *k != "#attributes" && !k.ends_with("_attributes"));
    if let Some(name) = name {
        if !name.starts_with("xmlns") {
            push_scalar(rec, name, v);
        }
    }
}

pub(crate) fn push_scalar(rec: &mut Slots, name: &str, v: Scalar<'_>) {
    rec.put(name, v.as_deref().unwrap_or(""));
}

/// An [`EventRecord`] refilled event after event: the name and value strings
/// of the previous event's fields are overwritten in place, so that a
/// steady stream of events allocates next to nothing.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    pub rec: EventRecord,
    used: usize,
}

impl Slots {
    /// Starts a new event.
    pub(crate) fn begin(&mut self) {
        self.used = 0;
    }

    /// Adds a field.
    pub(crate) fn put(&mut self, name: &str, value: &str) {
        self.slot(name).push_str(value);
    }

    /// Adds a field named `name` and returns its (empty) value to fill.
    pub(crate) fn slot(&mut self, name: &str) -> &mut String {
        self.slot_parts(&[name])
    }

    /// Adds a field named by the concatenation of `parts`.
    pub(crate) fn slot_parts(&mut self, parts: &[&str]) -> &mut String {
        if self.used == self.rec.fields.len() {
            self.rec.fields.push((String::new(), String::new()));
        }
        let (k, v) = &mut self.rec.fields[self.used];
        self.used += 1;
        k.clear();
        for p in parts {
            k.push_str(p);
        }
        v.clear();
        v
    }

    /// Ends the event's fields: what is left of the previous event goes.
    pub(crate) fn end(&mut self) -> &mut EventRecord {
        self.rec.fields.truncate(self.used);
        &mut self.rec
    }
}

/// The `logsource` Sigma uses for a Windows event, from its channel and
/// event id (Sigma taxonomy, "Windows folder"). `field` looks up other
/// fields of the event, for the few categories that depend on them.
pub fn windows_logsource(
    channel: &str,
    event_id: &str,
    field: &dyn Fn(&str) -> Option<String>,
) -> LogSource {
    let service = SERVICES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(channel))
        .map(|(_, s)| s.to_string());
    let id: u32 = event_id.trim().parse().unwrap_or(u32::MAX);
    let category = match service.as_deref() {
        Some("sysmon") => match id {
            1 => Some("process_creation"),
            2 => Some("file_change"),
            4 | 16 => Some("sysmon_status"),
            3 => Some("network_connection"),
            5 => Some("process_termination"),
            6 => Some("driver_load"),
            7 => Some("image_load"),
            8 => Some("create_remote_thread"),
            9 => Some("raw_access_thread"),
            10 => Some("process_access"),
            11 => Some("file_event"),
            // Event 12 is both: Sysmon tells them apart by EventType.
            12 => match field("EventType").as_deref() {
                Some(t) if t.starts_with("Delete") => Some("registry_delete"),
                _ => Some("registry_add"),
            },
            13 => Some("registry_set"),
            14 => Some("registry_rename"),
            15 => Some("create_stream_hash"),
            17 | 18 => Some("pipe_created"),
            19..=21 => Some("wmi_event"),
            22 => Some("dns_query"),
            23 | 26 => Some("file_delete"),
            24 => Some("clipboard_capture"),
            25 => Some("process_tampering"),
            27 => Some("file_block_executable"),
            28 => Some("file_block_shredding"),
            29 => Some("file_executable_detected"),
            255 => Some("sysmon_error"),
            _ => None,
        },
        Some("security") if id == 4688 => Some("process_creation"),
        Some("powershell") => match id {
            4103 => Some("ps_module"),
            4104 => Some("ps_script"),
            _ => None,
        },
        Some("powershell-classic") => match id {
            400 => Some("ps_classic_start"),
            600 => Some("ps_classic_provider_start"),
            800 => Some("ps_classic_script"),
            _ => None,
        },
        _ => None,
    };
    LogSource {
        category: category.map(str::to_string),
        product: Some("windows".to_string()),
        service,
    }
}

/// Channel → Sigma `service` (Sigma taxonomy). `Windows PowerShell` is
/// `powershell-classic` there, not `powershell`: rules for the classic log
/// are written against that name.
const SERVICES: &[(&str, &str)] = &[
    ("Application", "application"),
    ("Security", "security"),
    ("System", "system"),
    ("Microsoft-Windows-Sysmon/Operational", "sysmon"),
    ("Microsoft-Windows-PowerShell/Operational", "powershell"),
    ("PowerShellCore/Operational", "powershell"),
    ("Windows PowerShell", "powershell-classic"),
    ("MSExchange Management", "msexchange-management"),
    (
        "Microsoft-Windows-TaskScheduler/Operational",
        "taskscheduler",
    ),
    ("Microsoft-Windows-WMI-Activity/Operational", "wmi"),
    (
        "Microsoft-Windows-Windows Defender/Operational",
        "windefend",
    ),
    ("Microsoft-Windows-Bits-Client/Operational", "bits-client"),
    ("Microsoft-Windows-NTLM/Operational", "ntlm"),
    (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "terminalservices-localsessionmanager",
    ),
    (
        "Microsoft-Windows-CodeIntegrity/Operational",
        "codeintegrity-operational",
    ),
    ("Microsoft-Windows-DNS-Server/Audit", "dns-server-audit"),
    ("DNS Server", "dns-server"),
    // The rest of the channels SigmaHQ's Windows rules name by service
    // (pySigma's windows_logsource_mapping, and the rules' own stated
    // requirements): read where their EVTX files are given.
    (
        "Microsoft-Windows-DriverFrameworks-UserMode/Operational",
        "driver-framework",
    ),
    ("Microsoft-Windows-DHCP-Server/Operational", "dhcp"),
    ("Microsoft-Windows-AppLocker/EXE and DLL", "applocker"),
    ("Microsoft-Windows-AppLocker/MSI and Script", "applocker"),
    (
        "Microsoft-Windows-AppLocker/Packaged app-Deployment",
        "applocker",
    ),
    (
        "Microsoft-Windows-AppLocker/Packaged app-Execution",
        "applocker",
    ),
    ("Microsoft-Windows-PrintService/Admin", "printservice-admin"),
    (
        "Microsoft-Windows-PrintService/Operational",
        "printservice-operational",
    ),
    ("Microsoft-Windows-SmbClient/Security", "smbclient-security"),
    (
        "Microsoft-Windows-SMBServer/Connectivity",
        "smbserver-connectivity",
    ),
    (
        "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
        "firewall-as",
    ),
    ("Microsoft-ServiceBus-Client", "microsoft-servicebus-client"),
    ("Microsoft-Windows-LDAP-Client/Debug", "ldap"),
    (
        "Microsoft-Windows-Security-Mitigations/Kernel Mode",
        "security-mitigations",
    ),
    (
        "Microsoft-Windows-Security-Mitigations/User Mode",
        "security-mitigations",
    ),
    (
        "Microsoft-Windows-Diagnosis-Scripted/Operational",
        "diagnosis-scripted",
    ),
    ("Microsoft-Windows-Shell-Core/Operational", "shell-core"),
    ("OpenSSH/Operational", "openssh"),
    (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "appxdeployment-server",
    ),
    (
        "Microsoft-Windows-AppxPackaging/Operational",
        "appxpackaging-om",
    ),
    (
        "Microsoft-Windows-AppModel-Runtime/Admin",
        "appmodel-runtime",
    ),
    ("Microsoft-Windows-LSA/Operational", "lsa-server"),
    (
        "Microsoft-Windows-DNS Client Events/Operational",
        "dns-client",
    ),
    ("Microsoft-Windows-CAPI2/Operational", "capi2"),
    (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",
        "certificateservicesclient-lifecycle-system",
    ),
    (
        "Microsoft-IIS-Configuration/Operational",
        "iis-configuration",
    ),
];

/// Completes a Windows event record: `logsource` from `Channel`/`EventID`,
/// Sigma's process_creation names for Security 4688 (`Image` =
/// `NewProcessName`, `ParentImage` = `ParentProcessName`; `CommandLine` is
/// already named so), and `time` from the first parseable of `times`.
pub(crate) fn finish_event(rec: &mut EventRecord, times: &[Option<&str>]) {
    let channel = rec.field("Channel").unwrap_or("").to_string();
    let event_id = rec.field("EventID").unwrap_or("").to_string();
    rec.logsource = windows_logsource(&channel, &event_id, &|n| rec.field(n).map(str::to_string));
    if rec.logsource.service.as_deref() == Some("security") && event_id.trim() == "4688" {
        for (from, to) in [
            ("NewProcessName", "Image"),
            ("ParentProcessName", "ParentImage"),
        ] {
            if rec.field(to).is_none() {
                if let Some(v) = rec.field(from).map(str::to_string) {
                    rec.push(to, v);
                }
            }
        }
    }
    rec.time = times.iter().flatten().find_map(|t| normalize_time(t));
}

/// Keeps the earliest and latest of the times seen (ISO 8601 UTC strings of
/// one form compare as text).
pub(crate) fn widen(first: &mut Option<String>, last: &mut Option<String>, t: Option<&str>) {
    let Some(t) = t else { return };
    if first.as_deref().is_none_or(|f| t < f) {
        *first = Some(t.to_string());
    }
    if last.as_deref().is_none_or(|l| t > l) {
        *last = Some(t.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalised_to_utc_milliseconds() {
        assert_eq!(
            normalize_time("2019-05-24T01:33:53.1124866Z").as_deref(),
            Some("2019-05-24T01:33:53.112Z")
        );
        assert_eq!(
            normalize_time("2021-03-14T02:40:12.9879+01:00").as_deref(),
            Some("2021-03-14T01:40:12.987Z")
        );
        assert_eq!(
            normalize_time("2021-03-14 01:40:12").as_deref(),
            Some("2021-03-14T01:40:12.000Z")
        );
        assert_eq!(normalize_time("yesterday"), None);
        assert_eq!(normalize_time(""), None);
    }

    #[test]
    fn walk_keeps_source_order_and_paths() {
        let mut seen = Vec::new();
        walk_json(
            r#"{"b":1,"a":{"x":[true,null,"s\"q"]},"é":2.5}"#,
            &mut |p, v| {
                let path: Vec<String> = p
                    .iter()
                    .map(|s| match s {
                        Seg::Key(k) => k.to_string(),
                        Seg::Index(i) => i.to_string(),
                    })
                    .collect();
                seen.push((path.join("/"), v.map(|c| c.into_owned())));
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            vec![
                ("b".into(), Some("1".into())),
                ("a/x/0".into(), Some("true".into())),
                ("a/x/1".into(), None),
                ("a/x/2".into(), Some("s\"q".into())),
                ("é".into(), Some("2.5".into())),
            ]
        );
        assert!(walk_json("{\"a\":1} trailing", &mut |_, _| {}).is_err());
        assert!(walk_json("{\"a\":", &mut |_, _| {}).is_err());
    }

    #[test]
    fn logsource_follows_the_sigma_taxonomy() {
        let none = |_: &str| None;
        let ls = windows_logsource("Microsoft-Windows-Sysmon/Operational", "1", &none);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        assert_eq!(ls.service.as_deref(), Some("sysmon"));
        assert_eq!(ls.product.as_deref(), Some("windows"));
        let ls = windows_logsource("security", "4688", &none);
        assert_eq!(ls.category.as_deref(), Some("process_creation"));
        let ls = windows_logsource("MSExchange Management", "1", &none);
        assert_eq!(ls.service.as_deref(), Some("msexchange-management"));
        assert_eq!(ls.category, None);
        let ls = windows_logsource("Windows PowerShell", "400", &none);
        assert_eq!(ls.service.as_deref(), Some("powershell-classic"));
        assert_eq!(ls.category.as_deref(), Some("ps_classic_start"));
        let ls = windows_logsource("Some/Other", "1", &none);
        assert_eq!((ls.service, ls.category), (None, None));
    }
}
