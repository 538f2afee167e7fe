//! CIBA (Client-Initiated Backchannel Authentication, poll mode): the
//! pending requests, their state machine, and the scripted outcomes that
//! play the professional's CPS card or e-CPS app.

mod machine;
#[cfg(test)]
mod properties;
mod store;

pub use machine::{CibaRequest, NewRequest, PollError, Status};
pub use store::{CibaStore, Ending, Finished, HISTORY_LEN, PollOutcome, StoreError};

pub use crate::outcome::{Action, Approval};
