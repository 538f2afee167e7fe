//! CIBA (Client-Initiated Backchannel Authentication, poll mode): the
//! pending requests, their state machine, and the scripted outcomes that
//! play the professional's CPS card or e-CPS app.

mod machine;
#[cfg(test)]
mod properties;
mod store;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use machine::{CibaRequest, NewRequest, PollError, Status};
pub use store::{CibaStore, Ending, Finished, HISTORY_LEN, PollOutcome, StoreError};

/// What the professional does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Confirms: the next poll gets tokens.
    Approve,
    /// Refuses: polls get `access_denied`.
    Deny,
    /// Never answers, and the request expires now: `expired_token`.
    Expire,
    /// Does nothing (yet), maybe ever: polls get `authorization_pending`
    /// until the request expires. Also accepted as `pending`.
    #[serde(alias = "pending")]
    Never,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
            Self::Expire => "expire",
            Self::Never => "never",
        }
    }
}

/// What an approval carries besides the decision (from a scenario, or the
/// control API): tokens for another professional, or extra claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Approval {
    #[serde(rename = "as", skip_serializing_if = "Option::is_none")]
    pub as_id_nat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Arc<Map<String, Value>>>,
}
