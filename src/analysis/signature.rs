//! Does this issuer's key sign this certificate? Structural signature checks with ring.
//!
//! Policy is not decided here: an RSA-1024 or SHA-1 signature that is mathematically
//! valid counts as valid, so the path is still found and `cert.weak-key` or
//! `cert.weak-signature` can say precisely what a client will refuse.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::model::{Certificate, KeyKind};

/// The outcome of checking `child`'s signature with `issuer`'s public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid,
    Invalid,
    /// The algorithm cannot be checked here (MD5, ECDSA with SHA-1, P-521, DSA, …).
    Unsupported(String),
}

/// Checks that `issuer`'s key produced `child`'s signature.
pub fn check(child: &Certificate, issuer: &Certificate) -> SignatureCheck {
    if !key_fits(&child.signature_oid, issuer.key.kind) {
        // An RSA signature cannot come from an EC key, and so on: not a candidate at all.
        return SignatureCheck::Invalid;
    }

    let algorithms = candidates(&child.signature_oid, issuer);
    if algorithms.is_empty() {
        return SignatureCheck::Unsupported(format!(
            "{} signed by a {} key",
            child.signature_algorithm, issuer.key
        ));
    }

    let message = child.tbs_der();
    let valid = algorithms.iter().any(|algorithm| {
        UnparsedPublicKey::new(*algorithm, &issuer.public_key)
            .verify(message, child.signature())
            .is_ok()
    });

    if valid {
        SignatureCheck::Valid
    } else {
        SignatureCheck::Invalid
    }
}

/// True when a signature with this OID can have been made with a key of this kind.
/// Unknown OIDs fit any key: they are reported as unsupported, not as mismatches.
fn key_fits(signature_oid: &str, kind: KeyKind) -> bool {
    let family = if signature_oid.starts_with("1.2.840.113549.1.1.") {
        KeyKind::Rsa
    } else if signature_oid.starts_with("1.2.840.10045.4.") {
        KeyKind::Ec
    } else if signature_oid == "1.3.101.112" {
        KeyKind::Ed25519
    } else if signature_oid.starts_with("1.2.840.10040.4.")
        || signature_oid.starts_with("2.16.840.1.101.3.4.3.")
    {
        KeyKind::Dsa
    } else {
        return true;
    };
    family == kind
}

/// The ring algorithms that may have produced a signature with this OID under this key.
/// RSA-PSS lists all three hashes: only the right one verifies, so the parameters need
/// not be decoded.
fn candidates(
    signature_oid: &str,
    issuer: &Certificate,
) -> Vec<&'static dyn VerificationAlgorithm> {
    let curve = issuer.key.curve.as_deref();
    match (issuer.key.kind, signature_oid, curve) {
        (KeyKind::Rsa, "1.2.840.113549.1.1.5", _) => {
            vec![&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY]
        }
        (KeyKind::Rsa, "1.2.840.113549.1.1.11", _) => {
            vec![&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY]
        }
        (KeyKind::Rsa, "1.2.840.113549.1.1.12", _) => vec![&signature::RSA_PKCS1_2048_8192_SHA384],
        (KeyKind::Rsa, "1.2.840.113549.1.1.13", _) => {
            vec![&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY]
        }
        (KeyKind::Rsa, "1.2.840.113549.1.1.10", _) => vec![
            &signature::RSA_PSS_2048_8192_SHA256,
            &signature::RSA_PSS_2048_8192_SHA384,
            &signature::RSA_PSS_2048_8192_SHA512,
        ],
        (KeyKind::Ec, "1.2.840.10045.4.3.2", Some("P-256")) => {
            vec![&signature::ECDSA_P256_SHA256_ASN1]
        }
        (KeyKind::Ec, "1.2.840.10045.4.3.3", Some("P-256")) => {
            vec![&signature::ECDSA_P256_SHA384_ASN1]
        }
        (KeyKind::Ec, "1.2.840.10045.4.3.2", Some("P-384")) => {
            vec![&signature::ECDSA_P384_SHA256_ASN1]
        }
        (KeyKind::Ec, "1.2.840.10045.4.3.3", Some("P-384")) => {
            vec![&signature::ECDSA_P384_SHA384_ASN1]
        }
        (KeyKind::Ed25519, "1.3.101.112", _) => vec![&signature::ED25519],
        _ => Vec::new(),
    }
}

/// True when the certificate names itself as issuer and its own key verifies it (or the
/// algorithm cannot be checked and the key identifiers agree).
pub fn is_self_signed(cert: &Certificate) -> bool {
    cert.names_itself_as_issuer()
        && cert.key_ids_allow_issuer(cert)
        && check(cert, cert) != SignatureCheck::Invalid
}

/// True when `issuer` issued `child`: names and key identifiers match and the signature
/// verifies (or cannot be checked).
pub fn issued(issuer: &Certificate, child: &Certificate) -> bool {
    issuer != child
        && child.issuer_name_is(issuer)
        && child.key_ids_allow_issuer(issuer)
        && check(child, issuer) != SignatureCheck::Invalid
}
