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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
        return reject(&format!("{e:?}"));
    }

    let name = match ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']')) {
        Ok(name) => name.to_owned(),
        Err(e) => return reject(&format!("`{host}` is not a valid server name: {e}")),
    };
    match end_entity.verify_is_valid_for_subject_name(&name) {
        Ok(()) => Verdict {
            ok: true,
            error: None,
        },
        Err(e) => reject(&format!("{e:?}")),
    }
}

fn reject(reason: &str) -> Verdict {
    Verdict {
        ok: false,
        error: Some(reason.to_string()),
    }
}
