//! Client certificates as DER, the form rustls hands over after the
//! handshake (and a proxy header, once decoded): parsed or refused, never a
//! panic; an accepted one has an RFC 8705 `x5t#S256` thumbprint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psc_mock::tls::PeerCertificate;

fuzz_target!(|der: &[u8]| {
    if let Ok(certificate) = PeerCertificate::from_der(der) {
        // base64url without padding of a SHA-256 digest: 43 characters.
        assert_eq!(certificate.thumbprint.len(), 43);
        let _ = certificate.describe_cn();
    }
});
