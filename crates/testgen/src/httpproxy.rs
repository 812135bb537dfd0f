//! HttpProxy logs (`<install>\Logging\HttpProxy\<Protocol>\HttpProxy_*.LOG`):
//! a writer for every header variant the reader must cope with, a
//! generator of ordinary traffic (with the look-alikes that must not be
//! reported), and the rows each step of the 2021 campaign left.
//!
//! Rows are written by column name, so one [`Row`] comes out right under
//! any column set (older builds have fewer columns; reference §1.2).

use crate::csv;
use crate::rng::SplitMix64;
use crate::site;
use crate::time::Time;
use std::fmt::Write as _;
use std::io::{self, Write};

macro_rules! columns {
    ($($field:ident : $name:literal),* $(,)?) => {
        /// One HttpProxy log row. Each field is the column of the same name
        /// (the doc of each field gives it); unset fields are written empty.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Row {
            $(#[doc = $name] pub $field: String,)*
        }

        /// Every column of the Exchange 2016 CU22 `#Fields:` line, in order
        /// (reference §1.2, verbatim).
        pub const FIELDS: &[&str] = &[$($name),*];

        // One accessor per column, in FIELDS order, so that a writer maps
        // its header to accessors once per file instead of matching names
        // on every row.
        const GETTERS: &[fn(&Row) -> &str] = &[$({
            fn get(r: &Row) -> &str {
                &r.$field
            }
            get
        }),*];

        impl Row {
            /// Empties every field, keeping the allocations (the benchmark
            /// writer refills one row millions of times).
            pub fn clear(&mut self) {
                $(self.$field.clear();)*
            }
        }
    };
}

columns! {
    date_time: "DateTime",
    request_id: "RequestId",
    major_version: "MajorVersion",
    minor_version: "MinorVersion",
    build_version: "BuildVersion",
    revision_version: "RevisionVersion",
    client_request_id: "ClientRequestId",
    protocol: "Protocol",
    url_host: "UrlHost",
    url_stem: "UrlStem",
    protocol_action: "ProtocolAction",
    authentication_type: "AuthenticationType",
    is_authenticated: "IsAuthenticated",
    authenticated_user: "AuthenticatedUser",
    organization: "Organization",
    anchor_mailbox: "AnchorMailbox",
    user_agent: "UserAgent",
    client_ip_address: "ClientIpAddress",
    server_host_name: "ServerHostName",
    http_status: "HttpStatus",
    back_end_status: "BackEndStatus",
    error_code: "ErrorCode",
    method: "Method",
    proxy_action: "ProxyAction",
    target_server: "TargetServer",
    target_server_version: "TargetServerVersion",
    routing_type: "RoutingType",
    routing_hint: "RoutingHint",
    back_end_cookie: "BackEndCookie",
    server_locator_host: "ServerLocatorHost",
    server_locator_latency: "ServerLocatorLatency",
    request_bytes: "RequestBytes",
    response_bytes: "ResponseBytes",
    target_outstanding_requests: "TargetOutstandingRequests",
    auth_module_perf_context: "AuthModulePerfContext",
    http_pipeline_latency: "HttpPipelineLatency",
    calculate_target_back_end_latency: "CalculateTargetBackEndLatency",
    gls_latency_breakup: "GlsLatencyBreakup",
    total_gls_latency: "TotalGlsLatency",
    account_forest_latency_breakup: "AccountForestLatencyBreakup",
    total_account_forest_latency: "TotalAccountForestLatency",
    resource_forest_latency_breakup: "ResourceForestLatencyBreakup",
    total_resource_forest_latency: "TotalResourceForestLatency",
    ad_latency: "ADLatency",
    shared_cache_latency_breakup: "SharedCacheLatencyBreakup",
    total_shared_cache_latency: "TotalSharedCacheLatency",
    activity_context_life_time: "ActivityContextLifeTime",
    module_to_handler_switching_latency: "ModuleToHandlerSwitchingLatency",
    client_req_stream_latency: "ClientReqStreamLatency",
    backend_req_init_latency: "BackendReqInitLatency",
    backend_req_stream_latency: "BackendReqStreamLatency",
    backend_processing_latency: "BackendProcessingLatency",
    backend_resp_init_latency: "BackendRespInitLatency",
    backend_resp_stream_latency: "BackendRespStreamLatency",
    client_resp_stream_latency: "ClientRespStreamLatency",
    kerberos_auth_header_latency: "KerberosAuthHeaderLatency",
    handler_completion_latency: "HandlerCompletionLatency",
    request_handler_latency: "RequestHandlerLatency",
    handler_to_module_switching_latency: "HandlerToModuleSwitchingLatency",
    proxy_time: "ProxyTime",
    core_latency: "CoreLatency",
    routing_latency: "RoutingLatency",
    http_proxy_overhead: "HttpProxyOverhead",
    total_request_time: "TotalRequestTime",
    route_refresher_latency: "RouteRefresherLatency",
    url_query: "UrlQuery",
    back_end_generic_info: "BackEndGenericInfo",
    generic_info: "GenericInfo",
    generic_errors: "GenericErrors",
    edge_trace_id: "EdgeTraceId",
    database_guid: "DatabaseGuid",
    user_ad_object_guid: "UserADObjectGuid",
    partition_endpoint_lookup_latency: "PartitionEndpointLookupLatency",
    routing_status: "RoutingStatus",
}

impl Row {
    /// The value of a column by name (ASCII case-insensitive), `None` for a
    /// name that is not an HttpProxy column.
    pub fn get(&self, column: &str) -> Option<&str> {
        column_index(column).map(|i| GETTERS[i](self))
    }
}

fn column_index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.eq_ignore_ascii_case(name))
}

/// Columns an older Exchange 2016 build did not write (reference §1.2,
/// caveat (a)).
const NOT_IN_OLD_BUILD: &[&str] = &[
    "UrlHost",
    "RoutingType",
    "SharedCacheLatencyBreakup",
    "TotalSharedCacheLatency",
];

/// The header variants found in the field (or made by copying logs around).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Bare header line first (what `Import-Csv` reads), then the `#`
    /// directives including `#Fields:`. CRLF.
    #[default]
    Both,
    /// Only the `#` directives.
    FieldsOnly,
    /// The bare header line and the `#Software/#Version/#Log-type/#Date`
    /// directives, no `#Fields:`: the column names come from the first
    /// line alone.
    BareOnly,
    /// As `Both`, with the shorter column set of an older build (no
    /// UrlHost, RoutingType, SharedCache*) and `#Version: 15.01.1531.003`.
    OldBuild,
    /// As `Both`, preceded by a UTF-8 byte-order mark.
    Utf8Bom,
    /// As `Both`, with LF line endings.
    Lf,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Both,
        Format::FieldsOnly,
        Format::BareOnly,
        Format::OldBuild,
        Format::Utf8Bom,
        Format::Lf,
    ];

    /// The full description of the variant.
    pub fn layout(self) -> Layout {
        let mut l = Layout::default();
        match self {
            Format::Both => {}
            Format::FieldsOnly => l.bare_header = false,
            Format::BareOnly => l.fields_directive = false,
            Format::OldBuild => {
                l.columns
                    .retain(|c| !NOT_IN_OLD_BUILD.contains(&c.as_str()));
                l.version = site::OLD_BUILD.to_string();
            }
            Format::Utf8Bom => l.bom = true,
            Format::Lf => l.crlf = false,
        }
        l
    }
}

/// What a file's header looks like; [`Format::layout`] gives the usual
/// ones, any column list can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub columns: Vec<String>,
    /// `#Version:` value.
    pub version: String,
    /// Write the bare comma-separated header as the first line.
    pub bare_header: bool,
    /// Write `#Software`, `#Version`, `#Log-type`, `#Date`.
    pub directives: bool,
    /// Write `#Fields:` (only with `directives`).
    pub fields_directive: bool,
    pub bom: bool,
    pub crlf: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            columns: FIELDS.iter().map(|s| s.to_string()).collect(),
            version: site::BUILD.to_string(),
            bare_header: true,
            directives: true,
            fields_directive: true,
            bom: false,
            crlf: true,
        }
    }
}

