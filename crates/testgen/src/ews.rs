//! Exchange's EWS protocol log (`V15\Logging\Ews\Ews_<yyyymmddhh>-1.LOG`):
//! one row per EWS request the back end served, naming the account it ran
//! as (`AuthenticatedUser`), the mailbox it worked on (`ImpersonatedUser`,
//! where Exchange writes `ActivityStandardMetadata.UserEmail`), the SOAP
//! action and the original client's address (passed on by the front end
//! in `X-Forwarded-For`).
//!
//! Column order: Exchange 2016 CU23's `#Fields:` line as quoted at
//! https://artefacts.help/microsoft_exchange.html (Qazeer/artefacts.help);
//! the header lines (`#Software`, `#Version`, `#Log-type: EWS Logs`,
//! `#Date`) and the bare CSV header line before them as Exchange writes
//! them (awslabs/kinesis-agent-windows `ExchangeLogRecord` tests).

use crate::rng::SplitMix64;
use crate::site;
use crate::time::Time;

/// The `#Fields:` columns, in order.
pub const FIELDS: &str = "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,Ring,ClientRequestId,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,UserAgent,VersionInfo,ClientIpAddress,ServerHostName,FrontEndServer,SoapAction,HttpStatus,RequestSize,ResponseSize,ErrorCode,ImpersonatedUser,ProxyAsUser,ActAsUser,Cookie,CorrelationGuid,PrimaryOrProxyServer,TaskType,RemoteBackendCount,LocalMailboxCount,RemoteMailboxCount,LocalIdCount,RemoteIdCount,BeginBudgetConnections,EndBudgetConnections,BeginBudgetHangingConnections,EndBudgetHangingConnections,BeginBudgetAD,EndBudgetAD,BeginBudgetCAS,EndBudgetCAS,BeginBudgetRPC,EndBudgetRPC,BeginBudgetFindCount,EndBudgetFindCount,BeginBudgetSubscriptions,EndBudgetSubscriptions,MDBResource,MDBHealth,MDBHistoricalLoad,ThrottlingPolicy,ThrottlingDelay,ThrottlingRequestType,TotalDCRequestCount,TotalDCRequestLatency,TotalMBXRequestCount,TotalMBXRequestLatency,RecipientLookupLatency,ExchangePrincipalLatency,HttpPipelineLatency,CheckAccessCoreLatency,AuthModuleLatency,CallContextInitLatency,PreExecutionLatency,CoreExecutionLatency,TotalRequestTime,DetailedExchangePrincipalLatency,ClientStatistics,GenericInfo,AuthenticationErrors,GenericErrors,Puid,StartTime,ProcessId,TimeInGC,StartTotalMemory,EndTotalMemory,StartGCCounts,EndGCCounts,TokenBasedThrottlingPolicy,BudgetKey,CoinsCharged,CoinsChargedMethod,SidBudgetInfo,AppBudgetInfo,TenantBudgetInfo,ResourceAccessed,ResourceHealthBasedThreshold,ThrottledBy,BackoffHint,WorkClassification";

/// One EWS request.
#[derive(Debug, Clone)]
pub struct EwsRow {
    pub time: Time,
    pub request_id: String,
    pub authenticated_user: String,
    pub user_agent: String,
    pub client_ip: String,
    pub soap_action: String,
    pub status: u16,
    pub impersonated_user: String,
    pub response_size: u64,
}

const USER_AGENTS: [&str; 3] = [
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 11.2.1 (Build 20D74))",
    "AppleExchangeWebServices/814.100.4 accountsd/113",
];
const ACTIONS: [&str; 6] = [
    "GetFolder",
    "FindItem",
    "GetItem",
    "SyncFolderItems",
    "GetUserAvailability",
    "GetStreamingEvents",
];

/// An hour of users working with their own mailboxes: `n` rows.
pub fn benign_hour(rng: &mut SplitMix64, hour: Time, users: &[&str], n: usize) -> Vec<EwsRow> {
    let mut rows: Vec<EwsRow> = (0..n)
        .map(|_| {
            let u = *rng.pick(users);
            EwsRow {
                time: hour.plus_ms(rng.below(3_600_000) as i64),
                request_id: rng.guid(),
                authenticated_user: format!("{}\\{u}", site::NETBIOS),
                user_agent: rng.pick(&USER_AGENTS).to_string(),
                client_ip: format!("10.0.{}.{}", rng.between(1, 9), rng.between(2, 250)),
                soap_action: rng.pick(&ACTIONS).to_string(),
                status: 200,
                impersonated_user: format!("{u}@{}", site::DOMAIN),
                response_size: rng.between(800, 60_000),
            }
        })
        .collect();
    rows.sort_by_key(|r| r.time);
    rows
}

/// The back end's rows of EWS requests sent through the ProxyLogon SSRF:
/// run as the server itself (`NT AUTHORITY\SYSTEM`) with the target
/// mailbox in the impersonation header, from the attacker's address, each
/// with the RequestId of its front-end row.
pub fn ssrf_reads(ip: &str, ua: &str, reads: &[(Time, &str, &str, &str)]) -> Vec<EwsRow> {
    reads
        .iter()
        .map(|(t, request_id, mailbox, action)| EwsRow {
            time: *t,
            request_id: request_id.to_string(),
            authenticated_user: "NT AUTHORITY\\SYSTEM".to_string(),
            user_agent: ua.to_string(),
            client_ip: ip.to_string(),
            soap_action: action.to_string(),
            status: 200,
            impersonated_user: mailbox.to_string(),
            response_size: 184_320,
        })
        .collect()
}

/// The log file: the bare header line, the `#` directives, then the rows.
pub fn render(date: Time, rows: &[EwsRow]) -> Vec<u8> {
    let n = FIELDS.split(',').count();
    let mut s = String::new();
    s.push_str(FIELDS);
    s.push_str("\r\n#Software: Microsoft Exchange Server\r\n");
    s.push_str(&format!("#Version: {}\r\n", site::BUILD));
    s.push_str("#Log-type: EWS Logs\r\n");
    s.push_str(&format!("#Date: {}\r\n", date.iso()));
    s.push_str(&format!("#Fields: {FIELDS}\r\n"));
    for r in rows {
        let mut cols = vec![String::new(); n];
        cols[0] = r.time.iso();
        cols[1] = r.request_id.clone();
        cols[2] = "15".into();
        cols[3] = "1".into();
        cols[4] = "2106".into();
        cols[5] = "2".into();
        cols[8] = "Negotiate".into();
        cols[9] = "True".into();
        cols[10] = r.authenticated_user.clone();
        cols[12] = r.user_agent.clone();
        cols[13] = "Target=None;Req=Exchange2013/Exchange2013;".into();
        cols[14] = r.client_ip.clone();
        cols[15] = site::SERVER_FQDN.into();
        cols[16] = site::SERVER_FQDN.into();
        cols[17] = r.soap_action.clone();
        cols[18] = r.status.to_string();
        cols[19] = "1024".into();
        cols[20] = r.response_size.to_string();
        cols[22] = r.impersonated_user.clone();
        cols[28] = "Read".into();
        let line: Vec<String> = cols
            .into_iter()
            .map(|c| {
                if c.contains([',', '"']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        s.push_str(&line.join(","));
        s.push_str("\r\n");
    }
    s.into_bytes()
}

/// Where Exchange keeps the log of `hour`, relative to the system drive.
pub fn path(hour: Time) -> String {
    format!(
        "Program Files/Microsoft/Exchange Server/V15/Logging/Ews/Ews_{}-1.LOG",
        hour.hour_stamp()
    )
}
