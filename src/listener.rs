//! The protocol listener: HTTP/1.1 over TLS (or plain HTTP behind a
//! proxy), assembled from actix-http's HTTP/1 service and actix-tls's
//! acceptor rather than by actix-web's `HttpServer`.
//!
//! Why not `HttpServer`: its TLS listener offers `h2` by ALPN whenever
//! actix-http is built with HTTP/2, and awc, the outgoing client
//! (`outbound`), builds it so. psc-mock speaks HTTP/1.1 only
//! (docs/fidelity.md, "HTTP version"): its limits, timeouts and the `drop`
//! fault are HTTP/1 behaviour. Here the TLS configuration's ALPN list is the
//! one `tls::server_config` sets, and only the HTTP/1 dispatcher is built.
//!
//! The settings are `HttpServer`'s, which startup used before: the handshake
//! timeout and budget, the request head's timeout, a short linger on close,
//! keep-alive connections closed on shutdown, five seconds to finish.

use std::any::Any;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_http::error::DispatchError;
use actix_http::{Extensions, HttpService};
use actix_server::GracefulShutdownSignal;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_tls::accept::TlsError;
use actix_tls::accept::rustls_0_23::{Acceptor, TlsStream};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::tls::capture_peer_certificate;

/// How long a connection closed with its request's body unread (too
/// large, too late) still reads and discards what comes before closing, so
/// that the client reads the answer instead of a reset (actix-web's
/// default, stated).
const LINGER: Duration = Duration::from_secs(1);

/// The listener's limits and workers (docs/configuration.md, "Limits and
/// timeouts").
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    pub tls_handshake_timeout: Duration,
    /// Handshakes in progress at once, per worker.
    pub max_tls_handshakes: usize,
    pub request_timeout: Duration,
    /// 0: one per core.
    pub workers: usize,
    /// Whether the server stops on SIGINT/SIGTERM.
    pub signals: bool,
}

/// The protocol listener: what each worker's HTTP/1 service is made from.
#[derive(Clone)]
pub struct Listener<F> {
    app: F,
    addr: SocketAddr,
    secure: bool,
    listening: Listening,
    shutdown: GracefulShutdownSignal,
}

impl<F, T, B> Listener<F>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    /// Serves `app` on `listener`, over TLS with `tls` or in plain HTTP.
    pub fn serve(
        listener: TcpListener,
        tls: Option<ServerConfig>,
        listening: Listening,
        app: F,
    ) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let secure = tls.is_some();
        let mut builder = actix_server::Server::build().shutdown_timeout(5);
        if listening.workers > 0 {
            builder = builder.workers(listening.workers);
        }
        if !listening.signals {
            builder = builder.disable_signals();
        }
        let http = Self {
            app,
            addr,
            secure,
            listening,
            shutdown: builder.graceful_shutdown_signal(),
        };
        let builder = match tls {
            Some(config) => {
                // Process-wide in actix-tls: servers in one process share the
                // last value set.
                actix_tls::accept::max_concurrent_tls_connect(listening.max_tls_handshakes);
                builder.listen("psc-mock-https", listener, move || {
                    let mut acceptor = Acceptor::new(config.clone());
                    acceptor.set_handshake_timeout(listening.tls_handshake_timeout);
                    acceptor
                        .map_err(TlsError::into_service_error)
                        .map(|io: TlsStream<TcpStream>| {
                            let peer = io.get_ref().0.peer_addr().ok();
                            (io, peer)
                        })
                        .and_then(http.service().map_err(TlsError::Service))
                })?
            }
            None => builder.listen("psc-mock-http", listener, move || {
                fn_service(|io: TcpStream| {
                    let peer = io.peer_addr().ok();
                    std::future::ready(Ok((io, peer)))
                })
                .and_then(http.service())
            })?,
        };
        Ok(builder.run())
    }

    /// The HTTP/1 service of one worker, on connections of type `Io`.
    fn service<Io>(
        &self,
    ) -> impl ServiceFactory<
        (Io, Option<SocketAddr>),
        Config = (),
        Response = (),
        Error = DispatchError,
        InitError = (),
    > + use<Io, F, T, B>
    where
        Io: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        let shutdown = self.shutdown.clone();
        // What actix-web's connection info falls back to when no header
        // names the scheme or host: this listener's. (`__priv_test_new` is
        // the public constructor actix-web keeps for its test server; the
        // lock file pins the version it is read from.)
        let config = AppConfig::__priv_test_new(self.secure, self.addr.to_string(), self.addr);
        let factory = map_config(
            (self.app)().into_factory().map_err(|e| e.error_response()),
            move |()| config.clone(),
        );
        HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = shutdown.clone();
                async move { signal.notified().await }
            })
            .client_request_timeout(self.listening.request_timeout)
            .client_disconnect_timeout(LINGER)
            .local_addr(self.addr)
            .on_connect_ext(|io: &Io, data: &mut Extensions| {
                capture_peer_certificate(io as &dyn Any, data);
            })
            .h1(factory)
    }
}
