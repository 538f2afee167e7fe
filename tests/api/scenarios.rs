//! Scenarios: scripted professionals, matched on login_hint, client_id,
//! channel and binding_message, from the control API, a file, or the
//! fixtures.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{PRO, TestApp, Who, payload, spawn_app, spawn_app_with};

/// Another fixture professional, reachable by e-CPS and card.
const OTHER: &str = "899700427885";
/// Fixture professionals with a default behaviour.
const REFUSES: &str = "899700900105";
const NEVER_ANSWERS: &str = "899700900204";

async fn bc(app: &TestApp, who: Who, form: &[(&str, &str)]) -> String {
    let mut all = vec![("scope", "openid scope_all")];
    all.extend_from_slice(form);
    let path = "/protocol/openid-connect/ext/ciba/auth";
    let ack = match who {
        Who::Client2 => app.post_form_client2(path, &all).await,
        _ => app.post_form(who, path, &all).await,
    };
    assert_eq!(ack.status, 200, "{}", ack.body);
    ack.body["auth_req_id"].as_str().unwrap().to_owned()
}

async fn add(app: &TestApp, scenario: serde_json::Value) -> String {
    let created = app
        .control(Method::POST, "/mock/scenarios", Some(scenario))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn steps_play_in_order_on_matching_requests_then_the_default_returns() {
    let app = spawn_app().await;
    add(
        &app,
        json!({
            "match": {"login_hint": PRO, "binding_message": {"regex": "^4"}},
            "steps": [{"action": "deny"}, {"action": "approve", "after_ms": 1500}]
        }),
    )
    .await;
    let hinted = [("login_hint", PRO), ("binding_message", "42")];

    // A request the scenario does not match keeps the default (pending).
    let unmatched = bc(
        &app,
        Who::Client,
        &[("login_hint", PRO), ("binding_message", "17")],
    )
    .await;
    app.poll(&unmatched)
        .await
        .assert_error(400, "authorization_pending");

    let first = bc(&app, Who::Client, &hinted).await;
    app.poll(&first).await.assert_error(400, "access_denied");

    let second = bc(&app, Who::Client, &hinted).await;
    app.poll(&second)
        .await
        .assert_error(400, "authorization_pending");
    app.clock.advance(Duration::from_millis(1500));
    let tokens = app.poll(&second).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);

    let third = bc(&app, Who::Client, &hinted).await;
    app.clock.advance(Duration::from_secs(5));
    app.poll(&third)
        .await
        .assert_error(400, "authorization_pending");
    let list = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(
        list.body["scenarios"],
        json!([]),
        "used-up scenarios are gone"
    );
}

#[tokio::test]
async fn expire_and_never_outcomes() {
    let app = spawn_app().await;
    add(
        &app,
        json!({"match": {"login_hint": PRO}, "always": {"action": "expire", "after_ms": 1000}}),
    )
    .await;
    add(
        &app,
        json!({"match": {"login_hint": OTHER}, "always": {"action": "never"}}),
    )
    .await;

    let expiring = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    app.poll(&expiring)
        .await
        .assert_error(400, "authorization_pending");
    app.clock.advance(Duration::from_millis(1000));
    app.poll(&expiring).await.assert_error(400, "expired_token");

    let silent = bc(&app, Who::Client, &[("login_hint", OTHER)]).await;
    app.clock.advance(Duration::from_secs(119));
    app.poll(&silent)
        .await
        .assert_error(400, "authorization_pending");
    app.clock.advance(Duration::from_secs(1));
    app.poll(&silent).await.assert_error(400, "expired_token");
}

