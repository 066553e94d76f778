//! An HTTPS client for the AWS SDK that does not verify the server's certificate: DVC's
//! `ssl_verify = false` (botocore's `verify=False`).
//!
//! The SDK's own client (aws-smithy-http-client) takes a trust store but no rustls
//! `ClientConfig`, so it cannot skip verification. This module is a small
//! [`HttpClient`] on hyper 1 + hyper-util's pooled client + hyper-rustls, whose rustls
//! configuration accepts any certificate chain and any server name. The TLS handshake
//! signatures are still checked (with the aws-lc-rs provider's algorithms), so the
//! connection is encrypted to whoever holds the presented certificate's key; what is lost
//! is only the proof that this is the endpoint named in the configuration.
//!
//! Like dvc-s3, nothing is printed when verification is off: the user asked for it.
//!
//! Timeouts follow the SDK's connector settings: the connect timeout bounds the TCP
//! connect, the read timeout bounds the wait for a response's headers. Connect and I/O
//! failures are reported as retriable I/O errors, timeouts as timeouts. HTTP proxies
//! (`HTTPS_PROXY`) are not honoured by this client.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, aws_lc_rs};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A certificate verifier that trusts every certificate but still checks that the server
/// holds the key of the certificate it presented (the handshake signatures).
#[derive(Debug)]
struct AcceptAnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls configuration: aws-lc-rs, TLS 1.2 and 1.3, no certificate verification, no
/// ALPN (HTTP/1.1 only; hyper-rustls sets ALPN itself and requires it empty here).
fn tls_config() -> Result<ClientConfig, rustls::Error> {
    let provider: CryptoProvider = aws_lc_rs::default_provider();
    let verifier = AcceptAnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// A connector's timeouts: (connect, read).
type Timeouts = (Option<Duration>, Option<Duration>);

/// An SDK [`HttpClient`] whose HTTPS connections skip certificate verification.
#[derive(Debug)]
pub struct InsecureTlsClient {
    tls: ClientConfig,
    /// One connector (one connection pool) per (connect, read) timeout pair, as the SDK's
    /// own client does: `http_connector` is called for every request attempt.
    connectors: Mutex<HashMap<Timeouts, SharedHttpConnector>>,
}

impl InsecureTlsClient {
    /// A client, shared as the SDK wants it.
    pub fn shared() -> Result<SharedHttpClient, rustls::Error> {
        Ok(SharedHttpClient::new(InsecureTlsClient {
            tls: tls_config()?,
            connectors: Mutex::new(HashMap::new()),
        }))
    }
}

impl HttpClient for InsecureTlsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self
            .connectors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        connectors
            .entry(key)
            .or_insert_with(|| SharedHttpConnector::new(Connector::new(self.tls.clone(), key)))
            .clone()
    }
}

/// One pooled hyper client with fixed timeouts.
#[derive(Debug, Clone)]
struct Connector {
    client: Client<HttpsConnector<TcpConnector>, SdkBody>,
    read_timeout: Option<Duration>,
}

impl Connector {
    fn new(tls: ClientConfig, (connect_timeout, read_timeout): Timeouts) -> Connector {
        let mut tcp = TcpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(connect_timeout);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .build(https);
        Connector {
            client,
            read_timeout,
        }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let response = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, response).await {
                    Ok(r) => r,
                    Err(elapsed) => return Err(ConnectorError::timeout(elapsed.into())),
                },
                None => response.await,
            };
            match response {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                Err(e) => Err(classify(e)),
            }
        })
    }
}

/// The first error of type `E` in `err`'s source chain (`err` included).
fn find<'a, E: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a E> {
    std::iter::successors(Some(err), |&e| e.source()).find_map(|e| e.downcast_ref::<E>())
}

/// Map a hyper-util client error to the SDK's classes (which decide retries).
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    let connect = err.is_connect();
    let (io, transient, user) = match find::<hyper::Error>(&err) {
        Some(h) => (
            h.is_closed() || h.is_canceled() || find::<std::io::Error>(h).is_some(),
            h.is_incomplete_message(),
            h.is_user(),
        ),
        None => (find::<std::io::Error>(&err).is_some(), false, false),
    };
    let boxed: BoxError = err.into();
    if connect || io {
        ConnectorError::io(boxed)
    } else if transient {
        ConnectorError::other(boxed, Some(ErrorKind::TransientError))
    } else if user {
        ConnectorError::user(boxed)
    } else {
        ConnectorError::other(boxed, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_builds_without_alpn() {
        let cfg = tls_config().unwrap();
        assert!(cfg.alpn_protocols.is_empty());
        assert!(InsecureTlsClient::shared().is_ok());
    }

    #[test]
    fn verifier_accepts_any_certificate_but_checks_signatures() {
        let v = AcceptAnyCertificate {
            algorithms: aws_lc_rs::default_provider().signature_verification_algorithms,
        };
        let junk = CertificateDer::from(vec![0u8; 8]);
        let name = ServerName::try_from("example.invalid").unwrap();
        assert!(
            v.verify_server_cert(&junk, &[], &name, &[], UnixTime::now())
                .is_ok()
        );
        assert!(!v.supported_verify_schemes().is_empty());
    }
}
