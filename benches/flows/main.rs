//! End-to-end benchmark of psc-mock: what one machine gets out of the real
//! server binary, next to the RSA signing speed that bounds it.
//!
//! Run it from the repository root (a release build of the server and of this
//! program; the first build takes a few minutes):
//!
//! ```text
//! cargo bench --bench flows
//! BENCH_SECONDS=3 BENCH_FLOWS=20000 cargo bench --bench flows   # quicker
//! ```
//!
//! - `BENCH_SECONDS` (default 10): length of each throughput run, after a
//!   1 s warm-up.
//! - `BENCH_FLOWS` (default 100000): flows of the memory run.
//!
//! `cargo bench --bench flows -- soak` runs the soak instead (see
//! `soak.rs`): `SOAK_REQUESTS` (default 1 000 000) mixed requests at
//! `SOAK_CONCURRENCY` (default 64), with the memory curve and the slowest
//! request.
//!
//! In one run it prints:
//!
//! 1. **Signing speed**, one thread: RSA-2048 PKCS#1 v1.5 SHA-256 signatures
//!    per second with a bare aws-lc-rs `RsaKeyPair` (`keys/signing-key.pem`,
//!    parsed once, signing a 600-byte message), and with psc-mock's own
//!    `SigningKey::sign` of realistic access-token claims (serialisation,
//!    base64url and signature); each for 2 s in four rounds, keeping the
//!    best round (the least disturbed by other work on the machine). The
//!    server signs two RS256 tokens per flow (access and ID token; the
//!    refresh token is HS512), so one core can issue at most sig/s ÷ 2
//!    flows/s; the throughput target is half of that.
//! 2. **Start-up time**: from spawning `psc-mock --bind 127.0.0.1:0`
//!    (`RUST_LOG=warn`) to reading its `ready:` line on stdout; 5 runs,
//!    minimum and median.
//! 3. **Idle RSS**: `VmRSS` of a fresh server 1 s after it is ready.
//! 4. **Throughput**: against that same server, complete CIBA logins, then
//!    complete code-flow logins, at concurrency 1, 16 and 64, each for
//!    `BENCH_SECONDS`: flows/s, p50 and p99 latency of a whole flow,
//!    errors, the peak `VmRSS` during the run (the loaded RSS) and the
//!    ratio of the tokens signed to the signing ceiling of section 1. Each
//!    concurrent task has its own HTTP client (so up to 64 keep-alive mTLS
//!    connections). A flow is what a service and a professional do, over
//!    HTTPS with the client certificate of `keys/`:
//!    - CIBA: `POST …/ext/ciba/auth` (Basic auth), `POST
//!      /mock/ciba/requests/{auth_req_id}/approve` (the professional),
//!      `POST …/token` with the CIBA grant, `GET …/userinfo`;
//!    - code flow: `GET …/auth` (the login page), `POST …/auth/login` (the
//!      professional's choice, redirected with the code), `POST …/token`
//!      with the code, `GET …/userinfo`.
//!
//!    Every step must answer 200; anything else is an error, counted and
//!    printed (the first few of each run), and makes the program exit with
//!    a failure status once the report is printed.
//! 5. **Server CPU per flow**: on the same server, after a 1 s warm-up, a
//!    fixed batch of 5 000 CIBA logins at concurrency 16, then 5 000
//!    code-flow logins; the server's user + system CPU time over each batch
//!    (`/proc/PID/stat`, before and after) divided by its flows, and its
//!    ratio to the **two-signature floor**: the time of two RSA-2048
//!    signatures at the aws-lc-rs rate of section 1, for the access and ID
//!    tokens each flow signs with RS256 (the refresh token is HS512, a
//!    negligible cost).
//! 6. **Memory after many flows**: `BENCH_FLOWS` more flows at concurrency 16
//!    on the same server, sampling `VmRSS` every tenth of them; the curve is
//!    "flat" when the last sample is within 10% of the first.
//! 7. **Binary size** of the server executable.
//! 8. **Annuaire**: start-up time and `VmRSS` of a server that generates
//!    `BENCH_GENERATED` (default 100 000) professionals.
//!
//! and ends with a summary table and the targets: start-up < 50 ms, idle
//! RSS < 20 MiB, flows/s at concurrency 16 ≥ half of (aws-lc-rs sig/s ÷ 2),
//! server CPU per CIBA flow ≤ 1.5 × the two-signature floor, memory flat,
//! 100 000 generated professionals ready in < 2 s.
//!
//! The load generator runs on the same machine as the server and competes
//! with it for the cores; the CPU time each side used is printed with the
//! throughput runs so the figures can be read with that in mind. Linux only
//! (memory and CPU figures come from `/proc`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "a benchmark, outside the server: it stops on a failure and measures real time"
)]

