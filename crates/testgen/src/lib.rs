//! exhunt-testgen: realistic, synthetic Exchange server files for exhunt's
//! tests, its bundled example and its benchmark.
//!
//! Everything is deterministic given a seed (a hand-written SplitMix64, no
//! dependency whose upgrade could change the output), so tests can assert
//! on exact rows and the bundled example is reproducible byte for byte.
//!
//! - [`httpproxy`]: HttpProxy log writer (every header variant the reader
//!   must cope with), benign traffic generator with the false-positive
//!   look-alikes, and the rows of each step of the 2021 ProxyLogon campaign.
//! - [`ecp`], [`oab`]: ECP Server and OABGenerator log writers, benign
//!   lines, look-alikes and the attack lines.
//! - [`tree`]: whole trees laid out like the server's system drive: the
//!   compromised example, its clean twin, a large benchmark tree, the
//!   example as a zip.
//! - [`server`]: a tree shaped like a month of one server's logs (hourly
//!   HttpProxy and ECP files, daily OABGenerator and IIS logs) at any
//!   size, for the whole-tree benchmark.
//! - [`files`]: a large tree of ordinary server files with a few web
//!   shells, for the file-sweep benchmark.
//!
//! Facts about the formats and traces follow the project's reference notes
//! (`shared/reference/exchange-detection-facts.md` §1.1, §1.2, §5).

#![forbid(unsafe_code)]

pub mod csv;
pub mod ecp;
pub mod ews;
pub mod files;
pub mod httpproxy;
pub mod oab;
pub mod rng;
pub mod server;
pub mod site;
pub mod sysroot;
pub mod time;
pub mod tree;
pub mod w3c;

pub use rng::SplitMix64;
pub use time::Time;
pub use tree::{
    clean_bundle, example_bundle, write_bench, write_bench_seeded, write_clean, write_example,
    write_example_zip, Bundle, Planted, Summary,
};