type Getter = fn(&Row) -> &str;

/// Writes one HttpProxy log file: the header on creation, then rows.
pub struct HttpProxyWriter<W: Write> {
    out: W,
    getters: Vec<Option<Getter>>,
    eol: &'static [u8],
    line: Vec<u8>,
    written: u64,
}

impl<W: Write> HttpProxyWriter<W> {
    /// Starts a file in one of the usual formats. `date` goes in `#Date:`
    /// (Exchange writes the time the file was opened).
    pub fn new(out: W, format: Format, date: Time) -> io::Result<Self> {
        Self::with_layout(out, &format.layout(), date)
    }

    pub fn with_layout(out: W, layout: &Layout, date: Time) -> io::Result<Self> {
        let eol: &'static [u8] = if layout.crlf { b"\r\n" } else { b"\n" };
        let mut w = HttpProxyWriter {
            out,
            getters: layout
                .columns
                .iter()
                .map(|c| column_index(c).map(|i| GETTERS[i]))
                .collect(),
            eol,
            line: Vec::with_capacity(4096),
            written: 0,
        };
        let names = layout.columns.join(",");
        let mut head = Vec::new();
        if layout.bom {
            head.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut put = |s: &str| {
            head.extend_from_slice(s.as_bytes());
            head.extend_from_slice(eol);
        };
        if layout.bare_header {
            put(&names);
        }
        if layout.directives {
            put("#Software: Microsoft Exchange Server");
            put(&format!("#Version: {}", layout.version));
            put("#Log-type: HttpProxy Logs");
            put(&format!("#Date: {}", date.iso()));
            if layout.fields_directive {
                put(&format!("#Fields: {names}"));
            }
        }
        w.out.write_all(&head)?;
        w.written = head.len() as u64;
        Ok(w)
    }

    pub fn write_row(&mut self, row: &Row) -> io::Result<()> {
        self.line.clear();
        for (i, g) in self.getters.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            if let Some(g) = g {
                csv::push_field(&mut self.line, g(row));
            }
        }
        self.line.extend_from_slice(self.eol);
        self.out.write_all(&self.line)?;
        self.written += self.line.len() as u64;
        Ok(())
    }

    /// Bytes written so far, header included.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Flushes and hands back the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A whole file in memory.
pub fn render(format: Format, date: Time, rows: &[Row]) -> Vec<u8> {
    let mut w = HttpProxyWriter::new(Vec::new(), format, date).expect("writing to memory");
    for r in rows {
        w.write_row(r).expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

/// The HttpProxy protocol folders the generator fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Owa,
    Ecp,
    Ews,
    Mapi,
    Autodiscover,
    Eas,
    RpcHttp,
    Oab,
    PowerShell,
}

impl Protocol {
    pub const ALL: [Protocol; 9] = [
        Protocol::Owa,
        Protocol::Ecp,
        Protocol::Ews,
        Protocol::Mapi,
        Protocol::Autodiscover,
        Protocol::Eas,
        Protocol::RpcHttp,
        Protocol::Oab,
        Protocol::PowerShell,
    ];

    /// Folder name and `Protocol` column value.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Owa => "Owa",
            Protocol::Ecp => "Ecp",
            Protocol::Ews => "Ews",
            Protocol::Mapi => "Mapi",
            Protocol::Autodiscover => "Autodiscover",
            Protocol::Eas => "Eas",
            Protocol::RpcHttp => "RpcHttp",
            Protocol::Oab => "Oab",
            Protocol::PowerShell => "PowerShell",
        }
    }

    /// Relative share of a server's HttpProxy volume (Outlook's MAPI and
    /// EWS dominate, ECP and PowerShell are rare).
    pub fn weight(self) -> u32 {
        match self {
            Protocol::Mapi => 30,
            Protocol::Ews => 20,
            Protocol::Owa => 14,
            Protocol::Eas => 12,
            Protocol::Autodiscover => 10,
            Protocol::RpcHttp => 5,
            Protocol::Oab => 4,
            Protocol::Ecp => 3,
            Protocol::PowerShell => 2,
        }
    }
}

// ---------------------------------------------------------------------------
// Benign traffic

const OUTLOOK_UAS: &[&str] = &[
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5122; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5311; Pro)",
];

const BROWSER_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.192 Safari/537.36 Edg/88.0.705.81",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Mobile/15E148 Safari/604.1",
];

/// (user agent, DeviceType) of phones using ActiveSync.
const PHONES: &[(&str, &str)] = &[
    ("Apple-iPhone12C1/1803.45", "iPhone"),
    ("Apple-iPhone11C8/1803.45", "iPhone"),
    ("Apple-iPad7C3/1803.45", "iPad"),
    ("Outlook-iOS-Android/1.0", "Outlook"),
    ("Android-Mail/2021.02.07.357592357.Release", "Android"),
    ("Android/10-EAS-2.0", "SAMSUNGSMG973F"),
];

const EWS_UAS: &[&str] = &[
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.1 (Build 20D74))",
    "ExchangeServicesClient/15.00.0913.015",
    "AppleExchangeWebServices/814.100.4 accountsd/113",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
];

const PROBE_UAS: &[&str] = &[
    "AMProbe/Local/ClientAccess",
    "Exchange BackEnd Probes",
    "AMProbe/Local/ClientAccess/ActiveSync",
];

const FIRST_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne", "zoe",
    "liam", "emma", "noah", "ava", "lucas", "mia", "ethan", "sofia", "mason", "chloe", "james",
    "laura", "daniel", "hannah", "paul", "sarah", "mark", "julia", "kevin",
];

const LAST_NAMES: &[&str] = &[
    "smith", "jones", "brown", "taylor", "wilson", "davies", "evans", "thomas", "johnson",
    "roberts", "walker", "wright", "robinson", "thompson", "white", "hughes", "edwards", "green",
    "hall", "wood", "harris", "lewis", "martin", "jackson", "clarke", "clark", "turner", "hill",
];

#[derive(Debug, Clone)]
struct User {
    upn: String,
    down_level: String,
    login: String,
    sid: String,
    mailbox_guid: String,
    ad_guid: String,
    db: &'static str,
    office_ip: String,
    home_ip: String,
    outlook_ua: &'static str,
    browser_ua: &'static str,
    phone: Option<(&'static str, &'static str, String)>,
}

#[derive(Debug, Clone)]
struct Population {
    users: Vec<User>,
    admin: User,
    health: Vec<String>,
}

/// A public address that is not an attacker's and not private.
fn public_ip(rng: &mut SplitMix64) -> String {
    // First octets of large consumer ISP and mobile carrier blocks.
    const FIRST: &[u8] = &[
        24, 31, 46, 62, 68, 71, 73, 76, 77, 81, 82, 86, 88, 92, 94, 98, 109,
    ];
    loop {
        let ip = format!(
            "{}.{}.{}.{}",
            rng.pick(FIRST),
            rng.below(256),
            rng.below(256),
            rng.between(1, 254)
        );
        if !site::VOLEXITY_IPS.contains(&ip.as_str()) {
            return ip;
        }
    }
}

fn make_user(rng: &mut SplitMix64, login: String, rid: u64) -> User {
    let phone = if rng.chance(2, 3) {
        let (ua, ty) = *rng.pick(PHONES);
        Some((ua, ty, rng.hex(32).to_uppercase()))
    } else {
        None
    };
    User {
        upn: format!("{login}@{}", site::DOMAIN),
        down_level: format!("{}\\{login}", site::NETBIOS),
        sid: format!("{}-{rid}", site::DOMAIN_SID),
        mailbox_guid: rng.guid(),
        ad_guid: rng.guid(),
        db: rng.one_of(&site::DATABASES),
        office_ip: format!("10.0.{}.{}", rng.between(2, 9), rng.between(10, 250)),
        home_ip: public_ip(rng),
        outlook_ua: rng.one_of(OUTLOOK_UAS),
        browser_ua: rng.one_of(BROWSER_UAS),
        phone,
        login,
    }
}

