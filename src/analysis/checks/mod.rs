//! One file per family of checks. Each check documents what it detects, and words its
//! message and fix steps beside the logic that decides it.

pub mod bundle;
pub mod certs;
pub mod chain;
pub mod mtls;
pub mod pin;
pub mod probe;
pub mod token;

use crate::analysis::PathCert;

/// The role word for a path link: `leaf`, `root` or `intermediate`.
pub(crate) fn role(position: usize, link: &PathCert) -> &'static str {
    if position == 0 {
        "leaf"
    } else if link.self_signed {
        "root"
    } else {
        "intermediate"
    }
}
