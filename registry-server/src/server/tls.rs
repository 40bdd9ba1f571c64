//! HTTPS served directly: rustls (ring provider, TLS 1.2 and 1.3) in front of the same router.
//!
//! Used when the server is given `--tls-cert` and `--tls-key`; otherwise it speaks plain
//! HTTP and is meant to sit behind a TLS-terminating reverse proxy (see
//! [`crate::config::ServeArgs`]). HTTP/1.1 only (ALPN `http/1.1`), like the plain listener.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use axum::Router;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// Longest a client may take over the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Loads a certificate chain (PEM, leaf first) and its private key (PEM: PKCS#8, PKCS#1 or
/// SEC1) into a server configuration.
///
/// # Errors
/// A file that cannot be read, holds no certificate or key, a key file others may read
/// (mode 0600 is asked for, as for the signing keys), or a key that does not match.
pub fn load_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("while reading the TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("while reading the TLS certificate {}", cert.display()))?;
    if chain.is_empty() {
        bail!("{} holds no PEM certificate", cert.display());
    }
    // Refused when others may read it, as the signing keys are.
    let text = crate::keys::read_private_pem(key, "TLS key")?;
    let key = PrivateKeyDer::from_pem_slice(text.as_bytes())
        .with_context(|| format!("{} holds no PEM private key", key.display()))?;
    config(chain, key)
}

/// A server configuration for `chain` and `key`.
///
/// # Errors
/// The key does not match the certificate or is of an unsupported kind.
pub fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("while setting up TLS")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS key does not fit the certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets open connections
/// finish (for at most 30 seconds). A client gets 10 seconds for the TLS handshake and
/// `header_read_timeout` for each request's headers.
///
/// # Errors
/// None today: accept errors (out of file descriptors, say) are logged and retried, a failed
/// handshake only closes that connection.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Arc<ServerConfig>,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let app = app.layer(axum::middleware::map_response(strict_transport_security));
    super::connections::serve(listener, app, header_read_timeout, shutdown, move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => Some(stream),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!("TLS handshake timed out");
                    None
                }
            }
        }
    })
    .await
}

/// HSTS on every HTTPS answer: browsers that have seen the desk over HTTPS keep to HTTPS for a
/// year (RFC 6797). Not sent over plain HTTP, where it means nothing (a proxy in front sets
/// it).
async fn strict_transport_security(
    mut response: axum::response::Response,
) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    response
}
