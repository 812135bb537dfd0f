//! Whole directory trees laid out like the server's system drive:
//!
//! ```text
//! Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/<Protocol>/HttpProxy_YYYYMMDDHH-1.LOG
//! Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServerYYYYMMDDHH-1.LOG
//! Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGeneratorYYYYMMDD-1.LOG
//! Windows/Temp/   ProgramData/   inetpub/wwwroot/aspnet_client/
//! ```
//!
//! The example and clean trees are built in memory ([`Bundle`]) so the same
//! bytes can go to a folder or a zip; the benchmark tree is streamed to disk.

use crate::ecp::{self, EcpLine};
use crate::httpproxy::{self, attack, Format, HttpProxyWriter, Protocol, Row, Traffic};
use crate::oab::{self, OabLine};
use crate::rng::SplitMix64;
use crate::time::Time;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Exchange install folder inside a tree.
pub const EXCHANGE: &str = "Program Files/Microsoft/Exchange Server/V15";

/// Seeds of the fixed trees (changing one changes the bundled example).
pub const EXAMPLE_SEED: u64 = 0x2021_0303_0649;
pub const CLEAN_SEED: u64 = 0x2021_0220_0900;
pub const BENCH_SEED: u64 = 0xBE7C_4000;

/// Who did what in the example tree.
pub const EXAMPLE_ATTACKER_IP: &str = "103.77.192.219";
pub const EXAMPLE_FAILED_IP: &str = "5.254.43.18";
pub const EXAMPLE_COOKIE_IP: &str = "104.140.114.110";
/// The scanner's address (documentation range, RFC 5737).
pub const EXAMPLE_NMAP_IP: &str = "203.0.113.77";
/// When the example's ProxyLogon chain starts.
pub const EXAMPLE_CHAIN_TIME: Time = Time::utc(2021, 3, 3, 6, 49, 42);

/// Seeds the ledger's traces of the example (mailboxes read through the
/// SSRF, the EWS log, the address book download), apart from the rest so
/// that adding them left the other files as they were.
const LEDGER_SEED: u64 = 0x2021_0303_0655;

/// The mailboxes the example's intruder read through the SSRF, when, and
/// the SOAP action.
pub const EXAMPLE_READ_MAILBOXES: [(&str, &str); 3] = [
    ("ceo@contoso.com", "FindItem"),
    ("cfo@contoso.com", "FindItem"),
    ("legal@contoso.com", "GetItem"),
];

/// The example's EWS reads: time and RequestId of each, in the order of
/// [`EXAMPLE_READ_MAILBOXES`].
fn example_reads(rng: &mut SplitMix64) -> Vec<(Time, String)> {
    (0..EXAMPLE_READ_MAILBOXES.len())
        .map(|k| {
            (
                EXAMPLE_CHAIN_TIME.plus_secs(328 + 31 * k as i64),
                rng.guid(),
            )
        })
        .collect()
}
/// The web-shell parameter in the example's ECP line.
pub const EXAMPLE_SHELL_PARAM: &str = "klk123456";

pub fn httpproxy_path(p: Protocol, hour: Time) -> String {
    format!(
        "{EXCHANGE}/Logging/HttpProxy/{}/HttpProxy_{}-1.LOG",
        p.name(),
        hour.hour_stamp()
    )
}

pub fn ecp_path(hour: Time) -> String {
    format!(
        "{EXCHANGE}/Logging/ECP/Server/ECPServer{}-1.LOG",
        hour.hour_stamp()
    )
}

pub fn oab_path(day: Time) -> String {
    format!(
        "{EXCHANGE}/Logging/OABGeneratorLog/OABGenerator{}-1.LOG",
        day.day_stamp()
    )
}

/// A trace of the campaign put in a tree, for tests to check findings
/// against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    /// Path inside the tree, `/`-separated.
    pub path: String,
    /// Time of the first line (ISO), or empty for files.
    pub time: String,
    /// `proxylogon-chain`, `failed-attempt`, `nmap-probe`,
    /// `backend-cookie`, `ecp-webshell`, `oab-shell-write`, `lsass-dump`,
    /// `staged-archive`.
    pub what: &'static str,
    /// Lines (rows) it takes; 0 for files.
    pub lines: usize,
}

/// What a writer produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    /// Data rows/lines in the logs.
    pub rows: u64,
    pub planted: Vec<Planted>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Path inside the tree, `/`-separated.
    pub path: String,
    pub data: Vec<u8>,
    /// Last-write time given to the file (and its zip member).
    pub modified: Time,
}

/// A tree in memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    pub files: Vec<BundleFile>,
    /// Empty folders to create (e.g. `aspnet_client/system_web/4_0_30319`).
    pub dirs: Vec<String>,
    pub planted: Vec<Planted>,
    rows: u64,
}

impl Bundle {
    fn add(&mut self, path: String, data: Vec<u8>, modified: Time) {
        self.files.push(BundleFile {
            path,
            data,
            modified,
        });
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.data.len() as u64).sum()
    }

    pub fn file(&self, path: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn summary(&self) -> Summary {
        Summary {
            files: self.files.len(),
            bytes: self.total_bytes(),
            rows: self.rows,
            planted: self.planted.clone(),
        }
    }

    /// Writes the tree under `dir` (created if needed), setting each file's
    /// modification time.
    pub fn write_to(&self, dir: &Path) -> io::Result<Summary> {
        fs::create_dir_all(dir)?;
        for d in &self.dirs {
            fs::create_dir_all(dir.join(d))?;
        }
        for f in &self.files {
            let p = dir.join(&f.path);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut file = File::create(&p)?;
            file.write_all(&f.data)?;
            file.set_modified(system_time(f.modified))?;
        }
        Ok(self.summary())
    }

    /// The tree as a zip archive (deflated members, `/` paths, fixed
    /// timestamps, so the same bundle gives the same bytes).
    pub fn write_zip<W: Write + Seek>(&self, out: W) -> io::Result<W> {
        let mut z = zip::ZipWriter::new(out);
        for d in &self.dirs {
            let opts = zip::write::SimpleFileOptions::default()
                .last_modified_time(zip_time(Time::utc(2021, 2, 1, 0, 0, 0)))
                .unix_permissions(0o755);
            z.add_directory(format!("{d}/"), opts).map_err(zip_err)?;
        }
        for f in &self.files {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(zip_time(f.modified))
                .unix_permissions(0o644);
            z.start_file(f.path.as_str(), opts).map_err(zip_err)?;
            z.write_all(&f.data)?;
        }
        z.finish().map_err(zip_err)
    }

    pub fn to_zip_bytes(&self) -> io::Result<Vec<u8>> {
        Ok(self.write_zip(io::Cursor::new(Vec::new()))?.into_inner())
    }
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e)
}

