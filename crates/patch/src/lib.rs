//! exhunt-patch: Exchange builds, the security updates each lacks, and the
//! CVEs that leaves open.
//!
//! The table is data (`rules/exchange-builds.csv`, `rules/exchange-cve-fixes.csv`,
//! embedded at build time; sources and open questions in
//! `rules/PROVENANCE-builds.md`): every Exchange 2010 SP3 rollup from RU30,
//! every 2013/2016/2019 CU and Exchange SE, and every security update
//! since 2018, with date, KB and source; and the update that first fixed
//! each CVE of the campaigns (and the other CVEs those updates fix).
//!
//! "Does build B lack update U" follows the rule in the reference notes:
//! B's CU is the group of builds sharing its first three numbers; if U was
//! shipped for that CU, B has U exactly when B is at least U's build there;
//! if not, B has U exactly when its CU was released after U (a later CU
//! contains every earlier fix); an update never shipped for the product is
//! not lacking. Exchange 2010 is one chain of rollups. Exceptions (the March
//! 2021 packages for unsupported CUs fix only the four ProxyLogon CVEs; rows
//! whose date or KB is not confirmed by a Microsoft source; builds two
//! sources disagree on) are reported as notes, never hidden.

#![forbid(unsafe_code)]

use std::fmt;
use std::sync::OnceLock;

/// The embedded build table.
pub const BUILDS_CSV: &str = include_str!("../../../rules/exchange-builds.csv");
/// The embedded CVE → first fixing update table.
pub const FIXES_CSV: &str = include_str!("../../../rules/exchange-cve-fixes.csv");

/// A four-part build number, compared part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub [u32; 4]);

impl Version {
    /// The first three parts: the CU (2013 and later) or rollup (2010).
    pub fn cu_key(self) -> [u32; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// What a build string said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// All four parts.
    Full(Version),
    /// Three parts (`15.1.2106`): the CU is known, the update level is not.
    Partial([u32; 3]),
}

/// Parses the forms seen in the wild: `15.1.2106.2`, `15.01.2106.002`
/// (zero-padded, as `build_long` and file versions print them), `15.1.2106`
/// (three parts), with surrounding spaces or a leading `v`/`Version `.
pub fn parse_version(s: &str) -> Result<Parsed, VersionError> {
    let t = s.trim();
    let t = t
        .strip_prefix("Version ")
        .or_else(|| t.strip_prefix('v'))
        .or_else(|| t.strip_prefix('V'))
        .unwrap_or(t)
        .trim();
    let parts: Vec<&str> = t.split('.').collect();
    if !(3..=4).contains(&parts.len()) {
        return Err(VersionError::Shape {
            input: s.to_string(),
        });
    }
    let not_a_number = |p: &str| VersionError::NotANumber {
        input: s.to_string(),
        part: p.to_string(),
    };
    let mut n = [0u32; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 9 {
            return Err(not_a_number(p));
        }
        n[i] = p.parse().map_err(|_| not_a_number(p))?;
    }
    if !matches!((n[0], n[1]), (14, 3) | (15, 0) | (15, 1) | (15, 2)) {
        return Err(VersionError::NotExchange {
            input: s.to_string(),
        });
    }
    Ok(if parts.len() == 3 {
        Parsed::Partial([n[0], n[1], n[2]])
    } else {
        Parsed::Full(Version(n))
    })
}

/// Why a build string is not an Exchange build. Each message starts with
/// the input as given (quoted), so that it stands alone on a command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not three or four dot-separated parts.
    #[error("{input:?} is not an Exchange build (expected 15.1.2106.2 or 15.01.2106.002)")]
    Shape { input: String },
    /// A part that is not a number of at most nine digits.
    #[error("{input:?}: part {part:?} is not a number")]
    NotANumber { input: String, part: String },
    /// A build number, but not one of a product the table covers.
    #[error("{input:?} is not an Exchange 2010 SP3, 2013, 2016, 2019 or SE build (those start 14.3, 15.0, 15.1 or 15.2)")]
    NotExchange { input: String },
}

/// Exchange products in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    E2010,
    E2013,
    E2016,
    E2019,
    SE,
}

impl Product {
    fn from_csv(s: &str) -> Option<Product> {
        Some(match s {
            "2010" => Product::E2010,
            "2013" => Product::E2013,
            "2016" => Product::E2016,
            "2019" => Product::E2019,
            "SE" => Product::SE,
            _ => return None,
        })
    }

