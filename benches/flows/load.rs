//! The load runs against one server, sections 4 to 6: CIBA or code-flow
//! logins back to back from concurrent tasks, for a time (throughput, with
//! CPU use and the peak `VmRSS` under load) or for a number of flows (the
//! server's CPU time per flow; memory, sampling `VmRSS`). Collects the
//! latency of every successful flow, for the percentiles, and groups the
//! errors by message so that a failing run prints a few lines, not
//! thousands.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use reqwest::Client;

use crate::BenchResult;
use crate::flow::{Kind, Target, flow, make_client};
use crate::server::{CpuMeter, Server, rss_mib};

/// The concurrency of the memory run, and the one the target is set at.
pub const HIGH_CONCURRENCY: usize = 16;
/// The concurrencies of the throughput runs.
pub const CONCURRENCIES: [usize; 3] = [1, HIGH_CONCURRENCY, 64];
/// How often `VmRSS` is read during a throughput run.
const RSS_EVERY: Duration = Duration::from_millis(250);
pub const WARM_UP: Duration = Duration::from_secs(1);
/// Distinct error messages printed per run; the rest are only counted.
const ERRORS_SHOWN: usize = 10;
/// The memory curve is flat when its last sample is within this of the first.
const FLAT_TOLERANCE: f64 = 0.10;
/// Flows of each kind whose server CPU time section 5 divides: enough for
/// the 10 ms resolution of `/proc/PID/stat` to vanish (several seconds of
/// CPU), few enough to keep CI's short run short.
pub const CPU_FLOWS: u64 = 5_000;

/// Flows between two `VmRSS` samples of the memory run: a tenth of them.
pub fn sample_every(total_flows: u64) -> u64 {
    (total_flows / 10).max(1)
}

/// One throughput run, for the summary.
pub struct ThroughputRun {
    pub kind: Kind,
    pub concurrency: usize,
    /// The highest `VmRSS` read during the run, in MiB.
    pub peak_rss: f64,
    pub stats: RunStats,
    pub errors: u64,
    pub warm_up_errors: u64,
}

/// The server's CPU time over a batch of [`CPU_FLOWS`] flows of one kind at
/// [`HIGH_CONCURRENCY`], for the summary.
pub struct CpuCost {
    pub kind: Kind,
    /// Successful flows of the batch.
    pub flows: u64,
    /// User + system CPU seconds the server used during the batch.
    pub server_seconds: f64,
    pub errors: u64,
    pub warm_up_errors: u64,
}

impl CpuCost {
    /// Server CPU milliseconds per successful flow; NaN without any.
    pub fn ms_per_flow(&self) -> f64 {
        if self.flows == 0 {
            return f64::NAN;
        }
        self.server_seconds * 1000.0 / self.flows as f64
    }
}

/// The memory run, for the summary.
pub struct Memory {
    /// `(flows done, VmRSS in MiB)`, in order.
    samples: Vec<(u64, f64)>,
    /// `VmRSS` once the run is over, in MiB.
    pub final_rss: f64,
    pub errors: u64,
}

impl Memory {
    pub fn first_sample(&self) -> f64 {
        self.samples.first().map_or(f64::NAN, |s| s.1)
    }

    pub fn last_sample(&self) -> f64 {
        self.samples.last().map_or(f64::NAN, |s| s.1)
    }

    /// Whether the last sample is within [`FLAT_TOLERANCE`] of the first;
    /// `None` without samples.
    pub fn flat(&self) -> Option<bool> {
        match (self.samples.first(), self.samples.last()) {
            (Some((_, first)), Some((_, last))) => Some(*last <= first * (1.0 + FLAT_TOLERANCE)),
            _ => None,
        }
    }
}

/// The server under load and one HTTP client per concurrent task (so as
/// many keep-alive mTLS connections), shared by every run.
pub struct Load {
    clients: Vec<Client>,
    target: Arc<Target>,
    pid: u32,
}

