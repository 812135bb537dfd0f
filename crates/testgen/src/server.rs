//! A tree shaped like a month (or any number of days) of one mid-sized
//! Exchange server's logs, scaled to a given size, for the whole-tree
//! benchmark (`bench/tree.sh`, issue 15):
//!
//! ```text
//! Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/<Protocol>/HttpProxy_YYYYMMDDHH-1.LOG   hourly, nine folders
//! Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServerYYYYMMDDHH-1.LOG              hourly
//! Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGeneratorYYYYMMDD-1.LOG        daily
//! inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log                                                           daily (IIS W3C)
//! ```
//!
//! The bytes are shared out as on such a server (about 76% HttpProxy, 20%
//! IIS, 3.4% ECP, the rest OABGenerator: at 1 GiB and 30 days, HttpProxy
//! files of about 120 KB on average and IIS logs of about 7 MB), each file's
//! share weighted by its protocol (MAPI and EWS dominate), the hour of the
//! day (business hours busiest) and the day of the week (weekends quieter).
//! The HttpProxy rows are [`Traffic`]'s benign ones (with its look-alikes);
//! the IIS lines are the same kind of requests as the front end's IIS logs
//! them (with the theme files an OWA logon page fetches); the ECP and
//! OABGenerator lines are [`ecp::benign`] and [`oab::benign`], with the
//! administrator's changes and the routine failed download among them.
//!
//! Every file is streamed (one row in memory per writer) and the parts
//! are written on parallel threads, each from its own seed, so the output
//! is the same for a given seed whatever the scheduling. With `plant`, the
//! ProxyLogon chain of [`attack::proxylogon_chain`] goes in one ECP hour
//! (with its ECP Server and OABGenerator lines) and [`w3c::attack_lines`]
//! in that day's IIS log, so that findings can be compared.

use crate::ecp::{self, EcpWriter};
use crate::httpproxy::{attack, Format, HttpProxyWriter, Protocol, Row, Traffic};
use crate::oab::{self, OabWriter};
use crate::rng::SplitMix64;
use crate::time::Time;
use crate::tree::{ecp_path, httpproxy_path, oab_path, Planted, Summary};
use crate::{site, w3c};
use std::cell::Cell;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

/// The default seed of `exhunt-testgen server`.
pub const SERVER_SEED: u64 = 0x5E2F_E215;

/// The IIS site folder inside the tree.
pub const IIS_DIR: &str = "inetpub/logs/LogFiles/W3SVC1";

/// The day after the last day of a tree: a tree of `days` days covers
/// `END - days` to `END`.
pub const END: Time = Time::utc(2021, 3, 8, 0, 0, 0);

/// Users of the organisation (a mid-sized site).
const USERS: usize = 600;

/// Shares of the tree's bytes, per mille: HttpProxy, IIS, ECP Server (the
/// rest is OABGenerator). Measured shape of the issue's 1 GiB tree: 776 MiB
/// HttpProxy, 208 MiB IIS, 35 MiB ECP.
const SHARE_HTTPPROXY: u64 = 758;
const SHARE_IIS: u64 = 203;
const SHARE_ECP: u64 = 34;

/// Relative traffic per hour of the day (UTC = local here): quiet nights,
/// a morning peak, a dip at lunch.
const HOUR_WEIGHT: [u64; 24] = [
    4, 3, 3, 3, 3, 4, 6, 10, 14, 15, 15, 14, 12, 14, 15, 14, 12, 9, 7, 6, 5, 5, 4, 4,
];

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// About this many bytes in all.
    pub bytes: u64,
    /// Days of logs, ending the day before [`END`].
    pub days: u32,
    pub seed: u64,
    /// Put a ProxyLogon chain in (HttpProxy, ECP Server, OABGenerator and
    /// IIS lines).
    pub plant: bool,
}

impl Default for ServerSpec {
    fn default() -> Self {
        ServerSpec {
            bytes: 1 << 30,
            days: 30,
            seed: SERVER_SEED,
            plant: false,
        }
    }
}

