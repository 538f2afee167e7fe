//! Who may use the control plane: anyone (the default, as suits a test
//! tool on a CI network), or whoever presents the control token
//! (`--control-token`) as `Authorization: Bearer <token>`, or as
//! `?access_token=` for callers that cannot set a header (RFC 6750 §2.3;
//! the conformance suite's approval call). The simulator page, opened by a
//! browser, also takes it as `?token=`. `/mock/health` stays open for
//! health checks. Before the token, the guard applies the cross-site checks
//! ([`Site`], `cross_site.rs`), which hold with or without a token.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use super::{Site, Unauthorized};

/// The control token, as app data; empty means open.
#[derive(Debug, Clone, Default)]
pub struct ControlToken(pub String);

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let site = req
        .app_data::<web::Data<Site>>()
        .map_or_else(|| Site::default().check(&req), |site| site.check(&req));
    if let Err(refused) = site {
        return Ok(req.into_response(actix_web::ResponseError::error_response(&refused)));
    }
    let expected = req
        .app_data::<web::Data<ControlToken>>()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    if expected.is_empty() || req.path() == "/mock/health" {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let presented = presented(&req);
    let valid = presented.as_deref().is_some_and(|p| {
        aws_lc_rs::constant_time::verify_slices_are_equal(p.as_bytes(), expected.as_bytes()).is_ok()
    });
    if valid {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let why = if presented.is_some() {
        "the control token presented is not the one the server was started with"
    } else {
        "the control API requires Authorization: Bearer <token> (the server was started with a control token)"
    };
    Ok(req.into_response(Unauthorized::new(why).into_response()))
}

/// The token sent in `Authorization: Bearer`, as `?access_token=`, or as
/// `?token=` to the page.
fn presented(req: &ServiceRequest) -> Option<String> {
    // The protocol endpoints' parser; a malformed header counts as none.
    let bearer = crate::oidc::bearer(req.request(), "control token")
        .ok()
        .flatten()
        .map(str::to_owned);
    let query = |name: &str| {
        form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    bearer
        .or_else(|| query("access_token"))
        .or_else(|| (req.path() == "/mock/ui").then(|| query("token")).flatten())
}
