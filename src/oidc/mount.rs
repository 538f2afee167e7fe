//! How a route is mounted: its handlers by method, a JSON 405 whose `Allow`
//! header lists exactly the methods mounted (RFC 9110 §15.5.6), and, for a
//! protocol endpoint, the journal middleware told which endpoint it serves.
//! The endpoint is attached here, where the route is declared, rather than
//! recovered from the request's path.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::{Method, header};
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, web};

use super::observe;
use crate::endpoint::Endpoint;
use crate::error::OAuthError;

/// A resource being mounted, and the methods it answers so far.
pub struct Mount {
    resource: Resource,
    methods: Vec<Method>,
}

/// The methods a resource answers, for the `Allow` header of its 405s.
#[derive(Debug, Clone)]
struct Allow(String);

impl Mount {
    pub fn at(path: &str) -> Self {
        Self {
            resource: web::resource(path),
            methods: Vec::new(),
        }
    }

    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, handler)
    }

    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, handler)
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, handler)
    }

    fn route<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }

    /// The methods mounted, as an `Allow` header lists them.
    fn allow(&self) -> String {
        let names: Vec<&str> = self.methods.iter().map(Method::as_str).collect();
        names.join(", ")
    }

    /// The resource; any other method gets a JSON 405 with `Allow`.
    pub fn done(self) -> Resource {
        let allow = Allow(self.allow());
        self.resource
            .app_data(allow)
            .default_service(web::to(method_not_allowed))
    }

    /// The resource of a protocol endpoint, inside the journal middleware
    /// (`observe`), which is told the endpoint it serves.
    pub fn serving(self, endpoint: Endpoint) -> impl HttpServiceFactory {
        self.done().wrap(from_fn(move |req, next| {
            observe::observe(endpoint, req, next)
        }))
    }
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let error =
        OAuthError::MethodNotAllowed(format!("{} is not allowed on {}", req.method(), req.path()));
    let mut response = HttpResponse::from_error(error);
    if let Some(Allow(allow)) = req.app_data::<Allow>()
        && let Ok(value) = header::HeaderValue::from_str(allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
