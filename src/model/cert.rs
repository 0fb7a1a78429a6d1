//! One X.509 certificate, parsed once into owned facts.
//!
//! [`Certificate::from_der`] is the only place that calls x509-parser for certificate
//! fields; everything downstream (path building, checks, renderers) reads the facts kept
//! here. The DER is kept too, for fingerprints, signature checks, webpki and PEM output.
//! A certificate with an unreadable extension still parses: the extension is skipped
//! and noted in [`Certificate::parse_notes`].

use std::fmt::Write as _;
use std::net::IpAddr;
use std::ops::Range;

use ring::digest;
use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use super::Moment;

/// A parsed certificate: its DER plus the facts the analysis and the reports need.
#[derive(Clone, Debug)]
pub struct Certificate {
    der: Vec<u8>,
    /// Byte range of the signed part (tbsCertificate) inside `der`.
    tbs: Range<usize>,
    /// Raw signature bits.
    signature: Vec<u8>,
    pub subject: String,
    pub subject_raw: Vec<u8>,
    pub issuer: String,
    pub issuer_raw: Vec<u8>,
    pub common_name: Option<String>,
    pub serial: String,
    pub version: u32,
    pub not_before: Moment,
    pub not_after: Moment,
    /// SHA-256 of the DER, upper-case hex with colons, as `openssl x509 -fingerprint` prints.
    pub sha256: String,
    pub key: KeyInfo,
    /// Raw subjectPublicKey bits (RSAPublicKey DER, or the EC point, or the Ed25519 key).
    pub public_key: Vec<u8>,
    pub signature_algorithm: String,
    pub signature_oid: String,
    /// Basic constraints: `Some(ca)` when the extension is present.
    pub basic_constraints: Option<BasicConstraints>,
    pub key_usage: Option<KeyUsageFacts>,
    /// Extended key usage purposes by name (`serverAuth`, `clientAuth`, `any`, or an OID).
    pub extended_key_usage: Option<Vec<String>>,
    pub san: Vec<SanEntry>,
    pub subject_key_id: Option<Vec<u8>>,
    pub authority_key_id: Option<Vec<u8>>,
    /// AIA caIssuers URLs: where the issuer certificate can be downloaded.
    pub ca_issuers: Vec<String>,
    /// Problems met while parsing optional parts (an extension that did not decode).
    pub parse_notes: Vec<String>,
    /// Encoding facts that only strict verifiers (`-x509_strict`, Python 3.13) judge.
    pub strict: StrictFacts,
}

/// Facts RFC 5280 strict mode checks and lenient clients ignore.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StrictFacts {
    pub aki_critical: bool,
    pub ski_critical: bool,
    /// The subjectAltName extension is present (possibly empty).
    pub san_present: bool,
    pub san_critical: bool,
    /// The serial number is greater than zero.
    pub serial_positive: bool,
}

/// The basicConstraints extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
    pub critical: bool,
}

/// The keyUsage bits the analysis cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KeyUsageFacts {
    pub digital_signature: bool,
    pub key_encipherment: bool,
    pub key_cert_sign: bool,
    pub crl_sign: bool,
    pub critical: bool,
}

/// A subjectAltName entry the name checks understand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum SanEntry {
    Dns(String),
    Ip(IpAddr),
    Email(String),
    Uri(String),
    Other(String),
}

impl std::fmt::Display for SanEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SanEntry::Dns(name) => write!(f, "DNS:{name}"),
            SanEntry::Ip(ip) => write!(f, "IP:{ip}"),
            SanEntry::Email(mail) => write!(f, "email:{mail}"),
            SanEntry::Uri(uri) => write!(f, "URI:{uri}"),
            SanEntry::Other(text) => f.write_str(text),
        }
    }
}

/// The subject public key: algorithm and strength.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kind: KeyKind,
    /// Modulus size for RSA, field size for EC, 256 for Ed25519, 0 when unknown.
    pub bits: usize,
    /// Named curve for EC keys (`P-256`, `P-384`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    Rsa,
    Ec,
    Ed25519,
    Dsa,
    Other,
}

impl std::fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.kind, &self.curve) {
            (KeyKind::Rsa, _) => write!(f, "RSA {}", self.bits),
            (KeyKind::Ec, Some(curve)) => write!(f, "EC {curve}"),
            (KeyKind::Ec, None) => write!(f, "EC {}", self.bits),
            (KeyKind::Ed25519, _) => f.write_str("Ed25519"),
            (KeyKind::Dsa, _) => write!(f, "DSA {}", self.bits),
            (KeyKind::Other, _) => f.write_str("unknown key type"),
        }
    }
}

/// Why a byte string is not a usable certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertParseError(pub String);

