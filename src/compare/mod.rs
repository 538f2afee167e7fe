//! `psc-mock compare ISSUER_A ISSUER_B`: the same sequence run against two
//! PSC-like issuers (psc-mock and ANS's test platform, or two psc-mock
//! configurations) and the observable differences, without values or
//! secrets (docs/integrations.md, "Comparing with the BAS").
//!
//! `observe` collects what one issuer shows into an [`Observation`] (paths
//! and shapes), `probes` its answers to deliberate errors; `diff` compares two of them, purely; [`Report::render`]
//! prints the table.

mod diff;
mod observation;
mod observe;
mod probes;

pub use diff::{Failure, Report, Row, diff};
pub use observation::{Mode, Observation, Observed, word};
pub use observe::{Side, observe};

/// Observes both sides at once (a professional approving on the phone sees
/// both requests together) and compares them.
pub async fn compare(a: &Side, b: &Side, progress: &(dyn Fn(&str) + Sync)) -> Report {
    let (seen_a, seen_b) = tokio::join!(observe(a, progress), observe(b, progress));
    diff(&seen_a, &seen_b)
}