impl Load {
    pub fn new(server: &Server) -> BenchResult<Self> {
        let target = Arc::new(Target::new(&server.base));
        let clients = (0..CONCURRENCIES[2])
            .map(|_| make_client())
            .collect::<BenchResult<Vec<_>>>()?;
        Ok(Self {
            clients,
            target,
            pid: server.pid,
        })
    }

    /// Section 4: for each kind of login and each of [`CONCURRENCIES`], a
    /// warm-up, then `run_for` of flows.
    pub async fn throughput(&self, run_for: Duration) -> BenchResult<Vec<ThroughputRun>> {
        let mut runs = Vec::new();
        for kind in [Kind::Ciba, Kind::Code] {
            for concurrency in CONCURRENCIES {
                runs.push(self.throughput_run(kind, concurrency, run_for).await?);
            }
        }
        let rss_after_throughput = rss_mib(self.pid)?;
        println!("  VmRSS after the throughput runs: {rss_after_throughput:.1} MiB");
        Ok(runs)
    }

    async fn throughput_run(
        &self,
        kind: Kind,
        concurrency: usize,
        run_for: Duration,
    ) -> BenchResult<ThroughputRun> {
        let clients = &self.clients[..concurrency];
        let label = format!("{} c={concurrency}", kind.name());
        let warm = ErrorLog::new(format!("warm-up {label}"));
        self.run_timed(kind, clients, WARM_UP, &warm).await;
        let errors = ErrorLog::new(format!("throughput {label}"));
        let cpu = CpuMeter::start(self.pid)?;
        let peak = PeakRss::start(self.pid);
        let stats = self.run_timed(kind, clients, run_for, &errors).await;
        let peak_rss = peak.stop().await;
        let cpu = cpu.stop(stats.elapsed)?;
        warm.report();
        errors.report();
        println!(
            "  {label:<9} {:>8.0} flows/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {} flows, {} errors, peak VmRSS {peak_rss:.1} MiB",
            stats.rate(),
            stats.percentile_ms(50.0),
            stats.percentile_ms(99.0),
            stats.ok,
            errors.count(),
        );
        println!(
            "            CPU: server {:.0}%, load generator {:.0}% (of one core); server {} ms CPU per flow",
            cpu.server_share * 100.0,
            cpu.own_share * 100.0,
            if stats.ok == 0 {
                "-".to_owned()
            } else {
                format!("{:.2}", cpu.server_seconds * 1000.0 / stats.ok as f64)
            },
        );
        Ok(ThroughputRun {
            kind,
            concurrency,
            peak_rss,
            stats,
            errors: errors.count(),
            warm_up_errors: warm.count(),
        })
    }

    /// Section 5: for each kind of login, a warm-up, then [`CPU_FLOWS`]
    /// flows at [`HIGH_CONCURRENCY`] and the server's CPU time over them
    /// (`utime + stime` of `/proc/PID/stat`, every thread, read before and
    /// after), per flow, and that next to `floor_ms`, the CPU time of the
    /// two RS256 signatures each flow needs (access and ID token).
    pub async fn cpu_per_flow(&self, floor_ms: f64) -> BenchResult<Vec<CpuCost>> {
        let mut costs = Vec::new();
        for kind in [Kind::Ciba, Kind::Code] {
            costs.push(self.cpu_run(kind, floor_ms).await?);
        }
        Ok(costs)
    }