#[tokio::test]
async fn matching_on_client_id_and_channel() {
    let app = spawn_app().await;
    add(
        &app,
        json!({"match": {"client_id": "psc-mock-client-2"}, "always": {"action": "deny"}}),
    )
    .await;
    add(
        &app,
        json!({"match": {"channel": "CARD"}, "always": {"action": "approve"}}),
    )
    .await;

    let by_client_2 = bc(&app, Who::Client2, &[("login_hint", PRO)]).await;
    let answer = app
        .post_form_client2(
            "/protocol/openid-connect/token",
            &[
                ("grant_type", crate::helpers::CIBA_GRANT),
                ("auth_req_id", &by_client_2),
            ],
        )
        .await;
    answer.assert_error(400, "access_denied");

    let by_card = bc(
        &app,
        Who::Client,
        &[("login_hint", PRO), ("channel", "CARD")],
    )
    .await;
    assert_eq!(app.poll(&by_card).await.status, 200);
    let by_phone = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    app.poll(&by_phone)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn approve_as_another_professional_with_extra_claims() {
    let app = spawn_app().await;
    add(
        &app,
        json!({
            "match": {"login_hint": PRO},
            "steps": [{"action": "approve", "as": OTHER,
                       "claims": {"acr": "eidas2", "x-test-case": "42"}}]
        }),
    )
    .await;
    let id = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let jwks = crate::tokens::jwks(&app).await;
    for name in ["access_token", "id_token"] {
        let claims = crate::tokens::verify_jsonwebtoken(
            tokens.body[name].as_str().unwrap(),
            &jwks,
            &app.issuer,
        );
        assert_eq!(claims["SubjectNameID"], OTHER, "{name}");
        assert_eq!(claims["acr"], "eidas2", "{name}: overridden");
        assert_eq!(claims["x-test-case"], "42", "{name}: added");
    }
    let info = app
        .userinfo(Who::Client, tokens.body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.body["SubjectNameID"], OTHER);
    assert_eq!(info.body["x-test-case"], "42");

    // The same through the control API, per request.
    let id = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    let approved = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/approve"),
            Some(json!({"as": OTHER, "claims": {"x-by": "control"}})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["as"], OTHER);
    let tokens = app.poll(&id).await;
    let access = payload(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["SubjectNameID"], OTHER);
    assert_eq!(access["x-by"], "control");

    let id = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    let denied = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/deny"),
            Some(json!({"as": OTHER})),
        )
        .await;
    assert!(
        denied
            .assert_error(400, "invalid_request")
            .contains("only an approval")
    );
    let unknown = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/approve"),
            Some(json!({"as": "0"})),
        )
        .await;
    assert!(
        unknown
            .assert_error(400, "invalid_request")
            .contains("no professional")
    );
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn a_refused_request_uses_up_no_step_and_protocol_claims_are_kept() {
    let app = spawn_app_with(|s| s.ciba.max_requests = 1).await;
    add(
        &app,
        json!({"id": "two", "match": {"login_hint": PRO},
               "steps": [{"action": "deny"}, {"action": "approve"}]}),
    )
    .await;
    let first = bc(&app, Who::Client, &[("login_hint", OTHER)]).await;
    // The store is full: this request is refused, and keeps its step.
    app.bc_authorize(PRO)
        .await
        .assert_error(503, "temporarily_unavailable");
    let kept = app.control(Method::GET, "/mock/scenarios/two", None).await;
    assert_eq!(kept.body["steps"].as_array().unwrap().len(), 2);
    app.control(
        Method::POST,
        &format!("/mock/ciba/requests/{first}/deny"),
        None,
    )
    .await;
    app.poll(&first).await;
    app.control(Method::POST, "/mock/reset", None).await;

    let refused = app
        .control(
            Method::POST,
            "/mock/scenarios",
            Some(json!({"always": {"action": "approve", "claims": {"sid": "x"}}})),
        )
        .await;
    let why = refused.assert_error(400, "invalid_request");
    assert!(why.contains("may not set \"sid\""), "{why}");
}

#[tokio::test]
async fn fixture_professionals_carry_their_own_behaviour() {
    let app = spawn_app().await;
    let refused = bc(&app, Who::Client, &[("login_hint", REFUSES)]).await;
    app.poll(&refused)
        .await
        .assert_error(400, "authorization_pending");
    app.clock.advance(Duration::from_secs(2));
    app.poll(&refused).await.assert_error(400, "access_denied");

    let silent = bc(&app, Who::Client, &[("login_hint", NEVER_ANSWERS)]).await;
    app.clock.advance(Duration::from_secs(60));
    app.poll(&silent)
        .await
        .assert_error(400, "authorization_pending");

    // A scenario takes precedence over the professional's own default.
    app.control(
        Method::PUT,
        &format!("/mock/scenarios/{REFUSES}"),
        Some(json!({"action": "approve"})),
    )
    .await;
    let approved = bc(&app, Who::Client, &[("login_hint", REFUSES)]).await;
    assert_eq!(app.poll(&approved).await.status, 200);
}

