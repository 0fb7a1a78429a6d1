//! Test PKIs generated on the fly with rcgen: a root CA, an issuing intermediate and a
//! server leaf, with a knob for each defect the diagnosis must recognise on a live server.
//!
//! [`PkiBuilder`] makes the usual three-level lab PKI (`CN=LAB-ROOT-CA` →
//! `CN=LAB-ISSUING-CA` → leaf for `ise-01.example.net`); [`LeafSpec`] describes a leaf
//! (names, validity, EKU, self-signed, AIA caIssuers URLs); [`Pki`] issues more leaves
//! and the "stale" intermediate (same name, other key). Every certificate is an
//! [`Issued`]: DER, PEM and the private key, ready for [`super::server`] or for a bundle
//! file.
//!
//! For mutual TLS, [`LeafSpec::client`] describes a client certificate (`CN=pxgrid-client`,
//! EKU clientAuth) and [`Pki::unrelated`] a second PKI whose clients a server trusting the
//! lab root must refuse.
//!
//! Keys are ECDSA P-256 unless asked otherwise. Intermediates and leaves carry both
//! authorityKeyIdentifier and subjectKeyIdentifier, like certificates from a real CA.

use std::io;
use std::net::IpAddr;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::model::Certificate;

/// The name of the lab root CA.
pub const ROOT_CN: &str = "LAB-ROOT-CA";
/// The name of the lab issuing (intermediate) CA.
pub const ISSUING_CN: &str = "LAB-ISSUING-CA";
/// The default DNS name of the server leaf.
pub const LEAF_DNS: &str = "ise-01.example.net";
/// The subject CN of a client certificate, as a pxGrid client is usually named.
pub const CLIENT_CN: &str = "pxgrid-client";
/// The names of the unrelated PKI's CAs.
pub const OTHER_ROOT_CN: &str = "OTHER-ROOT-CA";
pub const OTHER_ISSUING_CN: &str = "OTHER-ISSUING-CA";

/// The key algorithm of a generated certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyAlg {
    #[default]
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

impl KeyAlg {
    fn rcgen(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlg::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlg::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlg::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }
}

/// A validity window, relative to the moment of generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// Valid from yesterday for `days` days from now.
    LongLived { days: i64 },
    /// Expired `days_ago` days ago (issued a year before that).
    Expired { days_ago: i64 },
    /// Becomes valid in `in_days` days, for a year.
    NotYetValid { in_days: i64 },
    /// Valid since last month, expires in `days` days.
    ExpiresIn { days: i64 },
    /// Any window, in days relative to now (`from` may be negative).
    Window { from_days: i64, to_days: i64 },
}

impl Default for Validity {
    fn default() -> Validity {
        Validity::LongLived { days: 3650 }
    }
}

impl Validity {
    /// The window in days relative to now: (not before, not after).
    pub fn days(self) -> (i64, i64) {
        match self {
            Validity::LongLived { days } => (-1, days),
            Validity::Expired { days_ago } => (-days_ago - 365, -days_ago),
            Validity::NotYetValid { in_days } => (in_days, in_days + 365),
            Validity::ExpiresIn { days } => (-30, days),
            Validity::Window { from_days, to_days } => (from_days, to_days),
        }
    }

    fn apply(self, params: &mut CertificateParams, now: OffsetDateTime) {
        let (from, to) = self.days();
        params.not_before = now + Duration::days(from);
        params.not_after = now + Duration::days(to);
    }
}

/// The extended key usage of a leaf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeafEku {
    /// serverAuth only (the default).
    #[default]
    ServerAuth,
    /// serverAuth and clientAuth, as ISE system certificates usually carry.
    ServerAndClient,
    /// clientAuth only: wrong for a TLS server.
    ClientAuthOnly,
    /// No EKU extension at all.
    None,
}

/// How a leaf names its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafSpec {
    /// Subject CN; `None` uses the first DNS SAN, or `LEAF_DNS` when there is none.
    pub common_name: Option<String>,
    pub dns_sans: Vec<String>,
    pub ip_sans: Vec<IpAddr>,
    pub validity: Validity,
    pub eku: LeafEku,
    /// Sign the leaf with its own key instead of the issuing CA.
    pub self_signed: bool,
    pub key_alg: KeyAlg,
    /// AIA caIssuers URLs: where a client may download the issuer certificate.
    pub ca_issuers: Vec<String>,
}