/// `inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log`.
pub fn iis_path(day: Time) -> String {
    format!("{IIS_DIR}/u_ex{}.log", &day.day_stamp()[2..])
}

/// Monday = 0 ... Sunday = 6.
fn weekday(t: Time) -> u64 {
    // 1970-01-01 was a Thursday.
    (t.0.div_euclid(86_400_000) + 3).rem_euclid(7) as u64
}

/// Relative traffic of a day: weekends at 40%.
fn day_weight(day: Time) -> u64 {
    if weekday(day) >= 5 {
        4
    } else {
        10
    }
}

/// Share of a protocol folder: the protocol's weight, flattened (every
/// folder of a real server has a steady floor of probes and clients).
fn protocol_weight(p: Protocol) -> u64 {
    u64::from(p.weight()) + 10
}

/// Cumulative byte targets: `out[i]` is where the running total should be
/// after item `i`.
fn cumulative(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum::<u128>().max(1);
    let mut acc = 0u128;
    weights
        .iter()
        .map(|&w| {
            acc += u128::from(w);
            (u128::from(total) * acc / sum) as u64
        })
        .collect()
}

/// A writer that counts what goes through it, readable while a line
/// writer owns it.
struct Counting<W> {
    inner: W,
    n: Rc<Cell<u64>>,
}