fn system_time(t: Time) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(t.0.max(0) as u64)
}

fn zip_time(t: Time) -> zip::DateTime {
    let (y, mo, d, h, mi, s, _) = t.parts();
    zip::DateTime::from_date_and_time(y as u16, mo as u8, d as u8, h as u8, mi as u8, s as u8)
        .unwrap_or_default()
}

/// A small zip built in memory.
fn small_zip(members: &[(&str, &[u8])], modified: Time) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    for (name, data) in members {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip_time(modified))
            .unix_permissions(0o644);
        z.start_file(*name, opts).expect("zip in memory");
        z.write_all(data).expect("zip in memory");
    }
    z.finish().expect("zip in memory").into_inner()
}

/// A minimal but well-formed minidump of lsass.exe: header (`MDMP`), a
/// stream directory, system info, a module list naming
/// `C:\Windows\System32\lsass.exe` (UTF-16LE, where a dump's module names
/// are), misc info, then filler standing in for memory.
pub fn lsass_minidump(at: Time, rng: &mut SplitMix64) -> Vec<u8> {
    fn u16le(b: &mut Vec<u8>, v: u16) {
        b.extend_from_slice(&v.to_le_bytes());
    }
    fn u32le(b: &mut Vec<u8>, v: u32) {
        b.extend_from_slice(&v.to_le_bytes());
    }
    fn u64le(b: &mut Vec<u8>, v: u64) {
        b.extend_from_slice(&v.to_le_bytes());
    }
    const SYSINFO_AT: u32 = 68;
    const MODLIST_AT: u32 = SYSINFO_AT + 56;
    const MISC_AT: u32 = MODLIST_AT + 4 + 108;
    const NAME_AT: u32 = MISC_AT + 24;
    let stamp = at.unix_secs() as u32;
    let mut b = Vec::with_capacity(512);
    // MINIDUMP_HEADER
    b.extend_from_slice(b"MDMP");
    u32le(&mut b, 0x0000_A793);
    u32le(&mut b, 3);
    u32le(&mut b, 32);
    u32le(&mut b, 0);
    u32le(&mut b, stamp);
    u64le(&mut b, 0x2); // MiniDumpWithFullMemory
                        // Stream directory: (type, size, rva)
    for (ty, size, rva) in [
        (7u32, 56u32, SYSINFO_AT),
        (4, 4 + 108, MODLIST_AT),
        (15, 24, MISC_AT),
    ] {
        u32le(&mut b, ty);
        u32le(&mut b, size);
        u32le(&mut b, rva);
    }
    // MINIDUMP_SYSTEM_INFO: AMD64, Windows Server 2016 (10.0.14393).
    u16le(&mut b, 9);
    u16le(&mut b, 6);
    u16le(&mut b, 0x5504);
    b.push(8);
    b.push(3);
    u32le(&mut b, 10);
    u32le(&mut b, 0);
    u32le(&mut b, 14393);
    u32le(&mut b, 2);
    u32le(&mut b, 0);
    u16le(&mut b, 0x0110);
    u16le(&mut b, 0);
    b.extend_from_slice(&[0u8; 24]);
    // MINIDUMP_MODULE_LIST with one module.
    u32le(&mut b, 1);
    u64le(&mut b, 0x7FF6_B3E6_0000);
    u32le(&mut b, 0x0001_A000);
    u32le(&mut b, 0x0002_5C7E);
    u32le(&mut b, 0x57CF_8F5A);
    u32le(&mut b, NAME_AT);
    u32le(&mut b, 0xFEEF_04BD); // VS_FIXEDFILEINFO signature
    b.extend_from_slice(&[0u8; 48]);
    b.extend_from_slice(&[0u8; 32]); // CvRecord, MiscRecord, Reserved0/1
                                     // MINIDUMP_MISC_INFO: process id.
    u32le(&mut b, 24);
    u32le(&mut b, 1);
    u32le(&mut b, 672);
    u32le(&mut b, stamp - 86_400 * 9);
    u32le(&mut b, 0);
    u32le(&mut b, 0);
    debug_assert_eq!(b.len() as u32, NAME_AT);
    // MINIDUMP_STRING
    let name: Vec<u8> = r"C:\Windows\System32\lsass.exe"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    u32le(&mut b, name.len() as u32);
    b.extend_from_slice(&name);
    u16le(&mut b, 0);
    while b.len() < 512 {
        b.push(rng.next_u64() as u8);
    }
    b
}

const README_EXAMPLE: &str = "\
exhunt bundled example: a SYNTHETIC compromised Exchange server
================================================================

Everything here was generated by exhunt-testgen (exhunt-testgen example DIR).
No file comes from a real server; users, servers and traffic are invented
(contoso.com, EX01). The attacker IPs are public indicators from CISA alert
AA21-062A (Volexity); the scanner IP is a documentation address.

Layout, as on the server's system drive (C:\\):
  Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/<Protocol>/
  Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/
  Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/
  Program Files/Microsoft/Exchange Server/V15/Logging/Ews/ (one hour)
  Windows/Temp/, ProgramData/, inetpub/wwwroot/aspnet_client/