    /// Which product a build belongs to: 14.3 is 2010 SP3, 15.0 2013,
    /// 15.1 2016, 15.2 2019 below build 2562 and Subscription Edition from it.
    pub fn of(v: [u32; 3]) -> Option<Product> {
        Some(match (v[0], v[1]) {
            (14, 3) => Product::E2010,
            (15, 0) => Product::E2013,
            (15, 1) => Product::E2016,
            (15, 2) if v[2] >= 2562 => Product::SE,
            (15, 2) => Product::E2019,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Product::E2010 => "Exchange Server 2010",
            Product::E2013 => "Exchange Server 2013",
            Product::E2016 => "Exchange Server 2016",
            Product::E2019 => "Exchange Server 2019",
            Product::SE => "Exchange Server Subscription Edition",
        }
    }

    fn csv_name(self) -> &'static str {
        match self {
            Product::E2010 => "2010",
            Product::E2013 => "2013",
            Product::E2016 => "2016",
            Product::E2019 => "2019",
            Product::SE => "SE",
        }
    }
}

/// One build of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRow {
    pub product: Product,
    /// `CU18`, `RTM`, `SP1`, `SP3 RU32`.
    pub cu: String,
    /// `RTM` for the CU's own build, else the update's name (`Mar21SU`,
    /// `Apr24HU`); rows ending in `alt` are another source's build number
    /// for the same update.
    pub update: String,
    pub build: Version,
    pub release_date: String,
    pub kb: String,
    pub source: String,
}

impl BuildRow {
    /// Release date and KB confirmed by a Microsoft source.
    pub fn confirmed(&self) -> bool {
        !self.source.starts_with("unconfirmed")
    }

    /// Another source's number for an update (not used as a threshold).
    pub fn is_alternative(&self) -> bool {
        self.update.ends_with("alt")
    }

    /// `Exchange Server 2016 CU18`.
    pub fn product_cu(&self) -> String {
        match self.product {
            Product::SE if self.cu == "RTM" => self.product.name().to_string(),
            _ => format!("{} {}", self.product.name(), self.cu),
        }
    }
}

/// The update that first fixed a CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveFix {
    pub cve: String,
    /// `ProxyLogon`, `ProxyShell`, `ProxyNotShell`, `OWASSRF` or `other`.
    pub campaign: String,
    pub update: String,
    pub kb: String,
    pub products: Vec<Product>,
    pub source: String,
}

/// A line of the tables that could not be read: which file, which line
/// (1-based, the header is line 1) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {problem}")]
pub struct TableError {
    /// `exchange-builds.csv` or `exchange-cve-fixes.csv`.
    pub file: &'static str,
    pub line: usize,
    pub problem: TableProblem,
}

/// What is wrong with one line of the tables.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableProblem {
    #[error("expected {0} fields")]
    FieldCount(usize),
    #[error("unknown product")]
    UnknownProduct,
    /// The build column is not a build; the message is the parser's.
    #[error(transparent)]
    Build(VersionError),
    /// The table lists every build in full.
    #[error("three-part build")]
    ThreePartBuild,
}

/// The build table and the CVE fixes.
#[derive(Debug, Clone)]
pub struct Table {
    rows: Vec<BuildRow>,
    fixes: Vec<CveFix>,
}

/// The March 2021 update's name: its packages for out-of-support CUs fix
/// only the ProxyLogon CVEs.
const MAR21: &str = "Mar21SU";