impl Population {
    fn new(rng: &mut SplitMix64, n: usize) -> Self {
        let mut users = Vec::with_capacity(n);
        let mut seen = std::collections::BTreeSet::new();
        let mut rid = 1105;
        // The plain first names first (alice@contoso.com ...), then
        // first.last for the rest of the company.
        for f in FIRST_NAMES.iter().take(n) {
            seen.insert(f.to_string());
            users.push(make_user(rng, f.to_string(), rid));
            rid += 1;
        }
        while users.len() < n {
            let login = format!("{}.{}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
            if seen.insert(login.clone()) {
                users.push(make_user(rng, login, rid));
                rid += 1;
            }
        }
        let mut admin = make_user(rng, "admin".to_string(), 1104);
        admin.office_ip = "10.0.1.5".to_string();
        admin.browser_ua = BROWSER_UAS[1];
        let health = (0..4)
            .map(|_| format!("HealthMailbox{}@{}", rng.hex(32), site::DOMAIN))
            .collect();
        Population {
            users,
            admin,
            health,
        }
    }
}

/// Generator of ordinary HttpProxy rows for the contoso.com organisation,
/// including look-alikes of the attack that detectors must stay quiet on:
/// health probes from 127.0.0.1, administrators in ECP and PowerShell
/// (DDIService GetList/GetObject/SetObject on virtual directories,
/// including a legitimate OAB reset), unauthenticated 401/302/440 rows,
/// `ServerInfo` as a search word, and back-end cookies without a path.
///
/// Never produced: an AnchorMailbox like `ServerInfo~*/*` or a
/// BackEndCookie like `Server~*/*~*`.
#[derive(Debug, Clone)]
pub struct Traffic {
    rng: SplitMix64,
    pop: Population,
}

impl Traffic {
    /// A site of 150 users.
    pub fn new(seed: u64) -> Self {
        Self::with_users(seed, 150)
    }

    pub fn with_users(seed: u64, users: usize) -> Self {
        let mut rng = SplitMix64::new(seed);
        let pop = Population::new(&mut rng, users.max(1));
        Traffic { rng, pop }
    }

    /// A fresh benign row.
    pub fn row(&mut self, protocol: Protocol, at: Time) -> Row {
        let mut r = Row::default();
        self.fill(protocol, at, &mut r);
        r
    }

    /// Overwrites `row` with a benign row (reusing its buffers).
    pub fn fill(&mut self, protocol: Protocol, at: Time, row: &mut Row) {
        row.clear();
        let roll = self.rng.below(1000);
        if roll < 30 {
            self.fill_probe(protocol, at, row);
        } else if protocol == Protocol::Ecp && roll < 330 {
            self.fill_admin_ecp(at, row);
        } else {
            self.fill_user(protocol, at, row);
        }
    }

    /// A managed-availability health probe from the server itself
    /// (127.0.0.1, `AMProbe` / `Exchange BackEnd Probes` user agents).
    pub fn probe(&mut self, protocol: Protocol, at: Time) -> Row {
        let mut r = Row::default();
        self.fill_probe(protocol, at, &mut r);
        r
    }

    /// An administrator working in the ECP through the normal UI.
    pub fn admin_ecp(&mut self, at: Time) -> Row {
        let mut r = Row::default();
        self.fill_admin_ecp(at, &mut r);
        r
    }

    /// An administrator's EAC request that the front end routes to this
    /// server by name (`AnchorMailbox ServerInfo~EX01.contoso.com/ecp/...`,
    /// virtual-directory resets among them): signed in, from the admin's
    /// internal address. Looks like the ProxyLogon SSRF to Test-ProxyLogon.
    pub fn admin_ecp_routed(&mut self, at: Time) -> Row {
        let mut r = self.admin_ecp(at);
        r.anchor_mailbox.clear();
        let _ = write!(
            r.anchor_mailbox,
            "ServerInfo~{}{}{}",
            site::SERVER_FQDN,
            r.url_stem,
            r.url_query
        );
        r.routing_type.clear();
        r.routing_type.push_str("ServerInfo");
        r
    }

    /// `n` benign rows spread through the hour starting at `hour`, in time
    /// order.
    pub fn hour(&mut self, protocol: Protocol, hour: Time, n: usize) -> Vec<Row> {
        let n = n.max(1) as i64;
        let step = 3_600_000 / n;
        (0..n)
            .map(|i| {
                let at = hour.plus_ms(i * step + self.rng.below(step.max(1) as u64) as i64);
                self.row(protocol, at)
            })
            .collect()
    }

    fn fill_probe(&mut self, protocol: Protocol, at: Time, row: &mut Row) {
        let Traffic { rng, pop } = self;
        common(rng, protocol, at, row);
        row.url_host.push_str("localhost");
        row.client_ip_address.push_str("127.0.0.1");
        row.user_agent.push_str(rng.one_of(PROBE_UAS));
        let (vdir, stem) = probe_target(protocol);
        if rng.chance(1, 2) {
            // healthcheck.htm: anonymous by design.
            let _ = write!(row.url_stem, "/{vdir}/healthcheck.htm");
            row.is_authenticated.push_str("false");
            row.method.push_str("GET");
            status(row, "200");
        } else {
            let hm = rng.pick(&pop.health);
            row.url_stem.push_str(stem);
            row.authentication_type.push_str("Basic");
            row.is_authenticated.push_str("true");
            row.authenticated_user.push_str(hm);
            let _ = write!(row.anchor_mailbox, "Smtp~{hm}");
            row.routing_type.push_str("Smtp");
            row.routing_hint.push_str("AnchorMailbox-Header");
            row.method.push_str(if protocol == Protocol::Oab {
                "GET"
            } else {
                "POST"
            });
            status(row, "200");
        }
        sizes(rng, row, 400, 4_000);
        latencies(rng, row, at, 30);
    }