Planted traces of the March 2021 ProxyLogon campaign:
  2021-03-02 22:xx  Ecp  failed SSRF attempt (autodiscover only) from 5.254.43.18
  2021-03-03 06:49  Ecp  full ProxyLogon chain (CVE-2021-26855 + CVE-2021-27065)
                         from 103.77.192.219: autodiscover, mapi, proxyLogon.ecp (241),
                         DDIService GetObject/SetObject/ResetOABVirtualDirectory
  2021-03-03 06:55  Ecp  three EWS requests through the SSRF (ServerInfo~...:444/ews/),
                         and the EWS log's rows of the same requests: the mailboxes
                         of ceo@, cfo@ and legal@contoso.com read as the server itself
  2021-03-03 06:49  ECP Server log: Set-OabVirtualDirectory with a China Chopper
                         script in ExternalUrl
  2021-03-03 06:50  OABGenerator log: temporary file written to
                         C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\<name>.aspx (CVE-2021-26858)
  2021-03-03 06:50  inetpub/wwwroot/aspnet_client/system_web/<name>.aspx: the page that
                         write left (a HARMLESS stand-in: the real one held China
                         Chopper code, which antivirus software would quarantine)
  2021-03-03 07:13  IIS log (W3SVC1): requests for that page from 103.77.192.219
  2021-03-03 07:21  IIS log (W3SVC1): the offline address book (/OAB/<guid>/oab.xml and
                         its data file) downloaded from 103.77.192.219
  2021-03-03 07:12  Windows/Temp/lsass.dmp (a tiny stand-in minidump naming lsass.exe)
  2021-03-03 07:20  ProgramData/it.zip (staged archive name from the CISA alert)
  2021-03-04 02:xx  Ecp  SSRF in BackEndCookie (Server~...:444/ecp/...) from 104.140.114.110
  2021-03-06 14:05  Owa  nmap http-vuln-cve2021-26855 probes from 203.0.113.77

Look-alikes that must NOT be reported: health probes from 127.0.0.1,
an administrator using ECP and PowerShell (including Set-OabVirtualDirectory
with a normal URL), an OAB temporary file inside ClientAccess\\OAB, an
antivirus update zip under ProgramData/McAfee, and users reading their own
mail through EWS in the same hour as the intruder.

What exhunt's \"What was taken\" section should list: the administrator
identity the chain took (its SID and address), the three mailboxes read
through the SSRF, the offline address book, and the credentials in the
LSASS dump (possible: no Security log is included to name the accounts).

Timestamps are UTC.
";

/// What the example puts where the OAB write left its web shell.
pub const SHELL_STAND_IN: &str = "<%@ Page Language=\"C#\" %>
<%-- exhunt example: a HARMLESS stand-in for the web shell that the
     OABGenerator log line names (CVE-2021-26858). The real page held
     China Chopper code; this one does nothing. --%>
<html><body></body></html>
";

const README_CLEAN: &str = "\
exhunt clean example: a SYNTHETIC healthy Exchange server
=========================================================

Generated by exhunt-testgen (exhunt-testgen clean DIR); nothing here comes
from a real server. Same layout as the compromised example, benign traffic
only, with the look-alikes a scanner must stay quiet on: health probes from
127.0.0.1, an administrator in ECP and PowerShell (Set-OabVirtualDirectory
with a normal URL, a ResetOABVirtualDirectory through the UI), an OAB
temporary file inside ClientAccess\\OAB, and an antivirus update zip under
ProgramData/McAfee. Timestamps are UTC.
";

/// Hours with HttpProxy files in the example/clean trees, and rows per
/// file for each protocol (the example must stay well under 1 MB).
fn small_tree_hours() -> Vec<(Protocol, Time)> {
    let mut v = Vec::new();
    for p in Protocol::ALL {
        v.push((p, Time::utc(2021, 2, 20, 9, 0, 0)));
        v.push((p, Time::utc(2021, 3, 9, 10, 0, 0)));
        if matches!(
            p,
            Protocol::Ecp | Protocol::Owa | Protocol::Mapi | Protocol::Ews
        ) {
            v.push((p, EXAMPLE_CHAIN_TIME.hour_start()));
        }
    }
    v.push((Protocol::Ecp, Time::utc(2021, 3, 2, 22, 0, 0)));
    v.push((Protocol::Ecp, Time::utc(2021, 3, 4, 2, 0, 0)));
    v.push((Protocol::Owa, Time::utc(2021, 3, 6, 14, 0, 0)));
    v.sort_by_key(|(p, t)| (*t, *p));
    v
}

fn small_tree_rows(p: Protocol) -> usize {
    match p {
        Protocol::Mapi => 40,
        Protocol::Ews => 32,
        Protocol::Owa => 30,
        Protocol::Eas => 26,
        Protocol::Autodiscover => 22,
        Protocol::Ecp => 24,
        Protocol::RpcHttp | Protocol::Oab => 14,
        Protocol::PowerShell => 10,
    }
}

/// Merges attack rows (in time order) into benign rows (in time order).
/// ISO timestamps of one format compare correctly as text.
fn merge(benign: Vec<Row>, attacks: Vec<Row>) -> Vec<Row> {
    let mut out = Vec::with_capacity(benign.len() + attacks.len());
    let mut a = attacks.into_iter().peekable();
    for r in benign {
        while a.peek().is_some_and(|x| x.date_time <= r.date_time) {
            out.extend(a.next());
        }
        out.push(r);
    }
    out.extend(a);
    out
}

fn rows_between<T>(v: &mut Vec<T>, item: T, key: impl Fn(&T) -> Time) {
    let t = key(&item);
    let i = v.iter().position(|x| key(x) > t).unwrap_or(v.len());
    v.insert(i, item);
}