impl Table {
    /// The embedded tables (parsed once).
    pub fn embedded() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(|| Table::parse(BUILDS_CSV, FIXES_CSV).expect("the embedded tables parse"))
    }

    /// Parses the two CSV texts.
    pub fn parse(builds: &str, fixes: &str) -> Result<Table, TableError> {
        let mut rows = Vec::new();
        for (i, line) in builds.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            let bad = |problem| TableError {
                file: "exchange-builds.csv",
                line: i + 1,
                problem,
            };
            if f.len() != 8 {
                return Err(bad(TableProblem::FieldCount(8)));
            }
            let product =
                Product::from_csv(f[0]).ok_or_else(|| bad(TableProblem::UnknownProduct))?;
            let build = match parse_version(f[3]).map_err(|e| bad(TableProblem::Build(e)))? {
                Parsed::Full(v) => v,
                Parsed::Partial(_) => return Err(bad(TableProblem::ThreePartBuild)),
            };
            rows.push(BuildRow {
                product,
                cu: f[1].to_string(),
                update: f[2].to_string(),
                build,
                release_date: f[5].to_string(),
                kb: f[6].to_string(),
                source: f[7].to_string(),
            });
        }
        rows.sort_by_key(|r| r.build);
        let mut out = Vec::new();
        for (i, line) in fixes.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.splitn(6, ',').collect();
            let bad = |problem| TableError {
                file: "exchange-cve-fixes.csv",
                line: i + 1,
                problem,
            };
            if f.len() != 6 {
                return Err(bad(TableProblem::FieldCount(6)));
            }
            let products = f[4]
                .split(';')
                .map(|p| Product::from_csv(p).ok_or_else(|| bad(TableProblem::UnknownProduct)))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(CveFix {
                cve: f[0].to_string(),
                campaign: f[1].to_string(),
                update: f[2].to_string(),
                kb: f[3].to_string(),
                products,
                source: f[5].to_string(),
            });
        }
        Ok(Table { rows, fixes: out })
    }

    pub fn rows(&self) -> &[BuildRow] {
        &self.rows
    }

    pub fn fixes(&self) -> &[CveFix] {
        &self.fixes
    }

    /// The rows of B's CU (same first three numbers), lowest first.
    fn cu_rows(&self, key: [u32; 3]) -> impl Iterator<Item = &BuildRow> + '_ {
        self.rows.iter().filter(move |r| r.build.cu_key() == key)
    }

    /// The rows of one update for one product (alternative numbers left out).
    fn update_rows(&self, p: Product, update: &str) -> impl Iterator<Item = &BuildRow> + '_ {
        let update = update.to_string();
        self.rows
            .iter()
            .filter(move |r| r.product == p && r.update == update && !r.is_alternative())
    }

    /// Release date of a CU (its `RTM` row, else its earliest row).
    fn cu_date(&self, key: [u32; 3]) -> Option<&str> {
        let rows: Vec<&BuildRow> = self.cu_rows(key).collect();
        rows.iter()
            .find(|r| r.update == "RTM")
            .or(rows.first())
            .map(|r| r.release_date.as_str())
    }

    /// Whether build `b` has update `u`: `Some(true)` yes, `Some(false)`
    /// no, `None` when the product never got that update (nothing to lack).
    pub fn has_update(&self, b: Version, u: &str) -> Option<bool> {
        let p = Product::of(b.cu_key())?;
        if p == Product::E2010 {
            // One chain of rollups: `SP3 RU32` is itself a CU row.
            let r = self
                .rows
                .iter()
                .find(|r| r.product == p && r.cu == u && r.update == "RTM")?;
            return Some(b >= r.build);
        }
        let rows: Vec<&BuildRow> = self.update_rows(p, u).collect();
        if rows.is_empty() {
            return None;
        }
        if let Some(same_cu) = rows.iter().find(|r| r.build.cu_key() == b.cu_key()) {
            return Some(b >= same_cu.build);
        }
        // No package for B's CU: a CU released after the update contains
        // it; an older CU was out of support and never got it.
        let u_date = rows.iter().map(|r| r.release_date.as_str()).max()?;
        let cu_date = self.cu_date(b.cu_key())?;
        Some(cu_date > u_date)
    }

    /// Explains a build string: product, CU, update level, open CVEs by
    /// campaign, what to install.
    pub fn explain(&self, input: &str) -> Result<Explanation, VersionError> {
        match parse_version(input)? {
            Parsed::Full(v) => Ok(self.assess(v, input)),
            Parsed::Partial(key) => {
                let rows: Vec<&BuildRow> = self.cu_rows(key).collect();
                let lowest = rows
                    .first()
                    .map(|r| r.build)
                    .unwrap_or(Version([key[0], key[1], key[2], 0]));
                // The least patched reading: the CU's own build.
                let mut e = self.assess(lowest, input);
                e.build = format!("{}.{}.{}.?", key[0], key[1], key[2]);
                e.notes.insert(
                    0,
                    format!(
                        "Three-part build: the CU is known, the update level is not (the fourth number says which update is installed). Shown for the least patched reading, the CU itself ({}); this CU's updates: {}.",
                        lowest,
                        if rows.is_empty() {
                            "none in the table".to_string()
                        } else {
                            rows.iter()
                                .map(|r| format!("{} {}", r.update, r.build))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    ),
                );
                e.exact = None;
                Ok(e)
            }
        }
    }

    /// The assessment of one full build.
    pub fn assess(&self, b: Version, input: &str) -> Explanation {
        let key = b.cu_key();
        let product = Product::of(key);
        let cu: Vec<&BuildRow> = self.cu_rows(key).collect();
        let exact = cu
            .iter()
            .find(|r| r.build == b && !r.is_alternative())
            .map(|r| (*r).clone());
        let alt = cu.iter().find(|r| r.build == b && r.is_alternative());
        // The highest known update at or below B in its CU.
        let level = cu
            .iter()
            .filter(|r| r.build <= b && !r.is_alternative())
            .max_by_key(|r| r.build)
            .map(|r| (*r).clone());
        let mut notes = Vec::new();
        let product_cu = match (cu.first(), product) {
            (Some(r), _) => r.product_cu(),
            (None, Some(p)) => format!("{} (a build not in the table)", p.name()),
            (None, None) => "not an Exchange build".to_string(),
        };
        if cu.is_empty() {
            notes.push(format!(
                "{b} matches no CU in the table (builds up to August 2026): which fixes it has cannot be told, so no CVE is named open or fixed."
            ));
        } else if exact.is_none() && alt.is_none() {
            notes.push(format!(
                "{b} is not itself a listed build; the highest listed update at or below it in its CU is taken as installed."
            ));
        }
        if let Some(a) = alt {
            notes.push(format!(
                "{b} is the number one source gives for {} ({}); Microsoft's build page gives another. Treated by Microsoft's number: check the installed updates.",
                a.update.trim_end_matches("-HCalt").trim_end_matches("-821alt"),
                a.source
            ));
        }
        if let Some(l) = &level {
            if !l.confirmed() {
                notes.push(format!(
                    "The release date or KB of {} ({}) is not confirmed by a Microsoft source ({}).",
                    l.update, l.build, l.source
                ));
            }
        }
        // The March 2021 packages for CUs that were out of support fix only
        // the ProxyLogon CVEs, and hold no earlier update.
        let old_cu_mar21 = product.is_some_and(|p| self.is_old_cu_mar21(p, key));
        if old_cu_mar21 && self.has_update(b, MAR21) == Some(true) {
            notes.push(
                "This CU was out of support in March 2021; its March 2021 package (KB5000871) fixes only CVE-2021-26855, -26857, -26858 and -27065, not the other March CVEs, and holds no earlier security update: the build alone cannot show which earlier updates are installed."
                    .to_string(),
            );
        }
        let mut open = Vec::new();
        if let Some(p) = product {
            for fix in self.fixes.iter().filter(|f| f.products.contains(&p)) {
                let lacks = match self.has_update(b, &fix.update) {
                    Some(has) => !has,
                    None => p == Product::E2010 && fix.update.starts_with("SP3"),
                };
                let mar21_partial = old_cu_mar21
                    && fix.update == MAR21
                    && fix.campaign != "ProxyLogon"
                    && self.has_update(b, MAR21) == Some(true);
                if lacks || mar21_partial {
                    open.push(OpenCve {
                        cve: fix.cve.clone(),
                        campaign: fix.campaign.clone(),
                        update: fix.update.clone(),
                        kb: fix.kb.clone(),
                    });
                }
            }
        }
        let install = product
            .map(|p| self.install_advice(p, b, &cu))
            .unwrap_or_default();
        Explanation {
            input: input.to_string(),
            build: b.to_string(),
            product: product_cu,
            cu_release_date: self.cu_date(key).map(str::to_string),
            level: level.as_ref().map(|l| l.update.clone()),
            exact,
            open,
            install,
            notes,
        }
    }

    /// CUs whose Mar21SU package was one of the special ones for
    /// out-of-support CUs: released before the oldest CU that got regular
    /// updates in 2021 (the CUs MSRC lists for the other March CVEs).
    fn is_old_cu_mar21(&self, p: Product, key: [u32; 3]) -> bool {
        // A CU without its own row in the table (2013 SP1) is older than
        // anything the table lists in full.
        let date = self
            .cu_rows(key)
            .find(|r| r.update == "RTM")
            .map_or("0000-00-00", |r| r.release_date.as_str());
        let supported_from = match p {
            Product::E2013 => "2019-06-18", // CU23
            Product::E2016 => "2020-09-15", // CU18
            Product::E2019 => "2020-09-15", // CU7
            _ => return false,
        };
        date < supported_from && self.update_rows(p, MAR21).any(|r| r.build.cu_key() == key)
    }

    fn install_advice(&self, p: Product, b: Version, cu: &[&BuildRow]) -> String {
        let latest_here = cu
            .iter()
            .filter(|r| !r.is_alternative())
            .max_by_key(|r| r.build);
        let latest_cu = self
            .rows
            .iter()
            .filter(|r| r.product == p && r.update == "RTM")
            .max_by_key(|r| r.build);
        let newest_of_product = self
            .rows
            .iter()
            .filter(|r| r.product == p && !r.is_alternative())
            .max_by_key(|r| r.build);
        let mut s = String::new();
        if let Some(l) = latest_here {
            if b < l.build {
                s.push_str(&format!(
                    "Install {} for {} ({}, build {}). ",
                    l.update,
                    l.product_cu(),
                    if l.kb.is_empty() {
                        "KB not listed"
                    } else {
                        &l.kb
                    },
                    l.build
                ));
            }
        }
        if let (Some(lc), Some(n)) = (latest_cu, newest_of_product) {
            if cu.is_empty() && b > n.build {
                // Newer than anything the table knows: not "out of date".
                s.push_str(&format!(
                    "A build newer than exhunt's table (up to August 2026; the newest it knows is {} {}, build {}): check in Microsoft's list of Exchange builds that it has the newest update.",
                    n.product_cu(),
                    n.update,
                    n.build
                ));
            } else if lc.build.cu_key() != b.cu_key() {
                if p == Product::E2010 {
                    s.push_str(&format!(
                        "Install the last rollup, {} ({}, build {}).",
                        lc.product_cu(),
                        lc.kb,
                        lc.build
                    ));
                } else if n.build == lc.build {
                    s.push_str(&format!(
                        "This CU no longer gets security updates: upgrade to {} ({}, build {}).",
                        lc.product_cu(),
                        lc.kb,
                        lc.build
                    ));
                } else {
                    s.push_str(&format!(
                        "This CU no longer gets security updates: upgrade to {} ({}) and install its newest update, {} ({}, build {}).",
                        lc.product_cu(),
                        lc.kb,
                        n.update,
                        n.kb,
                        n.build
                    ));
                }
            }
        }
        if matches!(
            p,
            Product::E2010 | Product::E2013 | Product::E2016 | Product::E2019
        ) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(match p {
                Product::E2010 => "Exchange 2010 is out of support since October 2020: move to a supported version.",
                Product::E2013 => "Exchange 2013 is out of support since April 2023: move to a supported version.",
                _ => "Exchange 2016 and 2019 are out of support since October 2025 (paid extended updates aside): plan the move to Exchange SE.",
            });
        }
        if s.is_empty() {
            s = format!(
                "Nothing newer in the table for {} (up to August 2026).",
                p.name()
            );
        }
        s.trim().to_string()
    }

    /// All builds of a product, for tests and listings.
    pub fn rows_of(&self, p: Product) -> impl Iterator<Item = &BuildRow> + '_ {
        self.rows.iter().filter(move |r| r.product == p)
    }

    /// The CSV name of a product (`2016`), for reports.
    pub fn product_label(p: Product) -> &'static str {
        p.csv_name()
    }
}