    fn fill_admin_ecp(&mut self, at: Time, row: &mut Row) {
        let Traffic { rng, pop } = self;
        let a = &pop.admin;
        common(rng, Protocol::Ecp, at, row);
        row.url_host.push_str(site::EXTERNAL_HOST);
        row.authentication_type.push_str("FBA");
        row.is_authenticated.push_str("true");
        row.authenticated_user.push_str(&a.upn);
        let _ = write!(row.anchor_mailbox, "Smtp~{}", a.upn);
        row.routing_type.push_str("Smtp");
        row.routing_hint.push_str("Cookie-Mailbox");
        row.user_agent.push_str(a.browser_ua);
        row.client_ip_address.push_str(&a.office_ip);
        // (stem, action, schema): what the EAC's virtual-directory and
        // recipient pages call. A ResetOABVirtualDirectory by a signed-in
        // admin is legitimate and must not be confused with the SSRF form.
        const CALLS: &[((&str, &str, &str), u32)] = &[
            (
                (
                    "/ecp/DDI/DDIService.svc/GetList",
                    "GetList",
                    "MailboxService",
                ),
                20,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/GetList",
                    "GetList",
                    "VirtualDirectory",
                ),
                10,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/GetList",
                    "GetList",
                    "ExchangeCertificates",
                ),
                4,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/GetObject",
                    "GetObject",
                    "OABVirtualDirectory",
                ),
                6,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/GetObject",
                    "GetObject",
                    "OWAVirtualDirectory",
                ),
                4,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/SetObject",
                    "SetObject",
                    "OABVirtualDirectory",
                ),
                3,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/SetObject",
                    "SetObject",
                    "OWAVirtualDirectory",
                ),
                3,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/SetObject",
                    "SetObject",
                    "ResetOABVirtualDirectory",
                ),
                1,
            ),
            (
                (
                    "/ecp/DDI/DDIService.svc/SetObject",
                    "SetObject",
                    "MailboxService",
                ),
                5,
            ),
            (("/ecp/VDirMgmt/EditOABVDir.aspx", "", ""), 3),
            (("/ecp/", "", ""), 6),
            (("/ecp/default.aspx", "", ""), 4),
        ];
        let (stem, action, schema) = *rng.weighted(CALLS);
        row.url_stem.push_str(stem);
        row.protocol_action.push_str(action);
        if !schema.is_empty() {
            let _ = write!(row.url_query, "?schema={schema}&msExchEcpCanary=");
            rng.push_hex(&mut row.url_query, 32);
            if rng.chance(1, 40) {
                // A search box with a word that happens to be ServerInfo.
                row.url_query.push_str("&SearchText=ServerInfo");
            }
            row.method.push_str("POST");
        } else {
            if stem.ends_with(".aspx") && !stem.ends_with("default.aspx") {
                row.url_query.push_str("?pwmcid=6&ReturnObjectType=1&id=");
                rng.push_guid(&mut row.url_query);
            }
            row.method.push_str("GET");
        }
        status(row, "200");
        sizes(rng, row, 300, 30_000);
        latencies(rng, row, at, 120);
    }

    fn fill_user(&mut self, protocol: Protocol, at: Time, row: &mut Row) {
        let Traffic { rng, pop } = self;
        let u = rng.pick(&pop.users);
        common(rng, protocol, at, row);
        let outside = rng.chance(1, 3);
        row.client_ip_address
            .push_str(if outside { &u.home_ip } else { &u.office_ip });
        row.url_host.push_str(if outside {
            site::EXTERNAL_HOST
        } else {
            site::SERVER_FQDN
        });
        let mut code = "200";
        let mut latency = 40;
        match protocol {
            Protocol::Owa => {
                row.user_agent.push_str(u.browser_ua);
                let r = rng.below(100);
                if r < 4 {
                    // The logon form and its post: no user yet.
                    row.url_stem.push_str("/owa/auth/logon.aspx");
                    row.url_query
                        .push_str("?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0");
                    row.method.push_str("GET");
                    row.is_authenticated.push_str("false");
                } else if r < 8 {
                    row.url_stem.push_str("/owa/auth.owa");
                    row.method.push_str("POST");
                    row.is_authenticated.push_str("false");
                    code = "302";
                } else {
                    signed_in(row, u, "FBA", &u.upn);
                    if rng.chance(1, 2) {
                        let _ = write!(row.anchor_mailbox, "Sid~{}", u.sid);
                        row.routing_type.push_str("Sid");
                    } else {
                        let _ = write!(row.anchor_mailbox, "Smtp~{}", u.upn);
                        row.routing_type.push_str("Smtp");
                    }
                    row.routing_hint.push_str("Cookie-Mailbox");
                    if r < 12 {
                        row.url_stem.push_str("/owa/");
                        row.method.push_str("GET");
                    } else if r < 40 {
                        row.url_stem.push_str("/owa/ev.owa2");
                        row.url_query
                            .push_str("?ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid=");
                        rng.push_guid(&mut row.url_query);
                        row.method.push_str("POST");
                        latency = 20_000;
                    } else if r < 45 {
                        row.url_stem.push_str("/owa/sessiondata.ashx");
                        row.url_query.push_str("?appcacheclient=0");
                        row.method.push_str("POST");
                    } else {
                        const ACTIONS: &[&str] = &[
                            "GetItem",
                            "FindConversation",
                            "GetConversationItems",
                            "FindItem",
                            "UpdateItem",
                            "CreateItem",
                            "GetOwaUserConfiguration",
                            "FindPeople",
                            "GetAttachmentDataProviderItems",
                        ];
                        let a = rng.pick(ACTIONS);
                        row.url_stem.push_str("/owa/service.svc");
                        row.protocol_action.push_str(a);
                        let _ = write!(
                            row.url_query,
                            "?action={a}&app=Mail&n={}",
                            rng.between(1, 90)
                        );
                        if *a == "FindItem" && rng.chance(1, 50) {
                            // Someone searching their mail for the word.
                            row.url_query.push_str("&q=ServerInfo+report");
                        }
                        row.method.push_str("POST");
                        if rng.chance(1, 60) {
                            // Session timed out: OWA answers 440.
                            row.is_authenticated.clear();
                            row.is_authenticated.push_str("false");
                            row.authenticated_user.clear();
                            code = "440";
                        }
                    }
                    client_request_id(rng, row);
                }
            }
            Protocol::Ecp => {
                row.user_agent.push_str(u.browser_ua);
                signed_in(row, u, "FBA", &u.upn);
                let _ = write!(row.anchor_mailbox, "Smtp~{}", u.upn);
                row.routing_type.push_str("Smtp");
                row.routing_hint.push_str("Cookie-Mailbox");
                match rng.below(4) {
                    0 => {
                        row.url_stem.push_str("/ecp/PersonalSettings/HomePage.aspx");
                        row.url_query.push_str("?showhelp=false&");
                        row.method.push_str("GET");
                    }
                    1 => {
                        row.url_stem
                            .push_str("/ecp/RulesEditor/InboxRules.svc/GetList");
                        row.protocol_action.push_str("GetList");
                        row.url_query.push_str("?msExchEcpCanary=");
                        rng.push_hex(&mut row.url_query, 32);
                        row.method.push_str("POST");
                    }
                    2 => {
                        row.url_stem.push_str("/ecp/DDI/DDIService.svc/GetObject");
                        row.protocol_action.push_str("GetObject");
                        row.url_query
                            .push_str("?schema=MailboxAutoReplyConfiguration&msExchEcpCanary=");
                        rng.push_hex(&mut row.url_query, 32);
                        row.method.push_str("POST");
                    }
                    _ => {
                        row.url_stem.push_str("/ecp/");
                        row.url_query
                            .push_str("?rfr=owa&p=PersonalSettings/HomePage.aspx");
                        row.method.push_str("GET");
                    }
                }
            }
            Protocol::Ews => {
                row.user_agent.push_str(rng.one_of(EWS_UAS));
                if rng.chance(1, 20) {
                    unauthorized(row, "Negotiate");
                    code = "401";
                } else {
                    signed_in(row, u, "Negotiate", &u.down_level);
                    let _ = write!(row.anchor_mailbox, "Smtp~{}", u.upn);
                    row.routing_type.push_str("Smtp");
                    row.routing_hint.push_str("AnchorMailbox-Header");
                    const ACTIONS: &[&str] = &[
                        "GetFolder",
                        "FindItem",
                        "GetItem",
                        "SyncFolderItems",
                        "SyncFolderHierarchy",
                        "GetUserAvailability",
                        "GetStreamingEvents",
                        "Subscribe",
                        "GetUserOofSettings",
                    ];
                    let a = rng.pick(ACTIONS);
                    row.protocol_action.push_str(a);
                    if *a == "GetStreamingEvents" {
                        latency = 30_000;
                    }
                    client_request_id(rng, row);
                }
                row.url_stem.push_str("/EWS/Exchange.asmx");
                row.method.push_str("POST");
            }
            Protocol::Mapi => {
                row.user_agent.push_str(u.outlook_ua);
                let nspi = rng.chance(1, 5);
                row.url_stem
                    .push_str(if nspi { "/mapi/nspi/" } else { "/mapi/emsmdb/" });
                let _ = write!(
                    row.url_query,
                    "?MailboxId={}@{}",
                    u.mailbox_guid,
                    site::DOMAIN
                );
                row.method.push_str("POST");
                if rng.chance(1, 20) {
                    unauthorized(row, "Negotiate");
                    code = "401";
                } else {
                    signed_in(row, u, "Negotiate", &u.down_level);
                    if rng.chance(2, 5) {
                        let _ = write!(row.anchor_mailbox, "DatabaseGuid~{}", u.db);
                        row.routing_type.push_str("DatabaseGuid");
                    } else {
                        let _ = write!(
                            row.anchor_mailbox,
                            "MailboxGuidWithDomain~{}@{}",
                            u.mailbox_guid,
                            site::DOMAIN
                        );
                        row.routing_type.push_str("MailboxGuidWithDomain");
                    }
                    row.routing_hint.push_str("Smtp-UrlQuery");
                    row.database_guid.push_str(u.db);
                    const EMSMDB: &[&str] = &[
                        "Execute",
                        "Execute",
                        "Execute",
                        "NotificationWait",
                        "Connect",
                        "Disconnect",
                    ];
                    const NSPI: &[&str] =
                        &["Bind", "QueryRows", "GetMatches", "DNToMId", "ResolveNames"];
                    let a = rng.pick(if nspi { NSPI } else { EMSMDB });
                    row.protocol_action.push_str(a);
                    if *a == "NotificationWait" {
                        latency = 60_000;
                    }
                    client_request_id(rng, row);
                }
            }
            Protocol::Autodiscover => {
                let mobile = u.phone.is_some() && rng.chance(1, 3);
                if mobile {
                    row.user_agent.push_str("iOS/14.4 (18D52) dataaccessd/1.0");
                    let _ = write!(
                        row.url_stem,
                        "/autodiscover/autodiscover.json/v1.0/{}",
                        u.upn
                    );
                    row.url_query
                        .push_str("?Protocol=ActiveSync&RedirectCount=1");
                    row.method.push_str("GET");
                } else {
                    row.user_agent.push_str(u.outlook_ua);
                    row.url_stem.push_str("/Autodiscover/Autodiscover.xml");
                    row.method.push_str("POST");
                }
                row.url_host.clear();
                row.url_host.push_str(site::AUTODISCOVER_HOST);
                if rng.chance(1, 12) {
                    unauthorized(row, "Negotiate");
                    code = "401";
                } else {
                    signed_in(row, u, if mobile { "Basic" } else { "Negotiate" }, &u.upn);
                    let _ = write!(row.anchor_mailbox, "Smtp~{}", u.upn);
                    row.routing_type.push_str("Smtp");
                    row.routing_hint.push_str(if mobile {
                        "Smtp-UrlQuery"
                    } else {
                        "AnchorMailbox-Header"
                    });
                }
            }
            Protocol::Eas => {
                let (ua, ty, dev) = match &u.phone {
                    Some((ua, ty, dev)) => (*ua, *ty, dev.as_str()),
                    None => (PHONES[0].0, PHONES[0].1, "F2A8C0D17B3E4C59A6E1D0B9C8F7A6E5"),
                };
                row.user_agent.push_str(ua);
                row.client_ip_address.clear();
                row.client_ip_address.push_str(&u.home_ip);
                row.url_host.clear();
                row.url_host.push_str(site::EXTERNAL_HOST);
                row.url_stem
                    .push_str("/Microsoft-Server-ActiveSync/default.eas");
                const CMDS: &[(&str, u32)] = &[
                    ("Ping", 10),
                    ("Sync", 8),
                    ("FolderSync", 2),
                    ("SendMail", 1),
                    ("ItemOperations", 1),
                    ("GetItemEstimate", 1),
                ];
                let cmd = rng.weighted(CMDS);
                let _ = write!(
                    row.url_query,
                    "?Cmd={cmd}&User={}&DeviceId={dev}&DeviceType={ty}",
                    u.login
                );
                row.protocol_action.push_str(cmd);
                row.method.push_str("POST");
                signed_in(row, u, "Basic", &u.upn);
                let _ = write!(row.anchor_mailbox, "Smtp~{}", u.upn);
                row.routing_type.push_str("Smtp");
                row.routing_hint.push_str("Smtp-UrlQuery");
                if *cmd == "Ping" {
                    latency = 470_000;
                }
            }
            Protocol::RpcHttp => {
                row.user_agent.push_str("MSRPC");
                row.url_stem.push_str("/rpc/rpcproxy.dll");
                let _ = write!(row.url_query, "?{}@{}:6001", u.mailbox_guid, site::DOMAIN);
                row.method.push_str(if rng.chance(1, 2) {
                    "RPC_IN_DATA"
                } else {
                    "RPC_OUT_DATA"
                });
                signed_in(row, u, "NTLM", &u.down_level);
                let _ = write!(row.anchor_mailbox, "DatabaseGuid~{}", u.db);
                row.routing_type.push_str("DatabaseGuid");
                row.routing_hint.push_str("Smtp-UrlQuery");
                row.database_guid.push_str(u.db);
                latency = 300_000;
            }
            Protocol::Oab => {
                row.user_agent.push_str(u.outlook_ua);
                if rng.chance(1, 6) {
                    let _ = write!(row.url_stem, "/OAB/{}/", site::OAB_GUID);
                    rng.push_guid(&mut row.url_stem);
                    row.url_stem.push_str("-data-1.lzx");
                } else {
                    let _ = write!(row.url_stem, "/OAB/{}/oab.xml", site::OAB_GUID);
                }
                row.method.push_str("GET");
                signed_in(row, u, "Negotiate", &u.down_level);
                let _ = write!(row.anchor_mailbox, "OrgMbx~{}", site::ORG_MAILBOX);
                row.routing_type.push_str("OrgMbx");
                row.routing_hint.push_str("AnchorMailbox-Header");
            }
            Protocol::PowerShell => {
                // Remote PowerShell is the administrator's, from the admin
                // workstation or the server itself.
                let a = &pop.admin;
                row.client_ip_address.clear();
                row.client_ip_address.push_str(if rng.chance(1, 2) {
                    &a.office_ip
                } else {
                    "127.0.0.1"
                });
                row.url_host.clear();
                row.url_host.push_str(site::SERVER_FQDN);
                row.user_agent.push_str("Microsoft WinRM Client");
                row.url_stem.push_str("/powershell");
                row.url_query.push_str("?serializationLevel=Full;ExchClientVer=15.1.2106.2;clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4046");
                row.method.push_str("POST");
                signed_in(row, a, "Kerberos", &a.down_level);
                if rng.chance(1, 2) {
                    let _ = write!(row.anchor_mailbox, "Smtp~{}", a.upn);
                    row.routing_type.push_str("Smtp");
                } else {
                    let _ = write!(row.anchor_mailbox, "OrgMbx~{}", site::ORG_MAILBOX);
                    row.routing_type.push_str("OrgMbx");
                }
                row.routing_hint.push_str("AnchorMailbox-Header");
                latency = 900;
            }
        }
        if code == "200" && rng.chance(1, 10) {
            // The back end hands out a cookie naming the mailbox database
            // (or, rarely, the server: no path, so not the SSRF form).
            let exp = at.plus_days(1).hour_start().iso();
            let exp = &exp[..19];
            if rng.chance(1, 10) {
                let _ = write!(
                    row.back_end_cookie,
                    "Server~{}~{}~{exp}",
                    site::SERVER_FQDN,
                    site::BE_VERSION
                );
            } else {
                let _ = write!(
                    row.back_end_cookie,
                    "Database~{}~{}~{exp}",
                    u.db,
                    site::BE_VERSION
                );
            }
        }
        status(row, code);
        sizes(rng, row, 300, 60_000);
        latencies(rng, row, at, latency);
    }
}