impl Default for LeafSpec {
    fn default() -> LeafSpec {
        LeafSpec {
            common_name: None,
            dns_sans: vec![LEAF_DNS.to_string()],
            ip_sans: Vec::new(),
            validity: Validity::default(),
            eku: LeafEku::default(),
            self_signed: false,
            key_alg: KeyAlg::default(),
            ca_issuers: Vec::new(),
        }
    }
}

impl LeafSpec {
    /// A leaf for these DNS names (the first is also the CN).
    pub fn dns(names: &[&str]) -> LeafSpec {
        LeafSpec {
            dns_sans: names.iter().map(|n| n.to_string()).collect(),
            ..LeafSpec::default()
        }
    }

    /// A leaf named only by its subject CN, with no subjectAltName at all.
    pub fn cn_only(cn: &str) -> LeafSpec {
        LeafSpec {
            common_name: Some(cn.to_string()),
            dns_sans: Vec::new(),
            ..LeafSpec::default()
        }
    }

    /// A client certificate named `cn`: no subjectAltName, EKU clientAuth only.
    pub fn client(cn: &str) -> LeafSpec {
        LeafSpec::cn_only(cn).with_eku(LeafEku::ClientAuthOnly)
    }

    pub fn with_ip(mut self, ip: IpAddr) -> LeafSpec {
        self.ip_sans.push(ip);
        self
    }

    pub fn with_validity(mut self, validity: Validity) -> LeafSpec {
        self.validity = validity;
        self
    }

    pub fn with_eku(mut self, eku: LeafEku) -> LeafSpec {
        self.eku = eku;
        self
    }

    pub fn self_signed(mut self) -> LeafSpec {
        self.self_signed = true;
        self
    }

    /// Adds an AIA caIssuers URL (authorityInfoAccess, 1.3.6.1.5.5.7.1.1) to the leaf.
    pub fn with_ca_issuers(mut self, url: &str) -> LeafSpec {
        self.ca_issuers.push(url.to_string());
        self
    }

    fn cn(&self) -> String {
        self.common_name
            .clone()
            .or_else(|| self.dns_sans.first().cloned())
            .unwrap_or_else(|| LEAF_DNS.to_string())
    }
}

/// One generated certificate with its private key.
pub struct Issued {
    params: CertificateParams,
    key: KeyPair,
    der: CertificateDer<'static>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("subject", &self.params.distinguished_name)
            .finish()
    }
}

