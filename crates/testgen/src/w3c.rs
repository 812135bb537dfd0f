//! IIS W3C logs of an Exchange server's front end
//! (`inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log`): the default IIS field
//! set, benign Outlook, OWA, ActiveSync and EWS traffic, and the exploit
//! requests of the campaigns (for the IIS benchmark and tests).

use crate::rng::SplitMix64;
use crate::time::Time;
use std::io::{self, Write};

/// IIS's default W3C fields.
pub const FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

const UAS: &[&str] = &[
    "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.13801;+Pro)",
    "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/89.0.4389.82+Safari/537.36",
    "Apple-iPhone12C1/1805.228",
    "Outlook-iOS/709.2189947.prod.iphone+(4.2109.0)",
    "ExchangeServicesClient/15.01.2106.002",
    "AMProbe/Local/ClientAccess",
    "Microsoft+WinRM+Client",
];

/// One benign request line.
fn benign(rng: &mut SplitMix64, at: Time, out: &mut String) {
    let user = rng.below(400);
    let (method, stem, query, status) = match rng.below(10) {
        0..=2 => (
            "POST",
            "/mapi/emsmdb/",
            format!("MailboxId={}@contoso.com", rng.guid()),
            "200",
        ),
        3 | 4 => (
            "POST",
            "/Microsoft-Server-ActiveSync/default.eas",
            format!(
                "User=user{user}&DeviceId={}&DeviceType=iPhone&Cmd=Sync",
                rng.hex(16)
            ),
            "200",
        ),
        5 => ("POST", "/EWS/Exchange.asmx", String::from("-"), "200"),
        6 => (
            "POST",
            "/owa/service.svc",
            String::from("action=GetItem&UA=0&app=Mail"),
            "200",
        ),
        7 => (
            "GET",
            "/owa/auth/logon.aspx",
            String::from("url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0"),
            "200",
        ),
        8 => (
            "POST",
            "/autodiscover/autodiscover.xml",
            String::from("-"),
            "200",
        ),
        _ => (
            "GET",
            "/owa/auth/15.1.2106/themes/resources/segoeui-regular.ttf",
            String::from("-"),
            "304",
        ),
    };
    at.push_iso(out); // "2021-03-03T06:49:42.162Z" → split below
    let iso = std::mem::take(out);
    out.push_str(&iso[..10]);
    out.push(' ');
    out.push_str(&iso[11..19]);
    out.push_str(" 10.0.0.10 ");
    out.push_str(method);
    out.push(' ');
    out.push_str(stem);
    out.push(' ');
    out.push_str(&query);
    out.push_str(" 443 ");
    if status == "304" {
        out.push('-');
    } else {
        out.push_str(&format!("CONTOSO\\user{user}"));
    }
    out.push_str(&format!(
        " 10.1.{}.{} {} - {} 0 0 {}\r\n",
        user / 250,
        user % 250,
        rng.pick(UAS),
        status,
        rng.below(900)
    ));
}

/// Exploit requests of the campaigns, one of each (HAFNIUM POST, DDI reset,
/// ProxyShell, OWASSRF, a web-shell request), from `ip`.
pub fn attack_lines(at: Time, ip: &str) -> Vec<String> {
    let d = at.iso();
    let (day, time) = (&d[..10], &d[11..19]);
    [
        ("POST", "/ecp/y.js", "-", "python-requests/2.25.1", "200"),
        ("POST", "/ecp/DDI/DDIService.svc/SetObject", "schema=ResetOABVirtualDirectory&msExchEcpCanary=x", "ExchangeServicesClient/0.0.0.0", "200"),
        ("POST", "/autodiscover/autodiscover.json", "@evil.corp/powershell/?X-Rps-CAT=VgEAVAdXaW5kb3dz&Email=autodiscover/autodiscover.json%3F@evil.corp", "python-requests/2.26.0", "200"),
        ("POST", "/owa/mastermailbox%40outlook.com/powershell", "clientId=H&X-OWA-ExplicitLogonUser=owa/mastermailbox@outlook.com", "python-requests/2.28.1", "200"),
        ("POST", "/aspnet_client/system_web/nwJvpgRH.aspx", "-", "antSword/v2.1", "200"),
    ]
    .iter()
    .map(|(m, stem, q, ua, st)| {
        format!("{day} {time} 10.0.0.10 {m} {stem} {q} 443 - {ip} {ua} - {st} 0 0 15\r\n")
    })
    .collect()
}

/// Writes one day's log of about `bytes` bytes, with the attack lines in the
/// middle when `attack` is set. Returns the bytes written.
pub fn write_day<W: Write>(
    out: &mut W,
    rng: &mut SplitMix64,
    day: Time,
    bytes: u64,
    attack: bool,
) -> io::Result<u64> {
    let head = format!(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: {} 00:00:00\r\n#Fields: {FIELDS}\r\n",
        &day.iso()[..10]
    );
    out.write_all(head.as_bytes())?;
    let mut written = head.len() as u64;
    let mut line = String::with_capacity(512);
    let mut t = day;
    let mut attacked = !attack;
    while written < bytes {
        line.clear();
        benign(rng, t, &mut line);
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        t = t.plus_ms(1 + rng.below(40) as i64);
        if !attacked && written > bytes / 2 {
            for l in attack_lines(t, "103.77.192.219") {
                out.write_all(l.as_bytes())?;
                written += l.len() as u64;
            }
            attacked = true;
        }
    }
    Ok(written)
}

/// A benchmark tree of IIS logs of about `total_bytes`: daily files of
/// 100 MB or less under `inetpub/logs/LogFiles/W3SVC1/`, the campaign's
/// requests in one of them.
pub fn write_iis_bench(dir: &std::path::Path, total_bytes: u64) -> io::Result<crate::Summary> {
    let site = dir.join("inetpub/logs/LogFiles/W3SVC1");
    std::fs::create_dir_all(&site)?;
    let mut rng = SplitMix64::new(0x115B_E4C1);
    let per_file: u64 = 100 << 20;
    let files = total_bytes.div_ceil(per_file).max(1);
    let mut bytes = 0;
    let start = Time::utc(2021, 1, 1, 0, 0, 0);
    for i in 0..files {
        let day = start.plus_days(i as i64);
        let name = format!("u_ex{}.log", &day.iso()[2..10].replace('-', ""));
        let mut f = io::BufWriter::new(std::fs::File::create(site.join(name))?);
        let size = per_file
            .min(total_bytes - bytes.min(total_bytes))
            .max(1 << 16);
        bytes += write_day(&mut f, &mut rng, day, size, i == files / 2)?;
        f.flush()?;
    }
    Ok(crate::Summary {
        files: files as usize,
        bytes,
        rows: 0,
        planted: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_every_field() {
        let mut rng = SplitMix64::new(1);
        let mut buf = Vec::new();
        write_day(
            &mut buf,
            &mut rng,
            Time::utc(2021, 3, 3, 0, 0, 0),
            200_000,
            true,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        let n = FIELDS.split(' ').count();
        let mut attacks = 0;
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(l.split(' ').count(), n, "{l}");
            attacks += l.contains("103.77.192.219") as usize;
        }
        assert_eq!(attacks, 5);
    }
}