impl std::fmt::Display for CertParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Certificate {
    /// Parses one DER certificate. Trailing bytes after the certificate are an error.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertParseError> {
        let (rest, x509) = X509Certificate::from_der(der)
            .map_err(|e| CertParseError(format!("not a valid X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(CertParseError(format!(
                "{} unexpected bytes after the certificate",
                rest.len()
            )));
        }

        let tbs_raw = x509.tbs_certificate.as_ref();
        let tbs_start = (tbs_raw.as_ptr() as usize).saturating_sub(der.as_ptr() as usize);
        let tbs = tbs_start..tbs_start + tbs_raw.len();
        let mut parse_notes = Vec::new();

        let mut cert = Certificate {
            der: der.to_vec(),
            tbs,
            signature: x509.signature_value.data.to_vec(),
            subject: name_text(x509.subject()),
            subject_raw: x509.subject().as_raw().to_vec(),
            issuer: name_text(x509.issuer()),
            issuer_raw: x509.issuer().as_raw().to_vec(),
            common_name: x509
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_string),
            serial: hex_colon(x509.raw_serial()),
            version: x509.version().0 + 1,
            not_before: Moment::from_unix(x509.validity().not_before.timestamp()),
            not_after: Moment::from_unix(x509.validity().not_after.timestamp()),
            sha256: hex_colon(digest::digest(&digest::SHA256, der).as_ref()),
            key: key_info(&x509),
            public_key: x509.public_key().subject_public_key.data.to_vec(),
            signature_algorithm: signature_name(&x509.signature_algorithm.algorithm.to_id_string()),
            signature_oid: x509.signature_algorithm.algorithm.to_id_string(),
            basic_constraints: None,
            key_usage: None,
            extended_key_usage: None,
            san: Vec::new(),
            subject_key_id: None,
            authority_key_id: None,
            ca_issuers: Vec::new(),
            parse_notes: Vec::new(),
            strict: StrictFacts {
                serial_positive: serial_is_positive(x509.raw_serial()),
                ..StrictFacts::default()
            },
        };

        for ext in x509.extensions() {
            let critical = ext.critical;
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(bc) => {
                    cert.basic_constraints = Some(BasicConstraints {
                        ca: bc.ca,
                        path_len: bc.path_len_constraint,
                        critical,
                    });
                }
                ParsedExtension::KeyUsage(ku) => {
                    cert.key_usage = Some(KeyUsageFacts {
                        digital_signature: ku.digital_signature(),
                        key_encipherment: ku.key_encipherment(),
                        key_cert_sign: ku.key_cert_sign(),
                        crl_sign: ku.crl_sign(),
                        critical,
                    });
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut purposes = Vec::new();
                    for (set, name) in [
                        (eku.any, "any"),
                        (eku.server_auth, "serverAuth"),
                        (eku.client_auth, "clientAuth"),
                        (eku.code_signing, "codeSigning"),
                        (eku.email_protection, "emailProtection"),
                        (eku.time_stamping, "timeStamping"),
                        (eku.ocsp_signing, "OCSPSigning"),
                    ] {
                        if set {
                            purposes.push(name.to_string());
                        }
                    }
                    purposes.extend(eku.other.iter().map(|oid| oid.to_id_string()));
                    cert.extended_key_usage = Some(purposes);
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    cert.strict.san_present = true;
                    cert.strict.san_critical = critical;
                    cert.san = san.general_names.iter().map(san_entry).collect();
                }
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    cert.strict.ski_critical = critical;
                    cert.subject_key_id = Some(id.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    cert.strict.aki_critical = critical;
                    cert.authority_key_id = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                ParsedExtension::AuthorityInfoAccess(aia) => {
                    for desc in aia.iter() {
                        let is_ca_issuers = desc.access_method
                            == oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS;
                        if let (true, GeneralName::URI(uri)) =
                            (is_ca_issuers, &desc.access_location)
                        {
                            cert.ca_issuers.push(uri.to_string());
                        }
                    }
                }
                ParsedExtension::ParseError { error } => {
                    parse_notes.push(format!("extension {} did not decode: {error}", ext.oid));
                }
                _ => {}
            }
        }
        cert.parse_notes = parse_notes;

        Ok(cert)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The signed part of the certificate (tbsCertificate).
    pub fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// PEM text of this certificate, 64-column base64 and a final newline.
    pub fn to_pem(&self) -> String {
        let block = pem::Pem::new("CERTIFICATE", self.der.clone());
        pem::encode_config(
            &block,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        )
    }

    /// True when basicConstraints says CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|bc| bc.ca)
    }

    /// True when subject and issuer are the same name. Whether the certificate also
    /// signed itself is checked by the analysis, which owns signature verification.
    pub fn names_itself_as_issuer(&self) -> bool {
        names_equal(
            &self.subject_raw,
            &self.issuer_raw,
            &self.subject,
            &self.issuer,
        )
    }

    /// True when `self` names `other` as its issuer (subject/issuer names match).
    pub fn issuer_name_is(&self, other: &Certificate) -> bool {
        names_equal(
            &self.issuer_raw,
            &other.subject_raw,
            &self.issuer,
            &other.subject,
        )
    }

    /// True when the key identifiers do not rule `other` out as the issuer of `self`.
    /// Absent identifiers never rule anything out.
    pub fn key_ids_allow_issuer(&self, other: &Certificate) -> bool {
        match (&self.authority_key_id, &other.subject_key_id) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// A short display name: the CN when there is one, else the whole subject.
    pub fn short_name(&self) -> &str {
        self.common_name.as_deref().unwrap_or(&self.subject)
    }

    /// True when the DNS or IP SANs are empty, so only the CN names the host.
    pub fn has_name_sans(&self) -> bool {
        self.san
            .iter()
            .any(|s| matches!(s, SanEntry::Dns(_) | SanEntry::Ip(_)))
    }

    pub fn subject_key_id_hex(&self) -> Option<String> {
        self.subject_key_id.as_deref().map(hex_colon)
    }

    pub fn authority_key_id_hex(&self) -> Option<String> {
        self.authority_key_id.as_deref().map(hex_colon)
    }

    /// True when the subject is an empty name (no RDN at all).
    pub fn subject_is_empty(&self) -> bool {
        // An empty SEQUENCE is `30 00`.
        self.subject_raw.len() <= 2
    }

    /// True when the signature uses MD5 or SHA-1.
    pub fn has_weak_signature_hash(&self) -> bool {
        weak_hash(&self.signature_oid)
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

/// A DER INTEGER's content is positive when its sign bit is clear and a bit is set.
fn serial_is_positive(raw: &[u8]) -> bool {
    raw.first().is_some_and(|b| b & 0x80 == 0) && raw.iter().any(|b| *b != 0)
}

/// Upper-case hex with colons, as OpenSSL prints serials and fingerprints.
pub fn hex_colon(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{byte:02X}");
    }
    out
}

/// Distinguished names are equal when their DER is, or (as OpenSSL's canonical
/// comparison allows) when their text differs only in case and spacing.
fn names_equal(a_raw: &[u8], b_raw: &[u8], a_text: &str, b_text: &str) -> bool {
    if a_raw == b_raw {
        return true;
    }
    canonical(a_text) == canonical(b_text)
}

fn canonical(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn name_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let text = name.to_string();
    if text.is_empty() { String::new() } else { text }
}

fn san_entry(name: &GeneralName<'_>) -> SanEntry {
    match name {
        GeneralName::DNSName(dns) => SanEntry::Dns(dns.to_string()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => {
                let octets: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
                SanEntry::Ip(IpAddr::from(octets))
            }
            16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(bytes);
                SanEntry::Ip(IpAddr::from(octets))
            }
            _ => SanEntry::Other(format!("IP:<{} bytes>", bytes.len())),
        },
        GeneralName::RFC822Name(mail) => SanEntry::Email(mail.to_string()),
        GeneralName::URI(uri) => SanEntry::Uri(uri.to_string()),
        other => SanEntry::Other(format!("{other:?}")),
    }
}

