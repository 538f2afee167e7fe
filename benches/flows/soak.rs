//! The soak run, `cargo bench --bench flows -- soak`: a fresh server takes
//! `SOAK_REQUESTS` (default 1 000 000) requests from `SOAK_CONCURRENCY`
//! (default 64) tasks, each with its own keep-alive mTLS connection, in a
//! fixed mix: per ten units of work, four CIBA logins, three code-flow
//! logins (four requests each) and three bad requests, one of each kind
//! in turn:
//!
//! | bad request | expected answer |
//! |---|---|
//! | token with a wrong secret | 401 `unauthorized_client` (Keycloak's) |
//! | bc-authorize without `login_hint` | 400 `invalid_request` |
//! | bc-authorize for an unknown idNat | 400 `invalid_request` |
//! | token with an unknown `auth_req_id` | 400 `invalid_grant` |
//! | userinfo with a forged bearer token | 401 `invalid_token` (in `WWW-Authenticate`) |
//! | the client's credentials over another client's certificate | 401 `invalid_client` |
//!
//! It prints the server's `VmRSS` every twentieth of the requests (the
//! curve), the latency of single requests (p50, p99, p99.9, max) and any
//! unexpected answer. It fails if any answer was unexpected, if a request
//! took longer than [`BOUND_MS`], or if memory kept growing once the
//! stores are full (judged from [`JUDGED_AFTER_FLOWS`] logins on).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use reqwest::Client;

use crate::flow::{
    CIBA_GRANT, CLIENT_SECRET, Kind, Steps, Target, Timings, flow, make_client, make_client_as,
};
use crate::load::{ErrorLog, RunStats, lock};
use crate::server::{Server, rss_mib};
use crate::{BenchResult, CLIENT_ID, LOGIN_HINT};

/// No single request may take longer than this.
pub const BOUND_MS: f64 = 1_000.0;
/// Memory is judged flat from here on, once every store is full: the
/// sessions (10 000) fill after 10 000 logins, the codes kept for replay
/// detection (10 000, till the store is full) after 10 000 code-flow
/// logins, three in seven of the mix, so about 23 000 logins; twice that.
const JUDGED_AFTER_FLOWS: u64 = 50_000;
const FLAT_TOLERANCE: f64 = 0.10;
const SAMPLES: u64 = 20;

#[derive(Clone, Copy)]
enum Unit {
    Login(Kind),
    Bad,
}

const MIX: [Unit; 10] = [
    Unit::Login(Kind::Ciba),
    Unit::Login(Kind::Code),
    Unit::Bad,
    Unit::Login(Kind::Ciba),
    Unit::Login(Kind::Code),
    Unit::Bad,
    Unit::Login(Kind::Ciba),
    Unit::Login(Kind::Code),
    Unit::Bad,
    Unit::Login(Kind::Ciba),
];
const BAD_KINDS: u64 = 6;

impl Unit {
    fn requests(self) -> u64 {
        match self {
            Self::Login(_) => Kind::REQUESTS,
            Self::Bad => 1,
        }
    }
}

/// Counters shared by the tasks.
#[derive(Default)]
struct Progress {
    /// Requests handed out to tasks (the run stops at the total).
    issued: AtomicU64,
    /// Requests whose unit is over.
    done: AtomicU64,
    flows: AtomicU64,
    bad: AtomicU64,
}

