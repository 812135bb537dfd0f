//! `exhunt serve` (the fleet server and its administration) and the upload
//! side: `--upload` on `scan` and `probe`, and `exhunt upload`. The work
//! is the `exhunt-fleet` library; this module turns arguments into its
//! calls and says on screen what happened.

use crate::args::{ServeArgs, ServeCommand, UploadArgs, UploadCmdArgs};
use anyhow::{bail, Context, Result};
use exhunt_fleet::client::{Sent, Uploader};
use exhunt_fleet::serve::Listen;
use exhunt_fleet::{admin, users, AppState, Db, DbOptions, ServeConfig};
use exhunt_report::safe;
use std::path::Path;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn serve(args: ServeArgs) -> Result<u8> {
    let rt = runtime()?;
    rt.block_on(serve_async(args))
}

async fn open(args: &ServeArgs) -> Result<Db> {
    let mut o = DbOptions::new(&args.database);
    o.max_connections = args.max_connections;
    o.sqlite_max_pages = args.sqlite_max_pages;
    Db::open(&o).await.map_err(anyhow::Error::from)
}

async fn serve_async(args: ServeArgs) -> Result<u8> {
    let db = open(&args).await?;
    match &args.command {
        None => {}
        Some(ServeCommand::Org(o)) => return org(&db, o).await,
        Some(ServeCommand::Token(t)) => return token(&db, t).await,
        Some(ServeCommand::User(u)) => return user(&db, u).await,
        Some(ServeCommand::Prune { days }) => {
            let n = exhunt_fleet::retain::prune(&db, *days, exhunt_fleet::now()).await?;
            eprintln!("exhunt serve: {n} report(s) older than {days} days deleted (each server's latest kept)");
            return Ok(0);
        }
        Some(ServeCommand::Check) => {
            let r = db.integrity().await?;
            println!("{r}");
            return Ok(if r == "ok" { 0 } else { 1 });
        }
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some((c.clone(), k.clone())),
        (None, None) => None,
        _ => bail!("--tls-cert and --tls-key go together"),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let orgs = admin::org_list(&db, None).await?;
    let dialect = db.dialect;
    let state = AppState::new(
        db,
        ServeConfig {
            max_upload: args.max_upload as usize,
            rate_per_minute: args.rate_limit,
            retain_days: args.retain,
        },
    );
    let database = exhunt_fleet::db::redact(&args.database);
    let app = exhunt_fleet::router(state.clone()).merge(exhunt_dashboard::router(
        state.clone(),
        exhunt_dashboard::DashConfig {
            secure_cookies: args.secure_cookies || scheme == "https",
            stale_days: args.stale_days.max(1),
        },
    ));
    // Ctrl-C, or SIGTERM (systemd, docker stop): a clean stop either way.
    let shutdown = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    exhunt_fleet::serve::serve(
        state.clone(),
        app,
        Listen {
            addr: args.listen,
            tls,
        },
        |addr| {
            eprintln!(
                "exhunt serve: listening on {scheme}://{addr} (database: {}, {})",
                safe(&database),
                dialect.name()
            );
            if orgs.is_empty() {
                eprintln!("exhunt serve: no organisation yet: `exhunt serve org add NAME` prints its upload token");
            }
            if scheme == "http" && !addr.ip().is_loopback() {
                eprintln!("exhunt serve: warning: plain HTTP on a network address: tokens and reports cross the network unencrypted unless a TLS proxy is in front (or give --tls-cert and --tls-key)");
            }
        },
        shutdown,
    )
    .await?;
    // Closing the pool ends the last SQLite connection, which writes the
    // write-ahead log back into the file and removes it: the file alone is
    // then the whole database.
    state.db.pool.close().await;
    eprintln!("exhunt serve: stopped");
    Ok(0)
}

async fn org(db: &Db, o: &crate::args::OrgCommand) -> Result<u8> {
    use crate::args::OrgCommand::*;
    match o {
        Add { name } => {
            let (_, token) = admin::org_add(db, name).await?;
            eprintln!(
                "exhunt serve: organisation {} added; its upload token (shown once, stored only as a hash):",
                safe(name.trim())
            );
            println!("{token}");
        }
        List { json } => {
            let rows = admin::org_list(db, None).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:>5}  {:<30} {:>8} {:>7}  last report",
                    "id", "organisation", "servers", "tokens"
                );
                for r in rows {
                    println!(
                        "{:>5}  {:<30} {:>8} {:>7}  {}",
                        r.id,
                        safe(&r.name).to_string(),
                        r.servers,
                        r.tokens,
                        r.last_report.as_deref().unwrap_or("never")
                    );
                }
            }
        }
        Delete { name, yes } => {
            if !yes {
                bail!("deleting an organisation removes all of its servers, reports and tokens: add --yes to do it");
            }
            let n = admin::org_delete(db, name).await?;
            eprintln!(
                "exhunt serve: organisation {} deleted, with its {n} report(s), servers and tokens",
                safe(name.trim())
            );
        }
    }
    Ok(0)
}

