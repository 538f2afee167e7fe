//! The comparison of two [`Observation`]s: a row per path where they
//! differ, and the steps that could not run; pure, so that what is printed
//! is tested without a network.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::observation::{Observation, Observed};

/// One difference: the path, and what each side showed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub path: String,
    pub a: String,
    pub b: String,
}

/// A step that could not run on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub side: char,
    pub step: String,
    pub why: String,
}

/// What a comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub rows: Vec<Row>,
    pub failures: Vec<Failure>,
}

/// How a missing path reads.
const MISSING: &str = "(missing)";

/// The differences between `a` and `b`, leaving out the paths of a step
/// that could not run on either side.
pub fn diff(a: &Observation, b: &Observation) -> Report {
    let skipped: Vec<&String> = a.failed.keys().chain(b.failed.keys()).collect();
    let under_skipped = |path: &str| {
        skipped.iter().any(|step| {
            path == step.as_str()
                || path
                    .strip_prefix(step.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    };
    let paths: BTreeSet<&String> = a.fields.keys().chain(b.fields.keys()).collect();
    let mut rows = Vec::new();
    for path in paths {
        if under_skipped(path) {
            continue;
        }
        let (left, right) = (a.fields.get(path), b.fields.get(path));
        if left == right {
            continue;
        }
        let (a, b) = match (left, right) {
            (Some(Observed::Members(x)), Some(Observed::Members(y))) => {
                (only_in(x, y), only_in(y, x))
            }
            _ => (show(left), show(right)),
        };
        rows.push(Row {
            path: path.clone(),
            a,
            b,
        });
    }
    let mut failures = Vec::new();
    for (side, seen) in [('A', a), ('B', b)] {
        for (step, why) in &seen.failed {
            failures.push(Failure {
                side,
                step: step.clone(),
                why: why.clone(),
            });
        }
    }
    Report { rows, failures }
}

/// The members of `x` that `y` lacks, as `+member`.
fn only_in(x: &BTreeSet<String>, y: &BTreeSet<String>) -> String {
    let extra: Vec<String> = x.difference(y).map(|m| format!("+{m}")).collect();
    if extra.is_empty() {
        "-".to_owned()
    } else {
        extra.join(" ")
    }
}

fn show(observed: Option<&Observed>) -> String {
    match observed {
        None => MISSING.to_owned(),
        Some(Observed::Type(name)) => (*name).to_owned(),
        Some(Observed::Presence(true)) => "present".to_owned(),
        Some(Observed::Presence(false)) => "absent".to_owned(),
        Some(Observed::Value(value)) => value.clone(),
        Some(Observed::Members(members)) => format!("array of {}", members.len()),
    }
}

impl Report {
    /// 0: no difference; 1: differences; 2: a step could not run.
    pub fn exit_code(&self) -> u8 {
        if !self.failures.is_empty() {
            2
        } else if !self.rows.is_empty() {
            1
        } else {
            0
        }
    }

    /// The table: one `path: A | B` line per difference, then the steps
    /// that could not run. Each of `hidden` (the secret, the login hint) is
    /// masked wherever it would appear, as a last guard.
    pub fn render(&self, issuer_a: &str, issuer_b: &str, hidden: &[&str]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "A: {issuer_a}");
        let _ = writeln!(out, "B: {issuer_b}");
        let width = self
            .rows
            .iter()
            .map(|r| r.path.len() + 1)
            .max()
            .unwrap_or(0);
        for row in &self.rows {
            let path = format!("{}:", row.path);
            let _ = writeln!(out, "{path:<width$} {} | {}", row.a, row.b);
        }
        match self.rows.len() {
            0 => out.push_str("no difference"),
            1 => out.push_str("1 difference"),
            n => {
                let _ = write!(out, "{n} differences");
            }
        }
        out.push_str(if self.failures.is_empty() {
            "\n"
        } else {
            " in the steps that ran\n"
        });
        for failure in &self.failures {
            let _ = writeln!(
                out,
                "could not run on {}: {}: {}",
                failure.side, failure.step, failure.why
            );
        }
        for secret in hidden.iter().filter(|s| s.len() >= 4) {
            out = out.replace(secret, "(hidden)");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::observation::Mode;
    use serde_json::json;

    fn observe(document: serde_json::Value) -> Observation {
        let mut seen = Observation::default();
        seen.shape("discovery.openid", &document, Mode::Document, &[]);
        seen
    }

    #[test]
    fn the_same_shapes_with_other_values_make_no_difference() {
        let a = observe(json!({"issuer": "https://a", "grant_types_supported": ["x", "y"]}));
        let b = observe(json!({"issuer": "https://b", "grant_types_supported": ["y", "x"]}));
        let report = diff(&a, &b);
        assert_eq!(report, Report::default());
        assert_eq!(report.exit_code(), 0);
        assert!(report.render("A", "B", &[]).contains("no difference"));
    }

    #[test]
    fn types_presence_values_and_members_are_rows() {
        let mut a = observe(
            json!({"issuer": "https://a", "scopes_supported": ["openid", "a"],
                                  "only_a": 1, "typed": "s"}),
        );
        let mut b = observe(
            json!({"issuer": "https://b", "scopes_supported": ["openid", "b"],
                                  "typed": {"x": 1}}),
        );
        a.note("token.access_token.header.kid", Observed::Presence(true));
        b.note("token.access_token.header.kid", Observed::Presence(false));
        a.value("token.response.expires_in", &json!(300));
        b.value("token.response.expires_in", &json!(600));
        let report = diff(&a, &b);
        let row = |path: &str| {
            let row = report.rows.iter().find(|r| r.path == path);
            row.map(|r| (r.a.as_str(), r.b.as_str()))
        };
        assert_eq!(
            row("discovery.openid.only_a"),
            Some(("number", "(missing)"))
        );
        assert_eq!(row("discovery.openid.typed"), Some(("string", "object")));
        assert_eq!(
            row("discovery.openid.typed.x"),
            Some(("(missing)", "number"))
        );
        assert_eq!(
            row("discovery.openid.scopes_supported[]"),
            Some(("+a", "+b"))
        );
        assert_eq!(
            row("token.access_token.header.kid"),
            Some(("present", "absent"))
        );
        assert_eq!(row("token.response.expires_in"), Some(("300", "600")));
        assert_eq!(report.rows.len(), 6, "{report:#?}");
        assert_eq!(report.exit_code(), 1);
        let table = report.render("https://a", "https://b", &[]);
        assert!(
            table
                .lines()
                .any(|line| line.starts_with("token.access_token.header.kid: ")
                    && line.ends_with(" present | absent")),
            "{table}"
        );
        assert!(table.ends_with("6 differences\n"), "{table}");
    }

    #[test]
    fn a_step_that_could_not_run_hides_its_paths_on_both_sides_and_exits_2() {
        let mut a = Observation::default();
        let mut b = Observation::default();
        a.note("token.response.access_token", Observed::Type("string"));
        a.note("tokenish", Observed::Type("string"));
        b.fail("token", "no answer from the professional within 180 s");
        let report = diff(&a, &b);
        assert_eq!(report.rows.len(), 1, "only tokenish: {report:#?}");
        assert_eq!(report.exit_code(), 2);
        let table = report.render("https://a", "https://b", &[]);
        assert!(
            table.contains("could not run on B: token: no answer from the professional"),
            "{table}"
        );
    }

    #[test]
    fn no_value_of_a_token_or_secret_is_printed() {
        let secret = "s3cr3t-Client-Secret";
        let access = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI4OTk3MDAyNDU2NjcifQ.c2lnbmF0dXJl";
        let mut a = Observation::default();
        let mut b = Observation::default();
        a.shape(
            "token.response",
            &json!({"access_token": access, "expires_in": 300, "token_type": "Bearer"}),
            Mode::Shape,
            &["expires_in", "token_type"],
        );
        b.shape(
            "token.response",
            &json!({"access_token": 42, "expires_in": 60, "session_state": secret}),
            Mode::Shape,
            &["expires_in", "token_type"],
        );
        a.token("token.access_token", access);
        b.shape(
            "userinfo",
            &json!({"SubjectNameID": "899700245667", "given_name": secret}),
            Mode::Shape,
            &[],
        );
        // A server that echoes a secret in a field printed by value.
        b.value("errors.wrong_client_secret.error", &json!(secret));
        let report = diff(&a, &b);
        let table = report.render("https://a", "https://b", &[secret, "899700245667"]);
        for value in [secret, access, "899700245667", "eyJ"] {
            assert!(!table.contains(value), "{value} printed:\n{table}");
        }
        assert!(table.contains("token.response.access_token"), "{table}");
        assert!(table.contains("userinfo.SubjectNameID"), "{table}");
        assert!(table.contains("token.response.expires_in"), "{table}");
    }
}