fn probe_target(p: Protocol) -> (&'static str, &'static str) {
    match p {
        Protocol::Owa => ("owa", "/owa/"),
        Protocol::Ecp => ("ecp", "/ecp/"),
        Protocol::Ews => ("EWS", "/EWS/Exchange.asmx"),
        Protocol::Mapi => ("mapi", "/mapi/emsmdb/"),
        Protocol::Autodiscover => ("Autodiscover", "/Autodiscover/Autodiscover.xml"),
        Protocol::Eas => (
            "Microsoft-Server-ActiveSync",
            "/Microsoft-Server-ActiveSync/default.eas",
        ),
        Protocol::RpcHttp => ("rpc", "/rpc/rpcproxy.dll"),
        Protocol::Oab => ("OAB", "/OAB/"),
        Protocol::PowerShell => ("powershell", "/powershell"),
    }
}

fn signed_in(row: &mut Row, u: &User, auth: &str, name: &str) {
    row.authentication_type.push_str(auth);
    row.is_authenticated.push_str("true");
    row.authenticated_user.push_str(name);
    row.user_ad_object_guid.push_str(&u.ad_guid);
}

/// The first leg of a Negotiate/NTLM handshake: no user, no anchor.
fn unauthorized(row: &mut Row, auth: &str) {
    row.authentication_type.push_str(auth);
    row.is_authenticated.push_str("false");
}

