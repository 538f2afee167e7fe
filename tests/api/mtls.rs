//! Client authentication (RFC 6749 §2.3, RFC 8705 §2) and PSC's rule: the
//! client certificate's subject CN is the client_id.

use crate::helpers::paths::BC;
use crate::helpers::{
    Answer, CIBA_GRANT, PRO, Who, client, read_key_file, spawn_app, spawn_app_with,
};

async fn bc_as(app: &crate::helpers::TestApp, who: Who, id: &str, secret: Option<&str>) -> Answer {
    let response = client(who)
        .post(app.url(BC))
        .basic_auth(id, secret)
        .form(&[("login_hint", PRO), ("scope", "openid scope_all")])
        .send()
        .await
        .expect("request");
    Answer::from(response).await
}

#[tokio::test]
async fn no_certificate_is_refused_for_a_client_that_requires_one() {
    let app = spawn_app().await;
    let answer = bc_as(
        &app,
        Who::Nobody,
        "psc-mock-client",
        Some("psc-mock-secret"),
    )
    .await;
    let description = answer.assert_error(401, "invalid_client");
    assert!(
        description.contains("no client certificate presented"),
        "{description}"
    );
    assert!(answer.headers.contains_key("www-authenticate"));
}

#[tokio::test]
async fn another_clients_certificate_is_refused_naming_both_names() {
    let app = spawn_app().await;
    let answer = bc_as(
        &app,
        Who::Client2,
        "psc-mock-client",
        Some("psc-mock-secret"),
    )
    .await;
    assert_eq!(
        answer.assert_error(401, "invalid_client"),
        "client certificate CN \"psc-mock-client-2\" does not match client_id \"psc-mock-client\""
    );
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_ca_fails_the_handshake() {
    let app = spawn_app().await;
    let result = client(Who::Untrusted)
        .post(app.url(BC))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&[("login_hint", PRO), ("scope", "openid")])
        .send()
        .await;
    assert!(
        result.is_err(),
        "the server accepted a certificate from an unknown CA"
    );
    // The same request with the trusted certificate goes through.
    assert_eq!(
        bc_as(
            &app,
            Who::Client,
            "psc-mock-client",
            Some("psc-mock-secret")
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn a_wrong_secret_or_unknown_client_is_refused() {
    let app = spawn_app().await;
    // Keycloak's answers: 401 unauthorized_client for a wrong secret,
    // invalid_client for an unknown client, both "Invalid client or Invalid
    // client credentials"; psc-mock adds what was wrong.
    let wrong = bc_as(&app, Who::Client, "psc-mock-client", Some("guess")).await;
    let why = wrong.assert_error(401, "unauthorized_client");
    assert!(
        why.starts_with("Invalid client or Invalid client credentials")
            && why.contains("wrong client_secret"),
        "{why}"
    );
    let unknown = bc_as(&app, Who::Client, "someone", Some("x")).await;
    let why = unknown.assert_error(401, "invalid_client");
    assert!(
        why.starts_with("Invalid client or Invalid client credentials")
            && why.contains("unknown client_id \"someone\""),
        "{why}"
    );
}

#[tokio::test]
async fn tls_client_auth_works_without_a_secret() {
    let app = spawn_app().await;
    let ack = app
        .post(Who::Client, BC)
        .form(&[
            ("client_id", "psc-mock-client"),
            ("login_hint", PRO),
            ("scope", "openid"),
        ])
        .send()
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);

    // …but not without the certificate.
    let refused = app
        .post(Who::Nobody, BC)
        .form(&[
            ("client_id", "psc-mock-client"),
            ("login_hint", PRO),
            ("scope", "openid"),
        ])
        .send()
        .await;
    assert!(
        refused
            .assert_error(401, "invalid_client")
            .contains("tls_client_auth")
    );
}

#[tokio::test]
async fn client_secret_post_is_accepted_and_two_methods_are_not() {
    let app = spawn_app().await;
    let form = [
        ("client_id", "psc-mock-client"),
        ("client_secret", "psc-mock-secret"),
        ("login_hint", PRO),
        ("scope", "openid"),
    ];
    let ok = app.post(Who::Client, BC).form(&form).send().await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let twice = app
        .post(Who::Client, BC)
        .by_client()
        .form(&form)
        .send()
        .await;
    assert!(
        twice
            .assert_error(400, "invalid_request")
            .contains("authenticated twice")
    );
}

#[tokio::test]
async fn the_token_endpoint_applies_the_same_certificate_rule() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    let refused = app
        .post(Who::Client2, "/protocol/openid-connect/token")
        .by_client()
        .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", id.as_str())])
        .send()
        .await;
    assert!(
        refused
            .assert_error(401, "invalid_client")
            .contains("CN \"psc-mock-client-2\"")
    );
    // The refusal consumed nothing: the right client still redeems.
    assert_eq!(app.poll(&id).await.status, 200);
}

#[tokio::test]
async fn behind_a_proxy_the_certificate_comes_from_a_header() {
    let app = spawn_app_with(|s| {
        s.server.tls = false;
        s.server.client_cert_header = "X-SSL-Client-Cert".into();
    })
    .await;
    assert!(app.issuer.starts_with("http://"));
    let escaped: String = percent_encoding::utf8_percent_encode(
        &read_key_file("client.pem"),
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let plain = reqwest::Client::new();
    let form = [("login_hint", PRO), ("scope", "openid")];
    let with_header = plain
        .post(app.url(BC))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .header("X-SSL-Client-Cert", escaped)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 200);
    let without = plain
        .post(app.url(BC))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let without = Answer::from(without).await;
    assert!(
        without
            .assert_error(401, "invalid_client")
            .contains("no client certificate")
    );
    let garbage = plain
        .post(app.url(BC))
        .basic_auth("psc-mock-client", Some("psc-mock-secret"))
        .header("X-SSL-Client-Cert", "not-a-certificate")
        .form(&form)
        .send()
        .await
        .unwrap();
    let garbage = Answer::from(garbage).await;
    assert!(
        garbage
            .assert_error(401, "invalid_client")
            .contains("X-SSL-Client-Cert")
    );
}

/// `tls_client_auth` (RFC 8705 §2): `client_id` and the certificate, no
/// secret, on every endpoint that authenticates clients.
#[tokio::test]
async fn every_client_endpoint_accepts_tls_client_auth_and_needs_the_certificate() {
    let app = spawn_app().await;
    let tokens = app.tokens(PRO).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    /// The path, its form, and the status of success.
    type Endpoint<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);
    let endpoints: [Endpoint; 4] = [
        (
            "/protocol/openid-connect/token/introspect",
            vec![("token", &access)],
            200,
        ),
        (
            "/protocol/openid-connect/token",
            vec![("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            200,
        ),
        (
            "/protocol/openid-connect/revoke",
            vec![("token", &access)],
            200,
        ),
        (
            "/protocol/openid-connect/logout",
            vec![("refresh_token", &refresh)],
            204,
        ),
    ];
    for (path, form, expected) in endpoints {
        let mut with_id = form.clone();
        with_id.push(("client_id", "psc-mock-client"));
        // Without the certificate: refused, and nothing happens.
        let refused = app.post(Who::Nobody, path).form(&with_id).send().await;
        assert!(
            refused
                .assert_error(401, "invalid_client")
                .contains("no client certificate"),
            "{path}"
        );
        let accepted = client(Who::Client)
            .post(app.url(path))
            .form(&with_id)
            .send()
            .await
            .unwrap();
        assert_eq!(accepted.status().as_u16(), expected, "{path}");
    }
}

/// Behind a proxy, the header's certificate is checked as the handshake
/// would check it: another CA, a server-only certificate and an expired
/// one are refused, whatever their CN.
#[tokio::test]
async fn behind_a_proxy_the_header_certificate_must_chain_be_valid_and_for_clients() {
    let app = spawn_app_with(|s| {
        s.server.tls = false;
        s.server.client_cert_header = "X-SSL-Client-Cert".into();
        s.clients[0].require_certificate = false;
    })
    .await;
    let plain = reqwest::Client::new();
    let send = |pem: String| {
        let escaped =
            percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let request = plain
            .post(app.url(BC))
            .header("X-SSL-Client-Cert", escaped)
            .form(&[
                ("client_id", "psc-mock-client"),
                ("login_hint", PRO),
                ("scope", "openid"),
            ]);
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    // tls_client_auth with the right certificate: accepted.
    assert_eq!(send(read_key_file("client.pem")).await.status, 200);
    // Another CA, though its CN is the client_id.
    let other = send(read_key_file("untrusted-client.pem")).await;
    assert!(
        other
            .assert_error(401, "invalid_client")
            .contains("must chain to a configured client CA")
    );
    // A server certificate of the right CA: not for client authentication.
    let server = send(read_key_file("server.pem")).await;
    assert!(
        server
            .assert_error(401, "invalid_client")
            .contains("is refused")
    );
    // The client certificate once expired (it is valid until 2050).
    app.clock
        .advance(std::time::Duration::from_secs(30 * 366 * 86_400));
    let expired = send(read_key_file("client.pem")).await;
    assert!(
        expired
            .assert_error(401, "invalid_client")
            .contains("is refused")
    );
}

/// A client CA made for one test, and a client certificate it signs whose
/// subject has one CN attribute per name of `names`: the CA's PEM, the
/// certificate's and its key's.
fn ca_and_client_with_cns(names: &[&str]) -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "psc-mock TEST ONLY client CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    for (i, name) in names.iter().enumerate() {
        // rcgen keeps one value per attribute type: the CN's own OID
        // (2.5.4.3), spelt as a custom type, adds the others.
        let ty = match i {
            0 => DnType::CommonName,
            _ => DnType::CustomDnType(vec![2, 5, 4, 3]),
        };
        leaf.distinguished_name.push(ty, *name);
    }
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// A certificate whose subject has two CN attributes names no single
/// client: refused 401 `invalid_client`, naming both, even when one of
/// them is the client_id (with Basic and with `tls_client_auth`). A
/// certificate made the same way with one CN passes, so the refusal is the
/// CNs'.
#[tokio::test]
async fn a_certificate_with_two_common_names_is_refused_naming_both() {
    // The committed CA's key is not in the repository: the server trusts
    // client CAs made here (one per certificate), as `pki.client_ca`.
    let (ca, two, two_key) = ca_and_client_with_cns(&["psc-mock-client", "psc-mock-client-2"]);
    let (other_ca, one, one_key) = ca_and_client_with_cns(&["psc-mock-client"]);
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("client-cas.pem");
    std::fs::write(&ca_path, format!("{ca}{other_ca}")).unwrap();
    let app = spawn_app_with(|s| s.pki.client_ca = vec![ca_path.clone()]).await;

    let with = |cert: &str, key: &str| {
        let server_ca = reqwest::Certificate::from_pem(read_key_file("ca.pem").as_bytes()).unwrap();
        let identity = reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([server_ca])
            .identity(identity)
            .build()
            .unwrap()
    };
    let expected = "the client certificate's subject has two CN attributes, \"psc-mock-client\" and \"psc-mock-client-2\": it must have one, the client_id";
    let (two, one) = (with(&two, &two_key), with(&one, &one_key));
    let request = [("login_hint", PRO), ("scope", "openid scope_all")];
    let basic = app.post_through(&two, BC).by_client().form(&request);
    assert_eq!(
        basic.send().await.assert_error(401, "invalid_client"),
        expected
    );
    let tls_client_auth = app.post_through(&two, BC).form(&[
        ("client_id", "psc-mock-client"),
        ("login_hint", PRO),
        ("scope", "openid scope_all"),
    ]);
    assert_eq!(
        tls_client_auth
            .send()
            .await
            .assert_error(401, "invalid_client"),
        expected
    );

    let single = app
        .post_through(&one, BC)
        .by_client()
        .form(&request)
        .send()
        .await;
    assert_eq!(single.status, 200, "{}", single.body);
}