async fn token(db: &Db, t: &crate::args::TokenCommand) -> Result<u8> {
    use crate::args::TokenCommand::*;
    match t {
        Add {
            org,
            analyst,
            label,
        } => {
            if org.is_some() == *analyst {
                bail!("give --org NAME (an upload token for that organisation) or --analyst (reads every organisation)");
            }
            let label = label
                .clone()
                .unwrap_or_else(|| org.clone().unwrap_or_else(|| "analyst".to_string()));
            let token = admin::token_add(db, org.as_deref(), &label).await?;
            eprintln!("exhunt serve: new token (shown once, stored only as a hash):");
            println!("{token}");
        }
        List { json } => {
            let rows = admin::token_list(db).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:>5}  {:<8} {:<30} {:<20} state",
                    "id", "role", "organisation", "label"
                );
                for r in rows {
                    println!(
                        "{:>5}  {:<8} {:<30} {:<20} {}",
                        r.id,
                        r.role,
                        safe(r.org.as_deref().unwrap_or("(every organisation)")).to_string(),
                        safe(&r.label).to_string(),
                        r.revoked
                            .map(|t| format!("revoked {t}"))
                            .unwrap_or_else(|| "live".into())
                    );
                }
            }
        }
        Revoke { id } => {
            if !admin::token_revoke(db, *id).await? {
                bail!("no live token number {id} (`exhunt serve token list`)");
            }
            eprintln!("exhunt serve: token {id} revoked");
        }
    }
    Ok(0)
}

async fn user(db: &Db, u: &crate::args::UserCommand) -> Result<u8> {
    use crate::args::UserCommand::*;
    match u {
        Add {
            name,
            org,
            analyst,
            password_file,
        } => {
            if org.is_some() == *analyst {
                bail!("give --org NAME (sees that organisation only) or --analyst (every organisation)");
            }
            let password = match password_file {
                Some(f) => String::from_utf8(exhunt_fleet::client::read_small(
                    f,
                    "password file",
                    64 << 10,
                )?)
                .with_context(|| format!("{} is not text", f.display()))?,
                None => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("cannot read the password from standard input")?;
                    line
                }
            };
            let password = password.trim_end_matches(['\r', '\n']);
            users::user_add(db, name, org.as_deref(), password).await?;
            eprintln!(
                "exhunt serve: {} can sign in ({})",
                safe(name.trim()),
                match org {
                    Some(o) => format!("organisation {}", safe(o)),
                    None => "every organisation".to_string(),
                }
            );
        }
        List { json } => {
            let rows = users::user_list(db).await?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    println!(
                        "{:>5}  {:<24} {}{}",
                        r.id,
                        safe(&r.name).to_string(),
                        safe(r.org.as_deref().unwrap_or("(every organisation)")),
                        if r.disabled { " (disabled)" } else { "" }
                    );
                }
            }
        }
        Remove { name } => {
            if !users::user_remove(db, name).await? {
                bail!("no user named {:?}", name.trim());
            }
            eprintln!(
                "exhunt serve: {} removed, sessions ended",
                safe(name.trim())
            );
        }
    }
    Ok(0)
}

fn uploader(
    url: &str,
    token_file: Option<&Path>,
    ca: Option<&Path>,
    spool: Option<&Path>,
) -> Result<Uploader> {
    let Some(tf) = token_file else {
        bail!("--upload needs --token-file FILE (the token `exhunt serve org add` printed)");
    };
    let token = exhunt_fleet::client::read_token(tf)?;
    let spool = spool
        .map(Path::to_path_buf)
        .unwrap_or_else(exhunt_fleet::client::default_spool);
    Ok(Uploader::new(url, token, ca, &spool)?)
}

