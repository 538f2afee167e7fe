//! The configuration's layers: defaults, then a TOML file, then
//! environment variables, then command-line flags (applied by `cli`).
//!
//! An environment variable `PSC_MOCK_<SECTION>__<KEY>` sets `<key>` of
//! `[<section>]` (names are lowercased; the double underscore separates
//! them): `PSC_MOCK_SERVER__BIND=0.0.0.0:8443`,
//! `PSC_MOCK_CIBA__EXPIRES_IN_S=60`. The value is read as a TOML value
//! (`60`, `true`, `["a", "b"]`) and, failing that, as a string. Variables
//! without a double underscore are flags' (`PSC_MOCK_CONFIG`, …). An unknown
//! key, or a value of the wrong type, is an error that names the variable.

use std::path::Path;

use toml::{Table, Value};

use super::{ConfigError, Settings};

/// The prefix of every psc-mock environment variable.
pub const ENV_PREFIX: &str = "PSC_MOCK_";

impl Settings {
    /// Defaults, overridden by `file` (if any), then by the
    /// `PSC_MOCK_<SECTION>__<KEY>` variables among `env`.
    pub fn layered(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => read_table(path)?,
            None => Table::new(),
        };
        let mut variables: Vec<_> = env
            .into_iter()
            .filter_map(|(name, value)| {
                let keys = name.strip_prefix(ENV_PREFIX)?;
                keys.contains("__").then(|| (name.clone(), value))
            })
            .collect();
        variables.sort();
        for (name, value) in variables {
            let layer = env_layer(&name, &value)?;
            // Checked alone first, so that an error names the variable.
            Self::from_table(layer.clone()).map_err(|e| ConfigError::Env {
                name: name.clone(),
                message: super::toml_message(&e),
            })?;
            merge(&mut table, layer);
        }
        Self::from_table(table).map_err(|e| {
            let message = super::toml_message(&e);
            match file {
                Some(path) => ConfigError::Parse {
                    path: path.to_owned(),
                    message,
                },
                None => ConfigError::Invalid(message),
            }
        })
    }

    /// The settings of a table; the error's text names the key.
    fn from_table(table: Table) -> Result<Self, toml::de::Error> {
        Value::Table(table).try_into()
    }
}

fn read_table(path: &Path) -> Result<Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let parse = |message: String| ConfigError::Parse {
        path: path.to_owned(),
        message,
    };
    let table: Table = toml::from_str(&text).map_err(|e| parse(e.to_string()))?;
    // Unknown keys and wrong types are reported against the file alone.
    Settings::from_table(table.clone()).map_err(|e| parse(super::toml_message(&e)))?;
    Ok(table)
}

/// `{section: {key: value}}` for one variable.
fn env_layer(name: &str, value: &str) -> Result<Table, ConfigError> {
    let keys = &name[ENV_PREFIX.len()..];
    let path: Vec<String> = keys.split("__").map(str::to_ascii_lowercase).collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            name: name.to_owned(),
            message: "expected PSC_MOCK_<SECTION>__<KEY>".into(),
        });
    }
    let value = format!("v = {value}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(value.to_owned()));
    // Wrap the value in its keys, innermost first.
    let nested = path.iter().rev().fold(value, |inner, key| {
        Value::Table(Table::from_iter([(key.clone(), inner)]))
    });
    match nested {
        Value::Table(layer) => Ok(layer),
        _ => Err(ConfigError::Env {
            name: name.to_owned(),
            message: "expected PSC_MOCK_<SECTION>__<KEY>".into(),
        }),
    }
}

/// Deep merge: `top`'s values replace `base`'s, tables are merged.
fn merge(base: &mut Table, top: Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(base)), Value::Table(top)) => merge(base, top),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn variables_override_the_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("psc-mock.toml");
        std::fs::write(&file, "[ciba]\nexpires_in_s = 60\ninterval_s = 3\n").unwrap();
        let s = Settings::layered(
            Some(&file),
            env(&[
                ("PSC_MOCK_CIBA__INTERVAL_S", "5"),
                ("PSC_MOCK_SERVER__BIND", "0.0.0.0:9443"),
                ("PSC_MOCK_SERVER__TLS", "false"),
                ("PSC_MOCK_CONFIG", "ignored: a flag's variable"),
                ("OTHER__THING", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.ciba.expires_in_s, 60, "from the file");
        assert_eq!(s.ciba.interval_s, 5, "the variable wins");
        assert_eq!(s.server.bind.to_string(), "0.0.0.0:9443");
        assert!(!s.server.tls);
        assert_eq!(s.tokens, Settings::default().tokens, "defaults elsewhere");
    }

    #[test]
    fn errors_name_the_variable_or_the_file() {
        let e = Settings::layered(None, env(&[("PSC_MOCK_CIBA__EXPIRES_IN", "60")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PSC_MOCK_CIBA__EXPIRES_IN"), "{e}");
        assert!(e.contains("expires_in"), "{e}");
        let e = Settings::layered(None, env(&[("PSC_MOCK_CIBA__INTERVAL_S", "soon")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("PSC_MOCK_CIBA__INTERVAL_S"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[server]\nbnid = \"x\"\n").unwrap();
        let e = Settings::layered(Some(&file), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.toml") && e.contains("bnid"), "{e}");
    }
}
