//! Capture without trusting: the rustls hooks that record what the server presented.
//!
//! [`CaptureVerifier`] accepts any certificate chain (recording it in the order sent) but
//! still verifies the handshake signature with the leaf's key, so a server that does not
//! hold that key fails. [`RecordingResolver`] records the CA names of a
//! CertificateRequest and presents the configured client certificate, if any, whatever
//! CAs the server named (whether ours is among them is for the analysis). Both write into
//! one [`Captured`] per connection; the trust decision belongs to the analysis, later.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::model::{Certificate, KeyKind};

/// What the hooks saw during one handshake.
#[derive(Debug, Default)]
pub(super) struct Captured {
    /// End entity first, then the other certificates in the order the server sent them.
    pub chain: Vec<CertificateDer<'static>>,
    /// The acceptable CA names of a CertificateRequest, when one arrived.
    pub client_auth: Option<Vec<String>>,
    /// True once our client certificate was handed to rustls to send.
    pub client_cert_sent: bool,
    /// Why the handshake signature did not verify, when it did not.
    pub signature_error: Option<String>,
}

/// The per-connection record, shared by the hooks and the probe.
#[derive(Clone, Debug, Default)]
pub(super) struct Shared(Arc<Mutex<Captured>>);

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Captured> {
        // A panic while holding the lock cannot leave `Captured` half-written in a way
        // that matters: every field is replaced whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A server certificate verifier that records the chain and trusts it, but checks the
/// handshake signature for real.
#[derive(Debug)]
pub(super) struct CaptureVerifier {
    shared: Shared,
    algorithms: WebPkiSupportedAlgorithms,
}

impl CaptureVerifier {
    pub fn new(shared: Shared, algorithms: WebPkiSupportedAlgorithms) -> CaptureVerifier {
        CaptureVerifier { shared, algorithms }
    }

    fn record_signature(
        &self,
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        result: Result<HandshakeSignatureValid, Error>,
    ) -> Result<HandshakeSignatureValid, Error> {
        let Err(error) = &result else {
            return result;
        };

        // ring reports a too-small RSA key as a bad signature; say what it really is.
        let reason = match Certificate::from_der(cert) {
            Ok(leaf) if leaf.key.kind == KeyKind::Rsa && leaf.key.bits < 2048 => format!(
                "its RSA key has {} bits and the verifier (ring) accepts 2048 to 8192",
                leaf.key.bits
            ),
            _ => error.to_string(),
        };
        self.shared.lock().signature_error = Some(format!(
            "the server's handshake signature ({scheme:?}) could not be verified with the \
             public key of the certificate it presented: {reason}"
        ));
        result
    }
}

impl ServerCertVerifier for CaptureVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let mut chain = Vec::with_capacity(intermediates.len() + 1);
        chain.push(end_entity.clone().into_owned());
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        self.shared.lock().chain = chain;

        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let result = rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms);
        self.record_signature(cert, dss.scheme, result)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let result = rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms);
        self.record_signature(cert, dss.scheme, result)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client certificate resolver that records the server's request and answers with
/// our certificate when there is one.
#[derive(Debug)]
pub(super) struct RecordingResolver {
    shared: Shared,
    key: Option<Arc<CertifiedKey>>,
}

impl RecordingResolver {
    pub fn new(shared: Shared, key: Option<Arc<CertifiedKey>>) -> RecordingResolver {
        RecordingResolver { shared, key }
    }
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let names = root_hint_subjects
            .iter()
            .map(|der| name_text(der))
            .collect();
        let mut captured = self.shared.lock();
        captured.client_auth = Some(names);

        // rustls sends an empty Certificate when our key can sign none of the schemes
        // the server offers: only count what will really go out.
        let key = self.key.as_ref()?;
        captured.client_cert_sent = key.key.choose_scheme(sigschemes).is_some();
        Some(key.clone())
    }

    /// Also tells rustls to keep the handshake transcript a CertificateVerify needs.
    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// A DER distinguished name as text (`CN=LAB-ROOT-CA`), or a note when it does not decode.
pub(super) fn name_text(der: &[u8]) -> String {
    match X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!("(undecodable name, {} bytes)", der.len()),
    }
}
