//! The e-CPS simulator page (`/mock/ui`) and the history it shows
//! (`/mock/ciba/recent`). The page's script is exercised in a real browser
//! by `browser.rs`.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{CLIENT_ID, PRO, spawn_app};

/// The `nonce-…` source of a Content-Security-Policy's `script-src`.
fn script_nonce(csp: &str) -> &str {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("script-src "))
        .and_then(|sources| sources.strip_prefix("'nonce-"))
        .and_then(|rest| rest.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no script nonce in {csp}"))
}

#[tokio::test]
async fn the_page_is_html_with_a_strict_policy_and_stable_ids() {
    let app = spawn_app().await;
    let page = app.control(Method::GET, "/mock/ui", None).await;
    assert_eq!(page.status, 200);
    let header = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(header("cache-control"), "no-store");
    let csp = header("content-security-policy");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = script_nonce(&csp);
    assert!(nonce.len() >= 32, "{nonce}");
    assert!(csp.contains(&format!("style-src 'nonce-{nonce}'")), "{csp}");

    let html = page.body.as_str().expect("an HTML body");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("lang=\"fr\""));
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(html.contains(&format!("<style nonce=\"{nonce}\">")));
    assert!(!html.contains("{{nonce}}"));
    for id in [
        "id=\"status\"",
        "id=\"pending\"",
        "id=\"recent\"",
        "id=\"identities\"",
        "aria-live=\"polite\"",
        "Demandes récentes",
    ] {
        assert!(html.contains(id), "{id}");
    }
    for hook in ["\"approve\"", "\"deny\"", "data-auth-req-id", "Bearer "] {
        assert!(html.contains(hook), "the script lacks {hook}");
    }

    // A fresh nonce on every response.
    let again = app.control(Method::GET, "/mock/ui", None).await;
    let csp_again = again.headers["content-security-policy"].to_str().unwrap();
    assert_ne!(script_nonce(csp_again), nonce);

    let post = app.control(Method::POST, "/mock/ui", None).await;
    post.assert_error(405, "invalid_request");
}

fn outcomes(recent: &Value) -> Vec<(String, String)> {
    recent
        .as_array()
        .expect("an array")
        .iter()
        .map(|f| {
            (
                f["auth_req_id"].as_str().unwrap_or_default().to_owned(),
                f["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn recent_lists_redeemed_denied_and_expired_requests_newest_first() {
    let app = spawn_app().await;
    let empty = app.control(Method::GET, "/mock/ciba/recent", None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body, Value::Array(vec![]));

    let redeemed = app.start_ciba(PRO).await;
    let denied = app.start_ciba(PRO).await;
    let pending = app.start_ciba(PRO).await;
    app.approve(&redeemed).await;
    let tokens = app.poll(&redeemed).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    app.clock.advance(Duration::from_secs(1));
    let deny = app
        .control(
            Method::POST,
            &format!("/mock/ciba/requests/{denied}/deny"),
            None,
        )
        .await;
    assert_eq!(deny.status, 200);

    // Redeemed and denied: listed at once, with the request's details.
    let recent = app.control(Method::GET, "/mock/ciba/recent", None).await;
    assert_eq!(
        outcomes(&recent.body),
        [
            (denied.clone(), "denied".into()),
            (redeemed.clone(), "redeemed".into())
        ]
    );
    let entry = &recent.body[1];
    assert_eq!(entry["client_id"], CLIENT_ID);
    assert_eq!(entry["login_hint"], PRO);
    assert_eq!(entry["binding_message"], "42");
    assert_eq!(entry["channel"], "MOBILE");
    assert_eq!(entry["professional"], "ANTOINE BRESSOLIER");
    let finished_at = entry["finished_at"].as_u64().expect("unix seconds");
    let listed = app
        .control(Method::GET, "/mock/ciba/requests?status=pending", None)
        .await;
    let created_at = listed.body[0]["created_at"].as_u64().unwrap();
    assert!(
        finished_at.abs_diff(created_at) <= 1,
        "{finished_at} {created_at}"
    );
    assert_eq!(listed.body[0]["expires_in"], 119);

    // Expired, and still listed once purged (keep_finished, 300 s past expiry).
    app.clock.advance(Duration::from_secs(120 + 300));
    let recent = app.control(Method::GET, "/mock/ciba/recent", None).await;
    assert_eq!(
        outcomes(&recent.body),
        [
            (pending, "expired".into()),
            (denied, "denied".into()),
            (redeemed, "redeemed".into()),
        ]
    );
    assert_eq!(
        recent.body[1]["finished_at"].as_u64(),
        Some(finished_at + 1),
        "a refusal ends when it is made"
    );

    let reset = app.control(Method::POST, "/mock/reset", None).await;
    assert_eq!(reset.status, 204);
    let recent = app.control(Method::GET, "/mock/ciba/recent", None).await;
    assert_eq!(recent.body, Value::Array(vec![]));
}