    async fn cpu_run(&self, kind: Kind, floor_ms: f64) -> BenchResult<CpuCost> {
        let clients = &self.clients[..HIGH_CONCURRENCY];
        let label = format!("{} c={HIGH_CONCURRENCY}", kind.name());
        let warm = ErrorLog::new(format!("warm-up CPU {label}"));
        self.run_timed(kind, clients, WARM_UP, &warm).await;
        let errors = ErrorLog::new(format!("CPU {label}"));
        let cpu = CpuMeter::start(self.pid)?;
        let stats = self.run_counted(kind, CPU_FLOWS, &errors, || {}).await;
        let cpu = cpu.stop(stats.elapsed)?;
        warm.report();
        errors.report();
        let cost = CpuCost {
            kind,
            flows: stats.ok,
            server_seconds: cpu.server_seconds,
            errors: errors.count(),
            warm_up_errors: warm.count(),
        };
        println!(
            "  {label:<9} {} flows in {:.1} s ({:.0} flows/s, {} errors): server {:.2} s CPU ({:.0}% of one core), load generator {:.0}%",
            stats.ok,
            stats.elapsed.as_secs_f64(),
            stats.rate(),
            cost.errors,
            cost.server_seconds,
            cpu.server_share * 100.0,
            cpu.own_share * 100.0,
        );
        println!(
            "            {:.3} ms server CPU per flow = {:.2} × the floor",
            cost.ms_per_flow(),
            cost.ms_per_flow() / floor_ms,
        );
        Ok(cost)
    }

    /// Section 6: `total_flows` flows at [`HIGH_CONCURRENCY`], sampling the
    /// server's `VmRSS` every [`sample_every`] of them.
    pub async fn memory(&self, total_flows: u64) -> BenchResult<Memory> {
        let errors = ErrorLog::new("memory".to_owned());
        let (stats, samples) = self.run_sampled(total_flows, &errors).await;
        errors.report();
        for (done, mib) in &samples {
            println!("  {done:>9} flows → {mib:6.1} MiB");
        }
        let memory = Memory {
            samples,
            final_rss: rss_mib(self.pid)?,
            errors: errors.count(),
        };
        let flat = memory.flat();
        println!(
            "  final VmRSS {:.1} MiB; last sample {} the first ({:.1} MiB) + {:.0}%: {}",
            memory.final_rss,
            if flat == Some(true) { "≤" } else { ">" },
            memory.first_sample(),
            FLAT_TOLERANCE * 100.0,
            match flat {
                Some(true) => "flat",
                Some(false) => "GROWING",
                None => "no samples",
            }
        );
        println!(
            "  {:.0} flows/s over the run ({} ok, {} errors, {:.1} s)",
            stats.rate(),
            stats.ok,
            errors.count(),
            stats.elapsed.as_secs_f64()
        );
        Ok(memory)
    }

    /// One task per client, each running flows back to back for `duration`.
    async fn run_timed(
        &self,
        kind: Kind,
        clients: &[Client],
        duration: Duration,
        errors: &Arc<ErrorLog>,
    ) -> RunStats {
        let deadline = Instant::now() + duration;
        self.run(
            kind,
            clients,
            errors,
            move || Instant::now() < deadline,
            || {},
        )
        .await
    }

    /// `total` CIBA flows at [`HIGH_CONCURRENCY`]; the task finishing every
    /// [`sample_every`] of them samples the server's RSS. Returns the
    /// samples in order.
    async fn run_sampled(&self, total: u64, errors: &Arc<ErrorLog>) -> (RunStats, Vec<(u64, f64)>) {
        let step = sample_every(total);
        let done = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (pid, sampled, sample_errors) = (self.pid, samples.clone(), errors.clone());
        let after_flow = move || {
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            if finished.is_multiple_of(step) {
                match rss_mib(pid) {
                    Ok(mib) => lock(&sampled).push((finished, mib)),
                    Err(e) => sample_errors.record(&e),
                }
            }
        };
        let stats = self
            .run_counted(Kind::Ciba, total, errors, after_flow)
            .await;
        let mut samples = std::mem::take(&mut *lock(&samples));
        samples.sort_by_key(|s| s.0);
        (stats, samples)
    }

    /// `total` flows of `kind` shared among [`HIGH_CONCURRENCY`] tasks, one
    /// per client, each calling `after_flow()` after each of its flows.
    async fn run_counted<A>(
        &self,
        kind: Kind,
        total: u64,
        errors: &Arc<ErrorLog>,
        after_flow: A,
    ) -> RunStats
    where
        A: Fn() + Clone + Send + 'static,
    {
        let next = Arc::new(AtomicU64::new(0));
        let more = move || next.fetch_add(1, Ordering::Relaxed) < total;
        let clients = &self.clients[..HIGH_CONCURRENCY];
        self.run(kind, clients, errors, more, after_flow).await
    }

