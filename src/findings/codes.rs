//! The registry of finding codes: one entry per code with its severity and its docs.
//!
//! Codes are a public interface: CI jobs key on them. Add codes freely; rename or remove
//! one only with a CHANGELOG entry. `docs/codes.md` is generated from [`REGISTRY`]
//! (`ise-doctor codes --format markdown`) and a test keeps the two in step.

use serde::{Serialize, Serializer};

use super::Severity;

/// The documentation of one code.
#[derive(Clone, Copy, Debug)]
pub struct CodeDoc {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    /// What it detects, in one line.
    pub summary: &'static str,
    /// Why it matters and what usually causes it.
    pub why: &'static str,
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $summary:literal, $why:literal; )*) => {
        /// A stable finding code such as `chain.missing-intermediate`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( $variant, )*
        }

        /// Every code, in documentation order.
        pub const REGISTRY: &[CodeDoc] = &[
            $( CodeDoc {
                code: Code::$variant,
                name: $name,
                severity: Severity::$severity,
                summary: $summary,
                why: $why,
            }, )*
        ];
    };
}

codes! {
    ChainMissingIntermediate = "chain.missing-intermediate", Error,
        "An issuer needed to reach the bundle is in neither the presented chain nor the bundle.",
        "Clients cannot build a path to a trusted root and fail with `unable to get local issuer \
         certificate`. Usual cause: ISE sends only its leaf and the bundle holds only the root. \
         Browsers hide it by fetching the intermediate via AIA.";
    ChainServerOmitsIntermediate = "chain.server-omits-intermediate", Warning,
        "The chain validates only because the bundle holds an intermediate the server does not \
         send.",
        "This client works, but any client whose bundle holds only the root fails. ISE sends the \
         intermediate once it is in its Trusted Certificates store.";
    ChainUntrustedRoot = "chain.untrusted-root", Error,
        "The chain ends in a root certificate that is not in the bundle.",
        "Either the bundle is for another PKI, the root was renewed, or something between you and \
         ISE (a TLS-inspecting proxy) re-signs the traffic. Verify the root's fingerprint out of \
         band; never trust it blindly.";
    ChainSelfSignedLeaf = "chain.self-signed-leaf", Error,
        "The server presents a self-signed certificate instead of one issued by your CA.",
        "ISE still uses its default self-signed certificate for this service, or the listener \
         (for example DataConnect) has its own; no CA bundle can validate it.";
    ChainWrongOrder = "chain.wrong-order", Warning,
        "The presented certificates are not in issuing order (leaf, then its issuer, then the \
         next).",
        "RFC 8446 tolerates it, but older clients (OpenSSL 1.0.2, some Java and embedded stacks) \
         stop at the first mismatch.";
    ChainRootSent = "chain.root-sent", Info,
        "The server sends a self-signed root certificate.",
        "Harmless but useless: clients never trust a root because the server sent it. It costs \
         bytes in every handshake.";
    ChainDuplicateCert = "chain.duplicate-cert", Info,
        "The server sends the same certificate more than once.",
        "Harmless for most clients, but a sign that the chain on the server was assembled by hand.";
    ChainUnrelatedCert = "chain.unrelated-cert", Warning,
        "The server sends a certificate that is not part of the leaf's chain.",
        "Often a stale intermediate from before a CA renewal, or a certificate for another \
         service. Strict clients may pick it and fail.";
    ChainNotVerified = "chain.not-verified", Error,
        "rustls/webpki rejects the chain for a reason no other finding explains.",
        "The authoritative verdict failed; the message carries webpki's reason.";
    CertExpired = "cert.expired", Error,
        "A certificate in the chain has expired.",
        "Every client rejects an expired certificate anywhere in the path, the trust anchor \
         included for OpenSSL-based clients.";
    CertNotYetValid = "cert.not-yet-valid", Error,
        "A certificate in the chain is not valid yet.",
        "A certificate issued with a future start date, or a client or server clock that is wrong.";
    CertExpiringSoon = "cert.expiring-soon", Warning,
        "A certificate in the chain expires in fewer than --warn-days days.",
        "Renew it before clients start failing.";
    CertWeakSignature = "cert.weak-signature", Error,
        "A certificate below the root is signed with MD5 or SHA-1.",
        "rustls, Go, browsers and OpenSSL at Debian's default security level refuse such \
         signatures. Only a root's self-signature is exempt.";
    CertWeakKey = "cert.weak-key", Error,
        "A certificate in the chain has an RSA key shorter than 2048 bits (or an EC key below 224 \
         bits).",
        "rustls and OpenSSL at Debian's default security level (SECLEVEL=2) refuse it; the \
         handshake may fail before any chain check.";
    CertMissingServerAuth = "cert.missing-server-auth", Error,
        "The server certificate has an Extended Key Usage without serverAuth.",
        "TLS clients reject a server certificate whose EKU does not allow server authentication \
         (for example a clientAuth-only certificate bound to the Admin role).";
    CaNotACa = "ca.not-a-ca", Error,
        "A certificate that issues another one in the chain is not marked CA:TRUE.",
        "Clients refuse to accept a signature from a certificate that basicConstraints does not \
         mark as a CA.";
    NameMismatch = "name.mismatch", Error,
        "The host name is not among the server certificate's subjectAltNames.",
        "Clients check the name they connect to against the SANs; modern clients ignore the CN. \
         Common when scripts call ISE by IP or by a short name.";
    StrictMissingAki = "strict.missing-aki", Warning,
        "A certificate below the anchor has no Authority Key Identifier (keyIdentifier).",
        "RFC 5280 requires it on every certificate a CA issues. Strict verifiers refuse the \
         chain: `openssl verify -x509_strict` and Python 3.13's default context (error 85, \
         \"Missing Authority Key Identifier\").";
    StrictMissingSki = "strict.missing-ski", Warning,
        "A CA certificate has no Subject Key Identifier.",
        "RFC 5280 requires it on CA certificates; Python 3.13 and `-x509_strict` refuse the \
         chain (error 86), and the certificates it issues usually lack an AKI as well.";
    StrictBcNotCritical = "strict.bc-not-critical", Warning,
        "A CA certificate's basicConstraints extension is not marked critical.",
        "RFC 5280 requires it critical on CA certificates; Python 3.13 and `-x509_strict` \
         refuse the chain (error 89, \"Basic Constraints of CA cert not marked critical\").";
    StrictCaMissingKeyUsage = "strict.ca-missing-key-usage", Warning,
        "A CA certificate has no keyUsage extension.",
        "RFC 5280 requires keyUsage with keyCertSign on CA certificates; Python 3.13 and \
         `-x509_strict` refuse the chain (error 92).";
    StrictCaWithoutKeycertsign = "strict.ca-without-keycertsign", Warning,
        "An issuing CA certificate has a keyUsage extension without keyCertSign.",
        "OpenSSL (even without strict mode, error 79 \"invalid CA certificate\") and Java \
         refuse a signature from a CA whose keyUsage does not allow certificate signing.";
    StrictLeafIsCa = "strict.leaf-is-ca", Warning,
        "The server certificate says CA:TRUE.",
        "rustls/webpki refuses a CA certificate as a server certificate (CaUsedAsEndEntity); \
         strict verifiers then also demand the CA extensions (keyUsage, SKI) on it.";
    StrictSerialNotPositive = "strict.serial-not-positive", Warning,
        "A certificate's serial number is zero or negative.",
        "RFC 5280 requires a positive serial; Go 1.23 and later refuse negative serials when \
         parsing, and other strict parsers follow.";
    StrictV1Ca = "strict.version-one-ca", Warning,
        "A version 1 certificate (no extensions) issues another certificate below the root.",
        "Without basicConstraints nothing marks it as a CA: every client refuses it as an \
         intermediate. Only a self-signed v1 root is tolerated.";
    StrictEmptySubject = "strict.empty-subject", Warning,
        "A certificate has an empty subject (a CA, or a leaf without a critical SAN).",
        "RFC 5280 allows an empty subject only on end-entity certificates whose \
         subjectAltName is critical; Python 3.13 and `-x509_strict` refuse it otherwise.";
    StrictKeyIdCritical = "strict.key-id-critical", Warning,
        "An Authority or Subject Key Identifier extension is marked critical.",
        "RFC 5280 forbids it; Python 3.13 and `-x509_strict` refuse the chain.";
    StrictEmptySan = "strict.empty-san", Warning,
        "A certificate has a subjectAltName extension with no name in it.",
        "RFC 5280 forbids an empty SAN; Python 3.13 and `-x509_strict` refuse the chain.";
    ClientRejected = "client.rejected", Warning,
        "A client profile rejects the chain for a reason no other finding explains.",
        "Clients judge the same chain differently (anchor rules, strict mode, CN fallback). \
         The message names each profile and the rule that decided; see the client matrix.";
    BundleEmpty = "bundle.empty", Error,
        "The bundle holds no certificate.",
        "Clients given this file trust nothing and fail every connection.";
    BundleMalformedBlock = "bundle.malformed-block", Error,
        "A PEM block in the bundle cannot be decoded.",
        "Truncated copies, broken base64, or `-----END CERTIFICATE----------BEGIN \
         CERTIFICATE-----` without a line break; OpenSSL stops reading or skips the certificate.";
    BundleNotPem = "bundle.not-pem", Warning,
        "The bundle is DER (binary), not PEM.",
        "Most HTTP clients (Python requests, curl --cacert) expect PEM and read nothing from a \
         DER file.";
    BundlePrivateKey = "bundle.private-key", Error,
        "A private key sits in the CA bundle.",
        "A CA bundle is public material copied to every client; a private key in it is leaked \
         with it.";
    BundleDuplicateCert = "bundle.duplicate-cert", Info,
        "The bundle holds the same certificate more than once.",
        "Harmless, but a sign of a bundle assembled by repeated appends.";
    BundleExpiredCert = "bundle.expired-cert", Warning,
        "The bundle holds an expired certificate.",
        "An expired CA in the bundle cannot anchor a valid path; it is dead weight or a sign of a \
         stale bundle.";
    BundleNotCa = "bundle.not-ca", Warning,
        "The bundle holds a certificate that is not a CA (for example a server certificate).",
        "Pinning a server certificate in a CA bundle works for some clients only, and breaks on \
         every renewal.";
    BundleNoRoot = "bundle.no-root", Warning,
        "The bundle holds intermediates but no self-signed root.",
        "rustls, Go, Java and Python 3.13 accept any bundle certificate as an anchor; \
         OpenSSL-based clients (curl, Python 3.12 and older) need the self-signed root unless \
         they enable partial-chain verification.";
    BundleIncomplete = "bundle.incomplete", Warning,
        "A CA in the bundle was issued by a certificate that is not in the bundle.",
        "The bundle is missing the upper part of its own chain; OpenSSL-based clients cannot \
         reach a self-signed root through it.";
    BundleSystemStore = "bundle.system-store", Info,
        "No bundle was named, so the operating system's trust store was used.",
        "ISE's certificates are usually issued by an internal CA that the system store does \
         not hold; name your bundle with --ca, ISE_CA_CERT or CA_CERT_PATH.";
    MtlsKeyMismatch = "mtls.key-mismatch", Error,
        "The client private key does not belong to the client certificate.",
        "The TLS handshake fails as soon as the server checks the client's signature; usually \
         a key left over from an earlier certificate request.";
    MtlsMissingClientAuth = "mtls.missing-client-auth", Error,
        "The client certificate's Extended Key Usage does not allow clientAuth.",
        "ISE (pxGrid) refuses a client certificate without clientAuth; public CAs are \
         dropping clientAuth from their server certificates.";
    MtlsClientCaNotAccepted = "mtls.client-ca-not-accepted", Error,
        "The client certificate is not issued by any CA the server says it accepts.",
        "The server lists the CAs it trusts for client authentication in its \
         CertificateRequest; ISE needs the issuer in Trusted Certificates with \"Trust for \
         client authentication\".";
    MtlsClientCertRejected = "mtls.client-cert-rejected", Error,
        "The server rejected the client certificate we presented.",
        "The server's alert says why: an unknown CA, a revoked or expired certificate, or a \
         certificate without clientAuth.";
    MtlsClientCertExpired = "mtls.client-cert-expired", Error,
        "The client certificate has expired or is not valid yet.",
        "Servers refuse an expired client certificate; renew it from the CA that issued it.";
    StoreKeyPermissions = "store.key-permissions", Error,
        "A private key file is readable by group or others.",
        "Anyone with a shell on the machine can read the key and impersonate the client.";
    StoreMissingFile = "store.missing-file", Warning,
        "A file an enabled service needs is not in the cert store.",
        "Without it, the service cannot be checked the way its clients use it (pxGrid needs \
         the client certificate and key, DataConnect its pinned certificate).";
    StoreIncompleteAudit = "store.incomplete-audit", Warning,
        "The store audit stopped at its limits (5000 files, 8 folder levels): files beyond \
         were not audited.",
        "A store is a handful of files; a folder this large or deep is likely a wider \
         folder than the store (a home folder, a file system). What lies beyond the limit \
         may hold the files the services need, or broken ones. Audit a narrower folder.";
    PinMismatch = "pin.mismatch", Error,
        "The server presents another certificate than the pinned one.",
        "DataConnect clients pin ISE's DataConnect certificate; ISE regenerates it on some \
         upgrades and restores, and ISE 3.3+ presents the Admin chain instead.";
    TokenMalformed = "token.malformed", Warning,
        "ISE_API_TOKEN is not Base64 of `user:password`.",
        "API clients send it as HTTP Basic credentials; a malformed token fails every request \
         with 401.";
    NetDns = "net.dns", Error,
        "The host name does not resolve.",
        "A typo, a missing DNS record, or a resolver that does not know internal names.";
    NetRefused = "net.refused", Error,
        "The connection was refused or the address is unreachable.",
        "The service does not listen on this port on this node, or a firewall rejects the \
         connection.";
    NetTimeout = "net.timeout", Error,
        "No answer within the timeout (connect or TLS handshake).",
        "A firewall dropping packets, a wrong address, or a service that accepts but never speaks \
         TLS.";
    TlsNotTls = "tls.not-tls", Error,
        "The port answered with something that is not TLS.",
        "Plain HTTP, SSH or another protocol on this port: a wrong port, or TLS terminated \
         elsewhere.";
    TlsHandshakeFailed = "tls.handshake-failed", Error,
        "The TLS handshake failed.",
        "No common protocol version or cipher, a server key the client refuses, or the server \
         closed the connection. The message carries the TLS alert.";
    TlsClientCertRequired = "tls.client-cert-required", Error,
        "The server requires a client certificate and none was presented.",
        "Mutual TLS (pxGrid on 8910, RadSec): the presented chain is still reported; present a \
         client certificate issued by a CA the server accepts.";
}

impl Code {
    /// The documentation entry of this code.
    pub fn doc(self) -> &'static CodeDoc {
        REGISTRY
            .iter()
            .find(|doc| doc.code == self)
            .expect("every Code variant has a REGISTRY entry: both come from one macro")
    }

    /// The stable text form, e.g. `chain.missing-intermediate`.
    pub fn as_str(self) -> &'static str {
        self.doc().name
    }

    /// The severity every finding with this code carries.
    pub fn severity(self) -> Severity {
        self.doc().severity
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for doc in REGISTRY {
            assert!(seen.insert(doc.name), "duplicate code {}", doc.name);
            let (family, rest) = doc.name.split_once('.').expect("codes are family.name");
            assert!(!family.is_empty() && !rest.is_empty());
            assert!(
                doc.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-')
            );
            assert_eq!(doc.code.as_str(), doc.name);
        }
    }
}