/// One CVE a build leaves open.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenCve {
    pub cve: String,
    pub campaign: String,
    /// The update that fixes it.
    pub update: String,
    pub kb: String,
}

/// What [`Table::explain`] says about a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub input: String,
    /// Normalised (`15.1.2106.2`; `15.1.2106.?` for three parts).
    pub build: String,
    /// `Exchange Server 2016 CU18`.
    pub product: String,
    pub cu_release_date: Option<String>,
    /// The highest listed update at or below the build in its CU (`RTM`
    /// when none).
    pub level: Option<String>,
    /// The table row of exactly this build.
    pub exact: Option<BuildRow>,
    pub open: Vec<OpenCve>,
    pub install: String,
    pub notes: Vec<String>,
}

impl Explanation {
    /// The open CVEs grouped by campaign, campaigns first in this order:
    /// ProxyLogon, ProxyShell, ProxyNotShell, OWASSRF, other.
    pub fn by_campaign(&self) -> Vec<(&str, Vec<&OpenCve>)> {
        let order = [
            "ProxyLogon",
            "ProxyShell",
            "ProxyNotShell",
            "OWASSRF",
            "other",
        ];
        let mut out: Vec<(&str, Vec<&OpenCve>)> = Vec::new();
        for c in order {
            let v: Vec<&OpenCve> = self.open.iter().filter(|o| o.campaign == c).collect();
            if !v.is_empty() {
                out.push((c, v));
            }
        }
        out
    }

    pub fn open_cves(&self) -> Vec<&str> {
        self.open.iter().map(|o| o.cve.as_str()).collect()
    }
}

#[cfg(test)]
mod tests;
