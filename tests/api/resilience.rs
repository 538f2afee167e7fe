//! Faults from the outside: garbage and abandoned TLS handshakes, slow
//! clients, a flood that fills the request store, and a graceful shutdown
//! that finishes the requests in flight. Bounded in count and time, on
//! loopback only.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::helpers::{PRO, TestApp, Who, client, spawn_app, spawn_app_with};

fn addr(app: &TestApp) -> String {
    app.base
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .to_owned()
}

/// The server still answers a normal mTLS request, well before the 10 s a
/// blocked connection would wait for its request timeout.
async fn still_serves(app: &TestApp) {
    let started = Instant::now();
    let answer = client(Who::Client)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(answer.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn garbage_and_abandoned_handshakes_do_not_disturb_the_server() {
    let app = spawn_app().await;
    // Not TLS at all.
    let mut garbage = TcpStream::connect(addr(&app)).await.unwrap();
    garbage
        .write_all(b"\x16\x03\x01\xff\xffthis is not a ClientHello\r\n\r\n")
        .await
        .unwrap();
    // A TLS record header announcing a ClientHello that never comes.
    let mut cut = TcpStream::connect(addr(&app)).await.unwrap();
    cut.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
        .await
        .unwrap();
    drop(cut);
    // An HTTP request on the TLS port.
    let mut plain = TcpStream::connect(addr(&app)).await.unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    still_serves(&app).await;
    drop((garbage, plain));
    still_serves(&app).await;
}

#[tokio::test]
async fn idle_and_slow_clients_do_not_block_others() {
    let app = spawn_app().await;
    // 100 connections that never finish their handshake, and 20 that send
    // a ClientHello's first bytes one at a time.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(&[0x16]).await.unwrap();
        slow.push(s);
    }
    for _ in 0..3 {
        for s in &mut slow {
            let _ = s.write_all(&[0x03]).await;
        }
        still_serves(&app).await;
    }
    drop((idle, slow));
}

#[tokio::test]
async fn slow_plain_http_clients_do_not_block_others() {
    let app = spawn_app_with(|s| s.server.tls = false).await;
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(addr(&app)).await.unwrap();
        s.write_all(b"POST /auth/realms/esante-wallet/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    for _ in 0..3 {
        for s in &mut slow {
            let _ = s.write_all(b"X-Slow: 1\r\n").await;
        }
        let started = Instant::now();
        let answer = reqwest::Client::new()
            .get(format!(
                "{}/auth/realms/esante-wallet/.well-known/openid-configuration",
                app.base
            ))
            .send()
            .await
            .expect("answers");
        assert_eq!(answer.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    drop(slow);
}

#[tokio::test]
async fn a_flood_that_fills_the_store_is_refused_clearly_and_others_carry_on() {
    let app = spawn_app_with(|s| s.ciba.max_requests = 40).await;
    let first = app.start_ciba(PRO).await;
    let mut refused = 0;
    let mut accepted = 1;
    let answers = futures_util::future::join_all((0..60).map(|_| app.bc_authorize(PRO))).await;
    for answer in answers {
        match answer.status.as_u16() {
            200 => accepted += 1,
            _ => {
                let why = answer.assert_error(503, "temporarily_unavailable");
                assert!(
                    why.contains("too many CIBA requests in progress (40)"),
                    "{why}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((accepted, refused), (40, 21));
    // Requests already in the store go on; other endpoints are unaffected.
    app.approve(&first).await;
    assert_eq!(app.poll(&first).await.status, 200);
    still_serves(&app).await;
    let listed = app
        .control(Method::GET, "/mock/ciba/requests?status=pending", None)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 39);
}

/// SIGTERM while a request is in flight (held 1.5 s by a latency fault):
/// the request is answered, then the process exits cleanly.
#[tokio::test]
async fn sigterm_finishes_the_requests_in_flight_then_exits() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut server, banner) =
        crate::binary::start(&["--bind", "127.0.0.1:0", "--workers", "1"], repo).await;
    let issuer = crate::binary::field(&banner, "issuer").to_owned();
    let base = issuer
        .trim_end_matches("/auth/realms/esante-wallet")
        .to_owned();
    let http = client(Who::Nobody);
    let created = http
        .post(format!("{base}/mock/faults"))
        .json(&json!({"endpoint": "jwks", "fault": {"type": "latency", "ms": 1500}, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let in_flight = tokio::spawn({
        let http = http.clone();
        let url = format!("{issuer}/protocol/openid-connect/certs");
        async move { http.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    // Ready when the request is held: its fault, good for one request, is
    // used up (it goes when picked, before the delay).
    let faults = format!("{base}/mock/faults");
    let held = async {
        loop {
            let list: serde_json::Value = http
                .get(&faults)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if list.as_array().is_some_and(Vec::is_empty) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("the request reaches the server");
    let pid = server.id().expect("a running server").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());

    let answered = tokio::time::timeout(Duration::from_secs(10), in_flight)
        .await
        .expect("the request finishes")
        .unwrap();
    assert_eq!(answered.expect("answered, not cut"), 200);
    let exit = tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("the server exits")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