impl<W: Write> Counting<W> {
    fn new(inner: W) -> (Self, Rc<Cell<u64>>) {
        let n = Rc::new(Cell::new(0));
        (
            Counting {
                inner,
                n: n.clone(),
            },
            n,
        )
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n.set(self.n.get() + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn create(dir: &Path, rel: &str) -> io::Result<BufWriter<File>> {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().expect("a log path has a parent"))?;
    Ok(BufWriter::with_capacity(256 << 10, File::create(path)?))
}

fn close(w: BufWriter<File>, modified: Time) -> io::Result<()> {
    let f = w.into_inner().map_err(|e| e.into_error())?;
    f.set_modified(UNIX_EPOCH + Duration::from_millis(modified.0.max(0) as u64))?;
    Ok(())
}

/// Where the time of a file stands when `done` of its `target` bytes are
/// written: the file's period is covered in proportion to the bytes.
fn time_at(start: Time, span_ms: i64, done: u64, target: u64) -> Time {
    let frac = u128::from(done.min(target)) * span_ms as u128 / u128::from(target.max(1));
    start.plus_ms(frac as i64)
}

/// Where the time of a day stands when `done` of `target` bytes are
/// written, with the bytes spread over the hours by [`HOUR_WEIGHT`].
fn day_time_at(day: Time, done: u64, target: u64) -> Time {
    let sum: u64 = HOUR_WEIGHT.iter().sum();
    // Position in "weight units" through the day.
    let pos =
        u128::from(done.min(target)) * u128::from(sum) * 3_600_000 / u128::from(target.max(1));
    let mut left = pos;
    for (h, &w) in HOUR_WEIGHT.iter().enumerate() {
        let span = u128::from(w) * 3_600_000;
        if left < span {
            let ms = left / u128::from(w);
            return day.plus_hours(h as i64).plus_ms(ms as i64);
        }
        left -= span;
    }
    day.plus_ms(86_399_999)
}

/// When the planted chain runs (a weekday morning two thirds into the
/// period).
fn chain_time(days: &[Time]) -> Time {
    let mut i = days.len() * 2 / 3;
    while i > 0 && weekday(days[i]) >= 5 {
        i -= 1;
    }
    days[i].plus_hours(6).plus_secs(49 * 60 + 42)
}

/// The attacker's address of the planted chain.
fn attacker() -> &'static str {
    site::VOLEXITY_IPS[0]
}

/// Writes the tree under `dir` (created if needed).
pub fn write_server(dir: &Path, spec: &ServerSpec) -> io::Result<Summary> {
    let days_n = spec.days.max(1) as i64;
    let start = END.plus_days(-days_n);
    let days: Vec<Time> = (0..days_n).map(|d| start.plus_days(d)).collect();
    let hours: Vec<Time> = (0..days_n * 24).map(|h| start.plus_hours(h)).collect();
    let chain = spec.plant.then(|| chain_time(&days));
    fs::create_dir_all(dir)?;

    let hp_total = spec.bytes * SHARE_HTTPPROXY / 1000;
    let iis_total = spec.bytes * SHARE_IIS / 1000;
    let ecp_total = spec.bytes * SHARE_ECP / 1000;
    let oab_total = spec.bytes - hp_total - iis_total - ecp_total;
    let pw_sum: u64 = Protocol::ALL.iter().map(|p| protocol_weight(*p)).sum();

    // One seed per part, drawn in a fixed order before any thread starts.
    let mut rng = SplitMix64::new(spec.seed);
    let proto_seeds: Vec<(Protocol, u64)> =
        Protocol::ALL.iter().map(|p| (*p, rng.next_u64())).collect();
    let (ecp_seed, oab_seed, iis_seed) = (rng.next_u64(), rng.next_u64(), rng.next_u64());

    let hour_weights: Vec<u64> = hours
        .iter()
        .map(|h| HOUR_WEIGHT[h.parts().3 as usize] * day_weight(h.day_start()))
        .collect();
    let day_weights: Vec<u64> = days.iter().map(|d| day_weight(*d)).collect();

    let results: Vec<io::Result<Summary>> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for &(p, seed) in &proto_seeds {
            let total = hp_total * protocol_weight(p) / pw_sum;
            let (hours, hour_weights) = (&hours, &hour_weights);
            handles.push(s.spawn(move || {
                write_httpproxy_folder(dir, p, seed, hours, hour_weights, total, chain)
            }));
        }
        let (hours_r, hw_r, days_r, dw_r) = (&hours, &hour_weights, &days, &day_weights);
        handles.push(s.spawn(move || write_ecp(dir, ecp_seed, hours_r, hw_r, ecp_total, chain)));
        handles.push(s.spawn(move || write_oab(dir, oab_seed, days_r, dw_r, oab_total, chain)));
        handles.push(s.spawn(move || write_iis(dir, iis_seed, days_r, dw_r, iis_total, chain)));
        handles
            .into_iter()
            .map(|h| h.join().expect("a generator thread panicked"))
            .collect()
    });
    let mut summary = Summary::default();
    for r in results {
        let s = r?;
        summary.files += s.files;
        summary.bytes += s.bytes;
        summary.rows += s.rows;
        summary.planted.extend(s.planted);
    }
    Ok(summary)
}

/// One protocol folder: a file per hour.
fn write_httpproxy_folder(
    dir: &Path,
    p: Protocol,
    seed: u64,
    hours: &[Time],
    weights: &[u64],
    total: u64,
    chain: Option<Time>,
) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let mut traffic = Traffic::with_users(rng.next_u64(), USERS);
    let cum = cumulative(total, weights);
    let mut summary = Summary::default();
    let mut row = Row::default();
    let mut written = 0u64;
    for (k, &hour) in hours.iter().enumerate() {
        let rel = httpproxy_path(p, hour);
        let mut attacks = Vec::new();
        if let Some(at) = chain.filter(|t| p == Protocol::Ecp && t.hour_start() == hour) {
            attacks = attack::proxylogon_chain(&mut rng, attacker(), at);
            summary.planted.push(Planted {
                path: rel.clone(),
                time: attacks[0].date_time.clone(),
                what: "proxylogon-chain",
                lines: attacks.len(),
            });
        }
        let target = cum[k].saturating_sub(written).max(1);
        let mut w = HttpProxyWriter::new(
            create(dir, &rel)?,
            Format::Both,
            hour.plus_ms(rng.between(40, 400) as i64),
        )?;
        let mut pending = attacks.into_iter().peekable();
        let mut last = hour;
        let mut rows = 0u64;
        loop {
            let t = time_at(hour, 3_599_000, w.bytes_written(), target)
                .plus_ms(rng.below(40) as i64)
                .max(last);
            last = t;
            traffic.fill(p, t, &mut row);
            while pending.peek().is_some_and(|a| a.date_time <= row.date_time) {
                w.write_row(&pending.next().expect("peeked"))?;
                rows += 1;
            }
            w.write_row(&row)?;
            rows += 1;
            if w.bytes_written() >= target {
                break;
            }
        }
        for a in pending {
            w.write_row(&a)?;
            rows += 1;
        }
        written += w.bytes_written();
        close(w.finish()?, hour.plus_secs(3599))?;
        summary.files += 1;
        summary.rows += rows;
    }
    summary.bytes = written;
    Ok(summary)
}

