//! What `psc-mock compare` notes of one issuer: paths such as
//! `token.access_token.header.kid` with what was seen there, never a
//! token, id, name or secret. Only shapes (JSON types, presence, the names
//! in a list) and the values that are not secrets (lifetimes, statuses,
//! error codes, algorithms) are kept, and a kept value must look like one
//! ([`word`]).

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// What was seen at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The JSON type of the value (`string`, `object`, …), not the value.
    Type(&'static str),
    /// Whether a field is there, where its absence is the news (`kid`, `x5c`).
    Presence(bool),
    /// A value that is no secret (a lifetime, a status, an error code),
    /// passed through [`word`].
    Value(String),
    /// The members of a list of names (`grant_types_supported`, `scope`).
    Members(BTreeSet<String>),
}

/// How a JSON document is noted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Claims, answers: names and types only.
    Shape,
    /// A discovery document: lists of strings by member, booleans by value
    /// (neither holds a secret).
    Document,
}

/// One issuer's observations, and the steps that could not run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    pub fields: BTreeMap<String, Observed>,
    /// Step (a path prefix, e.g. `token`) → why it could not run; the
    /// comparison leaves out every path under it, on both sides.
    pub failed: BTreeMap<String, String>,
}

/// How deep a document is followed (PSC's deepest claim,
/// `SubjectRefPro.exercices[].activities[].…`, is within it).
const MAX_DEPTH: usize = 8;

impl Observation {
    pub fn note(&mut self, path: impl Into<String>, observed: Observed) {
        self.fields.insert(path.into(), observed);
    }

    /// A value that is no secret, as a [`word`].
    pub fn value(&mut self, path: impl Into<String>, value: &Value) {
        self.note(path, Observed::Value(word(value)));
    }

    pub fn fail(&mut self, step: &str, why: impl Into<String>) {
        self.failed.insert(step.to_owned(), why.into());
    }

    /// The names and types under `path` (and for [`Mode::Document`] the
    /// members of lists and the booleans); the top-level fields named in
    /// `valued` are noted by value instead.
    pub fn shape(&mut self, path: &str, value: &Value, mode: Mode, valued: &[&str]) {
        self.shape_at(path, value, mode, 0);
        if let Value::Object(map) = value {
            for name in valued {
                if let Some(field) = map.get(*name).filter(|v| !v.is_object() && !v.is_array()) {
                    self.value(format!("{path}.{name}"), field);
                }
            }
        }
    }

