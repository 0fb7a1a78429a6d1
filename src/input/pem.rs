//! The PEM reader: splits a text bundle into blocks, decodes the certificate blocks and
//! records what OpenSSL-based clients would make of each oddity.
//!
//! The reader is lenient on purpose — it reads every certificate it can find, even where
//! OpenSSL gives up — and then says, per block, what clients will not see. What OpenSSL
//! 3.0.19 and Python 3.11 (`ssl.SSLContext.load_verify_locations`) do was measured on
//! this machine with the files in `fixtures/pki/` (see `fixtures/README.md`):
//!
//! - END and BEGIN glued on one line (`-----END CERTIFICATE----------BEGIN …`), or any
//!   text after an END marker on its line: OpenSSL rejects the END line ("bad end line"),
//!   so `X509_load_cert_crl_file` fails and the WHOLE file is refused — Python raises
//!   `[X509] PEM lib`, `openssl verify -CAfile` fails, `openssl storeutl -certs` and
//!   `crl2pkcs7 | pkcs7 -print_certs` list no certificate. A MalformedBlock, not cosmetic.
//! - a truncated block, bad base64, or a CERTIFICATE block that is not a certificate:
//!   the whole file is refused the same way.
//! - a BEGIN line that does not start its line (text or even one space before it): the
//!   block is skipped silently, the other certificates load.
//! - bare-CR (old Mac) line endings: OpenSSL sees one long line and finds no certificate
//!   ("no certificate or crl found"); in a mixed file only the CR-ended blocks are lost.
//! - a PKCS7 block: OpenSSL loads no certificate from it (alone: "no certificate or crl
//!   found"; next to certificates: skipped silently). Reported once per file as
//!   [`BundleDefect::Pkcs7`], like a DER `.p7b`.
//! - CSR blocks are skipped, CRL blocks are loaded as CRLs, private keys are ignored.
//! - CRLF line endings, a UTF-8 BOM, text before/between/after blocks, trailing spaces,
//!   indented base64, one long base64 line, no final newline: all certificates load.
//!
//! Private-key blocks are never decoded or copied: the reader only notes their label and
//! line and skips to their END line.

use base64::Engine as _;

use super::der;
use crate::model::{BundleDefect, Certificate};

/// At most this many PEM blocks are read; the rest of the file is ignored with a defect.
pub const MAX_BLOCKS: usize = 10_000;

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
const DASHES: &[u8] = b"-----";

/// What OpenSSL-based clients do because of a defect, appended to its reason.
const FILE_REFUSED: &str = "OpenSSL-based clients (curl, Python, `openssl verify -CAfile`) \
                            refuse the whole file because of it and see none of its \
                            certificates";

/// The certificates and defects of a PEM text.
pub(super) struct PemOutcome {
    pub certs: Vec<Certificate>,
    pub defects: Vec<BundleDefect>,
}

/// True when the bytes hold a PEM BEGIN marker anywhere.
pub(super) fn looks_like_pem(text: &[u8]) -> bool {
    find(text, BEGIN).is_some()
}

/// Reads every PEM block of `text` (a BOM, if any, already removed by the caller).
pub(super) fn read(text: &[u8]) -> PemOutcome {
    let all_bare_cr =
        memchr::memchr(b'\n', text).is_none() && memchr::memchr(b'\r', text).is_some();
    let mut scanner = Scanner::new(all_bare_cr);

    for line in Lines::new(text) {
        if scanner.capped {
            break;
        }
        scanner.endings.add(line.ending);
        scanner.line(&line);
    }
    scanner.end_of_file();

    let mut defects = scanner.defects;
    if all_bare_cr {
        let reason = "the file uses bare CR (old Mac) line endings: ise-doctor reads its \
                      certificates, but OpenSSL sees one long line and finds no certificate \
                      at all; convert the line endings to LF (`tr '\\r' '\\n'`)";
        defects.insert(0, malformed(1, 1, reason.to_string()));
    }

    defects.extend(scanner.notes.into_defects(&scanner.endings));
    PemOutcome {
        certs: scanner.certs,
        defects,
    }
}

/// How many lines end in LF, CRLF and a bare CR.
#[derive(Default)]
struct LineEndings {
    lf: usize,
    crlf: usize,
    cr: usize,
}

