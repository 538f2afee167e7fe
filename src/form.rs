//! Form bodies of the protocol endpoints, read strictly.
//!
//! RFC 6749 §3.1: parameters sent without a value are treated as omitted,
//! and a parameter must not appear twice. The body must be
//! `application/x-www-form-urlencoded` and no larger than the configured
//! limit, and arrive in time (a late body is a 408). Every refusal is an
//! [`OAuthError`], never actix's plain-text 400.
//!
//! A form is parsed once per request: the middleware around the protocol
//! endpoints (`oidc::observe`) reads and parses it, records it in the
//! journal and leaves the outcome in the request's extensions
//! ([`ParsedForm`]), where the extractor takes it.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;

use crate::error::OAuthError;

/// The largest body a form may have, as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A parsed form: each parameter at most once, empty values dropped.
#[derive(Debug, Default, Clone)]
pub struct Form {
    params: HashMap<String, String>,
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A required parameter, with Keycloak's "Missing parameter: x" wording.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("Missing parameter: {name}")))
    }

    /// Every parameter, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            params: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// Parses `application/x-www-form-urlencoded` bytes.
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params = HashMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if params.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {key:?} is repeated; each parameter may appear once"
                )));
            }
        }
        Ok(Self { params })
    }
}

/// The form of a request, parsed by the middleware before the handler.
#[derive(Debug, Clone)]
pub struct ParsedForm(pub Result<Form, OAuthError>);

impl FromRequest for Form {
    type Error = OAuthError;
    type Future = LocalBoxFuture<'static, Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if let Some(ParsedForm(parsed)) = req.extensions_mut().remove::<ParsedForm>() {
            return Box::pin(std::future::ready(parsed));
        }
        let limit = body_limit(req);
        let checked = check_headers(req, limit);
        let payload = payload.take();
        Box::pin(async move {
            checked?;
            Form::parse(&read_limited(payload, limit).await?)
        })
    }
}

/// The configured body limit (64 KiB if none is configured).
pub fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<BodyLimit>>()
        .map_or(64 * 1024, |l| l.0)
}

/// The whole body, refused beyond `limit` bytes.
pub async fn read_limited(mut payload: Payload, limit: usize) -> Result<web::Bytes, OAuthError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            // The deadline of `server.body_timeout_ms` (`oidc::limits`).
            PayloadError::Io(late) if late.kind() == std::io::ErrorKind::TimedOut => {
                OAuthError::BodyTimeout(late.to_string())
            }
            e => OAuthError::invalid_request(format!("the request body could not be read: {e}")),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(limit: usize) -> OAuthError {
    OAuthError::PayloadTooLarge(format!("the request body is larger than {limit} bytes"))
}

/// Whether the request declares a form body.
pub fn is_form(headers: &header::HeaderMap) -> bool {
    essence(headers).as_deref() == Some("application/x-www-form-urlencoded")
}

/// The media type of `Content-Type`, lower case, without parameters.
fn essence(headers: &header::HeaderMap) -> Option<String> {
    headers.get(header::CONTENT_TYPE).map(|v| {
        v.to_str()
            .unwrap_or("(not text)")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    })
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), OAuthError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    if !is_form(req.headers()) {
        return Err(OAuthError::invalid_request(format!(
            "Content-Type must be application/x-www-form-urlencoded, got {}",
            content_type.map_or_else(|| "none".to_owned(), |ct| format!("{ct:?}"))
        )));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large(limit));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let form = Form::parse(b"scope=openid&binding_message=&login_hint=8").unwrap();
        assert_eq!(form.get("scope"), Some("openid"));
        assert_eq!(form.get("binding_message"), None);
        assert!(
            form.require("binding_message")
                .unwrap_err()
                .description()
                .contains("binding_message")
        );
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let err = Form::parse(b"scope=openid&scope=profile").unwrap_err();
        assert!(err.description().contains("\"scope\" is repeated"));
    }

    #[test]
    fn percent_encoding_is_decoded() {
        let form =
            Form::parse(b"login_hint=500000001815646%2FCPAT00045&scope=openid+scope_all").unwrap();
        assert_eq!(form.get("login_hint"), Some("500000001815646/CPAT00045"));
        assert_eq!(form.get("scope"), Some("openid scope_all"));
    }
}
