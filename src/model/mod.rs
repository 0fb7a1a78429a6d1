//! The shared model: what the inputs and the probe produce and what the analysis reads.
//!
//! Certificates are parsed once into [`Certificate`] (owned facts plus the DER), a CA
//! bundle becomes a [`Bundle`], and one connection attempt becomes a [`ProbeOutcome`]. A
//! certificate `fix` found as a possible missing issuer is a [`Candidate`].
//! Nothing here does I/O.

pub mod bundle;
pub mod candidate;
pub mod cert;
pub mod probe;
pub mod service;
pub mod time;

pub use bundle::{Bundle, BundleDefect, BundleFormat, BundleSource};
pub use candidate::{Candidate, CandidateSource};
pub use cert::{Certificate, KeyInfo, KeyKind, SanEntry, StrictFacts};
pub use probe::{ClientAuthRequest, ProbeFailure, ProbeOutcome, TargetSpec};
pub use service::Service;
pub use time::Moment;