fn build_small(compromised: bool) -> Bundle {
    let seed = if compromised {
        EXAMPLE_SEED
    } else {
        CLEAN_SEED
    };
    let mut master = SplitMix64::new(seed);
    let mut traffic = Traffic::with_users(master.next_u64(), 60);
    let mut b = Bundle::default();
    let mut lrng = SplitMix64::new(LEDGER_SEED);
    let reads = example_reads(&mut lrng);

    // HttpProxy
    for (p, hour) in small_tree_hours() {
        let mut rng = master.fork();
        let benign = traffic.hour(p, hour, small_tree_rows(p));
        let (attacks, what, ip) = if !compromised {
            (Vec::new(), "", "")
        } else if p == Protocol::Ecp && hour == EXAMPLE_CHAIN_TIME.hour_start() {
            let mut rows = attack::proxylogon_chain_as(
                &mut rng,
                EXAMPLE_ATTACKER_IP,
                EXAMPLE_CHAIN_TIME,
                "/ecp/y.js",
                "ExchangeServicesClient/0.0.0.0",
            );
            let ids: Vec<(Time, &str)> = reads.iter().map(|(t, id)| (*t, id.as_str())).collect();
            rows.extend(attack::ssrf_ews_reads(
                &mut lrng,
                EXAMPLE_ATTACKER_IP,
                "/ecp/y.js",
                "ExchangeServicesClient/0.0.0.0",
                &ids,
            ));
            (rows, "proxylogon-chain", EXAMPLE_ATTACKER_IP)
        } else if p == Protocol::Ecp && hour == Time::utc(2021, 3, 2, 22, 0, 0) {
            let rows = attack::failed_attempt(
                &mut rng,
                EXAMPLE_FAILED_IP,
                hour.plus_secs(17 * 60 + 5),
                500,
            );
            (rows, "failed-attempt", EXAMPLE_FAILED_IP)
        } else if p == Protocol::Ecp && hour == Time::utc(2021, 3, 4, 2, 0, 0) {
            let rows =
                attack::backend_cookie(&mut rng, EXAMPLE_COOKIE_IP, hour.plus_secs(33 * 60 + 10));
            (rows, "backend-cookie", EXAMPLE_COOKIE_IP)
        } else if p == Protocol::Owa && hour == Time::utc(2021, 3, 6, 14, 0, 0) {
            let rows = attack::nmap_probe(&mut rng, EXAMPLE_NMAP_IP, hour.plus_secs(5 * 60 + 31));
            (rows, "nmap-probe", EXAMPLE_NMAP_IP)
        } else {
            (Vec::new(), "", "")
        };
        let path = httpproxy_path(p, hour);
        if !attacks.is_empty() {
            debug_assert!(attacks.iter().all(|r| r.client_ip_address == ip));
            b.planted.push(Planted {
                path: path.clone(),
                time: attacks[0].date_time.clone(),
                what,
                lines: attacks.len(),
            });
        }
        let rows = merge(benign, attacks);
        b.rows += rows.len() as u64;
        let data = httpproxy::render(
            Format::Both,
            hour.plus_ms(rng.between(40, 400) as i64),
            &rows,
        );
        b.add(path, data, hour.plus_secs(3599));
    }

    // The EWS log of the chain's hour: users at work, and the back end's
    // rows of the mailboxes read through the SSRF.
    if compromised {
        let hour = EXAMPLE_CHAIN_TIME.hour_start();
        let users = ["alice", "bob", "carol", "dave", "erin", "grace", "peggy"];
        let mut rows = crate::ews::benign_hour(&mut lrng, hour, &users, 40);
        let planted: Vec<(Time, &str, &str, &str)> = reads
            .iter()
            .zip(EXAMPLE_READ_MAILBOXES)
            .map(|((t, id), (mbx, action))| (t.plus_ms(35), id.as_str(), mbx, action))
            .collect();
        let attack = crate::ews::ssrf_reads(
            EXAMPLE_ATTACKER_IP,
            "ExchangeServicesClient/0.0.0.0",
            &planted,
        );
        let path = crate::ews::path(hour);
        b.planted.push(Planted {
            path: path.clone(),
            time: attack[0].time.iso(),
            what: "ews-ssrf-reads",
            lines: attack.len(),
        });
        rows.extend(attack);
        rows.sort_by_key(|r| r.time);
        b.rows += rows.len() as u64;
        b.add(
            path,
            crate::ews::render(hour.plus_ms(187), &rows),
            hour.plus_secs(3599),
        );
    }

    // ECP Server
    let ecp_hours = [
        (Time::utc(2021, 2, 20, 9, 0, 0), true),
        (EXAMPLE_CHAIN_TIME.hour_start(), false),
        (Time::utc(2021, 3, 9, 10, 0, 0), false),
    ];
    for (hour, admin) in ecp_hours {
        let mut rng = master.fork();
        let mut lines = ecp::benign_hour(&mut rng, hour, 24, admin);
        let path = ecp_path(hour);
        if compromised && hour == EXAMPLE_CHAIN_TIME.hour_start() {
            let get = ecp::attacker_get_oab(&mut rng, EXAMPLE_CHAIN_TIME.plus_ms(9_310));
            let set = ecp::webshell_set_oab(
                &mut rng,
                EXAMPLE_CHAIN_TIME.plus_ms(11_772),
                EXAMPLE_SHELL_PARAM,
                true,
            );
            b.planted.push(Planted {
                path: path.clone(),
                time: set.time.iso(),
                what: "ecp-webshell",
                lines: 1,
            });
            rows_between(&mut lines, get, |l: &EcpLine| l.time);
            rows_between(&mut lines, set, |l: &EcpLine| l.time);
        }
        b.rows += lines.len() as u64;
        b.add(
            path,
            ecp::render(hour.plus_ms(211), &lines),
            hour.plus_secs(3599),
        );
    }

    // OABGenerator
    let oab_days = [
        (Time::utc(2021, 2, 20, 0, 0, 0), true),
        (EXAMPLE_CHAIN_TIME.day_start(), true),
        (Time::utc(2021, 3, 9, 0, 0, 0), false),
    ];
    let mut shell_path = None;
    for (day, trap) in oab_days {
        let mut rng = master.fork();
        let mut lines = oab::benign_day(&mut rng, day, 24, trap);
        let path = oab_path(day);
        if compromised && day == EXAMPLE_CHAIN_TIME.day_start() {
            let (l, written) = oab::shell_write(&mut rng, EXAMPLE_CHAIN_TIME.plus_ms(27_455));
            shell_path = Some(written);
            b.planted.push(Planted {
                path: path.clone(),
                time: l.time.iso(),
                what: "oab-shell-write",
                lines: 1,
            });
            rows_between(&mut lines, l, |l: &OabLine| l.time);
        }
        b.rows += lines.len() as u64;
        b.add(
            path,
            oab::render(day.plus_ms(5_032), &lines),
            day.plus_secs(86_399),
        );
    }

    // Files
    let mut rng = master.fork();
    if compromised {
        let t = Time::utc(2021, 3, 3, 7, 12, 8);
        b.add(
            "Windows/Temp/lsass.dmp".into(),
            lsass_minidump(t, &mut rng),
            t,
        );
        b.planted.push(Planted {
            path: "Windows/Temp/lsass.dmp".into(),
            time: String::new(),
            what: "lsass-dump",
            lines: 0,
        });
        let t = Time::utc(2021, 3, 3, 7, 20, 44);
        let mut csv = String::from("DisplayName,PrimarySmtpAddress,Database\r\n");
        for u in [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "admin",
        ] {
            let mut name = u.to_string();
            name[..1].make_ascii_uppercase();
            csv.push_str(&format!(
                "{name},{u}@contoso.com,DB0{}\r\n",
                1 + u.len() % 3
            ));
        }
        // The page the OAB write left in aspnet_client, as a harmless
        // stand-in (the real one held China Chopper code; antivirus
        // software would quarantine that from a checkout), and the
        // intruder's requests for it in the IIS log.
        let win = shell_path.expect("the example writes a shell");
        let rel = win.trim_start_matches("C:\\").replace('\\', "/");
        let name = rel.rsplit('/').next().unwrap_or("").to_string();
        let t_shell = EXAMPLE_CHAIN_TIME.plus_ms(27_455);
        b.add(
            rel.clone(),
            SHELL_STAND_IN.replace('\n', "\r\n").into_bytes(),
            t_shell,
        );
        b.planted.push(Planted {
            path: rel,
            time: String::new(),
            what: "webshell-file",
            lines: 0,
        });
        let day = EXAMPLE_CHAIN_TIME.day_start();
        let mut log = Vec::new();
        crate::w3c::write_day(&mut log, &mut rng, day, 24 << 10, false).expect("writing to memory");
        let mut lines = 0;
        for (secs, method, ua, status) in [
            (26_000, "POST", "antSword/v2.1", "200"),
            (26_030, "POST", "antSword/v2.1", "200"),
            (26_200, "GET", "curl/7.55.1", "200"),
        ] {
            let at = day.plus_secs(secs).iso();
            log.extend_from_slice(
                format!(
                    "{} {} 10.0.0.10 {method} /aspnet_client/system_web/{name} - 443 - 103.77.192.219 {ua} - {status} 0 0 31\r\n",
                    &at[..10],
                    &at[11..19]
                )
                .as_bytes(),
            );
            lines += 1;
        }
        // The offline address book, downloaded with the identity taken.
        for (secs, file) in [
            (26_500, "oab.xml".to_string()),
            (26_504, format!("{}-data-1.lzx", lrng.guid())),
        ] {
            let at = day.plus_secs(secs).iso();
            log.extend_from_slice(
                format!(
                    "{} {} 10.0.0.10 GET /OAB/{}/{file} - 443 CONTOSO\\administrator 103.77.192.219 ExchangeServicesClient/0.0.0.0 - 200 0 0 46\r\n",
                    &at[..10],
                    &at[11..19],
                    crate::site::OAB_GUID,
                )
                .as_bytes(),
            );
        }
        let iis = "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log".to_string();
        b.planted.push(Planted {
            path: iis.clone(),
            time: day.plus_secs(26_000).iso(),
            what: "webshell-request",
            lines,
        });
        b.add(iis, log, day.plus_secs(86_399));
        let zip = small_zip(&[("export/mailboxes.csv", csv.as_bytes())], t);
        b.add("ProgramData/it.zip".into(), zip, t);
        b.planted.push(Planted {
            path: "ProgramData/it.zip".into(),
            time: String::new(),
            what: "staged-archive",
            lines: 0,
        });
    } else {
        b.dirs.push("Windows/Temp".into());
    }
    let t = Time::utc(2021, 3, 1, 4, 10, 0);
    let dat = small_zip(
        &[
            (
                "avvdat.ini",
                b"[AVV-ZIP]\r\nDATVersion=9951.0000\r\nFileCount=3\r\nDATDate=2021/02/28\r\n"
                    .as_slice(),
            ),
            (
                "legal.txt",
                b"Synthetic stand-in for an antivirus DAT update package.\r\n".as_slice(),
            ),
        ],
        t,
    );
    b.add(
        "ProgramData/McAfee/Common Framework/Updates/dat.zip".into(),
        dat,
        t,
    );
    b.dirs
        .push("inetpub/wwwroot/aspnet_client/system_web/4_0_30319".into());
    let readme = if compromised {
        README_EXAMPLE
    } else {
        README_CLEAN
    };
    b.add(
        "README.txt".into(),
        readme.replace('\n', "\r\n").into_bytes(),
        Time::utc(2021, 3, 10, 0, 0, 0),
    );
    b
}