/// Says on standard error what became of a document; true when delivered.
fn tell(what: &str, url: &str, s: &Sent) -> bool {
    match s {
        Sent::Stored(id) => eprintln!("exhunt: {what} uploaded to {} (report {id})", safe(url)),
        Sent::Duplicate(id) => eprintln!(
            "exhunt: {what} was already on {} (report {id}): stored once",
            safe(url)
        ),
        Sent::Spooled(why) => eprintln!(
            "exhunt: could not upload {what} now ({}); it will be sent on the next run with --upload",
            safe(why)
        ),
        Sent::NotKept(why) => eprintln!(
            "exhunt: could not upload {what} and it was NOT kept for later ({}): keep the report file and send it with `exhunt upload`",
            safe(why)
        ),
        Sent::Rejected(status, why) => eprintln!(
            "exhunt: {} refused {what} ({status}): {}",
            safe(url),
            safe(why)
        ),
    }
    s.delivered()
}

/// Sends what the spool holds, then `docs`; says what happened. Returns
/// how many were not delivered.
async fn send_all(up: &Uploader, url: &str, docs: Vec<(String, Vec<u8>)>) -> usize {
    let mut failed = 0;
    let flushed = up.flush().await;
    let sent = flushed.iter().filter(|(_, s)| s.delivered()).count();
    if sent > 0 {
        eprintln!(
            "exhunt: {sent} report(s) kept from earlier runs sent to {}",
            safe(url)
        );
    }
    for (p, s) in &flushed {
        if !s.delivered() {
            failed += 1;
            tell(&format!("the kept report {}", p.display()), url, s);
        }
    }
    for (what, json) in docs {
        if !tell(&what, url, &up.send(&json).await) {
            failed += 1;
        }
    }
    let left = up.spooled().len();
    if left > 0 {
        eprintln!(
            "exhunt: {left} report(s) wait in {} for the next run",
            up.spool_dir().display()
        );
    }
    failed
}

/// `--upload` after a scan or a probe: the JSON document, sent (or
/// spooled). The scan's exit code stays the verdict's.
pub fn upload_after(args: &UploadArgs, what: &str, json: Vec<u8>) -> Result<()> {
    let Some(url) = &args.upload else {
        return Ok(());
    };
    let up = uploader(
        url,
        args.token_file.as_deref(),
        args.ca_cert.as_deref(),
        args.spool.as_deref(),
    )?;
    let rt = runtime()?;
    rt.block_on(send_all(&up, url, vec![(what.to_string(), json)]));
    Ok(())
}

/// Checks the upload options before a scan runs (a missing token file is
/// said at once, not after an hour of scanning), and that the spool is not
/// inside the evidence.
pub fn check_upload(args: &UploadArgs, guard: &exhunt_scan::guard::OutputGuard) -> Result<()> {
    if args.upload.is_none() {
        if args.token_file.is_some() || args.ca_cert.is_some() || args.spool.is_some() {
            bail!("--token-file, --ca-cert and --spool go with --upload URL");
        }
        return Ok(());
    }
    let tf = args
        .token_file
        .as_deref()
        .context("--upload needs --token-file FILE (the token `exhunt serve org add` printed)")?;
    exhunt_fleet::client::read_token(tf)?;
    let spool = args
        .spool
        .clone()
        .unwrap_or_else(exhunt_fleet::client::default_spool);
    guard.dir(&spool, "the upload spool")?;
    Ok(())
}

/// `exhunt upload REPORT.json…`: reports (or probe results) made earlier;
/// with none, what the spool holds. Exit 0 when everything was delivered,
/// 2 otherwise.
pub fn upload_cmd(args: UploadCmdArgs) -> Result<u8> {
    let up = uploader(
        &args.to,
        Some(&args.token_file),
        args.ca_cert.as_deref(),
        args.spool.as_deref(),
    )?;
    let mut docs = Vec::new();
    for f in &args.reports {
        let bytes = exhunt_core::open::read_capped(f, exhunt_core::open::Links::Follow, 1 << 30)
            .with_context(|| format!("cannot read {}", f.display()))?;
        docs.push((f.display().to_string(), bytes));
    }
    let rt = runtime()?;
    let failed = rt.block_on(send_all(&up, &args.to, docs));
    Ok(if failed == 0 { 0 } else { 2 })
}