/// ECP Server logs: a file per hour; the administrator changes the OAB and
/// OWA virtual directories one morning a week (the look-alikes of the
/// web-shell write).
fn write_ecp(
    dir: &Path,
    seed: u64,
    hours: &[Time],
    weights: &[u64],
    total: u64,
    chain: Option<Time>,
) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let cum = cumulative(total, weights);
    let mut summary = Summary::default();
    let mut written = 0u64;
    for (k, &hour) in hours.iter().enumerate() {
        let rel = ecp_path(hour);
        let target = cum[k].saturating_sub(written).max(1);
        let admin = hour.parts().3 == 10 && weekday(hour) == 1;
        let mut planted = Vec::new();
        if let Some(t) = chain.filter(|t| t.hour_start() == hour) {
            planted.push(ecp::attacker_get_oab(&mut rng, t.plus_secs(9)));
            let set = ecp::webshell_set_oab(&mut rng, t.plus_secs(11), "klk123456", true);
            summary.planted.push(Planted {
                path: rel.clone(),
                time: set.time.iso(),
                what: "ecp-webshell",
                lines: 1,
            });
            planted.push(set);
        }
        let (file, count) = Counting::new(create(dir, &rel)?);
        let mut w = EcpWriter::new(file, hour.plus_ms(211))?;
        let mut pending = planted.into_iter().peekable();
        let mut last = hour;
        let (mut did_oab, mut did_owa) = (!admin, !admin);
        let mut rows = 0u64;
        loop {
            let done = count.get();
            let t = time_at(hour, 3_599_000, done, target)
                .plus_ms(rng.below(40) as i64)
                .max(last);
            last = t;
            while pending.peek().is_some_and(|l| l.time <= t) {
                w.write_line(&pending.next().expect("peeked"))?;
                rows += 1;
            }
            let line = if !did_oab && done >= target / 3 {
                did_oab = true;
                ecp::admin_set_oab(&mut rng, t)
            } else if !did_owa && done >= target * 2 / 3 {
                did_owa = true;
                ecp::admin_set_owa(&mut rng, t)
            } else {
                ecp::benign(&mut rng, t)
            };
            w.write_line(&line)?;
            rows += 1;
            if count.get() >= target {
                break;
            }
        }
        for l in pending {
            w.write_line(&l)?;
            rows += 1;
        }
        let out = w.finish()?;
        written += count.get();
        close(out.inner, hour.plus_secs(3599))?;
        summary.files += 1;
        summary.rows += rows;
    }
    summary.bytes = written;
    Ok(summary)
}