fn client_request_id(rng: &mut SplitMix64, row: &mut Row) {
    rng.push_guid(&mut row.client_request_id);
}

fn status(row: &mut Row, code: &str) {
    row.http_status.push_str(code);
    row.back_end_status.push_str(match code {
        // The front end answers these itself.
        "302" | "401" | "440" => "",
        c => c,
    });
}

/// Fields every row has: time, ids, build, the front end and its target.
fn common(rng: &mut SplitMix64, protocol: Protocol, at: Time, row: &mut Row) {
    at.push_iso(&mut row.date_time);
    rng.push_guid(&mut row.request_id);
    row.major_version.push_str("15");
    row.minor_version.push('1');
    row.build_version.push_str("2106");
    row.revision_version.push('2');
    row.protocol.push_str(protocol.name());
    row.server_host_name.push_str(site::SERVER);
    row.proxy_action.push_str("Proxy");
    row.target_server.push_str(site::SERVER_FQDN);
    row.target_server_version.push_str(site::BUILD);
    row.server_locator_host.push_str(site::SERVER_FQDN);
    row.target_outstanding_requests.push('0');
}

fn sizes(rng: &mut SplitMix64, row: &mut Row, lo: u64, hi: u64) {
    let _ = write!(row.request_bytes, "{}", rng.between(lo / 4, hi / 8 + 1));
    let _ = write!(row.response_bytes, "{}", rng.between(lo, hi));
}

/// Plausible latency columns around a typical total (ms), plus the
/// GenericInfo timeline built from them.
fn latencies(rng: &mut SplitMix64, row: &mut Row, at: Time, typical: u64) {
    let total = rng.between(typical / 2, typical + typical / 2 + 2);
    let backend = total * 4 / 5;
    let fe = total - backend;
    let n = |s: &mut String, v: u64| {
        let _ = write!(s, "{v}");
    };
    n(&mut row.server_locator_latency, rng.below(2));
    n(&mut row.http_pipeline_latency, rng.below(3));
    n(&mut row.calculate_target_back_end_latency, rng.below(2));
    n(&mut row.ad_latency, rng.below(4));
    n(&mut row.activity_context_life_time, total + 1);
    n(&mut row.module_to_handler_switching_latency, 0);
    n(&mut row.backend_req_init_latency, rng.below(2));
    n(&mut row.backend_processing_latency, backend);
    n(&mut row.backend_resp_init_latency, rng.below(3));
    n(&mut row.client_resp_stream_latency, rng.below(2));
    n(&mut row.proxy_time, total);
    n(&mut row.core_latency, fe);
    n(&mut row.routing_latency, rng.below(2));
    n(&mut row.http_proxy_overhead, fe + 1);
    n(&mut row.total_request_time, total + 1);
    let g = &mut row.generic_info;
    g.push_str("CorrelationID=<empty>;BeginRequest=");
    at.push_iso(g);
    let _ = write!(
        g,
        ";ProxyState-Run=None;FEAuth=BEVersion-{};BeginGetResponse=",
        site::BE_VERSION
    );
    at.plus_ms(fe as i64).push_iso(g);
    g.push_str(";EndGetResponse=");
    at.plus_ms(total as i64).push_iso(g);
    g.push_str(";ProxyState-Complete=ProxyResponseData;");
}

// ---------------------------------------------------------------------------
// Attack rows

/// Rows of each step of the 2021 campaign, as the Exchange front end logged
/// them (reference §1.1, §1.2, §5). Each function returns the rows of one
/// step from one client, in time order starting at `at`; the caller puts
/// them in the log of the rows' `protocol`.
pub mod attack {
    use super::*;

    /// User agents of the exploit scripts (CISA AA21-062A, reference §5.5).
    pub const EXPLOIT_UAS: &[&str] = &[
        "ExchangeServicesClient/0.0.0.0",
        "python-requests/2.25.1",
        "python-requests/2.19.1",
    ];

    /// The user agent of nmap's http-vuln-cve2021-26855 script.
    pub const NMAP_UA: &str =
        "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)";

    fn base(rng: &mut SplitMix64, ip: &str, ua: &str, stem: &str, at: Time) -> Row {
        let mut row = Row::default();
        common(rng, Protocol::Ecp, at, &mut row);
        row.url_host.push_str(site::EXTERNAL_HOST);
        row.url_stem.push_str(stem);
        row.is_authenticated.push_str("false");
        row.user_agent.push_str(ua);
        row.client_ip_address.push_str(ip);
        row.method.push_str("POST");
        row.routing_type.push_str("Server");
        row.routing_hint.push_str("X-BEResource-Cookie");
        sizes(rng, &mut row, 200, 4_000);
        latencies(rng, &mut row, at, 60);
        row
    }

    fn set_status(row: &mut Row, code: u16) {
        let c = code.to_string();
        row.http_status = c.clone();
        row.back_end_status = c;
    }

    /// `/ecp/y.js` half the time, otherwise `/ecp/<1-3 letters>.js`: the
    /// stem is only a vehicle for the cookie and the scripts varied it.
    fn js_stem(rng: &mut SplitMix64) -> String {
        if rng.chance(1, 2) {
            "/ecp/y.js".to_string()
        } else {
            let n = rng.between(1, 3) as usize;
            let name: String = (0..n)
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            format!("/ecp/{name}.js")
        }
    }

    fn ssrf(host: &str, path: &str) -> String {
        format!("ServerInfo~a]@{host}:444/{path}#")
    }

    /// The full ProxyLogon chain (CVE-2021-26855 then CVE-2021-27065):
    /// autodiscover (200), mapi/emsmdb (200), proxyLogon.ecp (241), then the
    /// DDIService GetObject, SetObject and the `ResetOABVirtualDirectory`
    /// SetObject (200), each a few seconds after the last. AuthenticatedUser
    /// is empty on every row.
    pub fn proxylogon_chain(rng: &mut SplitMix64, ip: &str, at: Time) -> Vec<Row> {
        let ua = rng.one_of(EXPLOIT_UAS);
        let stem = js_stem(rng);
        proxylogon_chain_as(rng, ip, at, &stem, ua)
    }

    /// [`proxylogon_chain`] with a chosen UrlStem (e.g. `/ecp/y.js`) and
    /// user agent.
    pub fn proxylogon_chain_as(
        rng: &mut SplitMix64,
        ip: &str,
        at: Time,
        stem: &str,
        ua: &str,
    ) -> Vec<Row> {
        let canary = rng.hex(32);
        let h = site::SERVER_FQDN;
        let steps: [(String, u16); 6] = [
            (ssrf(h, "autodiscover/autodiscover.xml?"), 200),
            (ssrf(h, "mapi/emsmdb/?"), 200),
            (ssrf(h, "ecp/proxyLogon.ecp?"), 241),
            (
                ssrf(h, &format!("ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary={canary}&schema=OABVirtualDirectory")),
                200,
            ),
            (
                ssrf(h, &format!("ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary={canary}&schema=OABVirtualDirectory")),
                200,
            ),
            (
                ssrf(h, &format!("ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary={canary}&schema=ResetOABVirtualDirectory")),
                200,
            ),
        ];
        let mut t = at;
        let mut rows = Vec::with_capacity(steps.len());
        for (am, code) in steps {
            let mut r = base(rng, ip, ua, stem, t);
            r.anchor_mailbox = am;
            set_status(&mut r, code);
            rows.push(r);
            t = t.plus_ms(rng.between(900, 4_000) as i64);
        }
        rows
    }

