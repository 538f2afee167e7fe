//! Tokens presented back to psc-mock (access tokens at userinfo and
//! introspection, refresh tokens, service tokens, `id_token_hint`): any
//! text, and any claims signed with the real key so that the checks after
//! the signature are reached too. Refused with a reason or accepted; a
//! token whose signature was altered is never accepted.
#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use psc_mock::config::Settings;
use psc_mock::keys::{Keys, SigningKey};
use psc_mock::tokens::TokenIssuer;
use psc_mock::urls::Urls;

static TOKENS: LazyLock<TokenIssuer> = LazyLock::new(|| {
    let key = SigningKey::from_pem(include_str!("../../keys/signing-key.pem"))
        .expect("the committed test key loads");
    TokenIssuer::new(Keys::single(key), Urls::new(&Settings::default()))
});

#[derive(Arbitrary, Debug)]
enum Input {
    /// Any text as a token.
    Raw(String),
    /// Claims (JSON, or taken as a string) signed with the real key, then
    /// possibly one byte of the signature changed.
    Signed {
        claims: String,
        now: u32,
        flip: Option<(u16, u8)>,
    },
}

fn lenient_decode(segment: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(segment).ok()
}

fn check(token: &str, now: SystemTime) -> bool {
    let accepted = [
        TOKENS.verify_access(token, now).is_ok(),
        TOKENS.verify_service(token, now).is_ok(),
        TOKENS.verify_refresh(token, now).is_ok(),
        TOKENS.verify_id_token_hint(token).is_ok(),
    ];
    accepted.into_iter().any(|a| a)
}

fuzz_target!(|input: Input| {
    match input {
        Input::Raw(token) => {
            check(&token, SystemTime::now());
        }
        Input::Signed { claims, now, flip } => {
            let claims = serde_json::from_str(&claims).unwrap_or(serde_json::Value::String(claims));
            let Ok(token) = TOKENS.keys.active().sign(&claims) else {
                return;
            };
            let now = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(now));
            let Some((at, xor)) = flip.filter(|&(_, xor)| xor != 0) else {
                check(&token, now);
                return;
            };
            let signature = token.rfind('.').map_or(0, |dot| dot + 1);
            let span = token.len() - signature;
            if span == 0 {
                return;
            }
            let mut bytes = token.clone().into_bytes();
            bytes[signature + usize::from(at) % span] ^= xor;
            let Ok(tampered) = String::from_utf8(bytes) else {
                return;
            };
            // Base64url's last character has spare bits: a change there
            // that decodes to the same signature is no change at all.
            if lenient_decode(&tampered[signature..]) == lenient_decode(&token[signature..]) {
                return;
            }
            assert!(!check(&tampered, now), "accepted {tampered:?}");
        }
    }
});
