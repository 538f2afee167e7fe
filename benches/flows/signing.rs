//! Section 1, the signature ceiling: how fast one core signs RS256, bare
//! and through psc-mock's own signer. Every flow costs the server two RS256
//! signatures (access and ID token; the refresh token is HS512, as
//! Keycloak's), so this bounds the flows/s the rest of the benchmark can
//! reach, and the throughput target is derived from it.

use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use psc_mock::keys::SigningKey;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::json;

use crate::{BenchResult, CLIENT_ID, LOGIN_HINT, repo_path};

/// RS256 tokens the server signs per flow: access and ID token.
const SIGNATURES_PER_FLOW: f64 = 2.0;

const SIGN_FOR: Duration = Duration::from_secs(2);
const SIGN_ROUNDS: u32 = 4;

/// Best-round signing rates and the flows/s they allow one core.
pub struct Ceiling {
    /// Signatures per second, bare aws-lc-rs.
    pub raw: f64,
    /// Signatures per second, `SigningKey::sign` of access-token claims.
    pub mock: f64,
    /// `raw` ÷ 2: flows/s one core can sign (access and ID token).
    pub ceiling_2: f64,
    /// Half of `ceiling_2`: the flows/s target at high concurrency.
    pub target_flows: f64,
    /// `1000 ÷ ceiling_2`: milliseconds of one core to sign a flow's access
    /// and ID tokens, the floor of the server's CPU time per flow.
    pub floor_ms: f64,
}

/// Measures and prints section 1.
pub fn measure() -> BenchResult<Ceiling> {
    let pem = std::fs::read_to_string(repo_path("keys/signing-key.pem"))
        .map_err(|e| format!("keys/signing-key.pem: {e}"))?;
    println!(
        "  ({} rounds of {} ms each; best round, worst in brackets)",
        SIGN_ROUNDS,
        (SIGN_FOR / SIGN_ROUNDS).as_millis()
    );
    let raw = raw_rsa_rate(pem.as_bytes())?;
    println!(
        "  aws-lc-rs RsaKeyPair, 600-byte message    {:>8.0} sig/s  ({:.0})",
        raw.best, raw.worst
    );
    let (mock, token_len) = signing_key_rate(&pem)?;
    println!(
        "  psc_mock SigningKey::sign (claims → JWT)  {:>8.0} sig/s  ({:.0}; {token_len}-byte token)",
        mock.best, mock.worst
    );
    let (raw, mock) = (raw.best, mock.best);
    let ceiling_2 = raw / SIGNATURES_PER_FLOW;
    let target_flows = ceiling_2 / 2.0;
    println!(
        "  The server signs 2 RS256 tokens per flow (access, ID; the refresh token is HS512); per core:"
    );
    println!("    ceiling aws-lc-rs sig/s ÷ 2 (access + ID)            {ceiling_2:>6.0} flows/s");
    println!(
        "    target = half of (sig/s ÷ 2)                         {target_flows:>6.0} flows/s"
    );
    Ok(Ceiling {
        raw,
        mock,
        ceiling_2,
        target_flows,
        floor_ms: 1000.0 / ceiling_2,
    })
}

/// Bare aws-lc-rs: signatures per second of a 600-byte message.
fn raw_rsa_rate(pem: &[u8]) -> BenchResult<Rate> {
    let der = PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("signing key: {e}"))?;
    let PrivateKeyDer::Pkcs8(pkcs8) = &der else {
        return Err("keys/signing-key.pem is not a PKCS#8 key".into());
    };
    let pair = RsaKeyPair::from_pkcs8(pkcs8.secret_pkcs8_der())
        .map_err(|e| format!("signing key: {e}"))?;
    let rng = SystemRandom::new();
    let message: Vec<u8> = (0..600u32).map(|i| b'A' + (i % 26) as u8).collect();
    let mut signature = vec![0u8; pair.public_modulus_len()];
    per_second(|| {
        pair.sign(&RSA_PKCS1_SHA256, &rng, &message, &mut signature)
            .map_err(|_| "aws-lc-rs could not sign".to_owned())?;
        std::hint::black_box(&signature);
        Ok(())
    })
}

/// psc-mock's signer on claims shaped like its access tokens; also returns
/// the token's length.
fn signing_key_rate(pem: &str) -> BenchResult<(Rate, usize)> {
    let key = SigningKey::from_pem(pem).map_err(|e| e.to_string())?;
    let issuer = "https://127.0.0.1:8443/auth/realms/esante-wallet";
    let claims = json!({
        "exp": 1_800_000_120u64,
        "iat": 1_800_000_000u64,
        "auth_time": 1_799_999_990u64,
        "jti": "4f6c3a2e-8b1d-4c9a-9e57-2d0b6f1a3c88",
        "iss": issuer,
        "sub": "f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:899700245667",
        "typ": "Bearer",
        "azp": CLIENT_ID,
        "session_state": "b1a0e9d2-5c3f-4e7a-8d6b-0f2c9e4a7b13",
        "sid": "b1a0e9d2-5c3f-4e7a-8d6b-0f2c9e4a7b13",
        "acr": "eidas1",
        "scope": "openid scope_all",
        "authMode": "MOBILE",
        "otherIds": [
            {"identifiant": "10100000245667", "origine": "RPPS", "qualite": 1},
            {"identifiant": "899700245667", "origine": "IdNat", "qualite": 1}
        ],
        "SubjectNameID": LOGIN_HINT,
        "preferred_username": LOGIN_HINT,
        "cnf": {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}
    });
    let token_len = key.sign(&claims).map_err(|e| e.to_string())?.len();
    let rate = per_second(|| {
        let token = key.sign(&claims).map_err(|e| e.to_string())?;
        std::hint::black_box(token);
        Ok(())
    })?;
    Ok((rate, token_len))
}

/// Operations per second over the rounds of [`per_second`].
struct Rate {
    best: f64,
    worst: f64,
}

/// Calls `op` for [`SIGN_FOR`] in [`SIGN_ROUNDS`] rounds (after a short
/// warm-up): calls per second of the best round, which is the least
/// disturbed by whatever else runs on the machine.
fn per_second(mut op: impl FnMut() -> BenchResult<()>) -> BenchResult<Rate> {
    for _ in 0..20 {
        op()?;
    }
    let round = SIGN_FOR / SIGN_ROUNDS;
    let mut rates = Vec::new();
    for _ in 0..SIGN_ROUNDS {
        let start = Instant::now();
        let mut done = 0u64;
        loop {
            for _ in 0..16 {
                op()?;
            }
            done += 16;
            let elapsed = start.elapsed();
            if elapsed >= round {
                rates.push(done as f64 / elapsed.as_secs_f64());
                break;
            }
        }
    }
    rates.sort_by(f64::total_cmp);
    Ok(Rate {
        best: rates.last().copied().unwrap_or(f64::NAN),
        worst: rates.first().copied().unwrap_or(f64::NAN),
    })
}
