//! How the authorization endpoint's answer goes back to the client: the
//! `response_mode`s PSC advertises, and the refusal of the others.

/// How the answer goes back to the client (OAuth 2.0 Multiple Response
/// Type Encoding Practices; Form Post Response Mode): PSC advertises these
/// three for the code flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// A 302 with the parameters in the query (the default for `code`).
    #[default]
    Query,
    /// A 302 with the parameters in the fragment.
    Fragment,
    /// A page whose form POSTs the parameters to the redirect URI.
    FormPost,
}

impl ResponseMode {
    /// The mode of a `response_mode` value, or why it is refused.
    pub fn parse(value: Option<&str>) -> Result<Self, ModeError> {
        match value {
            None | Some("query") => Ok(Self::Query),
            Some("fragment") => Ok(Self::Fragment),
            Some("form_post") => Ok(Self::FormPost),
            Some(jwt @ ("jwt" | "query.jwt" | "fragment.jwt" | "form_post.jwt")) => {
                Err(ModeError::Jarm(jwt.to_owned()))
            }
            Some(other) => Err(ModeError::Unknown(other.to_owned())),
        }
    }
}

/// A `response_mode` refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    #[error(
        "response_mode {0:?} (JARM) is not supported by psc-mock; use query, fragment or form_post"
    )]
    Jarm(String),
    #[error("Invalid parameter: response_mode {0:?}; use query, fragment or form_post")]
    Unknown(String),
}
