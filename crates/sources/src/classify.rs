//! What is this file? Decided from the path (compared without case, since
//! collected Windows trees keep odd case) and from its first bytes.

use exhunt_core::ArtifactKind;

/// What the path alone says about a file, before anything is opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathInterest {
    /// The path names a log folder exhunt reads (kind known from the path).
    pub log: Option<ArtifactKind>,
    /// A text file whose content should be sniffed for a log header.
    pub maybe_log: bool,
    /// In a place where intruders dumped LSASS memory: check for `MDMP` magic.
    pub dump_place: bool,
    /// Named like an LSASS dump (`lsass*.dmp`), wherever it is.
    pub lsass_name: bool,
    /// An archive (`.zip`, `.7z`, `.rar`) under ProgramData.
    pub programdata_archive: bool,
    /// One of Exchange's protocol logs (EWS, MAPI) that only the access
    /// pass reads (what the attack's clients asked of the mailboxes): no
    /// rule looks for a trace in them, so the log hunt leaves them alone.
    pub access: Option<exhunt_core::AccessLog>,
}

impl PathInterest {
    /// Whether the file has to be opened at all.
    pub fn needs_open(&self) -> bool {
        self.log.is_some() || self.maybe_log || self.dump_place || self.lsass_name
    }
}

/// The name of an event log from its file name: `Application.evtx` →
/// `Application`; `Microsoft-Windows-Sysmon%4Operational.evtx` →
/// `Microsoft-Windows-Sysmon/Operational` (Windows writes `/` as `%4`).
pub fn event_log_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(file_name);
    stem.replace("%4", "/")
}

const PROTOCOLS: &[&str] = &[
    "Autodiscover",
    "Eas",
    "Ecp",
    "Ews",
    "Mapi",
    "Oab",
    "Owa",
    "OwaCalendar",
    "PowerShell",
    "RpcHttp",
    "PushNotifications",
    "ReportingWebService",
    "O365SuiteService",
    "RestService",
    "SnackyService",
    "XRop",
    "E4e",
];

