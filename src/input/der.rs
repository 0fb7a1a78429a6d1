//! Just enough DER to find certificates: split concatenated DER elements, take the
//! certificate out of OpenSSL's `TRUSTED CERTIFICATE` encoding, and list the certificates
//! of a certs-only PKCS#7 (`.p7b`, the output of `openssl crl2pkcs7 -nocrl`).
//!
//! This is a small hand-written TLV walk rather than a PKCS#7 library: a certs-only
//! SignedData is a fixed, shallow structure and x509-parser has no PKCS#7 support.
//! Certificates themselves are parsed by [`Certificate::from_der`]; this module only
//! finds their bytes and never interprets their content.
//!
//! Limitation: BER indefinite lengths (some old Windows exports) are reported as
//! unsupported rather than decoded; every tool we compared against writes DER.
//!
//! [`Certificate::from_der`]: crate::model::Certificate::from_der

/// One DER element: its tag, its content and the whole encoding (header + content).
#[derive(Clone, Copy, Debug)]
pub(super) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub whole: &'a [u8],
}

pub(super) const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_OID: u8 = 0x06;
const TAG_INTEGER: u8 = 0x02;
const TAG_CONTEXT_0: u8 = 0xA0;

/// 1.2.840.113549.1.7 (PKCS#7 content types), DER-encoded without the final arc.
const OID_PKCS7_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];

/// 1.2.840.113549.1.7.2 (signedData).
const OID_SIGNED_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];

/// Reads one element from the front of `input`; returns it and the bytes after it.
pub(super) fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), String> {
    let (&tag, after_tag) = input
        .split_first()
        .ok_or("no data where an element should be")?;
    if tag & 0x1F == 0x1F {
        return Err(format!(
            "tag 0x{tag:02X} uses the multi-byte form, not used here"
        ));
    }

    let (&first, after_len_byte) = after_tag
        .split_first()
        .ok_or("the data ends inside an element header")?;
    let (length, after_header) = match first {
        0x00..=0x7F => (usize::from(first), after_len_byte),
        0x80 => return Err("indefinite length (BER) is not supported".to_string()),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7F);
            let bytes = after_len_byte
                .get(..count)
                .ok_or("the data ends inside an element header")?;
            let length = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (length, &after_len_byte[count..])
        }
        _ => return Err(format!("length byte 0x{first:02X} is not valid DER")),
    };

    if after_header.len() < length {
        return Err(format!(
            "an element claims {length} bytes but only {} remain",
            after_header.len()
        ));
    }

    let header_len = input.len() - after_header.len();
    let whole = &input[..header_len + length];
    let tlv = Tlv {
        tag,
        content: &after_header[..length],
        whole,
    };
    Ok((tlv, &after_header[length..]))
}

/// The first element of `input` as a whole encoding (for `TRUSTED CERTIFICATE`, where
/// the certificate is followed by OpenSSL's trust settings).
pub(super) fn first_element(input: &[u8]) -> Result<&[u8], String> {
    let (tlv, _) = read_tlv(input)?;
    Ok(tlv.whole)
}

/// True when `element` is a PKCS#7 ContentInfo (of any content type).
pub(super) fn is_pkcs7(element: &Tlv<'_>) -> bool {
    if element.tag != TAG_SEQUENCE {
        return false;
    }

    match read_tlv(element.content) {
        Ok((oid, _)) => oid.tag == TAG_OID && oid.content.starts_with(OID_PKCS7_PREFIX),
        Err(_) => false,
    }
}

/// The certificates of a PKCS#7 SignedData ContentInfo, as DER slices, in file order.
pub(super) fn pkcs7_certificates(der: &[u8]) -> Result<Vec<&[u8]>, String> {
    let (info, _) = read_tlv(der)?;
    expect_tag(&info, TAG_SEQUENCE, "ContentInfo")?;

    let (oid, rest) = read_tlv(info.content)?;
    expect_tag(&oid, TAG_OID, "content type")?;
    if oid.content != OID_SIGNED_DATA {
        return Err("the PKCS#7 content is not signedData, so it holds no certificates".into());
    }

    let (explicit, _) = read_tlv(rest)?;
    expect_tag(&explicit, TAG_CONTEXT_0, "signedData content")?;
    let (signed_data, _) = read_tlv(explicit.content)?;
    expect_tag(&signed_data, TAG_SEQUENCE, "SignedData")?;

    let (version, rest) = read_tlv(signed_data.content)?;
    expect_tag(&version, TAG_INTEGER, "SignedData version")?;
    let (digests, rest) = read_tlv(rest)?;
    expect_tag(&digests, TAG_SET, "SignedData digestAlgorithms")?;
    let (encapsulated, rest) = read_tlv(rest)?;
    expect_tag(&encapsulated, TAG_SEQUENCE, "SignedData contentInfo")?;

    let mut certificates = Vec::new();
    if rest.first() == Some(&TAG_CONTEXT_0) {
        let (set, _) = read_tlv(rest)?;
        let mut inner = set.content;
        while !inner.is_empty() {
            let (cert, after) = read_tlv(inner)?;
            certificates.push(cert.whole);
            inner = after;
        }
    }

    Ok(certificates)
}

fn expect_tag(tlv: &Tlv<'_>, tag: u8, what: &str) -> Result<(), String> {
    if tlv.tag == tag {
        return Ok(());
    }
    Err(format!(
        "the PKCS#7 {what} has tag 0x{:02X}, expected 0x{tag:02X}",
        tlv.tag
    ))
}