/// Runs the soak and prints its report; `Ok(false)` if it failed.
pub async fn run(total: u64, concurrency: usize) -> BenchResult<bool> {
    let server = Server::start().await?;
    let target = Arc::new(Target::new(&server.base));
    let idle = rss_mib(server.pid)?;
    println!(
        "  server at {}, VmRSS {idle:.1} MiB before the run",
        server.base
    );
    let progress = Arc::new(Progress::default());
    let timings = Arc::new(Timings::default());
    let errors = ErrorLog::new("soak".into());
    let samples = Arc::new(std::sync::Mutex::new(vec![(0u64, 0u64, idle)]));
    let step = (total / SAMPLES).max(1);
    let start = Instant::now();

    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let client = make_client()?;
        let other = make_client_as("client-2")?;
        let (target, progress, timings, errors, samples) = (
            target.clone(),
            progress.clone(),
            timings.clone(),
            errors.clone(),
            samples.clone(),
        );
        let pid = server.pid;
        tasks.push(tokio::spawn(async move {
            let mut turn = task;
            loop {
                let unit = MIX[turn % MIX.len()];
                turn += 1;
                let n = unit.requests();
                let before = progress.issued.fetch_add(n, Ordering::Relaxed);
                if before >= total {
                    break;
                }
                let outcome = match unit {
                    Unit::Login(kind) => {
                        progress.flows.fetch_add(1, Ordering::Relaxed);
                        flow(kind, &client, &target, Some(&timings)).await
                    }
                    Unit::Bad => {
                        let which = progress.bad.fetch_add(1, Ordering::Relaxed) % BAD_KINDS;
                        bad(which, &client, &other, &target, &timings).await
                    }
                };
                if let Err(e) = outcome {
                    errors.record(&e);
                }
                let done = progress.done.fetch_add(n, Ordering::Relaxed) + n;
                if done / step > (done - n) / step {
                    let flows = progress.flows.load(Ordering::Relaxed);
                    match rss_mib(pid) {
                        Ok(mib) => lock(&samples).push((done, flows, mib)),
                        Err(e) => errors.record(&e),
                    }
                }
            }
        }));
    }
    for task in tasks {
        if let Err(e) = task.await {
            errors.record(&format!("a soak task failed: {e}"));
        }
    }
    let elapsed = start.elapsed();
    let stats = RunStats::new(timings.take(), elapsed);
    let final_rss = rss_mib(server.pid)?;
    let mut server = server;
    server.stop().await;

    let mut samples = std::mem::take(&mut *lock(&samples));
    samples.sort_by_key(|s| s.0);
    errors.report();
    println!("  VmRSS curve (requests done, logins done → MiB):");
    for (done, flows, mib) in &samples {
        println!("    {done:>9} requests  {flows:>8} logins → {mib:6.1} MiB");
    }
    let requests = stats.ok;
    let max_ms = stats.percentile_ms(100.0);
    println!(
        "  {requests} requests timed in {:.1} s ({:.0}/s), {} logins, {} bad requests answered as expected or not",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        progress.flows.load(Ordering::Relaxed),
        progress.bad.load(Ordering::Relaxed),
    );
    println!(
        "  request latency: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {max_ms:.1} ms",
        stats.percentile_ms(50.0),
        stats.percentile_ms(99.0),
        stats.percentile_ms(99.9),
    );
    println!("  final VmRSS {final_rss:.1} MiB");

    println!("\n  verdict");
    let unexpected = errors.count();
    let mut pass = true;
    pass &= verdict(
        "answers",
        format!("{unexpected} unexpected (every bad request got its expected refusal)"),
        unexpected == 0,
    );
    pass &= verdict(
        "slowest request",
        format!("{max_ms:.1} ms ≤ {BOUND_MS} ms"),
        max_ms <= BOUND_MS,
    );
    let judged: Vec<_> = samples
        .iter()
        .filter(|(_, flows, _)| *flows >= JUDGED_AFTER_FLOWS)
        .collect();
    // The stores' tables are rebuilt every few seconds, so RSS swings by a
    // few MiB: the highest of the later half of the samples is compared
    // with the highest of the earlier half, which a leak would outgrow.
    if judged.len() >= 4 {
        let (early, late) = judged.split_at(judged.len() / 2);
        let highest = |s: &[&(u64, u64, f64)]| s.iter().map(|x| x.2).fold(0.0, f64::max);
        let (early_max, late_max) = (highest(early), highest(late));
        pass &= verdict(
            "memory flat",
            format!(
                "highest {late_max:.1} MiB over the last {} samples vs {early_max:.1} MiB over the {} before, from {} logins on (+{:.0}% allowed)",
                late.len(),
                early.len(),
                judged[0].1,
                FLAT_TOLERANCE * 100.0
            ),
            late_max <= early_max * (1.0 + FLAT_TOLERANCE),
        );
    } else {
        println!(
            "  [----] {:<16} not judged: fewer than four samples after {JUDGED_AFTER_FLOWS} logins",
            "memory flat"
        );
    }
    Ok(pass)
}

fn verdict(name: &str, detail: String, pass: bool) -> bool {
    println!(
        "  [{}] {name:<16} {detail}",
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

/// One bad request of kind `which`, and the refusal it must get.
async fn bad(
    which: u64,
    client: &Client,
    other: &Client,
    target: &Target,
    timings: &Timings,
) -> BenchResult<()> {
    let on = if which == 5 { other } else { client };
    let mut steps = Steps::new(on, target);
    let ciba_auth = |c: &Client, form: &'static [(&'static str, &'static str)]| {
        c.post(&target.ciba_auth)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
    };
    match which {
        0 => {
            steps
                .refused("bad: wrong secret", 401, "unauthorized_client", |c| {
                    c.post(&target.token)
                        .basic_auth(CLIENT_ID, Some("not-the-secret"))
                        .form(&[("grant_type", CIBA_GRANT), ("auth_req_id", "x")])
                })
                .await?
        }
        1 => {
            steps
                .refused("bad: no login_hint", 400, "invalid_request", |c| {
                    ciba_auth(c, &[("scope", "openid scope_all")])
                })
                .await?
        }
        2 => {
            steps
                .refused("bad: unknown idNat", 400, "invalid_request", |c| {
                    ciba_auth(
                        c,
                        &[
                            ("scope", "openid scope_all"),
                            ("login_hint", "899700000000"),
                        ],
                    )
                })
                .await?
        }
        3 => {
            steps
                .refused("bad: unknown auth_req_id", 400, "invalid_grant", |c| {
                    c.post(&target.token)
                        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                        .form(&[
                            ("grant_type", CIBA_GRANT),
                            ("auth_req_id", "00000000-0000-4000-8000-000000000000"),
                        ])
                })
                .await?
        }
        4 => {
            steps
                .refused("bad: forged bearer", 401, "invalid_token", |c| {
                    c.get(&target.userinfo)
                        .bearer_auth("eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
                })
                .await?
        }
        _ => {
            steps
                .refused(
                    "bad: another client's certificate",
                    401,
                    "invalid_client",
                    |c| {
                        ciba_auth(
                            c,
                            &[("scope", "openid scope_all"), ("login_hint", LOGIN_HINT)],
                        )
                    },
                )
                .await?
        }
    }
    steps.finish(Some(timings));
    Ok(())
}
