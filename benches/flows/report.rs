//! The end of the report: every section's headline figure in one table,
//! then the performance targets, each marked PASS or FAIL. The figures are
//! measured elsewhere; this is the one place the targets are stated.

use crate::flow::Kind;
use crate::load::{CpuCost, HIGH_CONCURRENCY, Memory, ThroughputRun};
use crate::section;
use crate::server::{Generated, Startup};
use crate::signing::Ceiling;

const STARTUP_TARGET_MS: f64 = 50.0;
/// Generating and loading 100 000 professionals must take under 2 s.
const GENERATED_TARGET_MS: f64 = 2000.0;
const IDLE_RSS_TARGET_MIB: f64 = 20.0;
/// The server's CPU time per CIBA flow, at most this many times the time
/// of the two RS256 signatures it needs.
const CPU_FLOOR_RATIO_TARGET: f64 = 1.5;
/// The server's default `tokens.max_sessions`.
const SESSION_CAP: u64 = 10_000;

/// What the sections measured.
pub struct Summary {
    pub ceiling: Ceiling,
    pub startup: Startup,
    pub idle_rss: f64,
    pub throughput: Vec<ThroughputRun>,
    pub cpu: Vec<CpuCost>,
    pub total_flows: u64,
    pub memory: Memory,
    pub binary_mib: f64,
    pub generated: Generated,
}

impl Summary {
    /// Whether every flow, warm-ups included, succeeded.
    pub fn all_flows_ok(&self) -> bool {
        self.throughput
            .iter()
            .all(|run| run.warm_up_errors == 0 && run.errors == 0)
            && self
                .cpu
                .iter()
                .all(|cost| cost.warm_up_errors == 0 && cost.errors == 0)
            && self.memory.errors == 0
    }

    /// Prints the summary table and the targets.
    pub fn print(&self) {
        let Self {
            ceiling,
            startup,
            idle_rss,
            memory,
            ..
        } = self;
        section("Summary");
        let row = |name: &str, value: String| println!("  {name:<44} {value:>18}");
        row(
            "RSA-2048 sig/s, aws-lc-rs (1 thread)",
            format!("{:.0}", ceiling.raw),
        );
        row(
            "RSA-2048 sig/s, SigningKey::sign (1 thread)",
            format!("{:.0}", ceiling.mock),
        );
        row(
            "ceiling flows/s = sig/s ÷ 2",
            format!("{:.0}", ceiling.ceiling_2),
        );
        row(
            "start-up min / median (ms)",
            format!("{:.1} / {:.1}", startup.min, startup.median),
        );
        row("idle RSS (MiB)", format!("{idle_rss:.1}"));
        for run in &self.throughput {
            row(
                &format!(
                    "{} c={}: flows/s, p50 / p99 ms, × ceiling",
                    run.kind.name(),
                    run.concurrency
                ),
                format!(
                    "{:.0}, {:.1} / {:.1}, {:.2}",
                    run.stats.rate(),
                    run.stats.percentile_ms(50.0),
                    run.stats.percentile_ms(99.0),
                    run.stats.rate() / ceiling.ceiling_2,
                ),
            );
        }
        row(
            "two-signature floor = 2 ÷ sig/s (ms)",
            format!("{:.3}", ceiling.floor_ms),
        );
        for cost in &self.cpu {
            row(
                &format!(
                    "{} c={HIGH_CONCURRENCY}: server CPU ms per flow, × floor",
                    cost.kind.name()
                ),
                format!(
                    "{:.3}, {:.2}",
                    cost.ms_per_flow(),
                    cost.ms_per_flow() / ceiling.floor_ms
                ),
            );
        }
        let loaded = self
            .throughput
            .iter()
            .map(|run| run.peak_rss)
            .fold(f64::NAN, f64::max);
        row("loaded RSS, peak of the runs (MiB)", format!("{loaded:.1}"));
        row(
            &format!("RSS after {} more flows (MiB)", self.total_flows),
            format!("{:.1}", memory.final_rss),
        );
        row("binary size (MiB)", format!("{:.1}", self.binary_mib));
        let generated = &self.generated;
        row(
            &format!("{} generated: ready (ms) / RSS (MiB)", generated.count),
            format!("{:.0} / {:.1}", generated.startup_ms, generated.rss_mib),
        );

        let high = self
            .throughput
            .iter()
            .find(|run| run.kind == Kind::Ciba && run.concurrency == HIGH_CONCURRENCY)
            .map_or(0.0, |run| run.stats.rate());
        let target_flows = ceiling.target_flows;
        println!("\n  targets");
        check(
            "start-up (median)",
            format!("{:.1} ms < {STARTUP_TARGET_MS} ms", startup.median),
            startup.median < STARTUP_TARGET_MS,
        );
        check(
            "idle RSS",
            format!("{idle_rss:.1} MiB < {IDLE_RSS_TARGET_MIB} MiB"),
            *idle_rss < IDLE_RSS_TARGET_MIB,
        );
        check(
            &format!("flows/s at c={HIGH_CONCURRENCY}"),
            format!("{high:.0} CIBA ≥ {target_flows:.0} (half of sig/s ÷ 2)"),
            high >= target_flows,
        );
        let ciba_cpu = self
            .cpu
            .iter()
            .find(|cost| cost.kind == Kind::Ciba)
            .map_or(f64::NAN, CpuCost::ms_per_flow);
        let ratio = ciba_cpu / ceiling.floor_ms;
        check(
            "CPU per CIBA flow",
            format!(
                "{ciba_cpu:.3} ms = {ratio:.2} × floor {:.3} ms ≤ {CPU_FLOOR_RATIO_TARGET} ×",
                ceiling.floor_ms
            ),
            ratio <= CPU_FLOOR_RATIO_TARGET,
        );
        // Every flow leaves a session until the store's cap; below twice the
        // cap, memory is still rightly growing and flatness says nothing.
        let enough = self.total_flows >= 2 * SESSION_CAP;
        let detail = format!(
            "{:.1} MiB at N vs {:.1} MiB at N/10, {} errors",
            memory.last_sample(),
            memory.first_sample(),
            memory.errors
        );
        if enough {
            check(
                "memory flat",
                detail,
                memory.flat() == Some(true) && memory.errors == 0,
            );
        } else {
            println!(
                "  [----] {:<20} not judged under {} flows (sessions fill up to {SESSION_CAP} first): {detail}",
                "memory flat",
                2 * SESSION_CAP
            );
        }
        check(
            "generated load",
            format!(
                "{} professionals ready in {:.0} ms < {GENERATED_TARGET_MS} ms",
                generated.count, generated.startup_ms
            ),
            generated.startup_ms < GENERATED_TARGET_MS,
        );
    }
}

fn check(name: &str, detail: String, pass: bool) {
    let verdict = if pass { "PASS" } else { "FAIL" };
    println!("  [{verdict}] {name:<20} {detail}");
}