/// OABGenerator logs: a file per day, a routine failed download (inside
/// the OAB folder) every fifth day.
fn write_oab(
    dir: &Path,
    seed: u64,
    days: &[Time],
    weights: &[u64],
    total: u64,
    chain: Option<Time>,
) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let cum = cumulative(total, weights);
    let mut summary = Summary::default();
    let mut written = 0u64;
    for (k, &day) in days.iter().enumerate() {
        let rel = oab_path(day);
        let target = cum[k].saturating_sub(written).max(1);
        let mut pending = Vec::new();
        if let Some(t) = chain.filter(|t| t.day_start() == day) {
            let (l, _) = oab::shell_write(&mut rng, t.plus_secs(27));
            summary.planted.push(Planted {
                path: rel.clone(),
                time: l.time.iso(),
                what: "oab-shell-write",
                lines: 1,
            });
            pending.push(l);
        }
        let mut pending = pending.into_iter().peekable();
        let (file, count) = Counting::new(create(dir, &rel)?);
        let mut w = OabWriter::new(file, day.plus_ms(5_032))?;
        let mut trap = k % 5 == 0;
        let mut last = day;
        let mut rows = 0u64;
        loop {
            let done = count.get();
            let t = time_at(day, 86_399_000, done, target)
                .plus_ms(rng.below(1000) as i64)
                .max(last);
            last = t;
            while pending.peek().is_some_and(|l| l.time <= t) {
                w.write_line(&pending.next().expect("peeked"))?;
                rows += 1;
            }
            if trap && done >= target / 2 {
                trap = false;
                w.write_line(&oab::download_error(&mut rng, t))?;
                w.write_line(&oab::temp_file_inside_oab(&mut rng, t.plus_ms(5)))?;
                rows += 2;
            } else {
                w.write_line(&oab::benign(&mut rng, t))?;
                rows += 1;
            }
            if count.get() >= target {
                break;
            }
        }
        for l in pending {
            w.write_line(&l)?;
            rows += 1;
        }
        let out = w.finish()?;
        written += count.get();
        close(out.inner, day.plus_secs(86_399))?;
        summary.files += 1;
        summary.rows += rows;
    }
    summary.bytes = written;
    Ok(summary)
}

/// The front end's address in the IIS lines.
const S_IP: &str = "10.0.0.10";

/// What a browser fetches after the OWA logon page (IIS logs them; the
/// HttpProxy logs do not).
const LOGON_THEME: &[&str] = &[
    "/owa/auth/15.1.2106/themes/resources/segoeui-regular.ttf",
    "/owa/auth/15.1.2106/themes/resources/segoeui-semilight.ttf",
    "/owa/auth/15.1.2106/themes/resources/logon.css",
    "/owa/auth/15.1.2106/themes/resources/favicon.ico",
    "/owa/auth/15.1.2106/scripts/premium/flogon.js",
];

/// Appends `s` with spaces written as `+` (IIS never writes a space inside
/// a value), or `-` when empty.
fn push_value(out: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        out.push(b'-');
    } else {
        out.extend(s.bytes().map(|b| if b == b' ' { b'+' } else { b }));
    }
}

/// One IIS W3C line (IIS's default fields, [`w3c::FIELDS`]) for the
/// request an HttpProxy row describes, as the front end's IIS logs it.
pub fn push_iis_line(out: &mut Vec<u8>, r: &Row, referer: &str) {
    let dt = r.date_time.as_bytes();
    out.extend_from_slice(&dt[..10]);
    out.push(b' ');
    out.extend_from_slice(&dt[11..19]);
    out.push(b' ');
    out.extend_from_slice(S_IP.as_bytes());
    out.push(b' ');
    push_value(out, &r.method);
    out.push(b' ');
    push_value(out, &r.url_stem);
    out.push(b' ');
    push_value(out, r.url_query.strip_prefix('?').unwrap_or(&r.url_query));
    out.extend_from_slice(b" 443 ");
    push_value(out, &r.authenticated_user);
    out.push(b' ');
    push_value(out, &r.client_ip_address);
    out.push(b' ');
    push_value(out, &r.user_agent);
    out.push(b' ');
    push_value(out, referer);
    out.push(b' ');
    push_value(out, &r.http_status);
    out.extend_from_slice(b" 0 0 ");
    push_value(out, &r.total_request_time);
    out.extend_from_slice(b"\r\n");
}