    /// EWS requests sent through the SSRF after the chain (Volexity saw
    /// the intruders read mailboxes this way): `ServerInfo~…:444/ews/
    /// exchange.asmx` from the chain's client, answered 200, each with its
    /// RequestId (the back end's EWS log row of the same request has it).
    pub fn ssrf_ews_reads(
        rng: &mut SplitMix64,
        ip: &str,
        stem: &str,
        ua: &str,
        reads: &[(Time, &str)],
    ) -> Vec<Row> {
        reads
            .iter()
            .map(|(t, request_id)| {
                let mut r = base(rng, ip, ua, stem, *t);
                r.anchor_mailbox = ssrf(site::SERVER_FQDN, "ews/exchange.asmx?");
                r.request_id = request_id.to_string();
                set_status(&mut r, 200);
                r
            })
            .collect()
    }

    /// A failed attempt (no valid mailbox address): autodiscover rows only,
    /// answered `status` (500 or 200), 1 to 3 of them.
    pub fn failed_attempt(rng: &mut SplitMix64, ip: &str, at: Time, status: u16) -> Vec<Row> {
        let ua = *rng.pick(EXPLOIT_UAS);
        let stem = js_stem(rng);
        let n = rng.between(1, 3);
        let mut t = at;
        (0..n)
            .map(|_| {
                let mut r = base(rng, ip, ua, &stem, t);
                r.anchor_mailbox = ssrf(site::SERVER_FQDN, "autodiscover/autodiscover.xml?");
                set_status(&mut r, status);
                t = t.plus_ms(rng.between(500, 3_000) as i64);
                r
            })
            .collect()
    }

    /// nmap's CVE-2021-26855 check: `GET /owa/auth/x.js` with the
    /// `X-AnonResource-Backend` cookie naming `localhost/ecp/default.flt`,
    /// answered 500 (reference §1.2's sample row). Rows are for the Owa log.
    pub fn nmap_probe(rng: &mut SplitMix64, ip: &str, at: Time) -> Vec<Row> {
        let n = rng.between(1, 2);
        let mut t = at;
        (0..n)
            .map(|_| {
                let mut r = Row::default();
                common(rng, Protocol::Owa, t, &mut r);
                r.url_host.push_str(site::SERVER_PUBLIC_IP);
                r.url_stem.push_str("/owa/auth/x.js");
                r.authentication_type.push_str("FBA");
                r.is_authenticated.push_str("false");
                r.anchor_mailbox
                    .push_str("ServerInfo~localhost/ecp/default.flt?");
                r.user_agent.push_str(NMAP_UA);
                r.client_ip_address.push_str(ip);
                set_status(&mut r, 500);
                r.method.push_str("GET");
                r.target_server.clear();
                r.target_server.push_str("localhost");
                r.target_server_version.clear();
                r.target_server_version.push_str("0.00.0003.000");
                r.routing_type.push_str("CrossRegion");
                r.routing_hint.push_str("X-AnonResource-Backend-Cookie");
                sizes(rng, &mut r, 100, 600);
                latencies(rng, &mut r, t, 15);
                t = t.plus_ms(rng.between(100, 1_500) as i64);
                r
            })
            .collect()
    }

    /// One request of a later campaign, as the front end logs it.
    fn web_row(
        rng: &mut SplitMix64,
        protocol: Protocol,
        ip: &str,
        at: Time,
        (method, stem, query): (&str, &str, &str),
        user: &str,
        status: u16,
    ) -> Row {
        let mut r = Row::default();
        common(rng, protocol, at, &mut r);
        r.url_host.push_str(site::EXTERNAL_HOST);
        r.url_stem.push_str(stem);
        r.url_query.push_str(query);
        r.is_authenticated
            .push_str(if user.is_empty() { "false" } else { "true" });
        r.authenticated_user.push_str(user);
        if !user.is_empty() {
            r.authentication_type.push_str("Basic");
        }
        r.user_agent.push_str("python-requests/2.26.0");
        r.client_ip_address.push_str(ip);
        r.method.push_str(method);
        set_status(&mut r, status);
        sizes(rng, &mut r, 200, 4_000);
        latencies(rng, &mut r, at, 80);
        r
    }

    /// ProxyShell (CVE-2021-34473/34523/31207) as the HttpProxy logs show
    /// it: in the Autodiscover log, the unauthenticated path confusion to
    /// NSPI (the mailbox's LegacyDN) and to PowerShell with a forged
    /// `X-Rps-CAT` token; in the PowerShell log, the token-bearing request.
    /// Every row answered `status`.
    pub fn proxyshell(
        rng: &mut SplitMix64,
        ip: &str,
        at: Time,
        status: u16,
    ) -> Vec<(Protocol, Row)> {
        let token = "VgEAVAdXaW5kb3dzQwBBCEtlcmJlcm9zTBhhZG1pbmlzdHJhdG9yQGNvbnRvc28uY29t";
        let ad = "/autodiscover/autodiscover.json";
        let steps = [
            (Protocol::Autodiscover, ("GET", ad, "?@evil.corp/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.corp".to_string())),
            (Protocol::Autodiscover, ("POST", ad, format!("?@evil.corp/powershell/?X-Rps-CAT={token}&Email=autodiscover/autodiscover.json%3F@evil.corp"))),
            (Protocol::PowerShell, ("POST", "/powershell", format!("?X-Rps-CAT={token}&Email=autodiscover/autodiscover.json%3F@evil.corp"))),
        ];
        let mut t = at;
        steps
            .into_iter()
            .map(|(proto, (m, stem, q))| {
                let r = web_row(rng, proto, ip, t, (m, stem, &q), "", status);
                t = t.plus_ms(rng.between(700, 3_000) as i64);
                (proto, r)
            })
            .collect()
    }

    /// A request for a page (a web shell, or a scanner looking for one) as
    /// the front end's HttpProxy log of `protocol` records it.
    pub fn page(
        rng: &mut SplitMix64,
        protocol: Protocol,
        ip: &str,
        at: Time,
        (method, stem): (&str, &str),
        status: u16,
    ) -> Row {
        web_row(rng, protocol, ip, at, (method, stem, ""), "", status)
    }

    /// ProxyNotShell (CVE-2022-41040/41082): the autodiscover.json path
    /// confusion to PowerShell by a signed-in user (stolen credentials), in
    /// the Autodiscover log.
    pub fn proxynotshell(rng: &mut SplitMix64, ip: &str, at: Time, user: &str, status: u16) -> Row {
        web_row(
            rng,
            Protocol::Autodiscover,
            ip,
            at,
            (
                "POST",
                "/autodiscover/autodiscover.json",
                "?@evil.corp/powershell/?&Email=autodiscover/autodiscover.json%3F@evil.corp&Protocol=XYZ&FooProtocol=Powershell",
            ),
            user,
            status,
        )
    }

    /// OWASSRF (CVE-2022-41080/41082): PowerShell reached through OWA by a
    /// signed-in user, in the Owa log.
    pub fn owassrf(rng: &mut SplitMix64, ip: &str, at: Time, user: &str, status: u16) -> Row {
        web_row(
            rng,
            Protocol::Owa,
            ip,
            at,
            (
                "POST",
                "/owa/mastermailbox%40outlook.com/powershell",
                "?clientId=H&X-OWA-ExplicitLogonUser=owa/mastermailbox@outlook.com",
            ),
            user,
            status,
        )
    }