impl LineEndings {
    fn add(&mut self, ending: Ending) {
        match ending {
            Ending::Lf => self.lf += 1,
            Ending::CrLf => self.crlf += 1,
            Ending::Cr => self.cr += 1,
            Ending::None => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Lf,
    CrLf,
    Cr,
    None,
}

/// One line: its 1-based number, its bytes without the ending, and the ending.
struct Line<'a> {
    number: usize,
    text: &'a [u8],
    ending: Ending,
}

/// Lines ended by LF, CRLF or a bare CR.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    number: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a [u8]) -> Lines<'a> {
        Lines {
            text,
            pos: 0,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        if self.pos >= self.text.len() {
            return None;
        }

        let rest = &self.text[self.pos..];
        self.number += 1;
        let Some(cut) = memchr::memchr2(b'\n', b'\r', rest) else {
            self.pos = self.text.len();
            return Some(Line {
                number: self.number,
                text: rest,
                ending: Ending::None,
            });
        };

        let (ending, width) = match (rest[cut], rest.get(cut + 1)) {
            (b'\r', Some(b'\n')) => (Ending::CrLf, 2),
            (b'\r', _) => (Ending::Cr, 1),
            _ => (Ending::Lf, 1),
        };
        self.pos += cut + width;
        Some(Line {
            number: self.number,
            text: &rest[..cut],
            ending,
        })
    }
}

/// What a block label announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Certificate,
    /// `X509 CERTIFICATE`, the pre-1.0 OpenSSL label.
    OldCertificate,
    /// `TRUSTED CERTIFICATE`: a certificate followed by OpenSSL trust settings.
    Trusted,
    Pkcs7,
    PrivateKey,
    Other,
}

impl Kind {
    fn of(label: &str) -> Kind {
        match label {
            "CERTIFICATE" => Kind::Certificate,
            "X509 CERTIFICATE" => Kind::OldCertificate,
            "TRUSTED CERTIFICATE" => Kind::Trusted,
            "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => Kind::Pkcs7,
            _ if label.contains("PRIVATE KEY") => Kind::PrivateKey,
            _ => Kind::Other,
        }
    }
}

/// A block whose BEGIN line has been seen.
struct Open {
    index: usize,
    line: usize,
    label: String,
    kind: Kind,
    /// Why the BEGIN line itself is broken, if it is.
    bad_begin: Option<String>,
    /// The BEGIN marker was not at the start of its line (OpenSSL skips the block).
    begin_indented: bool,
    /// The BEGIN marker followed an END marker on the same line (reported on that END).
    glued: bool,
    /// A line of the block ended in a bare CR (OpenSSL loses the block).
    bare_cr: bool,
    /// The base64 text, whitespace removed. Always empty for private keys.
    body: Vec<u8>,
    /// The first non-base64 byte and its line.
    bad_byte: Option<(usize, u8)>,
}

/// How a block ended.
enum Close<'a> {
    /// An END line, with its label and what followed it on that line.
    End {
        label: &'a str,
        line: usize,
        trailing: Trailing,
    },
    /// The next BEGIN came first (at this line).
    NextBegin {
        line: usize,
    },
    EndOfFile,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Trailing {
    Nothing,
    Begin,
    Text,
}

struct Scanner {
    certs: Vec<Certificate>,
    defects: Vec<BundleDefect>,
    notes: Notes,
    endings: LineEndings,
    blocks: usize,
    open: Option<Open>,
    capped: bool,
    /// The whole file has bare-CR endings: one file-level defect, not one per block.
    all_bare_cr: bool,
}

impl Scanner {
    fn new(all_bare_cr: bool) -> Scanner {
        Scanner {
            certs: Vec::new(),
            defects: Vec::new(),
            notes: Notes::default(),
            endings: LineEndings::default(),
            blocks: 0,
            open: None,
            capped: false,
            all_bare_cr,
        }
    }

