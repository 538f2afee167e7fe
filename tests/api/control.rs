//! The /mock control API.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Answer, PRO, spawn_app, spawn_app_with};

#[tokio::test]
async fn requests_are_listed_with_their_status_and_can_be_filtered() {
    let app = spawn_app().await;
    let first = app.start_ciba(PRO).await;
    let second = app.start_ciba("899700771191").await;
    app.approve(&first).await;

    let all = app.control(Method::GET, "/mock/ciba/requests", None).await;
    let list = all.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let entry = list.iter().find(|r| r["auth_req_id"] == first).unwrap();
    assert_eq!(entry["status"], "approved");
    assert_eq!(entry["client_id"], "psc-mock-client");
    assert_eq!(entry["login_hint"], PRO);
    assert_eq!(entry["binding_message"], "42");
    assert_eq!(entry["channel"], "MOBILE");
    assert_eq!(entry["scope"], "openid scope_all");

    let pending = app
        .control(Method::GET, "/mock/ciba/requests?status=pending", None)
        .await;
    let pending = pending.body.as_array().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["auth_req_id"], second);

    let one = app
        .control(Method::GET, &format!("/mock/ciba/requests/{second}"), None)
        .await;
    assert_eq!(one.body["login_hint"], "899700771191");

    let bad = app
        .control(Method::GET, "/mock/ciba/requests?status=maybe", None)
        .await;
    assert!(bad.assert_error(400, "invalid_request").contains("maybe"));
}

#[tokio::test]
async fn answering_an_unknown_or_finished_request_is_a_clear_error() {
    let app = spawn_app().await;
    let missing = app.approve("nope").await;
    assert!(missing.assert_error(404, "not_found").contains("\"nope\""));
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    let again = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/deny"),
            None,
        )
        .await;
    assert!(again.assert_error(409, "conflict").contains("Approved"));
    let verb = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{id}/maybe"),
            None,
        )
        .await;
    assert!(
        verb.assert_error(404, "not_found")
            .contains("approve, deny or expire")
    );
}

#[tokio::test]
async fn scenarios_are_listed_validated_and_reset() {
    let app = spawn_app().await;
    let path = format!("/mock/scenarios/{PRO}");
    let bad = app
        .control(Method::PUT, &path, Some(json!({"action": "perhaps"})))
        .await;
    assert!(bad.assert_error(400, "invalid_request").contains("perhaps"));
    let extra = app
        .control(
            Method::PUT,
            &path,
            Some(json!({"action": "deny", "afterms": 1})),
        )
        .await;
    assert!(
        extra
            .assert_error(400, "invalid_request")
            .contains("afterms")
    );

    app.control(
        Method::PUT,
        &path,
        Some(json!({"action": "deny", "after_ms": 10})),
    )
    .await;
    let list = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(list.body["default"]["action"], "never");
    assert_eq!(list.body["scenarios"][0]["id"], PRO);
    assert_eq!(list.body["scenarios"][0]["match"]["login_hint"], PRO);
    assert_eq!(list.body["scenarios"][0]["always"]["action"], "deny");

    app.start_ciba(PRO).await;
    assert_eq!(
        app.control(Method::POST, "/mock/reset", None).await.status,
        204
    );
    let after = app.control(Method::GET, "/mock/scenarios", None).await;
    assert_eq!(after.body["scenarios"], json!([]));
    let requests = app.control(Method::GET, "/mock/ciba/requests", None).await;
    assert_eq!(requests.body, json!([]));
    let gone = app.control(Method::DELETE, &path, None).await;
    gone.assert_error(404, "not_found");
}

#[tokio::test]
async fn out_of_range_values_and_unknown_query_parameters_are_named() {
    let app = spawn_app().await;
    let late = app
        .control(
            Method::PUT,
            &format!("/mock/scenarios/{PRO}"),
            Some(json!({"action": "approve", "after_ms": u64::MAX})),
        )
        .await;
    assert!(
        late.assert_error(400, "invalid_request")
            .contains("after_ms")
    );
    let far = app
        .control(
            Method::POST,
            "/mock/clock/advance",
            Some(json!({"seconds": u64::MAX})),
        )
        .await;
    assert!(
        far.assert_error(400, "invalid_request")
            .contains("ten years")
    );
    let query = app
        .control(Method::GET, "/mock/ciba/requests?bogus=1", None)
        .await;
    assert!(query.assert_error(400, "invalid_request").contains("bogus"));
    // Nothing changed: the flow still works.
    let id = app.start_ciba(PRO).await;
    app.approve(&id).await;
    assert_eq!(app.poll(&id).await.status, 200);
}

#[tokio::test]
async fn identities_list_the_fixture_professionals() {
    let app = spawn_app().await;
    let list = app.control(Method::GET, "/mock/identities", None).await;
    let ids: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["idNat"].clone())
        .collect();
    for id in [
        "899700245667",
        "899700218896",
        "899700366240",
        "899700427885",
        "899700771191",
    ] {
        assert!(ids.contains(&json!(id)), "{id}");
    }
}

