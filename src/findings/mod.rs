//! Findings: the observations a diagnosis produces, and the registry of their codes.
//!
//! A [`Finding`] is data: a stable [`Code`], a [`Severity`], a sentence for a tired
//! operator, the certificates concerned, and numbered fix steps. Renderers decide how it
//! looks; they never invent facts. Codes are a public interface (see `docs/codes.md`,
//! generated from [`codes::REGISTRY`]).

pub mod codes;
mod finding;

pub use codes::{Code, CodeDoc, REGISTRY};
pub use finding::{CertRef, Finding, Severity, Status, worst_status, worst_status_for};