    /// The form Microsoft's blog query adds and Test-ProxyLogon misses:
    /// the SSRF target in `BackEndCookie`
    /// (`Server~EX01.contoso.com:444/ecp/DDI/DDIService.svc/GetList~1942062522`),
    /// AnchorMailbox empty or a `Sid~`, status 200. Three rows.
    pub fn backend_cookie(rng: &mut SplitMix64, ip: &str, at: Time) -> Vec<Row> {
        let ua = *rng.pick(EXPLOIT_UAS);
        let stem = js_stem(rng);
        let mut t = at;
        ["GetList", "GetList", "GetObject"]
            .iter()
            .map(|call| {
                let mut r = base(rng, ip, ua, &stem, t);
                r.routing_hint.clear();
                r.routing_hint.push_str("BackEndCookie");
                if rng.chance(1, 2) {
                    // The built-in Administrator's SID, as the forged
                    // request claims.
                    r.anchor_mailbox = format!("Sid~{}-500", site::DOMAIN_SID);
                }
                r.back_end_cookie = format!(
                    "Server~{}:444/ecp/DDI/DDIService.svc/{call}~{}",
                    site::SERVER_FQDN,
                    site::BE_VERSION
                );
                set_status(&mut r, 200);
                t = t.plus_ms(rng.between(800, 3_000) as i64);
                r
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::split_line;

    use exhunt_core::like;

    fn attack_like(r: &Row) -> bool {
        like(&r.anchor_mailbox, "ServerInfo~*/*") || like(&r.back_end_cookie, "Server~*/*~*")
    }

    const REFERENCE_FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus";

    #[test]
    fn columns_are_the_reference_list() {
        assert_eq!(FIELDS.join(","), REFERENCE_FIELDS);
        assert_eq!(GETTERS.len(), FIELDS.len());
        let mut r = Row::default();
        r.routing_status.push('x');
        r.date_time.push('t');
        assert_eq!(r.get("routingstatus"), Some("x"));
        assert_eq!(r.get("DateTime"), Some("t"));
        assert_eq!(r.get("NoSuchColumn"), None);
    }

    #[test]
    fn benign_rows_never_match_attack_predicates() {
        let mut t = Traffic::new(42);
        let start = Time::utc(2021, 3, 3, 6, 0, 0);
        let mut n = 0;
        for i in 0..10_000u64 {
            let p = Protocol::ALL[(i % 9) as usize];
            let r = t.row(p, start.plus_ms(i as i64 * 300));
            assert!(!attack_like(&r), "benign row looks like an attack: {r:?}");
            assert!(!site::VOLEXITY_IPS.contains(&r.client_ip_address.as_str()));
            n += 1;
        }
        assert_eq!(n, 10_000);
    }

    #[test]
    fn benign_mix_has_the_traps() {
        let mut t = Traffic::new(1);
        let start = Time::utc(2021, 3, 3, 6, 0, 0);
        let rows: Vec<Row> = (0..5_000)
            .map(|i| t.row(Protocol::ALL[i % 9], start.plus_ms(i as i64)))
            .collect();
        let has = |f: &dyn Fn(&Row) -> bool| rows.iter().any(f);
        assert!(has(
            &|r| r.client_ip_address == "127.0.0.1" && r.user_agent.contains("AMProbe")
        ));
        assert!(has(&|r| r.user_agent == "Exchange BackEnd Probes"));
        assert!(has(&|r| r.anchor_mailbox == "Smtp~admin@contoso.com"
            && r.url_stem == "/ecp/DDI/DDIService.svc/SetObject"));
        assert!(has(&|r| r.back_end_cookie.starts_with("Database~")));
        assert!(has(&|r| r.back_end_cookie.starts_with("Server~")));
        assert!(has(&|r| r.url_query.contains("ServerInfo")));
        assert!(has(&|r| r.anchor_mailbox.starts_with("DatabaseGuid~")));
        assert!(has(&|r| r.anchor_mailbox.starts_with("Sid~S-1-5-21-")));
        assert!(has(&|r| r.anchor_mailbox.starts_with("OrgMbx~")));
        assert!(has(&|r| r.authenticated_user.starts_with("CONTOSO\\")));
        assert!(has(&|r| r.http_status == "401"));
        assert!(has(&|r| r.http_status == "302"));
        assert!(has(&|r| r.http_status == "440"));
        let ok = rows.iter().filter(|r| r.http_status == "200").count();
        assert!(ok * 10 > rows.len() * 8, "mostly 200: {ok}");
    }

    #[test]
    fn hour_is_in_order_and_inside_the_hour() {
        let mut t = Traffic::new(3);
        let h = Time::utc(2021, 2, 20, 9, 0, 0);
        let rows = t.hour(Protocol::Mapi, h, 500);
        assert!(rows.windows(2).all(|w| w[0].date_time <= w[1].date_time));
        assert!(rows
            .iter()
            .all(|r| r.date_time.starts_with("2021-02-20T09:")));
    }

    #[test]
    fn attack_rows_match_their_predicates() {
        let mut rng = SplitMix64::new(9);
        let at = Time::utc(2021, 3, 3, 6, 49, 42);
        let chain = attack::proxylogon_chain(&mut rng, "103.77.192.219", at);
        assert_eq!(chain.len(), 6);
        assert!(chain
            .iter()
            .all(|r| like(&r.anchor_mailbox, "ServerInfo~*/*") && r.authenticated_user.is_empty()));
        assert_eq!(chain[2].http_status, "241");
        assert!(like(
            &chain[5].anchor_mailbox,
            "ServerInfo~*/*Reset*VirtualDirectory#"
        ));
        assert!(chain
            .iter()
            .all(|r| r.protocol == "Ecp" && r.routing_hint == "X-BEResource-Cookie"));
        assert!(chain.windows(2).all(|w| w[0].date_time < w[1].date_time));
        let failed = attack::failed_attempt(&mut rng, "5.254.43.18", at, 500);
        assert!(failed.iter().all(
            |r| like(&r.anchor_mailbox, "ServerInfo~*/autodiscover*") && r.http_status == "500"
        ));
        let nmap = attack::nmap_probe(&mut rng, "203.0.113.77", at);
        assert!(nmap
            .iter()
            .all(|r| like(&r.anchor_mailbox, "ServerInfo~localhost*/*")
                && r.protocol == "Owa"
                && r.target_server_version == "0.00.0003.000"));
        let bec = attack::backend_cookie(&mut rng, "104.140.114.110", at);
        assert!(bec.iter().all(|r| like(&r.back_end_cookie, "Server~*/*~*")
            && !like(&r.anchor_mailbox, "ServerInfo~*")));
    }

    #[test]
    fn every_format_parses_with_matching_field_counts() {
        let mut t = Traffic::new(5);
        let h = Time::utc(2021, 3, 3, 6, 0, 0);
        let mut rows = t.hour(Protocol::Owa, h, 300);
        rows.extend(attack::proxylogon_chain(
            &mut SplitMix64::new(1),
            "103.77.192.219",
            h.plus_secs(100),
        ));
        for f in Format::ALL {
            let bytes = render(f, h, &rows);
            let text = std::str::from_utf8(&bytes).unwrap();
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            assert_eq!(bytes.starts_with(b"\xEF\xBB\xBF"), f == Format::Utf8Bom);
            assert_eq!(text.contains("\r\n"), f != Format::Lf);
            let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
            let cols = f.layout().columns;
            let header = if f == Format::FieldsOnly {
                assert!(lines[0].starts_with("#Software"));
                lines
                    .iter()
                    .find_map(|l| l.strip_prefix("#Fields: "))
                    .unwrap()
            } else {
                lines[0]
            };
            assert_eq!(header, cols.join(","));
            assert_eq!(
                lines.iter().any(|l| l.starts_with("#Fields:")),
                f != Format::BareOnly
            );
            let data: Vec<&&str> = lines
                .iter()
                .skip(1)
                .filter(|l| !l.starts_with('#'))
                .collect();
            assert_eq!(data.len(), rows.len());
            let stem = cols.iter().position(|c| c == "UrlStem").unwrap();
            let ua = cols.iter().position(|c| c == "UserAgent").unwrap();
            for (line, row) in data.iter().zip(&rows) {
                let fields = split_line(line);
                assert_eq!(fields.len(), cols.len(), "{line}");
                assert_eq!(fields[stem], row.url_stem);
                assert_eq!(fields[ua], row.user_agent);
            }
        }
        assert!(Format::OldBuild.layout().columns.len() == FIELDS.len() - 4);
    }
}
