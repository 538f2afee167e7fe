//! The OAuth/OIDC error of the protocol endpoints, and the one place where it
//! becomes an HTTP response.
//!
//! Every refusal a client can see is a value of [`OAuthError`]: its `Display`
//! is the wire `error` code (RFC 6749 §5.2, CIBA Core §11 and §13, RFC 6750
//! §3.1) and it carries a human description naming what was wrong. Nothing
//! else in the crate knows status codes or error bodies for these endpoints.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// An error answered by an OAuth/OIDC endpoint.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OAuthError {
    /// A parameter is missing, repeated, malformed or unsupported.
    #[error("invalid_request")]
    InvalidRequest(String),
    /// Client authentication failed. `basic` says whether the client tried
    /// HTTP Basic, in which case RFC 6749 §5.2 asks for `WWW-Authenticate`.
    #[error("invalid_client")]
    InvalidClient { description: String, basic: bool },
    /// Keycloak's 401 `unauthorized_client`: a known client with a wrong
    /// secret, or a refresh token bound to another certificate
    /// (docs/fidelity.md).
    #[error("unauthorized_client")]
    ClientRefused { description: String, basic: bool },
    /// Keycloak answers a client without the CIBA grant with `invalid_grant`
    /// and 401 at the backchannel endpoint (400 at the token endpoint).
    #[error("invalid_grant")]
    InvalidGrant {
        description: String,
        status: StatusCode,
    },
    #[error("unauthorized_client")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType(String),
    #[error("invalid_scope")]
    InvalidScope(String),
    /// CIBA Core §13: the binding message is too long or has bad characters.
    #[error("invalid_binding_message")]
    InvalidBindingMessage(String),
    #[error("authorization_pending")]
    AuthorizationPending,
    #[error("slow_down")]
    SlowDown(String),
    #[error("access_denied")]
    AccessDenied(String),
    #[error("expired_token")]
    ExpiredToken(String),
    /// RFC 6750 §3.1: the bearer token is malformed, expired, of an ended
    /// session or bound to another certificate. Answered as Keycloak's
    /// userinfo does: 401, an empty body, the error in `WWW-Authenticate`.
    #[error("invalid_token")]
    InvalidToken(String),
    /// RFC 6750 §3.1: no bearer token at all; 401 with a bare challenge
    /// (`Bearer realm="…"`, no error code), as Keycloak.
    #[error("invalid_request")]
    MissingToken(String),
    /// RFC 6750 §3.1: the token lacks a scope the resource needs (userinfo:
    /// `openid`). 403, an empty body, the error in `WWW-Authenticate`.
    #[error("insufficient_scope")]
    InsufficientScope(String),
    /// Keycloak's CIBA callback refuses a device's bearer token with 403
    /// (bad signature, expired, or no request waiting for it).
    #[error("invalid_token")]
    RefusedToken(String),
    /// Keycloak answers 503 `server_error` when its authentication channel
    /// does not take a new CIBA request.
    #[error("server_error")]
    ChannelFailed(String),
    /// The pending-request store is full (a configured cap).
    #[error("temporarily_unavailable")]
    TemporarilyUnavailable(String),
    #[error("invalid_request")]
    PayloadTooLarge(String),
    /// The request target is longer than `server.max_uri_bytes`: 414.
    #[error("invalid_request")]
    UriTooLong(String),
    /// The header block is larger than `server.max_header_bytes`: 431.
    #[error("invalid_request")]
    HeadersTooLarge(String),
    /// The body did not arrive within `server.body_timeout_ms`: 408, and
    /// the connection is closed.
    #[error("invalid_request")]
    BodyTimeout(String),
    #[error("not_found")]
    NotFound(String),
    #[error("invalid_request")]
    MethodNotAllowed(String),
    #[error("server_error")]
    ServerError(String),
    /// An error answer injected by a fault (`/mock/faults`).
    #[error("{error}")]
    Injected {
        status: StatusCode,
        error: String,
        description: String,
    },
}

/// Keycloak's exact description for a pending CIBA request (docs/fidelity.md).
pub const PENDING_DESCRIPTION: &str =
    "The authorization request is still pending as the end-user hasn't yet been authenticated.";