#[tokio::test]
async fn the_clock_can_be_moved_forward_to_expire_requests() {
    let app = spawn_app().await;
    let id = app.start_ciba(PRO).await;
    let moved = app
        .control(
            Method::POST,
            "/mock/clock/advance",
            Some(json!({"seconds": 121})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    app.poll(&id).await.assert_error(400, "expired_token");
    // And finished requests are purged once kept long enough.
    app.clock.advance(Duration::from_secs(301));
    let health = app.control(Method::GET, "/mock/health", None).await;
    assert_eq!(health.body["status"], "ok");
}

#[tokio::test]
async fn a_control_token_protects_the_control_plane_but_not_health() {
    let app = spawn_app_with(|s| s.control.token = "s3cret".into()).await;
    let http = crate::helpers::client(crate::helpers::Who::Nobody);
    let scenarios = format!("{}/mock/scenarios", app.base);

    let none = Answer::from(http.get(&scenarios).send().await.unwrap()).await;
    let why = none.assert_error(401, "invalid_token");
    assert!(why.contains("Authorization: Bearer"), "{why}");
    assert_eq!(
        none.headers["www-authenticate"],
        "Bearer realm=\"psc-mock-control\""
    );
    let wrong = Answer::from(
        http.get(&scenarios)
            .bearer_auth("guess")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        wrong
            .assert_error(401, "invalid_token")
            .contains("not the one")
    );
    let right = http
        .get(&scenarios)
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);

    let health = http
        .get(format!("{}/mock/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "health checks need no token");
    // The protocol endpoints are not concerned.
    assert_eq!(app.bc_authorize(PRO).await.status, 200);
    // An approval without the token changes nothing.
    let id = app.start_ciba(PRO).await;
    let refused = app.approve(&id).await;
    refused.assert_error(401, "invalid_token");
    app.poll(&id)
        .await
        .assert_error(400, "authorization_pending");
}

#[tokio::test]
async fn the_control_plane_can_move_to_its_own_listener() {
    let mut settings = psc_mock::config::Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.workers = 1;
    settings.control.bind = Some("127.0.0.1:0".parse().unwrap());
    let app = psc_mock::Application::build(settings).expect("builds");
    let port = app.control_port().expect("a control listener");
    let control = app.control_url();
    assert_eq!(control, format!("http://127.0.0.1:{port}/mock"));
    let main = format!("https://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());

    let http = crate::helpers::client(crate::helpers::Who::Nobody);
    let moved = Answer::from(
        http.get(format!("{main}/mock/scenarios"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    moved.assert_error(404, "not_found");
    let there = reqwest::get(format!("{control}/scenarios")).await.unwrap();
    assert_eq!(there.status(), 200);
    let discovery = http
        .get(format!(
            "{main}/auth/realms/esante-wallet/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200);
    handle.stop(false).await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_control_route() {
    let app = spawn_app().await;
    let doc = app.control(Method::GET, "/mock/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/mock/health", "get"),
        ("/mock/ui", "get"),
        ("/mock/openapi.json", "get"),
        ("/mock/ciba/requests", "get"),
        ("/mock/ciba/recent", "get"),
        ("/mock/ciba/requests/{auth_req_id}", "get"),
        ("/mock/ciba/requests/{auth_req_id}/{action}", "post"),
        ("/mock/scenarios", "get"),
        ("/mock/scenarios", "post"),
        ("/mock/scenarios", "delete"),
        ("/mock/scenarios/{id}", "get"),
        ("/mock/scenarios/{id}", "put"),
        ("/mock/scenarios/{id}", "delete"),
        ("/mock/faults", "get"),
        ("/mock/faults", "post"),
        ("/mock/faults", "delete"),
        ("/mock/faults/{id}", "get"),
        ("/mock/faults/{id}", "delete"),
        ("/mock/journal", "get"),
        ("/mock/journal", "delete"),
        ("/mock/identities", "get"),
        ("/mock/identities", "post"),
        ("/mock/identities/{id_nat}", "get"),
        ("/mock/identities/{id_nat}", "delete"),
        ("/mock/clock/advance", "post"),
        ("/mock/reset", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not described"
        );
    }
    let operations: Vec<_> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap().to_owned())
        .collect();
    let unique: std::collections::HashSet<_> = operations.iter().collect();
    assert_eq!(unique.len(), operations.len(), "operationIds are unique");

    // The wire types are the schema types: a pattern is a string or
    // {"regex": …}, an answer's action one of three words.
    let schemas = &doc.body["components"]["schemas"];
    let pattern = &schemas["Pattern"]["oneOf"];
    assert_eq!(pattern[0]["type"], "string", "{pattern}");
    assert_eq!(pattern[1]["required"], json!(["regex"]), "{pattern}");
    assert_eq!(
        schemas["Decision"]["enum"],
        json!(["approve", "deny", "expire"])
    );
    let put = &paths["/mock/scenarios/{id}"]["put"]["requestBody"]["content"];
    assert_eq!(
        put["application/json"]["schema"]["$ref"],
        "#/components/schemas/ScenarioOrOutcome"
    );

    // The cross-site refusals (docs/control.md), with their JSON body.
    let responses = |path: &str, method: &str| paths[path][method]["responses"].clone();
    let reset = responses("/mock/reset", "post");
    for status in ["403", "415", "421"] {
        assert_eq!(
            reset[status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "{status}"
        );
    }
    let journal = responses("/mock/journal", "get");
    assert!(journal.get("421").is_some() && journal.get("415").is_none());
    assert!(responses("/mock/health", "get").get("421").is_none());
}
