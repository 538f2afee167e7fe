//! The psc-mock process under test, seen from outside: spawning the real
//! binary and waiting for its `ready:` line (section 2, start-up; section
//! 8, with generated professionals), what Linux's `/proc` says about its
//! memory and CPU, and the size of the executable (section 7).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{BenchResult, REPO, SERVER_BIN};

pub const STARTUP_RUNS: usize = 5;
const MIB: f64 = 1024.0 * 1024.0;
/// `/proc/PID/stat` counts CPU time in USER_HZ ticks, 100 per second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// A psc-mock process started for the benchmark.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `https://127.0.0.1:PORT`
    pub base: String,
    /// From spawn to the `ready:` line.
    startup: Duration,
}

impl Server {
    /// Spawns the binary on a free port and waits for its `ready:` line.
    pub async fn start() -> BenchResult<Self> {
        Self::start_with(&[]).await
    }

    /// The same, with extra command-line arguments.
    pub async fn start_with(extra: &[&str]) -> BenchResult<Self> {
        let started = Instant::now();
        let mut child = Command::new(SERVER_BIN)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .current_dir(REPO)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {SERVER_BIN}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = async {
            while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
                if let Some(base) = line.strip_prefix("ready: listening on ") {
                    return Ok(base.trim().to_owned());
                }
            }
            Err("the server exited before printing `ready:`".to_owned())
        };
        let base = tokio::time::timeout(Duration::from_secs(20), ready)
            .await
            .map_err(|_| "no `ready:` line within 20 s".to_owned())??;
        let startup = started.elapsed();
        // Keep reading so that the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let pid = child.id().ok_or("the server has already exited")?;
        Ok(Self {
            child,
            pid,
            base,
            startup,
        })
    }

    pub async fn stop(&mut self) {
        if let Err(e) = self.child.kill().await {
            eprintln!("could not stop the server (pid {}): {e}", self.pid);
        }
    }
}

/// Start-up times in milliseconds.
pub struct Startup {
    pub min: f64,
    pub median: f64,
}

/// Section 2: starts and stops [`STARTUP_RUNS`] servers, timing each.
pub async fn measure_startup() -> BenchResult<Startup> {
    let mut startups = Vec::with_capacity(STARTUP_RUNS);
    for run in 1..=STARTUP_RUNS {
        let mut server = Server::start().await?;
        let ms = server.startup.as_secs_f64() * 1000.0;
        println!("  run {run}: {ms:6.1} ms");
        startups.push(ms);
        server.stop().await;
    }
    startups.sort_by(f64::total_cmp);
    let startup = Startup {
        min: startups[0],
        median: median(&startups),
    };
    println!(
        "  min {:.1} ms, median {:.1} ms",
        startup.min, startup.median
    );
    Ok(startup)
}

/// Median of sorted values.
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Start-up with generated professionals: time to `ready:` and RSS then.
pub struct Generated {
    pub count: usize,
    pub startup_ms: f64,
    pub rss_mib: f64,
}

/// Section 8: a server that generates and loads `count` professionals.
pub async fn measure_generated(count: usize) -> BenchResult<Generated> {
    let count_arg = count.to_string();
    let mut server = Server::start_with(&["--generated", &count_arg, "--seed", "1"]).await?;
    let generated = Generated {
        count,
        startup_ms: server.startup.as_secs_f64() * 1000.0,
        rss_mib: rss_mib(server.pid)?,
    };
    server.stop().await;
    println!(
        "  {count} generated professionals: ready in {:.0} ms, VmRSS {:.1} MiB",
        generated.startup_ms, generated.rss_mib
    );
    Ok(generated)
}

/// Section 7: the size of the server executable, in MiB.
pub fn binary_size_mib() -> BenchResult<f64> {
    let size_mib = std::fs::metadata(SERVER_BIN)
        .map_err(|e| format!("{SERVER_BIN}: {e}"))?
        .len() as f64
        / MIB;
    println!("  {size_mib:.1} MiB");
    Ok(size_mib)
}

// ---------------------------------------------------------------- /proc

fn read_proc(path: &str) -> BenchResult<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

/// `VmRSS` of a process, in MiB.
pub fn rss_mib(pid: u32) -> BenchResult<f64> {
    let path = format!("/proc/{pid}/status");
    let kib: f64 = read_proc(&path)?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("{path}: no VmRSS line"))?;
    Ok(kib * 1024.0 / MIB)
}

/// User + system CPU seconds a process has used (`/proc/PID/stat`).
fn cpu_seconds(pid: &str) -> BenchResult<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = read_proc(&path)?;
    // Fields after the command name, which is in parentheses and may
    // contain spaces: state is field 3, utime 14, stime 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| format!("{path}: unexpected format"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> BenchResult<f64> {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .ok_or_else(|| format!("{path}: no field {}", i + 3))
    };
    Ok((ticks(11)? + ticks(12)?) / TICKS_PER_SECOND)
}

/// CPU used by the server and by this program over a run.
pub struct CpuMeter {
    server: String,
    server_start: f64,
    own_start: f64,
}

pub struct CpuUse {
    pub server_seconds: f64,
    /// CPU seconds per wall-clock second (1.0 = one core busy).
    pub server_share: f64,
    pub own_share: f64,
}

impl CpuMeter {
    pub fn start(server_pid: u32) -> BenchResult<Self> {
        let server = server_pid.to_string();
        Ok(Self {
            server_start: cpu_seconds(&server)?,
            own_start: cpu_seconds("self")?,
            server,
        })
    }

    pub fn stop(self, wall: Duration) -> BenchResult<CpuUse> {
        let server_seconds = cpu_seconds(&self.server)? - self.server_start;
        let own_seconds = cpu_seconds("self")? - self.own_start;
        let wall = wall.as_secs_f64();
        Ok(CpuUse {
            server_seconds,
            server_share: server_seconds / wall,
            own_share: own_seconds / wall,
        })
    }
}
