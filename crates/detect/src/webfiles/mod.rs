//! Web folders: what Exchange ships there, and what does not belong there.
//!
//! The 2021 campaigns left their web shells in a few places: IIS's
//! `aspnet_client` folder, Exchange's `FrontEnd\HttpProxy\owa\auth` (also its
//! `Current` and `<build>` subfolders), `…\ecp\auth` and `…\OAB` (Microsoft's
//! MSERT guidance lists exactly these for a custom scan; CISA AA21-062A and
//! signature-base's `filename-iocs.txt` name the same). Web shells are
//! renamed and rewritten per victim (the OAB-export shells embed per-server
//! data), so their hashes are weak indicators; their *place* is not: Exchange
//! ships no script file in `aspnet_client`, and only a known handful in the
//! `auth` folders. So this module judges web-folder files by where they are
//! and by whether Microsoft shipped them, not by what they contain (the YARA
//! scan does that):
//!
//! - [`Baselines`]: Microsoft's per-build SHA-256 of every server-executed or
//!   configuration file Exchange ships in its web folders (CSS-Exchange's
//!   `CompareExchangeHashes.ps1` baselines, MIT, embedded from
//!   `rules/exchange-web-baseline.tsv`; see `rules/PROVENANCE-baseline.md`).
//! - [`check_web_file`]: a script file in `aspnet_client`; a script file in
//!   Exchange's web folders that no build ships; a stock page whose hash no
//!   build ships; compiled pages in Temporary ASP.NET Files that name a shell.
//! - [`newer_than_neighbours`]: script files much newer than the files beside
//!   them (a lead).
//! - [`check_application_host_config`]: IIS virtual directories pointing into
//!   `C:\ProgramData` or `C:\Users` (ProxyShell, August 2021).
//! - [`check_web_config`]: the EOMT / EOMTv2 URL Rewrite mitigation removed,
//!   cleared or disabled in a web.config; [`read_web_config`] also lists the
//!   mitigation rules in force, for the exposure headline
//!   ([`mitigations_in_force`] across files).
//!
//! How much each says. A script where Exchange ships none (`aspnet_client`,
//! the auth folders, OAB), or a compiled page from there, is `high` and
//! shows a compromise. An unknown script elsewhere in Exchange's folders is
//! `medium` when compared with the server's own build, a lead otherwise (a
//! later update may have added it). A stock page with unknown content, a
//! copy of a stock page, a script in the web root and a script much newer
//! than its neighbours are `info` leads, raised to `medium` when other
//! findings show exploitation: administrators customise logon pages and put
//! redirect pages in the web root, and the YARA scan reports a real shell on
//! its own. A removed mitigation is a `medium` configuration finding whose
//! verdict is `clean`: it shows a weakened server, not an intruder.
//!
//! Paths handed in are the file's path inside its input, lower-cased, with
//! `/` separators (`Candidate::rel_lower`); the Exchange install folder is
//! found inside them (see [`install_relative`]), so a scan of `V15`, of a
//! mounted drive or of a collected bundle all work.
//!
//! # Layout
//!
//! - `mod.rs` (this file): the rule identifiers and cited sources shared by
//!   the findings, and the re-exports.
//! - `places`: which web folder a path is in, the install-relative part of
//!   a path, script and baseline extensions.
//! - `baselines`: the per-build stock-file hashes and what they say about a
//!   file.
//! - `files`: [`check_web_file`] and the findings it makes.
//! - `compiled`: compiled pages in Temporary ASP.NET Files.
//! - `config`: `applicationHost.config` and web.config checks.
//! - `newer`: script files much newer than their neighbours.

mod baselines;
mod compiled;
mod config;
mod files;
mod newer;
mod places;
#[cfg(test)]
mod tests;

pub use baselines::{BaselineError, Baselines, Known, KnownHash};
pub use config::{
    check_application_host_config, check_web_config, mitigations_in_force,
    read_application_host_config, read_web_config, ConfigError, IisConfig,
};
pub use files::check_web_file;
pub use newer::{
    newer_than_neighbours, newer_than_neighbours_detail, NewerFile, MIN_NEIGHBOURS, NEWER_DAYS,
};
pub use places::{
    install_relative, is_script_name, wants_file, web_place, WebPlace, BASELINE_EXTS, SCRIPT_EXTS,
};