impl Issued {
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// PEM text of the certificate (LF line endings).
    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", self.der.to_vec())
    }

    /// The private key as PKCS#8, for rustls.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn key_pem(&self) -> String {
        pem_block("PRIVATE KEY", self.key.serialize_der())
    }

    /// The certificate parsed into the shared model.
    pub fn certificate(&self) -> Certificate {
        Certificate::from_der(&self.der).expect("invariant: rcgen output is a valid certificate")
    }

    /// The SHA-256 fingerprint in the model's format, handy in assertions.
    pub fn sha256(&self) -> String {
        self.certificate().sha256
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// A root, an issuing CA and a server leaf.
#[derive(Debug)]
pub struct Pki {
    pub root: Issued,
    pub intermediate: Issued,
    pub leaf: Issued,
}

impl Pki {
    /// The lab PKI with every default: a sound chain for `ise-01.example.net`.
    pub fn lab() -> Pki {
        PkiBuilder::new()
            .build()
            .expect("invariant: default PKI parameters are valid")
    }

    /// A second, unrelated PKI (`CN=OTHER-ROOT-CA` → `CN=OTHER-ISSUING-CA`): its
    /// certificates do not chain to the lab root.
    pub fn unrelated() -> Pki {
        PkiBuilder::new()
            .root_cn(OTHER_ROOT_CN)
            .issuing_cn(OTHER_ISSUING_CN)
            .build()
            .expect("invariant: default PKI parameters are valid")
    }

    /// What a correctly configured server sends: leaf then issuing CA.
    pub fn served_chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain_of(&self.leaf)
    }

    /// A client certificate from the issuing CA: `CN=pxgrid-client`, EKU clientAuth.
    pub fn issue_client(&self) -> Result<Issued, rcgen::Error> {
        self.issue_leaf(&LeafSpec::client(CLIENT_CN))
    }

    /// What a client presents with `leaf` (one of this PKI's): leaf then issuing CA.
    pub fn chain_of(&self, leaf: &Issued) -> Vec<CertificateDer<'static>> {
        vec![leaf.der.clone(), self.intermediate.der.clone()]
    }

    /// Issues one more leaf from this PKI's issuing CA (or self-signed, per `spec`).
    pub fn issue_leaf(&self, spec: &LeafSpec) -> Result<Issued, rcgen::Error> {
        issue_leaf(spec, &self.intermediate, OffsetDateTime::now_utc())
    }

    /// A CA named `cn` issued by `issuer`, for deeper PKIs (root → issuing → sub-CA).
    pub fn sub_ca(&self, cn: &str, issuer: &Issued) -> Result<Issued, rcgen::Error> {
        let params = ca_params(cn, true, Validity::LongLived { days: 1825 });
        issue(params, KeyAlg::default(), Some(issuer))
    }

    /// Issues a leaf from any CA, e.g. one made by [`Pki::sub_ca`].
    pub fn issue_leaf_from(
        &self,
        spec: &LeafSpec,
        issuer: &Issued,
    ) -> Result<Issued, rcgen::Error> {
        issue_leaf(spec, issuer, OffsetDateTime::now_utc())
    }

    /// A stale or forged issuing CA: same subject name as the real one, another key,
    /// signed by the same root. Leaves of this PKI do not verify against it.
    pub fn stale_intermediate(&self) -> Result<Issued, rcgen::Error> {
        let mut params = ca_params(ISSUING_CN, true, Validity::LongLived { days: 1825 });
        params.distinguished_name = self.intermediate.params.distinguished_name.clone();
        issue(params, KeyAlg::default(), Some(&self.root))
    }
}

/// Builds a [`Pki`]; every knob defaults to the sound lab PKI.
#[derive(Clone, Debug)]
pub struct PkiBuilder {
    root_cn: String,
    issuing_cn: String,
    root_validity: Validity,
    issuing_validity: Validity,
    issuing_is_ca: bool,
    key_alg: KeyAlg,
    leaf: LeafSpec,
}

impl Default for PkiBuilder {
    fn default() -> PkiBuilder {
        PkiBuilder::new()
    }
}

impl PkiBuilder {
    pub fn new() -> PkiBuilder {
        PkiBuilder {
            root_cn: ROOT_CN.to_string(),
            issuing_cn: ISSUING_CN.to_string(),
            root_validity: Validity::LongLived { days: 7300 },
            issuing_validity: Validity::LongLived { days: 3650 },
            issuing_is_ca: true,
            key_alg: KeyAlg::default(),
            leaf: LeafSpec::default(),
        }
    }

    /// Names the root CA (a second PKI with other names is then clearly unrelated).
    pub fn root_cn(mut self, cn: &str) -> PkiBuilder {
        self.root_cn = cn.to_string();
        self
    }

    pub fn issuing_cn(mut self, cn: &str) -> PkiBuilder {
        self.issuing_cn = cn.to_string();
        self
    }

    pub fn root_validity(mut self, validity: Validity) -> PkiBuilder {
        self.root_validity = validity;
        self
    }

    pub fn issuing_validity(mut self, validity: Validity) -> PkiBuilder {
        self.issuing_validity = validity;
        self
    }

    /// `false` leaves basicConstraints out of the issuing CA (rcgen `IsCa::NoCa`).
    pub fn issuing_is_ca(mut self, is_ca: bool) -> PkiBuilder {
        self.issuing_is_ca = is_ca;
        self
    }

    /// Key algorithm of the two CAs (the leaf's is in its [`LeafSpec`]).
    pub fn key_alg(mut self, alg: KeyAlg) -> PkiBuilder {
        self.key_alg = alg;
        self
    }

