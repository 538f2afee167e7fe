//! Builds the server from settings and runs it: the entry point both for the
//! binary and for tests that start psc-mock in-process on port 0.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::annuaire::{Annuaire, AnnuaireError};
use crate::channel::AuthChannel;
use crate::clock::Clock;
use crate::config::{ConfigError, Settings};
use crate::control::{ControlToken, Site};
use crate::form::BodyLimit;
use crate::keys::KeyError;
use crate::listener::{Listener, Listening};
use crate::oidc::limits::{Limits, limits};
use crate::pki::{Pki, PkiError};
use crate::scenarios::ScriptFile;
use crate::state::AppState;
use crate::tls::{CertSource, server_config};
use crate::{control, oidc};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Annuaire(#[from] AnnuaireError),
    #[error(transparent)]
    Script(#[from] crate::scenarios::ScriptFileError),
    #[error(transparent)]
    Channel(#[from] crate::channel::ChannelError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Everything the protocol listener serves, for one `App`: the shared data,
/// the OIDC endpoints under the realm, the control API when it has no
/// listener of its own, and the JSON 404. The server and the in-process
/// fuzz harness both build their `App` with it.
pub fn protocol_services(
    settings: &Settings,
    state: &web::Data<AppState>,
    cert_source: &CertSource,
    with_control: bool,
) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let cert_source = cert_source.clone();
    let state = state.clone();
    let limit = BodyLimit(settings.server.max_body_bytes);
    let limits = Limits::of(&settings.server);
    let token = ControlToken(settings.control.token.clone());
    let site = Site::new(settings);
    let realm = settings.server.realm.clone();
    move |cfg| {
        cfg.app_data(state)
            .app_data(web::Data::new(cert_source))
            .app_data(web::Data::new(limit))
            .app_data(web::Data::new(limits))
            .app_data(web::Data::new(token))
            .app_data(web::Data::new(site))
            .configure(oidc::routes(&realm));
        if with_control {
            cfg.configure(control::routes);
        }
        cfg.default_service(web::to(oidc::not_found));
    }
}

/// A listening socket with `backlog` (std's `TcpListener::bind` uses 128,
/// which a burst of connections overflows: the next client then waits a
/// second for its retried SYN).
fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// How often finished CIBA requests are purged.
const PURGE_EVERY: Duration = Duration::from_secs(5);

/// A psc-mock server, bound and ready to run.
pub struct Application {
    port: u16,
    settings: Settings,
    server: Server,
    /// The control plane's own listener, when `control.bind` is set.
    control: Option<(u16, Server)>,
    state: web::Data<AppState>,
}

impl Application {
    /// Builds the server with the system clock, stopping on SIGINT/SIGTERM.
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with(settings, Clock::system(), true)
    }

    /// Builds the server with a given clock; `signals = false` for servers
    /// embedded in another program (tests), which stop them themselves.
    pub fn build_with(
        mut settings: Settings,
        clock: Clock,
        signals: bool,
    ) -> Result<Self, StartupError> {
        settings.validate()?;
        let pki = Pki::load(&settings.pki)?;
        let keys = crate::pki::signing_keys(&settings.pki, &settings.server.realm)?;
        let annuaire = Annuaire::load(settings.annuaire.file.as_deref())?;
        let (generated, seed) = (settings.annuaire.generated, settings.annuaire.seed);
        if generated > 0 {
            let source = format!("{generated} generated professionals (seed {seed})");
            annuaire.extend(
                &source,
                crate::annuaire::generate::generate(generated, seed),
            )?;
        }

        let script = match &settings.control.scenarios_file {
            Some(path) => ScriptFile::load(path, &annuaire)?,
            None => ScriptFile::default(),
        };

        let addr = settings.server.bind;
        let bind_err = |source| StartupError::Bind { addr, source };
        let backlog = settings.server.listen_backlog;
        let listener = listen(addr, backlog).map_err(bind_err)?;
        let local = listener.local_addr().map_err(bind_err)?;
        settings.server.bind = local;
        let control_listener = match settings.control.bind {
            Some(addr) => {
                let bind_err = |source| StartupError::Bind { addr, source };
                let listener = listen(addr, backlog).map_err(bind_err)?;
                let local = listener.local_addr().map_err(bind_err)?;
                settings.control.bind = Some(local);
                Some(listener)
            }
            None => None,
        };

        let mut state = AppState::new(&settings, clock, annuaire, keys, script);
        let uri = &settings.ciba.authentication_channel_uri;
        if !uri.is_empty() {
            let channel = AuthChannel::new(uri, &pki.client_cas, settings.ciba.max_requests)?;
            state.channel = Some(channel);
        }
        let state = web::Data::new(state);
        // Built once, not in each worker's App.
        let cert_source = CertSource::of(
            &settings.server,
            pki.client_cas.clone(),
            state.clock.clone(),
        );
        let control_token = web::Data::new(ControlToken(settings.control.token.clone()));
        let control_site = web::Data::new(Site::new(&settings));
        let control_here = control_listener.is_none();
        let app_state = state.clone();
        let services = settings.clone();
        let server_settings = &settings.server;
        let app = move || {
            App::new()
                .wrap(from_fn(limits))
                .configure(protocol_services(
                    &services,
                    &app_state,
                    &cert_source,
                    control_here,
                ))
        };
        // The listener's limits (docs/configuration.md, "Limits and
        // timeouts"): time for the TLS handshake and the request's head, and
        // handshakes at once per worker. That number is large on purpose:
        // with actix's default (256), a few hundred silent connections, each
        // holding its slot until the handshake timeout, kept every other
        // client waiting to be accepted; a handshake in progress costs
        // little memory and no CPU until its client speaks.
        let listening = Listening {
            tls_handshake_timeout: Duration::from_millis(server_settings.tls_handshake_timeout_ms),
            max_tls_handshakes: server_settings.max_tls_handshakes,
            request_timeout: Duration::from_millis(server_settings.request_timeout_ms),
            workers: server_settings.workers,
            signals,
        };
        let tls = if settings.server.tls {
            Some(server_config(pki)?)
        } else {
            None
        };
        let server = Listener::serve(listener, tls, listening, app).map_err(bind_err)?;

        let control = match (control_listener, settings.control.bind) {
            (Some(listener), Some(addr)) => {
                let bind_err = |source| StartupError::Bind { addr, source };
                let port = listener.local_addr().map_err(bind_err)?.port();
                let app_state = state.clone();
                let limits_data = web::Data::new(Limits::of(&settings.server));
                let mut control = HttpServer::new(move || {
                    App::new()
                        .wrap(from_fn(limits))
                        .app_data(app_state.clone())
                        .app_data(control_token.clone())
                        .app_data(control_site.clone())
                        .app_data(limits_data.clone())
                        .configure(control::routes)
                        .default_service(web::to(oidc::not_found))
                })
                .workers(1)
                .client_request_timeout(Duration::from_millis(settings.server.request_timeout_ms))
                .shutdown_timeout(5);
                if !signals {
                    control = control.disable_signals();
                }
                Some((port, control.listen(listener).map_err(bind_err)?.run()))
            }
            _ => None,
        };

        Ok(Self {
            port: local.port(),
            settings,
            server,
            control,
            state,
        })
    }

    /// The port of the control plane's own listener, if it has one.
    pub fn control_port(&self) -> Option<u16> {
        self.control.as_ref().map(|(port, _)| *port)
    }

    /// The base URL of the control plane: `<base>/mock`, or the separate
    /// listener's `http://<addr>/mock` (`localhost` for an unspecified
    /// address).
    pub fn control_url(&self) -> String {
        match self.settings.control.bind {
            Some(addr) => format!("http://{}/mock", crate::config::reachable_at(addr)),
            None => format!("{}/mock", self.settings.base_url()),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The issuer, e.g. `https://127.0.0.1:8443/auth/realms/esante-wallet`.
    pub fn issuer(&self) -> &str {
        self.state.issuer()
    }

    /// The effective settings (with the port actually bound).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many professionals the annuaire holds.
    pub fn professionals(&self) -> usize {
        self.state.annuaire.len()
    }

    /// The clock the server runs on.
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.state.clock
    }

    /// The shared state, for the in-process handle ([`crate::MockServer`]).
    pub(crate) fn state(&self) -> &web::Data<AppState> {
        &self.state
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs until stopped (a signal, or [`ServerHandle::stop`]), purging
    /// finished CIBA requests in the background.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // What start-up leaves undone (ARCHITECTURE.md, cross-cutting
        // concerns), done now on a thread of its own: aws-lc's random
        // generator set up (≈ 30 ms, then every TLS handshake uses it) and
        // the JWKS with its keys' certificates.
        let warm = self.state.clone();
        std::thread::spawn(move || {
            let _ = aws_lc_rs::rand::fill(&mut [0u8; 1]);
            let _ = warm.tokens.keys.jwks_json();
        });
        let state = self.state.clone();
        let purge = async move {
            let mut tick = tokio::time::interval(PURGE_EVERY);
            loop {
                tick.tick().await;
                let now = state.clock.now();
                let mut purged =
                    state.ciba.purge(now) + state.sessions.purge(now) + state.codeflow.purge(now);
                if let Some(channel) = &state.channel {
                    purged += channel.prune(|id| state.ciba.contains(id));
                }
                state.sessions.compact();
                state.codeflow.compact();
                if purged > 0 {
                    tracing::debug!(purged, "finished CIBA requests and sessions purged");
                }
            }
        };
        let control = self.control.map(|(_, server)| server);
        let control_handle = control.as_ref().map(Server::handle);
        let control = async move {
            match control {
                Some(server) => server.await,
                None => std::future::pending().await,
            }
        };
        let result = tokio::select! {
            result = self.server => result,
            result = control => result,
            () = purge => Ok(()),
        };
        if let Some(handle) = control_handle {
            handle.stop(true).await;
        }
        result
    }
}
