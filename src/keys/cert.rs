//! The self-signed certificate of a signing key, for the JWKS's `x5c`.
//!
//! Keycloak publishes each RSA key with a self-signed certificate whose
//! subject is `CN=<realm>`, which some clients read (`x5c`, `x5t#S256`).
//! psc-mock makes the same, signed by the key itself through rcgen. Its
//! fields are fixed (serial from the public key, validity 2025–2050) and
//! RSA PKCS#1 v1.5 signatures are deterministic, so a key always has the
//! same certificate: the committed key's JWKS does not change between
//! runs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use rcgen::{CertificateParams, DistinguishedName, DnType, SerialNumber, date_time_ymd};
use rustls::pki_types::CertificateDer;

use super::KeyError;

/// Our key pair as rcgen's signer.
struct Signer<'a> {
    pair: &'a RsaKeyPair,
    rng: &'a SystemRandom,
}

impl rcgen::PublicKeyData for Signer<'_> {
    /// The PKCS#1 `RSAPublicKey`, which rcgen wraps in the
    /// SubjectPublicKeyInfo.
    fn der_bytes(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

impl rcgen::SigningKey for Signer<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, self.rng, msg, &mut signature)
            .map_err(|_| rcgen::Error::RingUnspecified)?;
        Ok(signature)
    }
}

/// `CN=<realm>`, self-signed by `pair`, as DER.
pub fn self_signed(
    pair: &RsaKeyPair,
    rng: &SystemRandom,
    realm: &str,
) -> Result<CertificateDer<'static>, KeyError> {
    let fail = |e: rcgen::Error| KeyError::Load(format!("self-signed certificate: {e}"));
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    // Keycloak cuts the CN at 64 characters, X.509's upper bound.
    name.push(
        DnType::CommonName,
        realm.chars().take(64).collect::<String>(),
    );
    params.distinguished_name = name;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pair.public_key().as_ref());
    // A positive 16-byte serial derived from the key.
    let mut serial = digest.as_ref()[..16].to_vec();
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2050, 1, 1);
    let cert = params.self_signed(&Signer { pair, rng }).map_err(fail)?;
    Ok(cert.der().clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_certificate_is_for_the_key_and_the_same_every_time() {
        let key = super::super::SigningKey::from_pem(crate::pki::EMBEDDED.signing_key)
            .expect("embedded key loads");
        let again = super::super::SigningKey::from_pem(crate::pki::EMBEDDED.signing_key)
            .expect("embedded key loads");
        let chain = key.jwk().common.x509_chain.clone().expect("x5c");
        assert_eq!(chain, again.jwk().common.x509_chain.clone().expect("x5c"));
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(&chain[0])
            .expect("base64 DER");
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("a certificate");
        let subject = cert.subject().to_string();
        assert_eq!(subject, "CN=esante-wallet");
        assert_eq!(cert.issuer().to_string(), subject);
        // Self-signed: the signature verifies with the certificate's key.
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            cert.public_key().subject_public_key.data.to_vec(),
        );
        public
            .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
            .expect("self-signed signature");
    }
}