#[tokio::test]
async fn scenarios_are_created_read_replaced_and_deleted() {
    let app = spawn_app().await;
    let id = add(&app, json!({"id": "mine", "always": {"action": "deny"}})).await;
    assert_eq!(id, "mine");
    let generated = add(&app, json!({"always": {"action": "deny"}})).await;
    assert!(generated.starts_with("scenario-"), "{generated}");

    let again = app
        .control(
            Method::POST,
            "/mock/scenarios",
            Some(json!({"id": "mine", "always": {"action": "deny"}})),
        )
        .await;
    again.assert_error(409, "conflict");
    let got = app.control(Method::GET, "/mock/scenarios/mine", None).await;
    assert_eq!(got.body["always"]["action"], "deny");

    let replaced = app
        .control(
            Method::PUT,
            "/mock/scenarios/mine",
            Some(json!({"match": {"login_hint": PRO}, "steps": [{"action": "approve"}]})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["steps"][0]["action"], "approve");

    let bad = app
        .control(
            Method::POST,
            "/mock/scenarios",
            Some(json!({"steps": [{"action": "approuve"}]})),
        )
        .await;
    let why = bad.assert_error(400, "invalid_request");
    assert!(why.contains("steps[0].action"), "{why}");

    assert_eq!(
        app.control(Method::DELETE, "/mock/scenarios/mine", None)
            .await
            .status,
        204
    );
    app.control(Method::DELETE, "/mock/scenarios/mine", None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.control(Method::DELETE, "/mock/scenarios", None)
            .await
            .status,
        204
    );
    let list = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(list.body["scenarios"], json!([]));
}

#[tokio::test]
async fn a_scenario_file_is_loaded_at_start_and_restored_by_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenarios.json");
    std::fs::write(
        &path,
        json!({
            "scenarios": [{"id": "refuses", "match": {"login_hint": PRO}, "always": {"action": "deny"}}],
            "faults": [{"id": "slow-jwks", "endpoint": "jwks", "fault": {"type": "latency", "ms": 1}},
                       {"endpoint": "jwks", "fault": {"type": "latency", "ms": 1}}]
        })
        .to_string(),
    )
    .unwrap();
    let file = path.clone();
    let app = spawn_app_with(move |s| s.control.scenarios_file = Some(file)).await;
    let id = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    app.poll(&id).await.assert_error(400, "access_denied");
    let faults = app.control(Method::GET, "/mock/faults", None).await;
    assert_eq!(faults.body[0]["id"], "slow-jwks");
    assert_eq!(
        faults.body[1]["id"], "fault-1",
        "entries without an id get one"
    );

    app.control(Method::DELETE, "/mock/scenarios", None).await;
    app.control(Method::DELETE, "/mock/faults", None).await;
    assert_eq!(
        app.control(Method::POST, "/mock/reset", None).await.status,
        204
    );
    let list = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(list.body["scenarios"][0]["id"], "refuses");
    let faults = app.control(Method::GET, "/mock/faults", None).await;
    assert_eq!(faults.body[0]["id"], "slow-jwks");

    // A broken file stops the start with the file and the path of the value.
    std::fs::write(
        &path,
        r#"{"scenarios": [{"always": {"action": "approuve"}}]}"#,
    )
    .unwrap();
    let mut settings = psc_mock::config::Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.control.scenarios_file = Some(path.clone());
    let err = psc_mock::Application::build(settings)
        .err()
        .expect("refused");
    let message = err.to_string();
    assert!(message.contains("scenarios.json"), "{message}");
    assert!(message.contains("scenarios[0].always.action"), "{message}");
}

/// Every way claims reach the mock, each given `claims`: the error text
/// of each refusal (all must be refused).
async fn refusals(app: &TestApp, claims: serde_json::Value) -> Vec<String> {
    let mut refused = Vec::new();
    let mut note = |answer: crate::helpers::Answer, path: &str| {
        assert_eq!(answer.status, 400, "{path}: {}", answer.body);
        refused.push(answer.assert_error(400, "invalid_request").to_owned());
    };
    let scenario = json!({"always": {"action": "approve", "claims": claims}});
    note(
        app.control(Method::POST, "/mock/scenarios", Some(scenario))
            .await,
        "POST /mock/scenarios",
    );
    let steps = json!({"steps": [{"action": "approve", "claims": claims}]});
    note(
        app.control(Method::PUT, "/mock/scenarios/s", Some(steps))
            .await,
        "PUT /mock/scenarios/s",
    );
    let shorthand = json!({"action": "approve", "claims": claims});
    note(
        app.control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(shorthand),
        )
        .await,
        "PUT /mock/scenarios/{idNat}",
    );
    let id = bc(app, Who::Client, &[("login_hint", PRO)]).await;
    note(
        app.control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/approve"),
            Some(json!({"claims": claims})),
        )
        .await,
        "approve",
    );
    // A professional's own default, added at run time.
    let record = app
        .control(Method::GET, &format!("/mock/identities/{OTHER}"), None)
        .await
        .body;
    let mut professional = record.clone();
    professional["scenario"] = json!({"action": "approve", "claims": claims});
    app.control(Method::DELETE, &format!("/mock/identities/{OTHER}"), None)
        .await;
    note(
        app.control(Method::POST, "/mock/identities", Some(professional))
            .await,
        "POST /mock/identities",
    );
    let back = app
        .control(Method::POST, "/mock/identities", Some(record))
        .await;
    assert_eq!(back.status, 201, "{}", back.body);
    // Nothing was stored or answered.
    let list = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(list.body["scenarios"], json!([]));
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
    app.control(Method::POST, "/mock/reset", None).await;
    refused
}