fn key_info(x509: &X509Certificate<'_>) -> KeyInfo {
    let spki = x509.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| curve_name(&oid.to_id_string()));

    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => KeyInfo {
            kind: KeyKind::Rsa,
            bits: rsa.key_size(),
            curve: None,
        },
        Ok(PublicKey::EC(point)) => {
            let bits = match curve.as_deref() {
                Some("P-256") => 256,
                Some("P-384") => 384,
                Some("P-521") => 521,
                _ => point.key_size(),
            };
            KeyInfo {
                kind: KeyKind::Ec,
                bits,
                curve,
            }
        }
        Ok(PublicKey::DSA(y)) => KeyInfo {
            kind: KeyKind::Dsa,
            bits: y.len() * 8,
            curve: None,
        },
        _ if spki.algorithm.algorithm.to_id_string() == "1.3.101.112" => KeyInfo {
            kind: KeyKind::Ed25519,
            bits: 256,
            curve: None,
        },
        _ => KeyInfo {
            kind: KeyKind::Other,
            bits: 0,
            curve: None,
        },
    }
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.33" => "P-224".into(),
        "1.2.840.10045.3.1.1" => "P-192".into(),
        other => other.into(),
    }
}

/// The usual name of a signature algorithm OID.
fn signature_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ED25519",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        other => return other.to_string(),
    };
    name.to_string()
}

fn weak_hash(signature_oid: &str) -> bool {
    matches!(
        signature_oid,
        "1.2.840.113549.1.1.4"
            | "1.2.840.113549.1.1.5"
            | "1.2.840.113549.1.1.2"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3"
    )
}