mod flow; // one CIBA login over mTLS, step by step
mod load; // sections 4 to 6: concurrent flows, latencies, CPU, errors
mod report; // the summary table and the targets
mod server; // sections 2, 7 and 8: the server process, /proc, the binary
mod signing; // section 1: the RS256 signature ceiling
mod soak; // `-- soak`: a million mixed requests, memory curve, slowest request

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use load::{CPU_FLOWS, HIGH_CONCURRENCY, Load, WARM_UP};
use report::Summary;
use server::{STARTUP_RUNS, Server, rss_mib};

const SERVER_BIN: &str = env!("CARGO_BIN_EXE_psc-mock");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

const CLIENT_ID: &str = "psc-mock-client";
/// The fixture professional every flow logs in.
const LOGIN_HINT: &str = "899700245667";

type BenchResult<T> = Result<T, String>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            println!("\nFAILED: some flows answered with errors (see above).");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every measurement and prints the report; `Ok(false)` if any flow
/// failed.
async fn run() -> BenchResult<bool> {
    if std::env::args().skip(1).any(|a| a == "soak") {
        let total = env_number(
            "SOAK_REQUESTS",
            1_000_000,
            |n: &u64| *n > 0,
            "a positive whole number",
        )?;
        let concurrency = env_number(
            "SOAK_CONCURRENCY",
            64,
            |n: &usize| (1..=1024).contains(n),
            "a whole number from 1 to 1024",
        )?;
        println!("psc-mock soak: {total} mixed requests at concurrency {concurrency}");
        return soak::run(total, concurrency).await;
    }
    let seconds = env_number(
        "BENCH_SECONDS",
        10.0,
        |s: &f64| *s > 0.0 && s.is_finite(),
        "a positive number of seconds",
    )?;
    let total_flows = env_number(
        "BENCH_FLOWS",
        100_000,
        |n: &u64| *n > 0,
        "a positive whole number",
    )?;
    let run_for = Duration::from_secs_f64(seconds);

    println!("psc-mock end-to-end benchmark");
    println!("  server binary   {SERVER_BIN}");
    println!(
        "  cores           {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  runs            {seconds} s per throughput run, {total_flows} flows for memory");

    section("1. RSA-2048 signing speed (RS256, one thread, key parsed once)");
    let ceiling = signing::measure()?;

    section(&format!(
        "2. Start-up: spawn → `ready:` line ({STARTUP_RUNS} runs)"
    ));
    let startup = server::measure_startup().await?;

    // Idle memory, on the server that then takes the load.
    section("3. Idle RSS (fresh server, 1 s after ready)");
    let mut server = Server::start().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_mib(server.pid)?;
    println!("  VmRSS {idle_rss:.1} MiB   (server at {})", server.base);

    section(&format!(
        "4. Throughput: CIBA and code-flow logins, {seconds} s per run after a {} s warm-up",
        WARM_UP.as_secs()
    ));
    let load = Load::new(&server)?;
    let throughput = load.throughput(run_for).await?;

    section(&format!(
        "5. Server CPU per flow: {CPU_FLOWS} flows of each kind at concurrency {HIGH_CONCURRENCY}, after a {} s warm-up",
        WARM_UP.as_secs()
    ));
    println!(
        "  floor: 2 RS256 signatures (access + ID token) at {:.0} sig/s = {:.3} ms",
        ceiling.raw, ceiling.floor_ms
    );
    let cpu = load.cpu_per_flow(ceiling.floor_ms).await?;

    section(&format!(
        "6. Memory: {total_flows} flows at concurrency {HIGH_CONCURRENCY}, VmRSS every {}",
        load::sample_every(total_flows)
    ));
    let memory = load.memory(total_flows).await?;
    server.stop().await;

    section("7. Server binary");
    let binary_mib = server::binary_size_mib()?;

    let generated_count = env_number(
        "BENCH_GENERATED",
        100_000,
        |n: &usize| *n > 0,
        "a positive count",
    )?;
    section(&format!(
        "8. Annuaire: start with {generated_count} generated professionals (BENCH_GENERATED)"
    ));
    let generated = server::measure_generated(generated_count).await?;

    let summary = Summary {
        ceiling,
        startup,
        idle_rss,
        throughput,
        cpu,
        total_flows,
        memory,
        binary_mib,
        generated,
    };
    summary.print();
    Ok(summary.all_flows_ok())
}

/// A file of the repository (keys, mostly).
fn repo_path(relative: &str) -> PathBuf {
    Path::new(REPO).join(relative)
}

/// The variable `name` parsed and `valid`, or `default` if it is not set.
fn env_number<T: FromStr>(
    name: &str,
    default: T,
    valid: fn(&T) -> bool,
    expected: &str,
) -> BenchResult<T> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(valid)
            .ok_or_else(|| format!("{name}={v:?}: expected {expected}")),
        Err(_) => Ok(default),
    }
}

fn section(title: &str) {
    println!("\n{title}");
}
