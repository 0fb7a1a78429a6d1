//! The authoritative verdict: would rustls/webpki accept this chain for this host?
//!
//! Every bundle certificate is offered as a trust anchor and the presented certificates
//! after the leaf as intermediates, exactly as a rustls client configured with the bundle
//! would see them. Our own path building explains; this decides.

use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;
use webpki::{EndEntityCert, KeyUsage, anchor_from_trusted_cert};

use crate::model::{Certificate, Moment};

/// Accept or reject, with webpki's reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub ok: bool,
    /// Why it was rejected, as a sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// webpki's error name (e.g. `UnknownIssuer`), stable for machines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Runs webpki on the presented chain against the bundle, at `now`, for `host`.
pub fn webpki(
    presented: &[Certificate],
    bundle: &[Certificate],
    host: &str,
    now: Moment,
) -> Verdict {
    let Some(leaf) = presented.first() else {
        return reject("the server presented no certificate");
    };

    let anchor_ders: Vec<CertificateDer<'_>> = bundle
        .iter()
        .map(|c| CertificateDer::from(c.der()))
        .collect();
    let anchors: Vec<TrustAnchor<'_>> = anchor_ders
        .iter()
        .filter_map(|der| anchor_from_trusted_cert(der).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = presented[1..]
        .iter()
        .map(|c| CertificateDer::from(c.der()))
        .collect();

    let leaf_der = CertificateDer::from(leaf.der());
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return reject(&format!("the leaf certificate is not acceptable: {e:?}")),
    };

    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(now.unix()).unwrap_or(0),
    ));
    if let Err(e) = end_entity.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        time,
        KeyUsage::server_auth(),
        None,
        None,
    ) {
        return rejected(&e);
    }

    let name = match ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']')) {
        Ok(name) => name.to_owned(),
        Err(e) => return reject(&format!("`{host}` is not a valid server name: {e}")),
    };
    match end_entity.verify_is_valid_for_subject_name(&name) {
        Ok(()) => Verdict {
            ok: true,
            error: None,
            reason: None,
        },
        Err(e) => rejected(&e),
    }
}

fn reject(sentence: &str) -> Verdict {
    Verdict {
        ok: false,
        error: Some(sentence.to_string()),
        reason: None,
    }
}

/// webpki's error as a sentence, keeping its name for machines.
fn rejected(error: &webpki::Error) -> Verdict {
    use webpki::Error as E;

    let debug = format!("{error:?}");
    let name = debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or(&debug)
        .to_string();
    let sentence = match error {
        E::UnknownIssuer => "no path to a bundle certificate (unknown issuer)",
        E::CertExpired { .. } => "a certificate on the path has expired",
        E::CertNotValidYet { .. } => "a certificate on the path is not valid yet",
        E::CertNotValidForName(_) => "the server certificate is not valid for this host name",
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a signature uses an algorithm or key rustls refuses (SHA-1, MD5, RSA below 2048 bits)"
        }
        E::InvalidSignatureForPublicKey => "a signature on the path does not verify",
        E::CaUsedAsEndEntity => "the server certificate is a CA certificate",
        E::EndEntityUsedAsCa => "a certificate that is not a CA issued another one",
        E::RequiredEkuNotFoundContext(_) => {
            "the server certificate's Extended Key Usage does not allow serverAuth"
        }
        E::MaximumSignatureChecksExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumPathDepthExceeded => "webpki gave up: its path-search budget ran out",
        E::PathLenConstraintViolated => "a CA's path length constraint is violated",
        E::NameConstraintViolation => "a CA's name constraints exclude this name",
        E::UnsupportedCertVersion => "a certificate is not X.509 version 3",
        E::UnsupportedCriticalExtension => {
            "a certificate has a critical extension webpki does not know"
        }
        _ => "",
    };
    let error = if sentence.is_empty() {
        debug.chars().take(200).collect()
    } else {
        format!("{sentence} ({name})")
    };

    Verdict {
        ok: false,
        error: Some(error),
        reason: Some(name),
    }
}
