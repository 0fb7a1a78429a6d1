//! `token.malformed`: `ISE_API_TOKEN` must be Base64 of `user:password`.
//!
//! The token is a secret: no message, fix or log repeats it, encoded or decoded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::findings::{Code, Finding};

/// The finding for a malformed token; `None` when unset or well formed.
pub fn check(token: Option<&str>) -> Option<Finding> {
    let token = token?.trim();
    let problem = match STANDARD.decode(token) {
        Err(_) => "it is not valid Base64",
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(_) => "it does not decode to text",
            Ok(text) => match text.split_once(':') {
                None => "it decodes to text without a `:` between user and password",
                Some(("", _)) => "it decodes to an empty user name",
                Some((_, "")) => "it decodes to an empty password",
                Some(_) => return None,
            },
        },
    };

    Some(
        Finding::new(
            Code::TokenMalformed,
            format!(
                "ISE_API_TOKEN is set, but {problem}; ISE API clients send it as HTTP Basic \
                 credentials and every request would fail with 401."
            ),
        )
        .fix(
            "Re-create it from the API user's name and password: `printf '%s' \
             'USER:PASSWORD' | base64` (with your secrets loader, not in shell history).",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_tokens_pass_and_bad_ones_are_named_without_the_secret() {
        assert!(check(None).is_none());
        assert!(check(Some("YWRtaW46czNjcjN0")).is_none()); // admin:s3cr3t
        for bad in ["not base64!!", "YWRtaW4=", "OnMzY3IzdA==", "YWRtaW46"] {
            let finding = check(Some(bad)).expect("malformed");
            assert_eq!(finding.code, Code::TokenMalformed);
            assert!(
                !finding.message.contains(bad),
                "the token is never repeated"
            );
            assert!(!finding.message.contains("s3cr3t"));
        }
    }
}
