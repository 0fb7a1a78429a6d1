//! The client certificate and key the probe presents to servers that ask for one
//! (pxGrid's mutual TLS), and their conversion into the form rustls signs with.
//!
//! The files are read and checked elsewhere (key matches certificate, EKU, expiry are
//! findings of the analysis); here the key only has to be loadable. The key never
//! appears in `Debug` output or in any message.

use std::fmt;
use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::model::Certificate;

/// A client certificate chain (end entity first) and its private key.
#[derive(PartialEq, Eq)]
pub struct ClientCredentials {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ClientCredentials {
    /// The chain and key ready for rustls (ring provider). Build it once, when the probe
    /// options are made, so an unusable key is reported before any connection.
    ///
    /// Does not check that the key belongs to the certificate: a server then rejects the
    /// handshake signature, which the probe reports as a rejected client certificate.
    pub fn certified_key(&self) -> Result<Arc<CertifiedKey>, String> {
        if self.chain.is_empty() {
            return Err("the client certificate chain is empty".to_string());
        }

        let provider = rustls::crypto::ring::default_provider();
        let key = provider
            .key_provider
            .load_private_key(self.key.clone_key())
            .map_err(|e| {
                format!(
                    "the client private key ({}) cannot be used for TLS; RSA, ECDSA P-256 \
                     or P-384 and Ed25519 keys are supported: {e}",
                    key_format(&self.key)
                )
            })?;
        Ok(Arc::new(CertifiedKey::new(self.chain.clone(), key)))
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subjects: Vec<String> = self
            .chain
            .iter()
            .map(|der| match Certificate::from_der(der) {
                Ok(cert) => cert.subject,
                Err(_) => format!("(unparsable, {} bytes)", der.len()),
            })
            .collect();
        f.debug_struct("ClientCredentials")
            .field("chain", &subjects)
            .field(
                "key",
                &format_args!("<{} key, redacted>", key_format(&self.key)),
            )
            .finish()
    }
}

/// The container of a private key, never its content.
fn key_format(key: &PrivateKeyDer<'_>) -> &'static str {
    match key {
        PrivateKeyDer::Pkcs1(_) => "PKCS#1 RSA",
        PrivateKeyDer::Sec1(_) => "SEC1 EC",
        PrivateKeyDer::Pkcs8(_) => "PKCS#8",
        _ => "unknown format",
    }
}