/// The bundled compromised example (see the README it contains).
pub fn example_bundle() -> Bundle {
    build_small(true)
}

/// The same layout with benign traffic and the look-alikes only.
pub fn clean_bundle() -> Bundle {
    build_small(false)
}

pub fn write_example(dir: &Path) -> io::Result<Summary> {
    example_bundle().write_to(dir)
}

pub fn write_clean(dir: &Path) -> io::Result<Summary> {
    clean_bundle().write_to(dir)
}

/// The example as one zip file.
pub fn write_example_zip(path: &Path) -> io::Result<Summary> {
    let b = example_bundle();
    let f = BufWriter::new(File::create(path)?);
    b.write_zip(f)?
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    let mut s = b.summary();
    s.files = 1;
    s.bytes = fs::metadata(path)?.len();
    Ok(s)
}

/// A large realistic tree for benchmarks: see [`write_bench_seeded`].
pub fn write_bench(dir: &Path, total_bytes: u64) -> io::Result<Summary> {
    write_bench_seeded(dir, total_bytes, BENCH_SEED)
}

const MB: u64 = 1 << 20;

/// About `total_bytes` of HttpProxy logs (hourly files of 20-50 MB across
/// protocols, spread over December 2020 to March 2021; with less than
/// 400 MB, eight files of an eighth each, at least 64 KiB), plus one ECP
/// Server and one OABGenerator log per day that has HttpProxy files. A
/// handful of attack rows are planted: a ProxyLogon chain (with its ECP
/// and OABGenerator lines), nmap probes, a failed attempt and the
/// BackEndCookie form.
pub fn write_bench_seeded(dir: &Path, total_bytes: u64, seed: u64) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let mut traffic = Traffic::new(rng.next_u64());
    fs::create_dir_all(dir)?;

    // Sizes
    let mut sizes: Vec<u64> = Vec::new();
    if total_bytes >= 400 * MB {
        let mut left = total_bytes;
        while left > 0 {
            let s = rng.between(20 * MB, 50 * MB).min(left);
            left -= s;
            match sizes.last_mut() {
                Some(last) if s < 5 * MB => *last += s,
                _ => sizes.push(s),
            }
        }
    } else {
        let each = (total_bytes / 8).max(64 * 1024);
        sizes = vec![each; 8];
    }
    let n = sizes.len();

    // Protocols and hours
    let weights: Vec<(Protocol, u32)> = Protocol::ALL.iter().map(|p| (*p, p.weight())).collect();
    let mut protos: Vec<Protocol> = (0..n).map(|_| *rng.weighted(&weights)).collect();
    let (i_nmap, i_chain, i_cookie) = (n / 3, n / 2, 2 * n / 3);
    if n >= 2 * Protocol::ALL.len() {
        // Weighted picks leave the rare protocols out of small trees; give
        // each folder at least one file.
        for (j, p) in Protocol::ALL.iter().enumerate() {
            protos[(j * n / Protocol::ALL.len() + 1).min(n - 1)] = *p;
        }
    }
    protos[i_nmap] = Protocol::Owa;
    protos[i_chain] = Protocol::Ecp;
    protos[i_cookie] = Protocol::Ecp;
    let start = Time::utc(2020, 12, 1, 0, 0, 0);
    let span_hours = 121 * 24;
    let step = (span_hours / n as i64).max(1);
    let hours: Vec<Time> = (0..n as i64)
        .map(|k| start.plus_hours(k * step + rng.below(step as u64) as i64))
        .collect();

    let mut summary = Summary::default();
    let mut chain_time = None;
    let mut row = Row::default();
    for k in 0..n {
        let (p, hour) = (protos[k], hours[k]);
        let mut arng = rng.fork();
        let at = hour.plus_secs(arng.between(10 * 60, 50 * 60) as i64);
        let ip = *arng.pick(&crate::site::VOLEXITY_IPS);
        let (attacks, what) = if k == i_chain {
            chain_time = Some(at);
            (
                attack::proxylogon_chain(&mut arng, ip, at),
                "proxylogon-chain",
            )
        } else if k == i_nmap {
            (
                attack::nmap_probe(&mut arng, "203.0.113.77", at),
                "nmap-probe",
            )
        } else if k == i_cookie {
            let mut rows = attack::failed_attempt(&mut arng, ip, at, 500);
            let n_failed = rows.len();
            summary.planted.push(Planted {
                path: httpproxy_path(p, hour),
                time: rows[0].date_time.clone(),
                what: "failed-attempt",
                lines: n_failed,
            });
            rows.extend(attack::backend_cookie(&mut arng, ip, at.plus_secs(300)));
            summary.planted.push(Planted {
                path: httpproxy_path(p, hour),
                time: rows[n_failed].date_time.clone(),
                what: "backend-cookie",
                lines: rows.len() - n_failed,
            });
            (rows, "")
        } else {
            (Vec::new(), "")
        };
        let rel = httpproxy_path(p, hour);
        if !what.is_empty() {
            summary.planted.push(Planted {
                path: rel.clone(),
                time: attacks[0].date_time.clone(),
                what,
                lines: attacks.len(),
            });
        }
        let path = dir.join(&rel);
        fs::create_dir_all(path.parent().expect("log path has a parent"))?;
        let out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        let mut w = HttpProxyWriter::new(
            out,
            Format::Both,
            hour.plus_ms(arng.between(40, 400) as i64),
        )?;
        let mut pending = attacks.into_iter().peekable();
        let mut last = hour;
        let target = sizes[k];
        let mut rows = 0u64;
        while w.bytes_written() < target {
            // Time advances with the bytes written, so the file spans its
            // hour whatever the average row length.
            let frac = (u128::from(w.bytes_written()) * 3_599_000 / u128::from(target)) as i64;
            let t = hour.plus_ms(frac + arng.below(40) as i64).max(last);
            last = t;
            traffic.fill(p, t, &mut row);
            while pending.peek().is_some_and(|a| a.date_time <= row.date_time) {
                w.write_row(&pending.next().expect("peeked"))?;
                rows += 1;
            }
            w.write_row(&row)?;
            rows += 1;
        }
        for a in pending {
            w.write_row(&a)?;
            rows += 1;
        }
        summary.bytes += w.bytes_written();
        let f = w.finish()?.into_inner().map_err(|e| e.into_error())?;
        f.set_modified(system_time(hour.plus_secs(3599)))?;
        summary.files += 1;
        summary.rows += rows;
    }

    // ECP Server and OABGenerator: one file each per day with traffic.
    let mut days: BTreeMap<Time, ()> = BTreeMap::new();
    for h in &hours {
        days.insert(h.day_start(), ());
    }
    let chain_day = chain_time.map(Time::day_start);
    for (i, day) in days.keys().copied().enumerate() {
        let mut drng = rng.fork();
        let is_chain = chain_day == Some(day);
        let hour = match chain_time {
            Some(t) if is_chain => t.hour_start(),
            _ => day.plus_hours(9),
        };
        let mut lines = ecp::benign_hour(&mut drng, hour, 200, i == 0);
        let mut oab_lines = oab::benign_day(&mut drng, day, 48, i % 5 == 0);
        if let (true, Some(t)) = (is_chain, chain_time) {
            let ip_line = ecp::attacker_get_oab(&mut drng, t.plus_secs(9));
            rows_between(&mut lines, ip_line, |l: &EcpLine| l.time);
            let set = ecp::webshell_set_oab(&mut drng, t.plus_secs(11), EXAMPLE_SHELL_PARAM, true);
            summary.planted.push(Planted {
                path: ecp_path(hour),
                time: set.time.iso(),
                what: "ecp-webshell",
                lines: 1,
            });
            rows_between(&mut lines, set, |l: &EcpLine| l.time);
            let (l, _) = oab::shell_write(&mut drng, t.plus_secs(27));
            summary.planted.push(Planted {
                path: oab_path(day),
                time: l.time.iso(),
                what: "oab-shell-write",
                lines: 1,
            });
            rows_between(&mut oab_lines, l, |l: &OabLine| l.time);
        }
        for (rel, data, modified) in [
            (
                ecp_path(hour),
                ecp::render(hour.plus_ms(211), &lines),
                hour.plus_secs(3599),
            ),
            (
                oab_path(day),
                oab::render(day.plus_ms(5_032), &oab_lines),
                day.plus_secs(86_399),
            ),
        ] {
            let path = dir.join(&rel);
            fs::create_dir_all(path.parent().expect("log path has a parent"))?;
            let mut f = File::create(&path)?;
            f.write_all(&data)?;
            f.set_modified(system_time(modified))?;
            summary.files += 1;
            summary.bytes += data.len() as u64;
        }
        summary.rows += (lines.len() + oab_lines.len()) as u64;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::split_line;

    fn data_lines(text: &str) -> (Vec<String>, Vec<&str>) {
        let mut header = None;
        let mut data = Vec::new();
        for (i, l) in text.lines().enumerate() {
            let l = l.trim_end_matches('\r');
            if i == 0 && !l.starts_with('#') {
                header = Some(l.split(',').map(str::to_string).collect());
            } else if let Some(f) = l.strip_prefix("#Fields: ") {
                header = Some(f.split(',').map(str::to_string).collect());
            } else if !l.starts_with('#') && !l.is_empty() {
                data.push(l);
            }
        }
        (header.expect("a header"), data)
    }

    #[test]
    fn example_tree_has_the_expected_files() {
        let b = example_bundle();
        for p in [
            "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
            "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030614-1.LOG",
            "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Mapi/HttpProxy_2021022009-1.LOG",
            "Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/PowerShell/HttpProxy_2021030910-1.LOG",
            "Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer2021030306-1.LOG",
            "Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG",
            "Windows/Temp/lsass.dmp",
            "ProgramData/it.zip",
            "ProgramData/McAfee/Common Framework/Updates/dat.zip",
            "README.txt",
        ] {
            assert!(b.file(p).is_some(), "missing {p}");
        }
        for p in Protocol::ALL {
            assert!(
                b.files
                    .iter()
                    .filter(|f| f.path.contains(&format!("/HttpProxy/{}/", p.name())))
                    .count()
                    >= 2
            );
        }
        let total = b.total_bytes();
        assert!(total < 900 * 1024, "example is {total} bytes");

        let ecp = String::from_utf8(b.file("Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG").unwrap().data.clone()).unwrap();
        assert!(ecp.contains("ServerInfo~a]@EX01.contoso.com:444/ecp/proxyLogon.ecp?#"));
        assert!(ecp.contains("schema=ResetOABVirtualDirectory#"));
        assert!(ecp.contains(EXAMPLE_ATTACKER_IP));
        assert!(ecp.contains(",/ecp/y.js,"));
        let owa = String::from_utf8(b.file("Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030614-1.LOG").unwrap().data.clone()).unwrap();
        assert!(owa.contains("ServerInfo~localhost/ecp/default.flt?"));
        let ecps = String::from_utf8(b.file("Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer2021030306-1.LOG").unwrap().data.clone()).unwrap();
        assert!(ecps.contains(r#"<script language=""JScript"" runat=""server"">"#));
        assert!(ecps.contains(";Cmd=Set-OabVirtualDirectory\"\r\n"));
        let oabl = String::from_utf8(b.file("Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator20210303-1.LOG").unwrap().data.clone()).unwrap();
        assert!(oabl.contains(r"temporary file 'C:\inetpub\wwwroot\aspnet_client\system_web\"));
        assert!(oabl.contains(r"\ClientAccess\OAB\Temp\"));

        let dmp = &b.file("Windows/Temp/lsass.dmp").unwrap().data;
        assert!(dmp.starts_with(b"MDMP"));
        let needle: Vec<u8> = r"C:\Windows\System32\lsass.exe"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(dmp.windows(needle.len()).any(|w| w == needle.as_slice()));
        assert!(dmp.len() >= 300 && dmp.len() <= 1024);
        for z in [
            "ProgramData/it.zip",
            "ProgramData/McAfee/Common Framework/Updates/dat.zip",
        ] {
            assert!(b.file(z).unwrap().data.starts_with(b"PK\x03\x04"));
        }
        let whats: Vec<&str> = b.planted.iter().map(|p| p.what).collect();
        for w in [
            "proxylogon-chain",
            "failed-attempt",
            "backend-cookie",
            "nmap-probe",
            "ecp-webshell",
            "oab-shell-write",
            "lsass-dump",
            "staged-archive",
        ] {
            assert!(whats.contains(&w), "{w} not planted");
        }
    }

    #[test]
    fn clean_tree_has_traps_and_no_attacks() {
        let b = clean_bundle();
        assert!(b.planted.is_empty());
        assert!(b.file("Windows/Temp/lsass.dmp").is_none());
        assert!(b.file("ProgramData/it.zip").is_none());
        assert!(b
            .file("ProgramData/McAfee/Common Framework/Updates/dat.zip")
            .is_some());
        let all: String = b
            .files
            .iter()
            .filter(|f| f.path.ends_with(".LOG"))
            .map(|f| String::from_utf8(f.data.clone()).unwrap())
            .collect();
        assert!(!all.contains("ServerInfo~"));
        assert!(!all.contains("<script"));
        assert!(!all.contains("aspnet_client"));
        assert!(all.contains(r"\ClientAccess\OAB\Temp\"));
        assert!(all.contains("127.0.0.1"));
        assert!(
            all.contains("Set-OabVirtualDirectory.ExternalUrl=''https://mail.contoso.com/OAB''")
        );
    }

    #[test]
    fn generated_httpproxy_files_parse() {
        for b in [example_bundle(), clean_bundle()] {
            for f in b.files.iter().filter(|f| f.path.contains("/HttpProxy/")) {
                let text = std::str::from_utf8(&f.data).unwrap();
                let (header, data) = data_lines(text);
                assert_eq!(header.len(), httpproxy::FIELDS.len());
                assert!(!data.is_empty());
                let mut prev = String::new();
                for l in data {
                    let fields = split_line(l);
                    assert_eq!(fields.len(), header.len(), "{}: {l}", f.path);
                    assert!(fields[0] >= prev, "{}: time order", f.path);
                    prev = fields[0].clone();
                }
            }
        }
    }

    #[test]
    fn deterministic() {
        let a = example_bundle();
        let b = example_bundle();
        assert_eq!(a, b);
        assert_eq!(a.to_zip_bytes().unwrap(), b.to_zip_bytes().unwrap());
        assert_eq!(clean_bundle(), clean_bundle());
        assert_ne!(a.files, clean_bundle().files);
        let mut t1 = Traffic::new(11);
        let mut t2 = Traffic::new(11);
        let h = Time::utc(2021, 3, 1, 0, 0, 0);
        let r1 = httpproxy::render(Format::Both, h, &t1.hour(Protocol::Ews, h, 200));
        let r2 = httpproxy::render(Format::Both, h, &t2.hour(Protocol::Ews, h, 200));
        assert_eq!(r1, r2);
    }

    fn tmpdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("exhunt-testgen-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn writes_to_disk_and_zip() {
        let d = tmpdir("disk");
        let s = write_example(&d).unwrap();
        assert_eq!(s.files, example_bundle().files.len());
        assert!(d
            .join("inetpub/wwwroot/aspnet_client/system_web/4_0_30319")
            .is_dir());
        let m = fs::metadata(d.join("Windows/Temp/lsass.dmp")).unwrap();
        let secs = m
            .modified()
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(secs as i64, Time::utc(2021, 3, 3, 7, 12, 8).unix_secs());
        let z = d.join("example.zip");
        let zs = write_example_zip(&z).unwrap();
        assert!(zs.bytes > 1000);
        let bytes = fs::read(&z).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..archive.len())
            .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert!(names.iter().any(|n| n == "Windows/Temp/lsass.dmp"));
        assert!(names.iter().all(|n| !n.contains('\\')));
        let mut f = archive.by_name("README.txt").unwrap();
        let mut s = String::new();
        io::Read::read_to_string(&mut f, &mut s).unwrap();
        assert!(s.contains("SYNTHETIC"));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn small_bench_tree() {
        let d = tmpdir("bench");
        let s = write_bench_seeded(&d, 8 * MB, 3).unwrap();
        assert!(s.bytes >= 8 * MB && s.bytes < 9 * MB, "{}", s.bytes);
        let whats: Vec<&str> = s.planted.iter().map(|p| p.what).collect();
        for w in [
            "proxylogon-chain",
            "nmap-probe",
            "failed-attempt",
            "backend-cookie",
            "ecp-webshell",
            "oab-shell-write",
        ] {
            assert!(whats.contains(&w), "{w} missing: {whats:?}");
        }
        for p in &s.planted {
            let text = fs::read_to_string(d.join(&p.path)).unwrap();
            assert!(text.contains(&p.time), "{p:?}");
            if p.path.contains("/HttpProxy/") {
                let (header, data) = data_lines(&text);
                let mut prev = String::new();
                for l in data {
                    let f = split_line(l);
                    assert_eq!(f.len(), header.len());
                    assert!(f[0] >= prev);
                    prev = f[0].clone();
                }
            }
        }
        let again = tmpdir("bench2");
        write_bench_seeded(&again, 8 * MB, 3).unwrap();
        let p = &s.planted[0].path;
        assert_eq!(
            fs::read(d.join(p)).unwrap(),
            fs::read(again.join(p)).unwrap()
        );
        fs::remove_dir_all(&d).unwrap();
        fs::remove_dir_all(&again).unwrap();
    }
}