    /// One task per client, each running flows back to back while `more()`
    /// says so and calling `after_flow()` after each; the run's successful
    /// flows and their latencies, its errors in `errors`.
    async fn run<M, A>(
        &self,
        kind: Kind,
        clients: &[Client],
        errors: &Arc<ErrorLog>,
        more: M,
        after_flow: A,
    ) -> RunStats
    where
        M: Fn() -> bool + Clone + Send + 'static,
        A: Fn() + Clone + Send + 'static,
    {
        let start = Instant::now();
        let tasks: Vec<_> = clients
            .iter()
            .map(|client| {
                let (client, target, errors) =
                    (client.clone(), self.target.clone(), errors.clone());
                let (more, after_flow) = (more.clone(), after_flow.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while more() {
                        let t0 = Instant::now();
                        match flow(kind, &client, &target, None).await {
                            Ok(()) => latencies.push(t0.elapsed().as_micros() as u64),
                            Err(e) => errors.record(&e),
                        }
                        after_flow();
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            match task.await {
                Ok(task_latencies) => latencies.extend(task_latencies),
                Err(e) => errors.record(&format!("a load task failed: {e}")),
            }
        }
        RunStats::new(latencies, start.elapsed())
    }
}

/// The highest `VmRSS` of the server while a run goes on, read every
/// [`RSS_EVERY`].
struct PeakRss {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<f64>,
}

impl PeakRss {
    fn start(pid: u32) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let mut peak = rss_mib(pid).unwrap_or(f64::NAN);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(RSS_EVERY) => {}
                }
                if let Ok(mib) = rss_mib(pid) {
                    peak = peak.max(mib);
                }
            }
            peak
        });
        Self { stop, task }
    }

    async fn stop(self) -> f64 {
        let _ = self.stop.send(());
        self.task.await.unwrap_or(f64::NAN)
    }
}

/// Successful flows of a run and their latencies.
pub struct RunStats {
    pub ok: u64,
    pub elapsed: Duration,
    /// Flow latencies in microseconds, sorted.
    latencies_us: Vec<u64>,
}

impl RunStats {
    pub fn new(mut latencies_us: Vec<u64>, elapsed: Duration) -> Self {
        latencies_us.sort_unstable();
        Self {
            ok: latencies_us.len() as u64,
            elapsed,
            latencies_us,
        }
    }

    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let n = self.latencies_us.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.latencies_us[rank.clamp(1, n) - 1] as f64 / 1000.0
    }
}

/// Counts a run's errors by message; [`ErrorLog::report`] prints them.
pub struct ErrorLog {
    run: String,
    count: AtomicU64,
    /// Distinct messages (at most [`ERRORS_SHOWN`]) and how often each came.
    messages: Mutex<Vec<(String, u64)>>,
}

impl ErrorLog {
    pub fn new(run: String) -> Arc<Self> {
        Arc::new(Self {
            run,
            count: AtomicU64::new(0),
            messages: Mutex::new(Vec::new()),
        })
    }

    pub fn record(&self, error: &str) {
        self.count.fetch_add(1, Ordering::Relaxed);
        let mut messages = lock(&self.messages);
        if let Some((_, n)) = messages.iter_mut().find(|(m, _)| m == error) {
            *n += 1;
        } else if messages.len() < ERRORS_SHOWN {
            messages.push((error.to_owned(), 1));
        }
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Prints the run's errors, if any.
    pub fn report(&self) {
        let total = self.count();
        if total == 0 {
            return;
        }
        println!("  ERRORS [{}]: {total} failed flows", self.run);
        let mut shown = 0;
        for (message, n) in lock(&self.messages).iter() {
            println!("    {n:>7} × {message}");
            shown += n;
        }
        if shown < total {
            println!("    {:>7} × (other messages)", total - shown);
        }
    }
}

/// Locks a mutex even if a task panicked while holding it: the data (counts,
/// samples) is still worth reporting.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
