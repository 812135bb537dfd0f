//! The synthetic organisation every generated file describes. One fixed
//! site keeps the example readable and lets tests name exact values.

/// Mail domain of the organisation.
pub const DOMAIN: &str = "contoso.com";
/// NetBIOS domain (`CONTOSO\alice`).
pub const NETBIOS: &str = "CONTOSO";
/// The Exchange server's short name (`ServerHostName`, ECP `ServerName`).
pub const SERVER: &str = "EX01";
/// The Exchange server's FQDN (`TargetServer`).
pub const SERVER_FQDN: &str = "EX01.contoso.com";
/// Public name clients use.
pub const EXTERNAL_HOST: &str = "mail.contoso.com";
/// Public autodiscover name.
pub const AUTODISCOVER_HOST: &str = "autodiscover.contoso.com";
/// The server's public address (documentation range, RFC 5737), as the
/// nmap script puts it in `UrlHost`.
pub const SERVER_PUBLIC_IP: &str = "198.51.100.25";
/// Exchange 2016 CU18, the build the files claim (`#Version:`).
pub const BUILD: &str = "15.01.2106.002";
/// An older Exchange 2016 build, for the shorter column set.
pub const OLD_BUILD: &str = "15.01.1531.003";
/// `BEVersion` / back-end cookie version number of [`BUILD`].
pub const BE_VERSION: &str = "1942062522";
/// Domain SID prefix of every account.
pub const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";
/// Exchange install path as `MsiInstallPath` gives it (trailing `\`).
pub const INSTALL_PATH: &str = r"C:\Program Files\Microsoft\Exchange Server\V15\";
/// Mailbox databases.
pub const DATABASES: [&str; 3] = [
    "8d7e1a3c-52f4-4b7e-9a61-3c0f2e9d4b17",
    "c41f0b9e-7d23-4e8a-b5c2-91a6d7e3f058",
    "2a9c6e41-0f8b-4d3a-8e57-b6d1c4a9e2f3",
];
/// The organisation's default offline address book.
pub const OAB_GUID: &str = "5b1f3e7a-94c2-4d0e-a8b6-2f7c1e9d3a45";
/// Arbitration mailbox used for OrgMbx anchors.
pub const ORG_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@contoso.com";

/// The 15 attacker IPs Volexity published (CISA AA21-062A, reference §5.5).
/// Benign traffic never uses them.
pub const VOLEXITY_IPS: [&str; 15] = [
    "103.77.192.219",
    "104.140.114.110",
    "104.250.191.110",
    "108.61.246.56",
    "149.28.14.163",
    "157.230.221.198",
    "167.99.168.251",
    "185.250.151.72",
    "192.81.208.169",
    "203.160.69.66",
    "211.56.98.146",
    "5.2.69.14",
    "5.254.43.18",
    "80.92.205.81",
    "91.192.103.43",
];