    pub fn leaf(mut self, spec: LeafSpec) -> PkiBuilder {
        self.leaf = spec;
        self
    }

    pub fn build(self) -> Result<Pki, rcgen::Error> {
        let now = OffsetDateTime::now_utc();

        let root_params = ca_params(&self.root_cn, true, self.root_validity);
        let root = issue(root_params, self.key_alg, None)?;

        let issuing_params = ca_params(&self.issuing_cn, self.issuing_is_ca, self.issuing_validity);
        let intermediate = issue(issuing_params, self.key_alg, Some(&root))?;

        let leaf = issue_leaf(&self.leaf, &intermediate, now)?;
        Ok(Pki {
            root,
            intermediate,
            leaf,
        })
    }
}

/// PEM text of several certificates, in the order given.
pub fn pem_bundle(certs: &[&Issued]) -> String {
    certs.iter().map(|c| c.pem()).collect()
}

/// Writes a PEM bundle file of the certificates, in the order given.
pub fn write_pem_bundle(path: &Path, certs: &[&Issued]) -> io::Result<()> {
    std::fs::write(path, pem_bundle(certs))
}

fn ca_params(cn: &str, is_ca: bool, validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(cn);
    params.is_ca = if is_ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::NoCa
    };
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity.apply(&mut params, OffsetDateTime::now_utc());
    params
}

fn issue_leaf(
    spec: &LeafSpec,
    issuer: &Issued,
    now: OffsetDateTime,
) -> Result<Issued, rcgen::Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&spec.cn());
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    spec.validity.apply(&mut params, now);

    for dns in &spec.dns_sans {
        params
            .subject_alt_names
            .push(SanType::DnsName(dns.clone().try_into()?));
    }
    params
        .subject_alt_names
        .extend(spec.ip_sans.iter().copied().map(SanType::IpAddress));

    params.extended_key_usages = match spec.eku {
        LeafEku::ServerAuth => vec![ExtendedKeyUsagePurpose::ServerAuth],
        LeafEku::ServerAndClient => {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        }
        LeafEku::ClientAuthOnly => vec![ExtendedKeyUsagePurpose::ClientAuth],
        LeafEku::None => Vec::new(),
    };

    if !spec.ca_issuers.is_empty() {
        params
            .custom_extensions
            .push(authority_info_access(&spec.ca_issuers));
    }

    let issuer = if spec.self_signed { None } else { Some(issuer) };
    issue(params, spec.key_alg, issuer)
}

/// Generates a key and signs `params` with `issuer` (self-signed when `None`).
fn issue(
    mut params: CertificateParams,
    alg: KeyAlg,
    issuer: Option<&Issued>,
) -> Result<Issued, rcgen::Error> {
    let key = KeyPair::generate_for(alg.rcgen())?;

    // rcgen writes subjectKeyIdentifier only alongside basicConstraints; add it by hand
    // to a certificate without them so that every certificate carries one.
    if params.is_ca == IsCa::NoCa {
        let key_id = params.key_identifier(&key);
        params
            .custom_extensions
            .push(subject_key_identifier(&key_id));
    }

    let der = match issuer {
        Some(issuer) => {
            params.use_authority_key_identifier_extension = true;
            params.signed_by(&key, &issuer.issuer())?
        }
        None => params.self_signed(&key)?,
    };
    Ok(Issued {
        params,
        key,
        der: der.der().clone(),
    })
}

/// The subjectKeyIdentifier extension (2.5.29.14): an OCTET STRING of the key id.
fn subject_key_identifier(key_id: &[u8]) -> CustomExtension {
    let len = u8::try_from(key_id.len()).expect("invariant: key identifiers are 20 to 32 bytes");
    let mut content = vec![0x04, len];
    content.extend_from_slice(key_id);
    CustomExtension::from_oid_content(&[2, 5, 29, 14], content)
}