/// Sources cited by this module's findings.
pub mod sources {
    // Each reference is written once, as a macro giving the literal, so
    // that the rules citing several can join them at compile time into their
    // `RuleSpec` (`concat!` takes only literals).
    macro_rules! msert {
        () => {
            "microsoft/CSS-Exchange Security/Defender-MSERT-Guidance.md (scan aspnet_client, FrontEnd\\HttpProxy\\owa\\auth, ecp\\auth, Temporary ASP.NET Files)"
        };
    }
    macro_rules! pr150 {
        () => {
            "microsoft/CSS-Exchange PR #150 (web shells found in C:\\inetpub\\wwwroot\\aspnet_client after exploitation)"
        };
    }
    macro_rules! locations {
        () => {
            "Microsoft HAFNIUM blog 2021-03-02; CISA AA21-062A; Neo23x0/signature-base iocs/filename-iocs.txt (owa\\auth incl. Current and <build>, ecp\\auth, OAB, aspnet_client)"
        };
    }
    macro_rules! baseline {
        () => {
            "microsoft/CSS-Exchange Security/Baselines (CompareExchangeHashes.ps1 per-build hashes, MIT, commit 59ace25); rules/exchange-web-baseline.tsv"
        };
    }

    pub const MSERT: &str = msert!();
    pub const PR150: &str = pr150!();
    pub const LOCATIONS: &str = locations!();
    pub const BASELINE: &str = baseline!();
    pub const COMPILED: &str = "Neo23x0/signature-base yara/apt_hafnium.yar WEBSHELL_Compiled_Webshell_Mar2021_1 (BSI: App_Web_*.dll naming ~/aspnet_client/ or ~/auth/); Defender-MSERT-Guidance.md (Temporary ASP.NET Files)";
    pub const PROXYSHELL_IIS: &str = "Neo23x0/signature-base yara/expl_proxyshell.yar APT_IIS_Config_ProxyShell_Artifacts, SUSP_IIS_Config_ProxyShell_Artifacts, SUSP_IIS_Config_VirtualDir; Huntress ProxyShell blog 2021-08";
    pub const EOMT: &str = "microsoft/CSS-Exchange Security/src/EOMT.ps1 and EOMTv2.ps1 (URL Rewrite rules 'X-AnonResource-Backend Abort - inbound', 'X-BEResource Abort - inbound', 'PowerShell - inbound'); Health Checker CVE-2022-41040 check (child web.configs that clear or remove the inherited rule); Exchange Emergency Mitigation service M1.1";
    pub const WEBROOT: &str = "Neo23x0/signature-base yara/expl_proxyshell.yar WEBSHELL_ASPX_ProxyShell_Aug15 (iisstart.aspx); microsoft/CSS-Exchange CompareExchangeHashes.ps1 ($KNOWN_ROOT_FILES: no script file in inetpub\\wwwroot)";

    /// What a script in `aspnet_client` cites.
    pub const ASPNET_CLIENT: &str = concat!(msert!(), "; ", pr150!(), "; ", locations!());
    /// What a script no build ships in the auth folders or OAB cites.
    pub const AUTH_FOLDER: &str = concat!(locations!(), "; ", msert!(), "; ", baseline!());
    /// What a script no build ships elsewhere in the web folders cites.
    pub const UNKNOWN_SCRIPT: &str = concat!(baseline!(), "; ", locations!());
    /// What a script much newer than its neighbours cites.
    pub const NEWER: &str = concat!(
        locations!(),
        "; microsoft/CSS-Exchange CompareExchangeHashes.ps1 (flags web files modified after 2020-12-01)"
    );
}

/// The rules' stable identifiers.
pub mod rules {
    pub const ASPNET_CLIENT: &str = "webshell-aspnet-client";
    pub const AUTH_FOLDER: &str = "webshell-exchange-auth-folder";
    pub const UNKNOWN_SCRIPT: &str = "exchange-web-unknown-script";
    pub const WEBROOT: &str = "webroot-script";
    pub const STOCK_COPY: &str = "exchange-web-stock-copy";
    pub const STOCK_MODIFIED: &str = "exchange-web-stock-modified";
    pub const NEWER: &str = "exchange-web-newer-than-neighbours";
    pub const COMPILED: &str = "webshell-compiled-aspnet";
    pub const IIS_VDIR: &str = "iis-vdir-programdata-users";
    pub const EOMT_REMOVED: &str = "eomt-mitigation-removed";
}
