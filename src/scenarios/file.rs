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

use super::{Scenario, ScenarioInvalid};
use crate::annuaire::Annuaire;
use crate::faults::{Fault, FaultInvalid};

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
    #[error("scenario file {file}: {problem}")]
    Invalid { file: PathBuf, problem: ScriptError },
}

/// What is wrong in a scenario file's text, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScriptError {
    #[error("{0} bytes; at most {MAX_FILE_BYTES}")]
    TooBig(u64),
    /// Not JSON, or not the file's shape (with the path of the value).
    #[error("{0}")]
    Json(String),
    #[error("scenarios[{i}]: {source}")]
    Scenario { i: usize, source: ScenarioInvalid },
    #[error("faults[{i}]: {source}")]
    Fault { i: usize, source: FaultInvalid },
    #[error("{list}[{i}]: id {id:?} is used twice")]
    Twice {
        list: &'static str,
        i: usize,
        id: String,
    },
    #[error(
        "the regexes of its scenarios and faults take {bytes} bytes once compiled; at most {max}"
    )]
    Regexes { bytes: usize, max: usize },
}

impl ScriptFile {
    /// Reads and validates a scenario file; `as` professionals must be in
    /// `annuaire`.
    pub fn load(path: &Path, annuaire: &Annuaire) -> Result<Self, ScriptFileError> {
        let invalid = |problem| ScriptFileError::Invalid {
            file: path.to_owned(),
            problem,
        };
        let read = |source| ScriptFileError::Read {
            file: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_FILE_BYTES {
            return Err(invalid(ScriptError::TooBig(size)));
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Self::parse(&text, annuaire).map_err(invalid)
    }

    /// Parses and validates the JSON text of a scenario file.
    pub fn parse(text: &str, annuaire: &Annuaire) -> Result<Self, ScriptError> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let file: Self = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ScriptError::Json(at_path(e)))?;
        let twice = |list, i, id: &String| ScriptError::Twice {
            list,
            i,
            id: id.clone(),
        };
        let mut ids = std::collections::HashSet::new();
        for (i, scenario) in file.scenarios.iter().enumerate() {
            scenario
                .validate(annuaire)
                .map_err(|source| ScriptError::Scenario { i, source })?;
            if !scenario.id.is_empty() && !ids.insert(&scenario.id) {
                return Err(twice("scenarios", i, &scenario.id));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, fault) in file.faults.iter().enumerate() {
            fault
                .validate()
                .map_err(|source| ScriptError::Fault { i, source })?;
            if !fault.id.is_empty() && !ids.insert(&fault.id) {
                return Err(twice("faults", i, &fault.id));
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
            return Err(ScriptError::Regexes {
                bytes: regexes,
                max,
            });
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
        ScriptFile::parse(text, &Annuaire::load(None).unwrap()).map_err(|e| e.to_string())
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