    /// Reads one line; a line may hold several markers (END and BEGIN glued together).
    fn line(&mut self, line: &Line<'_>) {
        let mut rest = line.text;
        let mut at_line_start = true;
        let mut after_end = false;

        while !self.capped {
            let Some(open) = self.open.as_mut() else {
                let Some(pos) = find(rest, BEGIN) else {
                    self.notes.text(rest, line.number);
                    break;
                };

                self.notes.text(&rest[..pos], line.number);
                let indented = !(at_line_start && pos == 0);
                rest = self.begin(&rest[pos + BEGIN.len()..], line.number, indented, after_end);
                at_line_start = false;
                continue;
            };

            let end = find(rest, END);
            let begin = find(rest, BEGIN);
            if let Some(begin) = begin.filter(|&b| end.is_none_or(|e| b < e)) {
                open.add_body(&rest[..begin], line.number);
                self.close(Close::NextBegin { line: line.number });
                rest = &rest[begin..];
                at_line_start = at_line_start && begin == 0;
                continue;
            }

            let Some(end) = end else {
                open.add_body(rest, line.number);
                break;
            };

            open.add_body(&rest[..end], line.number);
            let after = &rest[end + END.len()..];
            let (label, remainder) = match find(after, DASHES) {
                Some(p) => (&after[..p], &after[p + DASHES.len()..]),
                None => (after, &after[after.len()..]),
            };
            let trailing = if is_blank(remainder) {
                Trailing::Nothing
            } else if find(remainder, BEGIN).is_some() {
                Trailing::Begin
            } else {
                Trailing::Text
            };
            if line.ending == Ending::Cr {
                open.bare_cr = true;
            }

            let label = String::from_utf8_lossy(label).trim().to_string();
            self.close(Close::End {
                label: &label,
                line: line.number,
                trailing,
            });
            rest = remainder;
            at_line_start = false;
            after_end = true;
        }

        if let Some(open) = self.open.as_mut()
            && line.ending == Ending::Cr
        {
            open.bare_cr = true;
        }
    }

    /// Opens a block at a BEGIN marker; `rest` is what follows `-----BEGIN `. Returns
    /// what follows the BEGIN marker on the line (usually nothing).
    fn begin<'a>(&mut self, rest: &'a [u8], line: usize, indented: bool, glued: bool) -> &'a [u8] {
        self.blocks += 1;
        if self.blocks > MAX_BLOCKS {
            let reason = format!(
                "the file holds more than {MAX_BLOCKS} PEM blocks; block {} (line {line}) \
                 and everything after it were ignored",
                self.blocks
            );
            self.defects.push(malformed(self.blocks, line, reason));
            self.capped = true;
            return &[];
        }

        let (label, after, bad_begin) = match find(rest, DASHES) {
            Some(p) => (&rest[..p], &rest[p + DASHES.len()..], None),
            None => {
                let reason = "the BEGIN line does not end with `-----`".to_string();
                (rest, &rest[rest.len()..], Some(reason))
            }
        };
        let label = String::from_utf8_lossy(label)
            .trim()
            .trim_end_matches('-')
            .to_string();
        let kind = Kind::of(&label);

        self.open = Some(Open {
            index: self.blocks,
            line,
            label,
            kind,
            bad_begin,
            begin_indented: indented,
            glued,
            bare_cr: false,
            body: Vec::new(),
            bad_byte: None,
        });
        after
    }

    fn end_of_file(&mut self) {
        if self.open.is_some() {
            self.close(Close::EndOfFile);
        }
    }

    /// Closes the open block: records the certificate(s) and the defects.
    fn close(&mut self, how: Close<'_>) {
        let Some(open) = self.open.take() else {
            return;
        };

        if open.kind == Kind::PrivateKey {
            self.defects.push(BundleDefect::PrivateKey {
                line: open.line,
                label: open.label,
            });
            return;
        }

        if let Some(reason) = open.structure_problem(&how) {
            self.defects.push(malformed(open.index, open.line, reason));
            return;
        }

        let found = match open.decode() {
            Ok(found) => found,
            Err((line, reason)) => {
                self.defects.push(malformed(open.index, line, reason));
                return;
            }
        };

        let names = subjects(&found);
        self.certs.extend(found);
        match open.kind {
            Kind::Trusted => self.notes.trusted.push(open.index),
            Kind::OldCertificate => self.notes.old_label.push(open.index),
            _ => {}
        }

        if let Some((line, reason)) = open.client_problem(&how, &names, self.all_bare_cr) {
            self.defects.push(malformed(open.index, line, reason));
        }
        let pkcs7 = BundleDefect::Pkcs7 { pem: true };
        if open.kind == Kind::Pkcs7 && !self.defects.contains(&pkcs7) {
            self.defects.push(pkcs7);
        }
    }
}

impl Open {
    /// Adds base64 text to the body (nothing for private keys, which are never copied).
    fn add_body(&mut self, chunk: &[u8], line: usize) {
        if self.kind == Kind::PrivateKey {
            return;
        }

        let chunk = chunk.trim_ascii();
        match chunk.iter().position(|&b| !is_base64(b)) {
            None => self.body.extend_from_slice(chunk),
            Some(_) => {
                for &byte in chunk {
                    if is_base64(byte) {
                        self.body.push(byte);
                    } else if !byte.is_ascii_whitespace() && self.bad_byte.is_none() {
                        self.bad_byte = Some((line, byte));
                    }
                }
            }
        }
    }

