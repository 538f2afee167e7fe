//! The `Authorization: Basic` header of client authentication (RFC 6749
//! §2.3.1): any header text is refused or decoded without panicking, and
//! any client_id and secret, encoded as the RFC says, decode back unchanged.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use psc_mock::clients::parse_basic;

#[derive(Arbitrary, Debug)]
struct Input {
    raw: String,
    client_id: String,
    secret: String,
}

fuzz_target!(|input: Input| {
    let _ = parse_basic(&input.raw);

    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = format!("{}:{}", encode(&input.client_id), encode(&input.secret));
    let header = format!("Basic {}", STANDARD.encode(credentials));
    match parse_basic(&header) {
        Ok(decoded) => assert_eq!(decoded, (input.client_id, input.secret)),
        Err(_) => assert!(input.client_id.is_empty(), "refused {header:?}"),
    }
});