    fn shape_at(&mut self, path: &str, value: &Value, mode: Mode, depth: usize) {
        match value {
            Value::Bool(_) if mode == Mode::Document => self.value(path, value),
            _ => self.note(path, Observed::Type(type_of(value))),
        }
        if depth >= MAX_DEPTH {
            return;
        }
        match value {
            Value::Object(map) => {
                for (name, field) in map {
                    self.shape_at(&format!("{path}.{name}"), field, mode, depth + 1);
                }
            }
            Value::Array(items) => {
                if mode == Mode::Document && items.iter().all(Value::is_string) {
                    self.note(format!("{path}[]"), members(items.iter()));
                }
                // The union of the elements' fields.
                for item in items.iter().filter(|item| item.is_object()) {
                    self.shape_at(&format!("{path}[]"), item, mode, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// A token: its format, and for a JWT its JOSE header (`alg` and `typ`
    /// by value, `kid` by presence, other names by type), its claims' names
    /// and types, and its lifetime (`exp - iat`).
    pub fn token(&mut self, path: &str, token: &str) {
        let Some((header, claims)) = jwt_parts(token) else {
            self.note(
                format!("{path}.format"),
                Observed::Value("opaque".to_owned()),
            );
            return;
        };
        self.note(format!("{path}.format"), Observed::Value("JWT".to_owned()));
        self.note(
            format!("{path}.header.kid"),
            Observed::Presence(header.get("kid").is_some()),
        );
        if let Value::Object(map) = &header {
            for (name, field) in map {
                let at = format!("{path}.header.{name}");
                match name.as_str() {
                    "alg" | "typ" => self.value(at, field),
                    "kid" => {}
                    _ => self.note(at, Observed::Type(type_of(field))),
                }
            }
        }
        self.shape(&format!("{path}.claims"), &claims, Mode::Shape, &[]);
        if let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) {
            self.note(
                format!("{path}.lifetime_s"),
                Observed::Value(exp.saturating_sub(iat).to_string()),
            );
        }
    }
}

/// The members of a list of names (a discovery list: names, codes, URIs;
/// never an identifier or a secret), each printable and at most 128
/// characters.
pub fn members<'a>(items: impl Iterator<Item = &'a Value>) -> Observed {
    Observed::Members(items.filter_map(Value::as_str).map(member).collect())
}

/// The members of a space-separated list (`scope`).
pub fn space_separated(list: &str) -> Observed {
    Observed::Members(list.split_whitespace().map(member).collect())
}

fn member(name: &str) -> String {
    if !name.is_empty()
        && name.chars().count() <= 128
        && name.chars().all(|c| !c.is_whitespace() && !c.is_control())
    {
        name.to_owned()
    } else {
        "(a member not shown)".to_owned()
    }
}

/// A JSON value's type, as JSON names it.
pub fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The longest value printed: names and codes are shorter, a token longer.
const MAX_WORD: usize = 48;

/// A value fit to print: a number or boolean, or a short string of name
/// characters (an error code, an algorithm, a scope); anything else (which
/// could be an identifier or a token) is printed as its type only.
pub fn word(value: &Value) -> String {
    match value {
        Value::Bool(_) | Value::Number(_) | Value::Null => value.to_string(),
        Value::String(text)
            if !text.is_empty()
                && text.len() <= MAX_WORD
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.:#/".contains(c))
                && !text.chars().all(|c| c.is_ascii_digit()) =>
        {
            text.clone()
        }
        other => format!("({} not shown)", type_of(other)),
    }
}

/// A JWT's header and claims, if it is one.
fn jwt_parts(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (header, claims) = (parts.next()?, parts.next()?);
    let decode = |part: &str| -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
    };
    Some((decode(header)?, decode(claims)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_is_noted_by_names_types_members_and_booleans() {
        let mut seen = Observation::default();
        seen.shape(
            "d",
            &json!({"issuer": "https://x", "grant_types_supported": ["a", "b"],
                    "flag": true, "aliases": {"token_endpoint": "https://x/t"}}),
            Mode::Document,
            &[],
        );
        assert_eq!(seen.fields["d.issuer"], Observed::Type("string"));
        assert_eq!(seen.fields["d.flag"], Observed::Value("true".into()));
        assert_eq!(
            seen.fields["d.aliases.token_endpoint"],
            Observed::Type("string")
        );
        assert_eq!(
            seen.fields["d.grant_types_supported[]"],
            Observed::Members(["a".to_owned(), "b".to_owned()].into())
        );
    }

    #[test]
    fn claims_are_noted_by_name_and_type_only_and_lists_of_objects_by_union() {
        let mut seen = Observation::default();
        seen.shape(
            "u",
            &json!({"sub": "secret-sub", "ok": true, "roles": ["r"],
                    "list": [{"a": 1}, {"b": "x"}], "expires_in": 300}),
            Mode::Shape,
            &["expires_in"],
        );
        assert_eq!(seen.fields["u.ok"], Observed::Type("boolean"));
        assert_eq!(seen.fields["u.list[].a"], Observed::Type("number"));
        assert_eq!(seen.fields["u.list[].b"], Observed::Type("string"));
        assert_eq!(seen.fields["u.expires_in"], Observed::Value("300".into()));
        assert!(
            !seen.fields.contains_key("u.roles[]"),
            "no members in claims"
        );
        let printed = format!("{seen:?}");
        assert!(!printed.contains("secret-sub"), "{printed}");
    }

    #[test]
    fn a_token_is_noted_by_its_header_claim_names_and_lifetime() {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!(
            "{}.{}.c2ln",
            part(json!({"alg": "RS256", "typ": "JWT"})),
            part(json!({"iat": 100, "exp": 400, "sub": "someone", "cnf": {"x5t#S256": "abc"}}))
        );
        let mut seen = Observation::default();
        seen.token("t", &jwt);
        seen.token("r", "an-opaque-one");
        assert_eq!(seen.fields["t.header.alg"], Observed::Value("RS256".into()));
        assert_eq!(seen.fields["t.header.kid"], Observed::Presence(false));
        assert_eq!(
            seen.fields["t.claims.cnf.x5t#S256"],
            Observed::Type("string")
        );
        assert_eq!(seen.fields["t.lifetime_s"], Observed::Value("300".into()));
        assert_eq!(seen.fields["r.format"], Observed::Value("opaque".into()));
        let printed = format!("{seen:?}");
        assert!(
            !printed.contains("someone") && !printed.contains("abc"),
            "{printed}"
        );
    }

    #[test]
    fn only_short_name_like_values_are_printed() {
        assert_eq!(word(&json!("invalid_grant")), "invalid_grant");
        assert_eq!(word(&json!(120)), "120");
        assert_eq!(
            word(&json!("899700245667")),
            "(string not shown)",
            "an idNat"
        );
        assert_eq!(word(&json!("a secret with spaces")), "(string not shown)");
        assert_eq!(word(&json!("x".repeat(49))), "(string not shown)");
        assert_eq!(word(&json!({"a": 1})), "(object not shown)");
        assert_eq!(
            members([json!("0"), json!("a b")].iter()),
            Observed::Members(["0".to_owned(), "(a member not shown)".to_owned()].into()),
            "discovery's acr values are digits; a member with a space is not a name"
        );
    }
}