    /// Problems that stop the block from being read at all: broken markers, wrong label.
    fn structure_problem(&self, how: &Close<'_>) -> Option<String> {
        let label = &self.label;
        if let Some(reason) = &self.bad_begin {
            return Some(format!("{reason}; {FILE_REFUSED}"));
        }

        match how {
            Close::NextBegin { line } => {
                return Some(format!(
                    "the `-----BEGIN {label}-----` block has no END line before the next \
                     BEGIN at line {line} (truncated or cut-and-pasted); {FILE_REFUSED}"
                ));
            }
            Close::EndOfFile => {
                return Some(format!(
                    "the `-----BEGIN {label}-----` block has no END line: the file ends \
                     inside it (truncated); {FILE_REFUSED}"
                ));
            }
            Close::End {
                label: end_label,
                line,
                ..
            } if end_label != label => {
                return Some(format!(
                    "the block begins as `{label}` but its END line (line {line}) says \
                     `{end_label}`; {FILE_REFUSED}"
                ));
            }
            Close::End { .. } => {}
        }

        if self.kind == Kind::Other {
            return Some(describe_other(label));
        }
        None
    }

    /// Decodes the body into certificates; on failure, the line at fault and the reason.
    fn decode(&self) -> Result<Vec<Certificate>, (usize, String)> {
        if let Some((line, byte)) = self.bad_byte {
            let shown = if byte.is_ascii_graphic() {
                format!("`{}`", char::from(byte))
            } else {
                format!("byte 0x{byte:02X}")
            };
            let reason = format!(
                "line {line} holds {shown}, which is not base64, so the `{}` block cannot \
                 be decoded; {FILE_REFUSED}",
                self.label
            );
            return Err((line, reason));
        }

        let at_begin = |reason: String| (self.line, format!("{reason}; {FILE_REFUSED}"));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&self.body)
            .map_err(|e| at_begin(format!("the base64 text does not decode ({e})")))?;

        match self.kind {
            Kind::Pkcs7 => {
                let slices = der::pkcs7_certificates(&der).map_err(&at_begin)?;
                let mut certs = Vec::with_capacity(slices.len());
                for (n, slice) in slices.iter().enumerate() {
                    let cert = Certificate::from_der(slice).map_err(|e| {
                        at_begin(format!("certificate {} inside the PKCS#7: {e}", n + 1))
                    })?;
                    certs.push(cert);
                }
                Ok(certs)
            }
            Kind::Trusted => {
                let first = der::first_element(&der).map_err(&at_begin)?;
                let cert = Certificate::from_der(first).map_err(|e| at_begin(e.to_string()))?;
                Ok(vec![cert])
            }
            _ => {
                let cert = Certificate::from_der(&der).map_err(|e| at_begin(e.to_string()))?;
                Ok(vec![cert])
            }
        }
    }

    /// Problems of a block ise-doctor could read but OpenSSL-based clients cannot.
    fn client_problem(
        &self,
        how: &Close<'_>,
        names: &str,
        all_bare_cr: bool,
    ) -> Option<(usize, String)> {
        let label = &self.label;
        if let Close::End { line, trailing, .. } = how {
            match trailing {
                Trailing::Begin => {
                    let reason = format!(
                        "the END line of this block ({names}) runs into the next \
                         `-----BEGIN` with no line break between them: ise-doctor reads \
                         both certificates, but OpenSSL rejects the END line, so \
                         OpenSSL-based clients (curl, Python, `openssl verify -CAfile`) \
                         refuse the whole file and see none of its certificates; put a \
                         line break after `-----END {label}-----`"
                    );
                    return Some((*line, reason));
                }
                Trailing::Text => {
                    let reason = format!(
                        "text follows `-----END {label}-----` on the same line: ise-doctor \
                         reads {names}, but OpenSSL rejects the END line, so {FILE_REFUSED}"
                    );
                    return Some((*line, reason));
                }
                Trailing::Nothing => {}
            }
        }

        // OpenSSL ignores a PKCS#7 block whatever its layout; the caller reports it as such.
        if self.kind == Kind::Pkcs7 {
            return None;
        }

        if self.begin_indented && !self.glued {
            let reason = format!(
                "the `-----BEGIN {label}-----` marker does not start its line: ise-doctor \
                 reads {names}, but OpenSSL skips this block, so clients will not see that \
                 certificate; move the marker to the start of its own line"
            );
            return Some((self.line, reason));
        }

        if self.bare_cr && !all_bare_cr {
            let reason = format!(
                "this block has bare CR (old Mac) line endings: ise-doctor reads {names}, \
                 but OpenSSL does not, so clients will not see that certificate; convert \
                 the line endings to LF"
            );
            return Some((self.line, reason));
        }
        None
    }
}

