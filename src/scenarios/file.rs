//! The scenario file loaded at start (`--scenarios FILE`): JSON with the
//! bodies the control API takes, so that what a test posts and what a
//! pipeline mounts read the same.
//!
//! ```json
//! {
//!   "scenarios": [
//!     {"id": "refuses", "match": {"login_hint": "899700245667"},
//!      "always": {"action": "deny", "after_ms": 1500}}
//!   ],
//!   "faults": [
//!     {"endpoint": "token", "fault": {"type": "error", "status": 503}, "share": 0.1}
//!   ]
//! }
//! ```
//!
//! Every problem is reported with the file and the path of the value, as
//! `scenarios[0].always.action: unknown variant "approuve"`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Scenario;
use crate::annuaire::Annuaire;
use crate::faults::Fault;

/// The largest scenario file read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptFile {
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptFileError {
    #[error("cannot read scenario file {file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("scenario file {file}: {message}")]
    Invalid { file: PathBuf, message: String },
}

impl ScriptFile {
    /// Reads and validates a scenario file; `as` professionals must be in
    /// `annuaire`.
    pub fn load(path: &Path, annuaire: &Annuaire) -> Result<Self, ScriptFileError> {
        let invalid = |message: String| ScriptFileError::Invalid {
            file: path.to_owned(),
            message,
        };
        let read = |source| ScriptFileError::Read {
            file: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_FILE_BYTES {
            return Err(invalid(format!("{size} bytes; at most {MAX_FILE_BYTES}")));
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Self::parse(&text, annuaire).map_err(invalid)
    }

    /// Parses and validates the JSON text of a scenario file.
    pub fn parse(text: &str, annuaire: &Annuaire) -> Result<Self, String> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let file: Self = serde_path_to_error::deserialize(deserializer).map_err(at_path)?;
        let mut ids = std::collections::HashSet::new();
        for (i, scenario) in file.scenarios.iter().enumerate() {
            scenario
                .validate(annuaire)
                .map_err(|e| format!("scenarios[{i}]: {e}"))?;
            if !scenario.id.is_empty() && !ids.insert(&scenario.id) {
                return Err(format!(
                    "scenarios[{i}]: id {:?} is used twice",
                    scenario.id
                ));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, fault) in file.faults.iter().enumerate() {
            fault.validate().map_err(|e| format!("faults[{i}]: {e}"))?;
            if !fault.id.is_empty() && !ids.insert(&fault.id) {
                return Err(format!("faults[{i}]: id {:?} is used twice", fault.id));
            }
        }
        let regexes: usize = file
            .scenarios
            .iter()
            .map(|s| s.matcher.regex_bytes())
            .sum::<usize>()
            + file
                .faults
                .iter()
                .map(|f| f.matcher.regex_bytes())
                .sum::<usize>();
        let max = crate::matching::PatternBudget::DEFAULT;
        if regexes > max {
            return Err(format!(
                "the regexes of its scenarios and faults take {regexes} bytes once compiled; at most {max}"
            ));
        }
        Ok(file)
    }
}

/// A deserialization error, prefixed with the path of the value that is
/// wrong (`scenarios[0].always.action: …`), if any.
pub fn at_path(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if path == "." {
        inner.to_string()
    } else {
        format!("{path}: {inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScriptFile, String> {
        ScriptFile::parse(text, &Annuaire::load(None).unwrap())
    }

    #[test]
    fn the_documented_example_loads() {
        let text = r#"{
          "scenarios": [
            {"id": "refuses", "match": {"login_hint": "899700245667"},
             "always": {"action": "deny", "after_ms": 1500}}
          ],
          "faults": [
            {"endpoint": "token", "fault": {"type": "error", "status": 503}, "share": 0.1}
          ]
        }"#;
        let file = parse(text).unwrap();
        assert_eq!(file.scenarios.len(), 1);
        assert_eq!(file.faults.len(), 1);
    }

    #[test]
    fn errors_name_the_path_of_the_value() {
        let e = parse(r#"{"scenarios": [{"always": {"action": "approuve"}}]}"#).unwrap_err();
        assert!(
            e.starts_with("scenarios[0].always.action: unknown variant `approuve`"),
            "{e}"
        );
        let e = parse(r#"{"faults": [{"fault": {"type": "latency", "ms": 99999}}]}"#).unwrap_err();
        assert!(e.starts_with("faults[0]: latency of 99999 ms"), "{e}");
        let e = parse(r#"{"scenario": []}"#).unwrap_err();
        assert!(e.contains("unknown field `scenario`"), "{e}");
        let e = parse(
            r#"{"scenarios": [{"id": "a", "always": {"action": "deny"}}, {"id": "a", "always": {"action": "deny"}}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("scenarios[1]: id \"a\" is used twice"), "{e}");
    }
}