impl OAuthError {
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::InvalidRequest(description.into())
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::InvalidClient {
            description: description.into(),
            basic: false,
        }
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::InvalidGrant {
            description: description.into(),
            status: StatusCode::BAD_REQUEST,
        }
    }

    /// The human-readable `error_description`.
    pub fn description(&self) -> &str {
        match self {
            Self::InvalidRequest(d)
            | Self::UnauthorizedClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::InvalidScope(d)
            | Self::InvalidBindingMessage(d)
            | Self::SlowDown(d)
            | Self::AccessDenied(d)
            | Self::ExpiredToken(d)
            | Self::InvalidToken(d)
            | Self::MissingToken(d)
            | Self::InsufficientScope(d)
            | Self::RefusedToken(d)
            | Self::ChannelFailed(d)
            | Self::TemporarilyUnavailable(d)
            | Self::PayloadTooLarge(d)
            | Self::UriTooLong(d)
            | Self::HeadersTooLarge(d)
            | Self::BodyTimeout(d)
            | Self::NotFound(d)
            | Self::MethodNotAllowed(d)
            | Self::ServerError(d) => d,
            Self::InvalidClient { description, .. }
            | Self::ClientRefused { description, .. }
            | Self::InvalidGrant { description, .. }
            | Self::Injected { description, .. } => description,
            Self::AuthorizationPending => PENDING_DESCRIPTION,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    error_description: &'a str,
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidClient { .. }
            | Self::ClientRefused { .. }
            | Self::InvalidToken(_)
            | Self::MissingToken(_) => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::InvalidGrant { status, .. } | Self::Injected { status, .. } => *status,
            Self::TemporarilyUnavailable(_) | Self::ChannelFailed(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::RefusedToken(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            // RFC 6750 §3: the challenge carries the error; the body is
            // empty, as Keycloak's userinfo answers (docs/fidelity.md).
            Self::InvalidToken(d) | Self::InsufficientScope(d) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"esante-wallet\", error=\"{self}\", error_description=\"{}\"",
                        quoted_string(d)
                    ),
                ));
                return response.finish();
            }
            Self::MissingToken(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"esante-wallet\""));
                return response.finish();
            }
            Self::InvalidClient { basic: true, .. } | Self::ClientRefused { basic: true, .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"esante-wallet\""));
            }
            // What is left of the body is never read: the connection goes.
            Self::BodyTimeout(_) => {
                response.force_close();
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: self.to_string(),
            error_description: self.description(),
        })
    }
}

/// `text` as the content of an HTTP quoted-string: visible ASCII and
/// spaces only (anything else, quotes and backslashes become `?`, `'`), so
/// that no input ever breaks or smuggles into a header.
fn quoted_string(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_errors_have_an_empty_body_and_a_clean_challenge() {
        let response = OAuthError::InvalidToken("bad \"alg\"\n\u{7f}é".into()).error_response();
        assert_eq!(response.status(), 401);
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            challenge,
            "Bearer realm=\"esante-wallet\", error=\"invalid_token\", error_description=\"bad 'alg'???\""
        );
        let scope = OAuthError::InsufficientScope("Missing openid scope".into()).error_response();
        assert_eq!(scope.status(), 403);
        let bare = OAuthError::MissingToken("none".into()).error_response();
        assert_eq!(
            bare.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer realm=\"esante-wallet\""
        );
    }

    #[test]
    fn display_is_the_wire_code() {
        assert_eq!(OAuthError::SlowDown(String::new()).to_string(), "slow_down");
        assert_eq!(
            OAuthError::AuthorizationPending.to_string(),
            "authorization_pending"
        );
        assert_eq!(
            OAuthError::invalid_client("x").to_string(),
            "invalid_client"
        );
    }

    #[test]
    fn statuses_follow_the_rfcs() {
        assert_eq!(OAuthError::invalid_client("x").status_code(), 401);
        assert_eq!(OAuthError::InvalidToken("x".into()).status_code(), 401);
        assert_eq!(OAuthError::AuthorizationPending.status_code(), 400);
        assert_eq!(OAuthError::invalid_grant("x").status_code(), 400);
        assert_eq!(OAuthError::UriTooLong("x".into()).status_code(), 414);
        assert_eq!(OAuthError::HeadersTooLarge("x".into()).status_code(), 431);
        assert_eq!(OAuthError::BodyTimeout("x".into()).status_code(), 408);
    }
}
