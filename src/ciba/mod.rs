//! CIBA (Client-Initiated Backchannel Authentication, poll mode): the
//! pending requests, their state machine, and the scripted outcomes that
//! play the professional's CPS card or e-CPS app.

mod machine;
mod scenarios;
mod store;

use serde::{Deserialize, Serialize};

pub use machine::{CibaRequest, NewRequest, PollError, Status};
pub use scenarios::{Scenario, Scenarios};
pub use store::{CibaStore, Finished, HISTORY_LEN, Outcome, PollOutcome, StoreError};

/// What the professional does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Confirms: the next poll gets tokens.
    Approve,
    /// Refuses: polls get `access_denied`.
    Deny,
    /// Never answers, and the request expires now: `expired_token`.
    Expire,
    /// Does nothing (yet): polls get `authorization_pending`.
    Pending,
}