/// The canonical spelling of an HttpProxy protocol folder name.
pub fn canonical_protocol(name: &str) -> String {
    PROTOCOLS
        .iter()
        .find(|p| p.eq_ignore_ascii_case(name))
        .map(|p| p.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// Classifies by path. `rel_lower` is the path inside its input, lower-cased
/// with `/` separators; `rel` is the same path in its original case.
pub fn path_interest(rel_lower: &str, rel: &str) -> PathInterest {
    let comps: Vec<&str> = rel_lower.split('/').collect();
    let name = comps.last().copied().unwrap_or("");
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let mut pi = PathInterest::default();
    let is_text_ext = matches!(ext, "log" | "txt" | "csv" | "json" | "jsonl" | "ndjson");
    let orig_name = rel.rsplit('/').next().unwrap_or(rel);

    if is_text_ext {
        // `.../Logging/HttpProxy/<Protocol>/HttpProxy_*.log`
        if let Some(i) = comps.iter().position(|c| *c == "httpproxy") {
            if i + 2 < comps.len() {
                let orig: Vec<&str> = rel.split('/').collect();
                let proto = orig.get(i + 1).copied().unwrap_or(comps[i + 1]);
                pi.log = Some(ArtifactKind::HttpProxyLog {
                    protocol: canonical_protocol(proto),
                });
            }
        }
        if pi.log.is_none() && comps.windows(2).any(|w| w == ["ecp", "server"]) {
            pi.log = Some(ArtifactKind::EcpServerLog);
        }
        if pi.log.is_none() && comps.contains(&"oabgeneratorlog") {
            pi.log = Some(ArtifactKind::OabGeneratorLog);
        }
        // `.../Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022121912-1.log`
        if pi.log.is_none()
            && name.starts_with("rps_http")
            && comps.windows(2).any(|w| w == ["powershell-proxy", "http"])
        {
            pi.log = Some(ArtifactKind::RpsHttpLog);
        }
        // `inetpub/logs/LogFiles/W3SVC1/u_ex210303.log`
        if pi.log.is_none() && ext == "log" {
            if let Some(i) = comps.iter().position(|c| c.starts_with("w3svc")) {
                // IIS's own log folder, or a folder the site's settings
                // moved the logs to (`D:\IISLogs\W3SVC1\u_ex210303.log`).
                let iis_name = name.starts_with("u_ex") || name.starts_with("ex");
                if i + 2 == comps.len() && ((i > 0 && comps[i - 1] == "logfiles") || iis_name) {
                    let orig: Vec<&str> = rel.split('/').collect();
                    pi.log = Some(ArtifactKind::IisLog {
                        site: orig.get(i).copied().unwrap_or("IIS").to_string(),
                    });
                }
            }
        }
        pi.maybe_log = pi.log.is_none();
    }
    if ext == "evtx" {
        pi.log = Some(ArtifactKind::EventLog {
            name: event_log_name(orig_name),
        });
    }

    let first = comps.first().copied().unwrap_or("");
    let dirs = &comps[..comps.len().saturating_sub(1)];
    let in_programdata = dirs.contains(&"programdata");
    // `C:\root` is where the reference script looks for dumps; in a copied
    // drive it is the top folder, or the one under a drive-letter folder.
    let in_root = (!dirs.is_empty() && first == "root")
        || dirs
            .windows(2)
            .any(|w| w[1] == "root" && is_drive_folder(w[0]));
    pi.dump_place = in_root
        || in_programdata
        || dirs.contains(&"inetpub")
        || dirs.windows(2).any(|w| w == ["windows", "temp"]);
    pi.lsass_name = name.starts_with("lsass") && ext == "dmp";
    if pi.log.is_none() {
        pi.access = access_log_of(&comps);
        if pi.access.is_some() {
            pi.maybe_log = false;
        }
    }
    pi.programdata_archive = in_programdata && matches!(ext, "zip" | "7z" | "rar");
    pi
}

/// The protocol log a path names (`…/Logging/Ews/Ews_2021030306-1.LOG`,
/// `…/Logging/MapiHttp/Mailbox/…`, `…/Logging/MAPI Client Access/…`,
/// `…/Logging/RPC Client Access/…`), from its lower-cased components.
fn access_log_of(comps: &[&str]) -> Option<exhunt_core::AccessLog> {
    use exhunt_core::AccessLog;
    if !comps.last().is_some_and(|n| n.ends_with(".log")) {
        return None;
    }
    let dirs = &comps[..comps.len() - 1];
    let after_logging = |names: &[&str]| {
        dirs.windows(names.len() + 1)
            .any(|w| w[0] == "logging" && w[1..] == *names)
    };
    if after_logging(&["ews"]) {
        Some(AccessLog::Ews)
    } else if after_logging(&["mapihttp", "mailbox"])
        || after_logging(&["mapi client access"])
        || after_logging(&["rpc client access"])
    {
        Some(AccessLog::Mapi)
    } else {
        None
    }
}

/// `c`, `c$`, `c_`, `c_drive`: how collection tools name a copied drive.
fn is_drive_folder(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && (b.len() == 1 || matches!(&c[1..], "$" | "_" | ":" | "_drive" | "-drive"))
}

/// Classifies by content: the header lines Exchange writes at the top of
/// each log file. `prefix` is the start of the file, already transcoded to
/// UTF-8 (a UTF-8 BOM may remain).
pub fn classify_content(prefix: &[u8]) -> Option<ArtifactKind> {
    if crate::evtx::is_evtx(prefix) {
        return Some(ArtifactKind::EventLog {
            name: "EVTX".to_string(),
        });
    }
    if crate::w3c::is_w3c(prefix) {
        return Some(ArtifactKind::IisLog {
            site: "IIS".to_string(),
        });
    }
    if crate::events_jsonl::is_events_jsonl(prefix) {
        return Some(ArtifactKind::EventJsonl);
    }
    classify_exchange_csv(prefix)
}

fn classify_exchange_csv(prefix: &[u8]) -> Option<ArtifactKind> {
    let text = String::from_utf8_lossy(prefix);
    let text = text.trim_start_matches('\u{feff}');
    let first_plain = text
        .lines()
        .position(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap_or(usize::MAX);
    // Exchange's other logs (EWS, MapiHttp, RPC Client Access...) start with
    // the same `DateTime,RequestId,` columns: their `#Log-type:` says they
    // are not the front end's request log.
    let other = text.lines().take(12).any(|l| {
        l.get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case("#log-type:"))
            && {
                let t = l[10..].trim().to_ascii_lowercase();
                !(t.starts_with("httpproxy")
                    || t.starts_with("ecp server")
                    || t.starts_with("ecpserver")
                    || t.starts_with("oab"))
            }
    });
    if other {
        return None;
    }
    for (i, line) in text.lines().take(12).enumerate() {
        let l = line.trim_end_matches('\r');
        let lower = l.to_ascii_lowercase();
        if let Some(t) = lower.strip_prefix("#log-type:") {
            let t = t.trim();
            if t.starts_with("httpproxy") {
                return Some(ArtifactKind::HttpProxyLog {
                    protocol: protocol_from_content(text),
                });
            }
            if t.starts_with("ecp server") || t.starts_with("ecpserver") {
                return Some(ArtifactKind::EcpServerLog);
            }
            if t.starts_with("oab") {
                return Some(ArtifactKind::OabGeneratorLog);
            }
        }
        // The column header: `#Fields:`, or the first line that is not a
        // directive (after PowerShell's `#TYPE` line in a re-exported log),
        // quoted or not.
        let unquoted = lower.replace('"', "");
        let fields = unquoted
            .strip_prefix("#fields:")
            .map(str::trim)
            .or((i == first_plain).then_some(unquoted.as_str()));
        if let Some(f) = fields {
            let cols: Vec<&str> = f.split(',').map(str::trim).collect();
            // By Exchange's name, or the name an analyst renamed it to.
            let has = |c: &str| cols.iter().any(|x| crate::csvlog::same_column(x, c));
            // A selection of HttpProxy columns: what the SSRF checks read.
            if f.starts_with("datetime,requestid,")
                || (has("datetime") && has("anchormailbox") && has("urlstem"))
            {
                return Some(ArtifactKind::HttpProxyLog {
                    protocol: protocol_from_content(text),
                });
            }
            if f.starts_with("timestamp,servername,eventid,eventdata") {
                return Some(ArtifactKind::EcpServerLog);
            }
        }
    }
    None
}

/// The protocol of an HttpProxy log recognised by content: the `Protocol`
/// column of the first data line.
fn protocol_from_content(text: &str) -> String {
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        let l = line.trim_end_matches('\r');
        if let Some(f) = l.strip_prefix("#Fields:") {
            header = Some(
                f.trim()
                    .split(',')
                    .map(|s| s.to_ascii_lowercase())
                    .collect(),
            );
            continue;
        }
        if l.starts_with('#') || l.is_empty() {
            continue;
        }
        if header.is_none()
            && l.to_ascii_lowercase()
                .replace('"', "")
                .starts_with("datetime,")
        {
            header = Some(
                l.split(',')
                    .map(|s| s.trim_matches('"').to_ascii_lowercase())
                    .collect(),
            );
            continue;
        }
        if let Some(h) = &header {
            if let Some(idx) = h.iter().position(|c| c == "protocol") {
                // Good enough for the protocol column, which never holds commas.
                if let Some(v) = l.split(',').nth(idx) {
                    if !v.is_empty() {
                        return canonical_protocol(v.trim_matches('"'));
                    }
                }
            }
        }
        break;
    }
    "Unknown".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi(p: &str) -> PathInterest {
        path_interest(&p.to_lowercase(), p)
    }

    #[test]
    fn httpproxy_by_path_any_case() {
        let p = pi("V15/LOGGING/httpproxy/ecp/HttpProxy_2021030306-1.LOG");
        assert_eq!(
            p.log,
            Some(ArtifactKind::HttpProxyLog {
                protocol: "Ecp".into()
            })
        );
        let p =
            pi("Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/OwaCalendar/x.log");
        assert_eq!(
            p.log,
            Some(ArtifactKind::HttpProxyLog {
                protocol: "OwaCalendar".into()
            })
        );
        assert_eq!(
            pi("Logging/ECP/Server/ECPServer2021030306-1.LOG").log,
            Some(ArtifactKind::EcpServerLog)
        );
        assert_eq!(
            pi("logging/OABGeneratorLog/OABGenerator20210303-1.LOG").log,
            Some(ArtifactKind::OabGeneratorLog)
        );
        assert!(pi("collected/some.log").maybe_log);
        assert_eq!(
            pi("inetpub/logs/LogFiles/W3SVC1/u_ex210303.log").log,
            Some(ArtifactKind::IisLog {
                site: "W3SVC1".into()
            })
        );
        // A log folder moved by the site's settings.
        assert_eq!(
            pi("IISLogs/W3SVC2/u_ex210303.log").log,
            Some(ArtifactKind::IisLog {
                site: "W3SVC2".into()
            })
        );
        assert!(pi("backup/W3SVC1/notes.log").maybe_log);
        assert_eq!(
            pi("Windows/System32/winevt/Logs/Microsoft-Windows-Sysmon%4Operational.evtx").log,
            Some(ArtifactKind::EventLog {
                name: "Microsoft-Windows-Sysmon/Operational".into()
            })
        );
        assert!(pi("export/events.jsonl").maybe_log);
        assert!(!pi("collected/some.dll").needs_open());
    }

    #[test]
    fn dump_and_archive_places() {
        assert!(pi("Windows/Temp/x.bin").dump_place);
        assert!(pi("root/lsass.dmp").dump_place);
        assert!(pi("C/root/a.dmp").dump_place);
        assert!(!pi("home/root/a.dmp").dump_place);
        assert!(pi("inetpub/wwwroot/aspnet_client/a.dmp").dump_place);
        assert!(pi("anywhere/LSASS.DMP").lsass_name);
        assert!(pi("ProgramData/it.zip").programdata_archive);
        assert!(pi("C/ProgramData/McAfee/x/y.ZIP").programdata_archive);
        assert!(!pi("Users/bob/it.zip").programdata_archive);
    }

    #[test]
    fn content_headers() {
        let bare = b"DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol\r\n#Software: Microsoft Exchange Server\r\n2021-03-03T06:49:42.162Z,abc,15,1,2106,2,,Ecp\r\n";
        assert_eq!(
            classify_content(bare),
            Some(ArtifactKind::HttpProxyLog {
                protocol: "Ecp".into()
            })
        );
        let fields = "\u{feff}#Software: Microsoft Exchange Server\n#Version: 15.01.2106.002\n#Log-type: HttpProxy Logs\n#Date: 2021-03-03T06:00:00.000Z\n#Fields: DateTime,RequestId,Protocol\n2021-03-03T06:49:42.162Z,abc,owa\n";
        assert_eq!(
            classify_content(fields.as_bytes()),
            Some(ArtifactKind::HttpProxyLog {
                protocol: "Owa".into()
            })
        );
        assert_eq!(
            classify_content(b"#Fields: TimeStamp,ServerName,EventId,EventData\n"),
            Some(ArtifactKind::EcpServerLog)
        );
        assert_eq!(classify_content(b"hello,world\n1,2\n"), None);
    }
}
