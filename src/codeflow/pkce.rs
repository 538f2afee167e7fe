//! PKCE (RFC 7636): the challenge a code is bound to, and the verifier's
//! syntax.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

/// `S256` or `plain` (both advertised by PSC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    S256,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub value: String,
    pub method: ChallengeMethod,
}

impl Challenge {
    /// RFC 7636 §4.6.
    pub fn verifies(&self, verifier: &str) -> bool {
        let computed = match self.method {
            ChallengeMethod::Plain => verifier.to_owned(),
            ChallengeMethod::S256 => B64.encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                verifier.as_bytes(),
            )),
        };
        aws_lc_rs::constant_time::verify_slices_are_equal(
            computed.as_bytes(),
            self.value.as_bytes(),
        )
        .is_ok()
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn valid_verifier_syntax(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}
