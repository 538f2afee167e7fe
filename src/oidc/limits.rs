//! The middleware around the whole `App` (protocol endpoints, control API
//! and the 404 alike) that holds the per-request limits of the listener
//! (docs/configuration.md, "Limits and timeouts"):
//!
//! - a request target longer than `server.max_uri_bytes` is refused 414,
//!   and a header block larger than `server.max_header_bytes` 431, both as
//!   JSON `invalid_request` naming the size and the limit. These limits sit
//!   below actix-http's own (a 65 534-byte target, a 128 KiB head, 96
//!   headers), past which its parser answers an empty 400 or 431 before any
//!   of our code runs;
//! - a request's body has `server.body_timeout_ms` to arrive, counted from
//!   when its head was read. A body that stops arriving is answered 408
//!   `invalid_request` and its connection closed, whoever was reading it.
//!
//! The limits of connections and handshakes are the listener's
//! (`listener`).

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::Stream;

use crate::config::ServerSettings;
use crate::error::OAuthError;

/// The per-request limits, as app data.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_uri_bytes: usize,
    pub max_header_bytes: usize,
    pub body_timeout: Duration,
}

impl Limits {
    pub fn of(server: &ServerSettings) -> Self {
        Self {
            max_uri_bytes: server.max_uri_bytes,
            max_header_bytes: server.max_header_bytes,
            body_timeout: Duration::from_millis(server.body_timeout_ms),
        }
    }

    /// The request target's and the headers' sizes, each against its limit.
    /// A header counts as on the wire: name, `: `, value, CRLF.
    fn check_head(self, req: &HttpRequest) -> Result<(), OAuthError> {
        let uri = req.uri();
        let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len())
            + uri.authority().map_or(0, |a| a.as_str().len());
        if target > self.max_uri_bytes {
            return Err(OAuthError::UriTooLong(format!(
                "the request target is {target} bytes long; the limit is {} bytes",
                self.max_uri_bytes
            )));
        }
        let headers: usize = req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        if headers > self.max_header_bytes {
            return Err(OAuthError::HeadersTooLarge(format!(
                "the request's headers take {headers} bytes; the limit is {} bytes",
                self.max_header_bytes
            )));
        }
        Ok(())
    }

    fn body_late(self) -> OAuthError {
        OAuthError::BodyTimeout(format!(
            "the request body did not arrive within {} ms",
            self.body_timeout.as_millis()
        ))
    }
}

pub async fn limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limits) = req.app_data::<web::Data<Limits>>().map(|l| *l.get_ref()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if let Err(refusal) = limits.check_head(req.request()) {
        return Ok(req.into_response(HttpResponse::from_error(refusal)));
    }
    // A request without a body has nothing to wait for.
    let headers = req.headers();
    let has_body = headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0");
    if !has_body {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let late = Rc::new(Cell::new(false));
    let payload = Deadline {
        inner: req.take_payload(),
        sleep: Box::pin(tokio::time::sleep(limits.body_timeout)),
        late: late.clone(),
        limits,
    };
    req.set_payload(Payload::from(
        Box::pin(payload) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let res = next.call(req).await?.map_into_boxed_body();
    if !late.get() {
        return Ok(res);
    }
    // Whoever read the body (a form, a JSON body, a handler), the answer is
    // the same 408, and the connection is closed.
    let (req, res) = res.into_parts();
    let answer = match res.status() {
        StatusCode::REQUEST_TIMEOUT => res,
        _ => HttpResponse::from_error(limits.body_late()),
    };
    let mut res = ServiceResponse::new(req, answer);
    res.response_mut()
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(res)
}

/// A request's body that fails with an I/O error of kind `TimedOut` once its
/// deadline has passed (which `form` answers as [`OAuthError::BodyTimeout`]),
/// and remembers that it did.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    late: Rc<Cell<bool>>,
    limits: Limits,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.late.get() {
            return Poll::Ready(None);
        }
        if let Poll::Ready(next) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(next);
        }
        if self.sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.late.set(true);
        let message = self.limits.body_late().description().to_owned();
        let late = std::io::Error::new(std::io::ErrorKind::TimedOut, message);
        Poll::Ready(Some(Err(PayloadError::Io(late))))
    }
}
