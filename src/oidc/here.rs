//! `Here`: the issuer and URLs of the current request, as a handler
//! argument (`Urls::for_request` on the server's state).

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::OAuthError;
use crate::state::AppState;
use crate::urls::Site;

/// The issuer and URLs of the current request.
pub struct Here(pub Arc<Site>);

impl FromRequest for Here {
    type Error = OAuthError;
    type Future = std::future::Ready<Result<Self, OAuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let site = match req.app_data::<web::Data<AppState>>() {
            Some(state) => state.urls.for_request(req).map(Here),
            None => Err(OAuthError::ServerError("no state".into())),
        };
        std::future::ready(site)
    }
}
