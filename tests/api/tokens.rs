//! Token shapes (docs/fidelity.md), with signatures verified against the JWKS by two
//! libraries independent of the server's signing code: `jsonwebtoken` and
//! RustCrypto's `rsa`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{
    CLIENT_ID, PRO, TestApp, Who, client, read_key_file, spawn_app, spawn_app_with,
};

/// The JWKS as JSON.
pub async fn jwks_json(app: &TestApp) -> Value {
    client(Who::Nobody)
        .get(app.url("/protocol/openid-connect/certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The JWKS, parsed by jsonwebtoken.
pub async fn jwks(app: &TestApp) -> JwkSet {
    serde_json::from_value(jwks_json(app).await).expect("a JWK set")
}

/// Verifies with jsonwebtoken, returns the claims.
pub fn verify_jsonwebtoken(token: &str, jwks: &JwkSet, issuer: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("kid in header");
    let jwk = jwks.find(&kid).expect("the kid is in the JWKS");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[issuer]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("jsonwebtoken verifies the signature")
        .claims
}

/// Verifies with RustCrypto's rsa crate from the JWKS's n and e.
fn verify_rsa_crate(token: &str, jwks_json: &Value) {
    let key = &jwks_json["keys"][0];
    let n = BigUint::from_bytes_be(&B64.decode(key["n"].as_str().unwrap()).unwrap());
    let e = BigUint::from_bytes_be(&B64.decode(key["e"].as_str().unwrap()).unwrap());
    let verifying = VerifyingKey::<Sha256>::new(RsaPublicKey::new(n, e).unwrap());
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = Signature::try_from(B64.decode(signature).unwrap().as_slice()).unwrap();
    verifying
        .verify(input.as_bytes(), &signature)
        .expect("the rsa crate verifies the signature");

    let mut forged = input.to_owned();
    forged.push('A');
    assert!(verifying.verify(forged.as_bytes(), &signature).is_err());
}

#[tokio::test]
async fn the_jwks_publishes_an_rs256_key_whose_kid_is_its_thumbprint() {
    let app = spawn_app().await;
    let jwks = jwks_json(&app).await;
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    // RFC 7638: SHA-256 over the required members in lexical order.
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        key["e"].as_str().unwrap(),
        key["n"].as_str().unwrap()
    );
    let thumbprint = B64.encode(Sha256::digest(canonical.as_bytes()));
    assert_eq!(key["kid"], thumbprint);
    assert_eq!(thumbprint.len(), 43);
}

#[tokio::test]
async fn access_and_id_tokens_verify_with_independent_libraries_and_have_psc_shapes() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let set = jwks(&app).await;
    let set_json = serde_json::to_value(&set).unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let id = tokens["id_token"].as_str().unwrap();
    verify_rsa_crate(access, &set_json);
    verify_rsa_crate(id, &set_json);

    let at = verify_jsonwebtoken(access, &set, &app.issuer);
    assert_eq!(at["typ"], "Bearer");
    assert_eq!(at["azp"], CLIENT_ID);
    assert!(at.get("aud").is_none(), "PSC access tokens have no aud");
    assert_eq!(at["SubjectNameID"], PRO);
    assert_eq!(at["preferred_username"], PRO);
    assert_eq!(at["acr"], "eidas1");
    assert_eq!(at["authMode"], "MOBILE");
    assert_eq!(at["scope"], "openid scope_all");
    assert_eq!(at["otherIds"][0]["origine"], "RPPS");
    assert_eq!(at["sid"], at["session_state"]);
    assert_eq!(at["session_state"], tokens["session_state"]);
    assert_eq!(
        at["exp"].as_u64().unwrap() - at["iat"].as_u64().unwrap(),
        120
    );
    assert!(at.get("SubjectRefPro").is_none());

    let it = verify_jsonwebtoken(id, &set, &app.issuer);
    assert_eq!(it["typ"], "ID");
    assert_eq!(it["aud"], CLIENT_ID, "aud is the client_id as a string");
    assert_eq!(it["sub"], at["sub"]);
    assert!(it["given_name"].is_string() && it["family_name"].is_string());
    assert!(
        it.get("SubjectRefPro").is_none(),
        "SubjectRefPro is userinfo only"
    );
    // OIDC Core §3.1.3.6: at_hash is the left half of SHA-256(access_token).
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(it["at_hash"], B64.encode(&digest[..16]));
}

#[tokio::test]
async fn access_tokens_are_unbound_by_default_as_psc() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let set = jwks(&app).await;
    let claims = verify_jsonwebtoken(tokens["access_token"].as_str().unwrap(), &set, &app.issuer);
    assert!(claims.get("cnf").is_none(), "{claims}");
}

#[tokio::test]
async fn access_tokens_are_bound_to_the_client_certificate_when_the_client_asks() {
    let app = spawn_app_with(|s| s.clients[0].certificate_bound_access_tokens = true).await;
    let tokens = app.tokens(PRO).await;
    let set = jwks(&app).await;
    let claims = verify_jsonwebtoken(tokens["access_token"].as_str().unwrap(), &set, &app.issuer);
    let pem = read_key_file("client.pem");
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], B64.encode(Sha256::digest(&der)));
}

#[tokio::test]
async fn the_subject_is_stable_across_flows() {
    let app = spawn_app().await;
    let set = jwks(&app).await;
    let first = app.tokens(PRO).await;
    let second = app.tokens(PRO).await;
    let sub = |t: &Value| {
        verify_jsonwebtoken(t["id_token"].as_str().unwrap(), &set, &app.issuer)["sub"].clone()
    };
    assert_eq!(sub(&first), sub(&second));
    assert_ne!(first["session_state"], second["session_state"]);
}

#[tokio::test]
async fn refresh_tokens_are_keycloaks_hs512_with_a_key_outside_the_jwks() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(refresh).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS512);
    let kid = header.kid.expect("a kid");
    let published = jwks_json(&app).await;
    assert!(
        published["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kid"] != kid.as_str()),
        "the refresh-token key is never published"
    );
    let claims = crate::helpers::payload(refresh);
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "aud", "azp", "exp", "iat", "iss", "jti", "scope", "sid", "sub", "typ"
        ]
    );
    assert_eq!(claims["typ"], "Refresh");
    assert_eq!(claims["aud"], app.issuer.as_str());
}