/// IIS logs: a file per day, the requests of every protocol by its share,
/// spread over the day's hours.
fn write_iis(
    dir: &Path,
    seed: u64,
    days: &[Time],
    weights: &[u64],
    total: u64,
    chain: Option<Time>,
) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let mut traffic = Traffic::with_users(rng.next_u64(), USERS);
    let protos: Vec<(Protocol, u32)> = Protocol::ALL.iter().map(|p| (*p, p.weight())).collect();
    let cum = cumulative(total, weights);
    let mut summary = Summary::default();
    let mut written = 0u64;
    let mut row = Row::default();
    let mut line = Vec::with_capacity(1024);
    for (k, &day) in days.iter().enumerate() {
        let rel = iis_path(day);
        let target = cum[k].saturating_sub(written).max(1);
        let mut pending: Vec<String> = Vec::new();
        let mut attack_at = None;
        if let Some(t) = chain.filter(|t| t.day_start() == day) {
            // The campaign's requests an hour after the chain.
            let at = t.plus_hours(1);
            pending = w3c::attack_lines(at, attacker());
            summary.planted.push(Planted {
                path: rel.clone(),
                time: at.iso(),
                what: "iis-attack-requests",
                lines: pending.len(),
            });
            attack_at = Some(at);
        }
        let head = format!(
            "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: {} 00:00:00\r\n#Fields: {}\r\n",
            &day.iso()[..10],
            w3c::FIELDS
        );
        let mut out = create(dir, &rel)?;
        out.write_all(head.as_bytes())?;
        let mut done = head.len() as u64;
        let mut last = day;
        let mut rows = 0u64;
        loop {
            let t = day_time_at(day, done, target)
                .plus_ms(rng.below(200) as i64)
                .max(last);
            last = t;
            if attack_at.is_some_and(|a| a <= t) {
                attack_at = None;
                for l in pending.drain(..) {
                    out.write_all(l.as_bytes())?;
                    done += l.len() as u64;
                    rows += 1;
                }
            }
            let p = *rng.weighted(&protos);
            traffic.fill(p, t, &mut row);
            if row.url_query.contains("schema=Reset") {
                // The admin's reset through the EAC: the HttpProxy checks
                // tell it from the attack by its sign-in; the IIS rule
                // does not, so the benign IIS lines leave it out.
                continue;
            }
            line.clear();
            let referer = if p == Protocol::Owa && row.url_stem.starts_with("/owa/service.svc") {
                "https://mail.contoso.com/owa/"
            } else {
                ""
            };
            push_iis_line(&mut line, &row, referer);
            rows += 1;
            if row.url_stem == "/owa/auth/logon.aspx" {
                // The page's theme files, fetched anonymously; mostly
                // from the browser's cache.
                let mut theme = row.clone();
                theme.authenticated_user.clear();
                theme.url_query.clear();
                for (i, stem) in LOGON_THEME.iter().enumerate() {
                    let at = t.plus_ms(30 + 15 * i as i64);
                    theme.date_time.clear();
                    at.push_iso(&mut theme.date_time);
                    theme.url_stem.clear();
                    theme.url_stem.push_str(stem);
                    theme.http_status.clear();
                    theme
                        .http_status
                        .push_str(if rng.chance(3, 4) { "304" } else { "200" });
                    theme.total_request_time.clear();
                    theme.total_request_time.push('0');
                    push_iis_line(&mut line, &theme, "https://mail.contoso.com/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0");
                    rows += 1;
                }
            }
            out.write_all(&line)?;
            done += line.len() as u64;
            if done >= target {
                break;
            }
        }
        for l in pending {
            out.write_all(l.as_bytes())?;
            done += l.len() as u64;
            rows += 1;
        }
        out.flush()?;
        written += done;
        close(out, day.plus_secs(86_399))?;
        summary.files += 1;
        summary.rows += rows;
    }
    summary.bytes = written;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::split_line;
    use crate::httpproxy::FIELDS;

    fn tmpdir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "exhunt-testgen-server-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn files_under(dir: &Path) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push((rel, e.metadata().unwrap().len()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn shape_sizes_and_names() {
        let d = tmpdir("shape");
        let spec = ServerSpec {
            bytes: 12 << 20,
            days: 3,
            seed: 7,
            plant: false,
        };
        let s = write_server(&d, &spec).unwrap();
        let files = files_under(&d);
        let on_disk: u64 = files.iter().map(|f| f.1).sum();
        assert_eq!(on_disk, s.bytes);
        assert_eq!(files.len(), s.files);
        let asked = spec.bytes as f64;
        assert!(
            (s.bytes as f64 - asked).abs() < asked * 0.1,
            "{} bytes for {asked}",
            s.bytes
        );
        assert!(s.planted.is_empty());
        // Files per folder and their names.
        let count = |prefix: &str| files.iter().filter(|f| f.0.starts_with(prefix)).count();
        let hp = format!("{}/Logging/HttpProxy/", crate::tree::EXCHANGE);
        for p in Protocol::ALL {
            assert_eq!(count(&format!("{hp}{}/HttpProxy_", p.name())), 72, "{p:?}");
        }
        assert_eq!(
            count(&format!(
                "{}/Logging/ECP/Server/ECPServer",
                crate::tree::EXCHANGE
            )),
            72
        );
        assert_eq!(
            count(&format!(
                "{}/Logging/OABGeneratorLog/OABGenerator",
                crate::tree::EXCHANGE
            )),
            3
        );
        assert_eq!(count(&format!("{IIS_DIR}/u_ex")), 3);
        assert_eq!(files.len(), 9 * 72 + 72 + 3 + 3);
        for name in [
            format!("{hp}Mapi/HttpProxy_2021030500-1.LOG"),
            format!("{hp}RpcHttp/HttpProxy_2021030723-1.LOG"),
            format!(
                "{}/Logging/ECP/Server/ECPServer2021030612-1.LOG",
                crate::tree::EXCHANGE
            ),
            format!(
                "{}/Logging/OABGeneratorLog/OABGenerator20210307-1.LOG",
                crate::tree::EXCHANGE
            ),
            format!("{IIS_DIR}/u_ex210305.log"),
        ] {
            assert!(files.iter().any(|f| f.0 == name), "no {name}");
        }
        // Shares: HttpProxy about three quarters, IIS a fifth.
        let part = |prefix: &str| -> u64 {
            files
                .iter()
                .filter(|f| f.0.starts_with(prefix))
                .map(|f| f.1)
                .sum()
        };
        let hp_share = part(&hp) as f64 / s.bytes as f64;
        let iis_share = part(IIS_DIR) as f64 / s.bytes as f64;
        assert!((0.70..0.80).contains(&hp_share), "{hp_share}");
        assert!((0.17..0.23).contains(&iis_share), "{iis_share}");
        // Busy hours are bigger than quiet ones, MAPI bigger than PowerShell.
        let size = |rel: &str| files.iter().find(|f| f.0 == rel).unwrap().1;
        assert!(
            size(&format!("{hp}Mapi/HttpProxy_2021030510-1.LOG"))
                > 2 * size(&format!("{hp}Mapi/HttpProxy_2021030502-1.LOG"))
        );
        assert!(
            size(&format!("{hp}Mapi/HttpProxy_2021030510-1.LOG"))
                > 2 * size(&format!("{hp}PowerShell/HttpProxy_2021030510-1.LOG"))
        );

        // Every HttpProxy row has the header's fields, in time order, inside
        // its hour; nothing benign looks like the SSRF.
        let text =
            fs::read_to_string(d.join(format!("{hp}Ecp/HttpProxy_2021030609-1.LOG"))).unwrap();
        assert!(!text.contains("ServerInfo~"));
        let mut prev = String::new();
        for l in text.lines().skip(1).filter(|l| !l.starts_with('#')) {
            let f = split_line(l);
            assert_eq!(f.len(), FIELDS.len(), "{l}");
            assert!(f[0] >= prev && f[0].starts_with("2021-03-06T09:"), "{l}");
            prev = f[0].clone();
        }
        // IIS lines: every default field, no space inside a value.
        let iis = fs::read_to_string(d.join(format!("{IIS_DIR}/u_ex210306.log"))).unwrap();
        assert!(iis.starts_with("#Software: Microsoft Internet Information Services 10.0\r\n"));
        let n = w3c::FIELDS.split(' ').count();
        let mut kinds = std::collections::BTreeSet::new();
        for l in iis.lines().filter(|l| !l.starts_with('#')) {
            let v: Vec<&str> = l.split(' ').collect();
            assert_eq!(v.len(), n, "{l}");
            assert!(v[0] == "2021-03-06", "{l}");
            kinds.insert(v[4].split('/').nth(1).unwrap_or("").to_ascii_lowercase());
        }
        for k in [
            "mapi",
            "ews",
            "owa",
            "microsoft-server-activesync",
            "autodiscover",
            "ecp",
        ] {
            assert!(kinds.contains(k), "no {k} in {kinds:?}");
        }
        assert!(!iis.contains("schema=Reset"));
        // Same seed, same bytes.
        let again = tmpdir("shape2");
        write_server(&again, &spec).unwrap();
        for rel in [
            format!("{hp}Owa/HttpProxy_2021030611-1.LOG"),
            format!("{IIS_DIR}/u_ex210307.log"),
        ] {
            assert_eq!(
                fs::read(d.join(&rel)).unwrap(),
                fs::read(again.join(&rel)).unwrap()
            );
        }
        fs::remove_dir_all(&d).unwrap();
        fs::remove_dir_all(&again).unwrap();
    }

    #[test]
    fn planted_chain_lands_in_each_log() {
        let d = tmpdir("plant");
        let spec = ServerSpec {
            bytes: 6 << 20,
            days: 2,
            seed: 9,
            plant: true,
        };
        let s = write_server(&d, &spec).unwrap();
        let whats: Vec<&str> = s.planted.iter().map(|p| p.what).collect();
        assert_eq!(
            whats,
            [
                "proxylogon-chain",
                "ecp-webshell",
                "oab-shell-write",
                "iis-attack-requests"
            ]
        );
        for p in &s.planted {
            let text = fs::read_to_string(d.join(&p.path)).unwrap();
            assert!(
                text.contains(attacker()) || p.what != "proxylogon-chain",
                "{p:?}"
            );
            let when = if p.path.ends_with(".log") {
                // IIS: `date time`.
                format!("{} {}", &p.time[..10], &p.time[11..19])
            } else {
                p.time.clone()
            };
            assert!(text.contains(&when), "{p:?}");
        }
        let chain = &s.planted[0];
        let text = fs::read_to_string(d.join(&chain.path)).unwrap();
        assert!(text.contains("ServerInfo~"));
        let mut prev = String::new();
        for l in text.lines().skip(1).filter(|l| !l.starts_with('#')) {
            let f = split_line(l);
            assert!(f[0] >= prev, "{l}");
            prev = f[0].clone();
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn day_time_follows_the_hours() {
        let day = Time::utc(2021, 3, 1, 0, 0, 0);
        assert_eq!(day_time_at(day, 0, 1000), day);
        assert!(day_time_at(day, 999, 1000) < day.plus_days(1));
        // A third of a weekday's bytes are written by mid-morning.
        let t = day_time_at(day, 1000, 3000);
        assert!((9..=11).contains(&t.parts().3), "{}", t.iso());
        assert_eq!(weekday(Time::utc(2021, 3, 8, 12, 0, 0)), 0);
        assert_eq!(weekday(Time::utc(2021, 3, 7, 12, 0, 0)), 6);
        assert_eq!(iis_path(day), "inetpub/logs/LogFiles/W3SVC1/u_ex210301.log");
        assert_eq!(cumulative(10, &[1, 1, 2]), [2, 5, 10]);
    }
}