/// The authorityInfoAccess extension (1.3.6.1.5.5.7.1.1) with one caIssuers access
/// description per URL: `SEQUENCE OF SEQUENCE { id-ad-caIssuers, [6] IA5String }`.
fn authority_info_access(urls: &[String]) -> CustomExtension {
    /// id-ad-caIssuers, 1.3.6.1.5.5.7.48.2, as a DER OBJECT IDENTIFIER.
    const CA_ISSUERS: [u8; 10] = [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];

    let mut descriptions = Vec::new();
    for url in urls {
        let mut description = CA_ISSUERS.to_vec();
        // uniformResourceIdentifier [6] IMPLICIT IA5String: the context tag, primitive.
        description.extend(der_tlv(0x86, url.as_bytes()));
        descriptions.extend(der_tlv(0x30, &description));
    }
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der_tlv(0x30, &descriptions))
}

/// One DER element: tag, definite length (short or long form), content.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn pem_block(tag: &str, der: Vec<u8>) -> String {
    let block = pem::Pem::new(tag, der);
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_pki_chains_by_name_and_key_id() {
        let pki = Pki::lab();
        let (root, issuing, leaf) = (
            pki.root.certificate(),
            pki.intermediate.certificate(),
            pki.leaf.certificate(),
        );

        assert_eq!(root.subject, "CN=LAB-ROOT-CA");
        assert!(issuing.is_ca());
        assert!(issuing.issuer_name_is(&root));
        assert!(leaf.issuer_name_is(&issuing));

        assert!(issuing.subject_key_id.is_some() && leaf.subject_key_id.is_some());
        assert_eq!(leaf.authority_key_id, issuing.subject_key_id);
        assert_eq!(issuing.authority_key_id, root.subject_key_id);
        assert_eq!(
            leaf.extended_key_usage.as_deref(),
            Some(&["serverAuth".to_string()][..])
        );
    }

    #[test]
    fn knobs_reach_the_certificates() {
        let spec = LeafSpec::cn_only("ise-02").with_validity(Validity::Expired { days_ago: 3 });
        let pki = PkiBuilder::new()
            .issuing_is_ca(false)
            .leaf(spec)
            .build()
            .expect("builds");
        let (issuing, leaf) = (pki.intermediate.certificate(), pki.leaf.certificate());

        assert!(issuing.basic_constraints.is_none());
        assert!(issuing.subject_key_id.is_some());
        assert_eq!(leaf.authority_key_id, issuing.subject_key_id);
        assert!(!leaf.has_name_sans());
        assert!(leaf.not_after < crate::model::Moment::now());

        let stale = pki.stale_intermediate().expect("issues").certificate();
        assert_eq!(stale.subject, issuing.subject);
        assert!(!leaf.key_ids_allow_issuer(&stale));
    }

    #[test]
    fn client_certificates_are_for_client_auth() {
        let (pki, other) = (Pki::lab(), Pki::unrelated());
        let client = pki.issue_client().expect("issues").certificate();
        let foreign = other.issue_client().expect("issues").certificate();

        assert_eq!(client.subject, "CN=pxgrid-client");
        assert!(!client.has_name_sans());
        assert_eq!(
            client.extended_key_usage.as_deref(),
            Some(&["clientAuth".to_string()][..])
        );
        assert!(client.issuer_name_is(&pki.intermediate.certificate()));
        assert_eq!(other.root.certificate().subject, "CN=OTHER-ROOT-CA");
        assert!(foreign.issuer_name_is(&other.intermediate.certificate()));
        assert_eq!(pki.chain_of(&pki.leaf), pki.served_chain());
    }

    #[test]
    fn ca_issuers_urls_read_back() {
        let pki = Pki::lab();
        let long = format!("http://127.0.0.1:8080/{}.crt", "a".repeat(200));
        let spec = LeafSpec::default()
            .with_ca_issuers("http://127.0.0.1:8080/issuing.crt")
            .with_ca_issuers(&long);
        let leaf = pki.issue_leaf(&spec).expect("issues").certificate();

        assert_eq!(
            leaf.ca_issuers,
            vec!["http://127.0.0.1:8080/issuing.crt".to_string(), long]
        );
        assert!(leaf.parse_notes.is_empty(), "{:?}", leaf.parse_notes);
        assert!(pki.leaf.certificate().ca_issuers.is_empty());
    }
}