/// A scenario file with `claims` does not start.
fn file_refuses(claims: &serde_json::Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenarios.json");
    let script = json!({"scenarios": [{"always": {"action": "approve", "claims": claims}}]});
    std::fs::write(&path, script.to_string()).unwrap();
    let mut settings = psc_mock::config::Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.control.scenarios_file = Some(path);
    let err = psc_mock::Application::build(settings)
        .err()
        .expect("refused");
    err.to_string()
}

#[tokio::test]
async fn claims_the_mock_relies_on_to_verify_its_tokens_are_refused_everywhere() {
    let app = spawn_app().await;
    for name in [
        "iss", "aud", "azp", "exp", "iat", "sub", "typ", "sid", "jti", "clientId", "cnf", "scope",
    ] {
        for why in refusals(&app, json!({ name: "x" })).await {
            assert!(
                why.contains(&format!("may not set \"{name}\"")) && why.contains("rely on"),
                "{name}: {why}"
            );
        }
    }
    let why = file_refuses(&json!({"clientId": "psc-mock-client"}));
    assert!(
        why.contains("scenarios[0]") && why.contains("clientId"),
        "{why}"
    );
}

#[tokio::test]
async fn psc_claims_of_the_wrong_json_type_are_refused_everywhere() {
    let app = spawn_app().await;
    for (claims, name, expected) in [
        (
            json!({"authMode": 123}),
            "authMode",
            "one of [\"MOBILE\", \"CARD\"]",
        ),
        (json!({"authMode": "FAX"}), "authMode", "one of"),
        (json!({"otherIds": "x"}), "otherIds", "an array of"),
        (
            json!({"otherIds": [{"identifiant": 8, "origine": "RPPS", "qualite": 1}]}),
            "otherIds",
            "an array of",
        ),
        (json!({"acr": 2}), "acr", "a string"),
        (
            json!({"SubjectRole": "10"}),
            "SubjectRole",
            "an array of strings",
        ),
        (
            json!({"email_verified": "yes"}),
            "email_verified",
            "true or false",
        ),
    ] {
        for why in refusals(&app, claims.clone()).await {
            assert!(
                why.contains(&format!("claims.{name} must be {expected}")),
                "{claims}: {why}"
            );
        }
    }
    let why = file_refuses(&json!({"otherIds": "x"}));
    assert!(why.contains("claims.otherIds"), "{why}");
}

#[tokio::test]
async fn claims_that_are_the_professionals_idnat_follow_the_professional_not_claims() {
    let app = spawn_app().await;
    for name in ["preferred_username", "SubjectNameID"] {
        // Even the professional's own value: `as` says who the tokens are for.
        for value in [OTHER, PRO] {
            for why in refusals(&app, json!({ name: value })).await {
                assert!(
                    why.contains(&format!("may not set \"{name}\"")) && why.contains("idNat"),
                    "{name}: {why}"
                );
            }
        }
    }
    let why = file_refuses(&json!({"preferred_username": OTHER}));
    assert!(why.contains("preferred_username"), "{why}");
}

#[tokio::test]
async fn tokens_with_accepted_extra_claims_are_accepted_at_userinfo_and_introspection() {
    let app = spawn_app().await;
    let claims = json!({
        "acr": "eidas2",
        "authMode": "CARD",
        "otherIds": [{"identifiant": "10000001234", "origine": "ADELI", "qualite": 0}],
        "x-test-case": {"n": 42}
    });
    let id = bc(&app, Who::Client, &[("login_hint", PRO)]).await;
    let approved = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/approve"),
            Some(json!({"claims": claims})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let tokens = app.poll(&id).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let access = tokens.body["access_token"].as_str().unwrap();
    let info = app.userinfo(Who::Client, access).await;
    assert_eq!(info.status, 200, "{}", info.body);
    let introspected = app
        .post_form(
            Who::Client,
            crate::helpers::paths::INTROSPECT,
            &[("token", access)],
        )
        .await;
    assert_eq!(introspected.status, 200, "{}", introspected.body);
    assert_eq!(introspected.body["active"], true, "{}", introspected.body);
    assert!(introspected.body["sub"].is_string());
    assert_eq!(introspected.body["sub"], info.body["sub"]);
    for (name, value) in claims.as_object().unwrap() {
        assert_eq!(&info.body[name], value, "userinfo {name}");
        assert_eq!(&payload(access)[name], value, "access token {name}");
    }
    // The identity stays the professional's.
    assert_eq!(info.body["SubjectNameID"], PRO);
    assert_eq!(info.body["preferred_username"], PRO);
}
