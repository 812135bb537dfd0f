//! Where a file is: the web folders this module judges ([`WebPlace`]), the
//! Exchange install folder found inside a scanned path
//! ([`install_relative`]), script and baseline extensions, and which files a
//! scanner should open and hash for [`super::check_web_file`]
//! ([`wants_file`]).

/// A web folder this module judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebPlace {
    /// Any `aspnet_client` folder (IIS: `inetpub\wwwroot\aspnet_client`).
    AspnetClient,
    /// Directly in `inetpub\wwwroot`.
    WebRoot,
    /// `FrontEnd\HttpProxy\owa\auth\**` or `ClientAccess\owa\auth\**`.
    OwaAuth,
    /// `FrontEnd\HttpProxy\ecp\auth\**` or `ClientAccess\ecp\auth\**`.
    EcpAuth,
    /// `FrontEnd\HttpProxy\OAB\**` or `ClientAccess\OAB\**`.
    Oab,
    /// Any other folder under `FrontEnd` or `ClientAccess`.
    ExchangeWeb,
    /// `Temporary ASP.NET Files`: pages compiled on first request.
    TempAspNet,
}

impl WebPlace {
    /// How a finding names the place.
    pub fn describe(self) -> &'static str {
        match self {
            WebPlace::AspnetClient => "aspnet_client",
            WebPlace::WebRoot => "the IIS web root (inetpub\\wwwroot)",
            WebPlace::OwaAuth => "owa\\auth",
            WebPlace::EcpAuth => "ecp\\auth",
            WebPlace::Oab => "the OAB folder",
            WebPlace::ExchangeWeb => "Exchange's web folders",
            WebPlace::TempAspNet => "Temporary ASP.NET Files",
        }
    }
}

/// Extensions IIS hands to a script engine on request: the ones a web shell
/// needs.
pub const SCRIPT_EXTS: &[&str] = &["aspx", "ashx", "asmx", "asp"];

/// Extensions the baselines hold (server-executed or configuration files).
pub const BASELINE_EXTS: &[&str] = &[
    "aspx", "ashx", "asmx", "asax", "ascx", "master", "svc", "asp", "cshtml", "config",
];

/// The extension of a file name (after its last `.`), or `""`.
pub(super) fn ext_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

/// Whether a file name ends in a script extension ([`SCRIPT_EXTS`]).
pub fn is_script_name(name: &str) -> bool {
    let e = ext_of(name);
    SCRIPT_EXTS.iter().any(|x| x.eq_ignore_ascii_case(e))
}

/// The part of a path that is relative to the Exchange install folder: from
/// its `ClientAccess` or `FrontEnd` folder on (`FrontEnd` only when followed
/// by one of Exchange's FrontEnd folders, so that an unrelated folder of that
/// name does not count). `rel_lower` is lower-case with `/` separators.
pub fn install_relative(rel_lower: &str) -> Option<&str> {
    let mut start = 0;
    for comp in rel_lower.split('/') {
        let rest = &rel_lower[start..];
        let next = rest
            .get(comp.len() + 1..)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let tail_is_file = rest.len() > comp.len() + 1;
        if comp == "clientaccess" && tail_is_file {
            return Some(rest);
        }
        if comp == "frontend"
            && tail_is_file
            && matches!(
                next,
                "httpproxy" | "popimap" | "callrouter" | "routingupdates"
            )
        {
            return Some(rest);
        }
        start += comp.len() + 1;
    }
    None
}

/// Which web folder a file is in, if any. `rel_lower` is the file's path
/// inside its input, lower-case, `/` separators.
pub fn web_place(rel_lower: &str) -> Option<WebPlace> {
    let comps: Vec<&str> = rel_lower.split('/').collect();
    let dirs = &comps[..comps.len().saturating_sub(1)];
    if dirs.contains(&"temporary asp.net files") {
        return Some(WebPlace::TempAspNet);
    }
    if dirs.contains(&"aspnet_client") {
        return Some(WebPlace::AspnetClient);
    }
    if let Some(inst) = install_relative(rel_lower) {
        let ic: Vec<&str> = inst.split('/').collect();
        let (vdir, sub) = match ic.as_slice() {
            ["frontend", "httpproxy", v, s, _, ..] => (*v, *s),
            ["frontend", "httpproxy", v, _] => (*v, ""),
            ["clientaccess", v, s, _, ..] => (*v, *s),
            ["clientaccess", v, _] => (*v, ""),
            _ => ("", ""),
        };
        return Some(match (vdir, sub) {
            ("owa", "auth") => WebPlace::OwaAuth,
            ("ecp", "auth") => WebPlace::EcpAuth,
            ("oab", _) => WebPlace::Oab,
            _ => WebPlace::ExchangeWeb,
        });
    }
    if dirs.len() >= 2 && dirs[dirs.len() - 2..] == ["inetpub", "wwwroot"] {
        return Some(WebPlace::WebRoot);
    }
    None
}

/// Whether [`check_web_file`](super::check_web_file) can say anything about
/// this file, so that a scanner opens (and hashes) only those: a script in
/// `aspnet_client` or the web root; a file with a baseline extension other
/// than `.config` in Exchange's web folders; an `App_Web_*.dll` or
/// `*.compiled` in Temporary ASP.NET Files.
pub fn wants_file(rel_lower: &str) -> bool {
    let name = rel_lower.rsplit('/').next().unwrap_or(rel_lower);
    match web_place(rel_lower) {
        None => false,
        Some(WebPlace::TempAspNet) => is_app_web_dll(name) || name.ends_with(".compiled"),
        Some(WebPlace::AspnetClient | WebPlace::WebRoot) => is_script_name(name),
        // check_web_file says nothing about a differing .config (Setup
        // rewrites them); their content goes to check_web_config.
        Some(_) => {
            let e = ext_of(name);
            e != "config" && BASELINE_EXTS.contains(&e)
        }
    }
}

/// `App_Web_*.dll` (lower-case): an assembly of pages ASP.NET compiled.
pub(super) fn is_app_web_dll(name: &str) -> bool {
    name.starts_with("app_web_") && name.ends_with(".dll")
}
