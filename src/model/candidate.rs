//! A candidate issuer: a certificate `fix` found somewhere, and where it found it.
//!
//! `fix` gathers candidates from the presented chains, the cert store, `--from` files,
//! the system trust store and AIA URLs (in that order, see `crate::fix::sources`); the
//! planner then accepts or refuses each one. The source travels with the certificate so
//! that the plan can name it, in text ([`fmt::Display`]) and in JSON ([`Serialize`]).

use std::fmt;

use serde::Serialize;

use super::Certificate;

/// Where a candidate certificate was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CandidateSource {
    /// Sent by a probed server; `position` is 0-based, 0 being the server's own certificate.
    Presented { target: String, position: usize },
    /// A file of the cert store: the bundle's own folder or the store root.
    StoreFile { path: String },
    /// A file given with `--from`.
    FromFile { path: String },
    /// The operating system's trust store.
    SystemStore { path: String },
    /// Downloaded from an AIA caIssuers URL.
    Aia { url: String },
}

impl fmt::Display for CandidateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CandidateSource::Presented { target, position } => {
                write!(f, "sent by {target} at position {position}")
            }
            CandidateSource::StoreFile { path } => write!(f, "store file {path}"),
            CandidateSource::FromFile { path } => write!(f, "--from {path}"),
            CandidateSource::SystemStore { path } => write!(f, "system trust store {path}"),
            CandidateSource::Aia { url } => write!(f, "AIA {url}"),
        }
    }
}

/// A certificate that may be a missing issuer, with where it came from.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub cert: Certificate,
    pub source: CandidateSource,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_read_as_phrases_and_serialize_with_their_kind() {
        let presented = CandidateSource::Presented {
            target: "ise-01.example.net:9060".into(),
            position: 1,
        };
        assert_eq!(
            presented.to_string(),
            "sent by ise-01.example.net:9060 at position 1"
        );
        let aia = CandidateSource::Aia {
            url: "http://pki.example.net/issuing.crt".into(),
        };
        assert_eq!(aia.to_string(), "AIA http://pki.example.net/issuing.crt");
        let from = CandidateSource::FromFile { path: "/x".into() };
        assert_eq!(from.to_string(), "--from /x");

        let json = serde_json::to_value(&presented).expect("serializes");
        assert_eq!(json["kind"], "presented");
        assert_eq!(json["position"], 1);
        let json = serde_json::to_value(CandidateSource::SystemStore { path: "/s".into() })
            .expect("serializes");
        assert_eq!(json["kind"], "system-store");
    }
}