/// Cosmetic observations, gathered over the whole file and reported once each.
#[derive(Default)]
struct Notes {
    text_lines: usize,
    first_text_line: usize,
    trusted: Vec<usize>,
    old_label: Vec<usize>,
}

impl Notes {
    /// Records text outside PEM blocks, unless it is only whitespace.
    fn text(&mut self, text: &[u8], line: usize) {
        if is_blank(text) {
            return;
        }
        if self.text_lines == 0 {
            self.first_text_line = line;
        }
        self.text_lines += 1;
    }

    fn into_defects(self, endings: &LineEndings) -> Vec<BundleDefect> {
        let mut notes = Vec::new();

        if endings.crlf > 0 && endings.lf == 0 && endings.cr == 0 {
            notes.push(
                "Windows (CRLF) line endings; OpenSSL and Python read them, some other \
                 tools do not"
                    .to_string(),
            );
        } else if endings.crlf > 0 || (endings.cr > 0 && endings.lf > 0) {
            notes.push(format!(
                "mixed line endings ({} LF, {} CRLF, {} bare CR)",
                endings.lf, endings.crlf, endings.cr
            ));
        }

        if self.text_lines > 0 {
            notes.push(format!(
                "{} {} of text outside the PEM blocks (first at line {}); OpenSSL and \
                 Python skip it, but it makes the bundle harder to check by eye",
                self.text_lines,
                plural(self.text_lines, "line", "lines"),
                self.first_text_line
            ));
        }

        if !self.trusted.is_empty() {
            notes.push(format!(
                "{} in OpenSSL's `TRUSTED CERTIFICATE` format: OpenSSL also applies the \
                 trust settings stored with the certificate, and non-OpenSSL clients may not \
                 read it; plain `CERTIFICATE` blocks are safer",
                blocks_text(&self.trusted)
            ));
        }

        if !self.old_label.is_empty() {
            notes.push(format!(
                "{} the old `X509 CERTIFICATE` label; OpenSSL reads it, many other PEM \
                 readers expect `CERTIFICATE`",
                blocks_use(&self.old_label)
            ));
        }

        notes
            .into_iter()
            .map(|note| BundleDefect::Cosmetic { note })
            .collect()
    }
}

/// "block 3 is" / "blocks 1, 4 are".
fn blocks_text(indexes: &[usize]) -> String {
    match indexes {
        [one] => format!("block {one} is"),
        many => format!("blocks {} are", join(many)),
    }
}

/// "block 3 uses" / "blocks 1, 4 use".
fn blocks_use(indexes: &[usize]) -> String {
    match indexes {
        [one] => format!("block {one} uses"),
        many => format!("blocks {} use", join(many)),
    }
}

fn join(indexes: &[usize]) -> String {
    indexes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// What a non-certificate block is, in words, and what clients do with it.
fn describe_other(label: &str) -> String {
    let what = match label {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            "a certificate signing request (CSR); OpenSSL skips it".to_string()
        }
        "X509 CRL" => "a certificate revocation list (CRL); OpenSSL loads it as a CRL, \
                       not as a CA"
            .to_string(),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => "a bare public key; OpenSSL skips it".to_string(),
        _ if label.ends_with("PARAMETERS") => "key parameters; OpenSSL skips them".to_string(),
        _ => format!("a `{label}` block; OpenSSL skips it"),
    };
    format!("this block is {what}. It is not a CA certificate and does not belong in a CA bundle")
}

/// The subjects of the certificates, for messages: "`CN=A`" or "`CN=A`, `CN=B`".
fn subjects(certs: &[Certificate]) -> String {
    certs
        .iter()
        .map(|c| format!("`{}`", c.subject))
        .collect::<Vec<_>>()
        .join(", ")
}

fn malformed(index: usize, line: usize, reason: String) -> BundleDefect {
    BundleDefect::MalformedBlock {
        index,
        line,
        reason,
    }
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')
}

fn is_blank(text: &[u8]) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

/// The position of `needle` (a marker starting with `-`) in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    // memchr and a prefix compare: building a memmem searcher per line costs more than
    // this on short lines, and every line is searched.
    let first = *needle
        .first()
        .expect("invariant: markers are non-empty constants");
    let mut from = 0;

    while let Some(offset) = memchr::memchr(first, &haystack[from..]) {
        let at = from + offset;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}
