//! Listening: plain HTTP (for a reverse proxy in front, or the loopback
//! default) or HTTPS with rustls from a PEM certificate chain and key. The
//! retention task runs beside it.

use crate::api::AppState;
use crate::FleetError;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct Listen {
    pub addr: SocketAddr,
    /// PEM certificate chain and private key: HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

fn tls_config(cert: &PathBuf, key: &PathBuf) -> Result<rustls::ServerConfig, FleetError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            FleetError::Io(format!(
                "cannot read the certificate {}: {e}",
                cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(FleetError::Io(format!(
            "{} holds no PEM certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        FleetError::Io(format!(
            "cannot read the private key {}: {e}",
            key.display()
        ))
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FleetError::Io(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| FleetError::Io(format!("the certificate and key do not go together: {e}")))?;
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

/// Serves `app` (the API's [`crate::router`], with the dashboard's pages merged
/// in, or alone) until `shutdown` resolves. `ready` hears the bound
/// address (the port may have been 0). Handlers can read the peer's
/// address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    state: Arc<AppState>,
    app: axum::Router,
    listen: Listen,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), FleetError> {
    let tls = match &listen.tls {
        Some((c, k)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls_config(c, k)?))),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(listen.addr)
        .await
        .map_err(|e| FleetError::Io(format!("cannot listen on {}: {e}", listen.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| FleetError::Io(e.to_string()))?;
    if let Some(days) = state.config.retain_days {
        let db = state.db.clone();
        tokio::spawn(async move {
            loop {
                match crate::retain::prune(&db, days, crate::now()).await {
                    Ok(n) if n > 0 => eprintln!(
                        "exhunt serve: retention: {n} report(s) older than {days} days deleted"
                    ),
                    Ok(_) => {}
                    Err(e) => eprintln!("exhunt serve: retention failed: {e}"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            }
        });
    }
    ready(addr);
    match tls {
        None => axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| FleetError::Io(e.to_string())),
        Some(acceptor) => {
            let mut shutdown = std::pin::pin!(shutdown);
            loop {
                let (tcp, peer) = tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    a = listener.accept() => match a {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                };
                let acceptor = acceptor.clone();
                let app = app
                    .clone()
                    .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
                tokio::spawn(async move {
                    // A client that never finishes its handshake is dropped.
                    let Ok(Ok(tls)) = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        acceptor.accept(tcp),
                    )
                    .await
                    else {
                        return;
                    };
                    let svc = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
                });
            }
        }
    }
}
