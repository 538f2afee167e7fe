//! Keycloak's HTTP authentication channel, for teams whose device
//! simulator already speaks it.
//!
//! With `ciba.authentication_channel_uri` set, each new CIBA request is
//! POSTed there as Keycloak's `HttpAuthenticationChannelProvider` does:
//! JSON with `login_hint` (the professional's username, here the idNat),
//! `scope`, `is_consent_required`, `binding_message` and `acr_values`
//! (absent when the client sent none), PSC's `channel` passed on as
//! Keycloak passes on parameters it does not know, and `Authorization:
//! Bearer <token>`: a JWT signed with the realm's active key (`typ`
//! Bearer, `iss`, `aud` = the issuer, `azp` = the client, `sub` = the
//! professional, `jti` naming the request, `exp` = its expiry). The device
//! must answer 201 Created, or the client's bc-authorize gets 503
//! `server_error` and the request is dropped, as in Keycloak.
//!
//! The device then answers at `…/ext/ciba/auth/callback` with the same
//! bearer token and `{"status": "SUCCEED" | "UNAUTHORIZED" | "CANCELLED"}`
//! (`oidc::ciba_callback`). The request also stays answerable through the
//! control API, the simulator page and scenarios: the first answer wins.

use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::clock::unix_seconds;
use crate::error::OAuthError;
use crate::keys::random_id;
use crate::outbound::{Outbound, OutboundError, Trust, error_chain};
use crate::tokens::{TokenIssuer, TokenType};

/// How long the device may take to acknowledge a request.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The body Keycloak POSTs to the channel.
#[derive(Debug, Serialize)]
pub struct ChannelRequest<'a> {
    pub login_hint: &'a str,
    pub scope: &'a str,
    pub is_consent_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<&'a str>,
    /// PSC's `MOBILE` or `CARD`, when the client sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<&'a str>,
}

/// The claims of the bearer token the device gets and sends back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelClaims {
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub typ: String,
    pub azp: String,
}

/// What the device's token says of its request.
pub struct Draft<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub subject: &'a str,
    pub expires_at: SystemTime,
}

/// The channel: where to POST, and which request each token names.
#[derive(Debug)]
pub struct AuthChannel {
    uri: String,
    http: Outbound,
    /// A token's `jti` → the auth_req_id it speaks for. Links of requests
    /// that left the CIBA store are dropped by [`AuthChannel::prune`].
    links: DashMap<String, String>,
    /// Most links at once: the CIBA store's cap, and as many again for
    /// requests that left it since the last prune.
    cap: usize,
}

/// Why the authentication channel's client could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("authentication channel client: {0}")]
pub struct ChannelError(#[from] OutboundError);

impl AuthChannel {
    /// A channel to `uri`, trusting the system's CAs and `extra_roots`
    /// (the test CA) for an https URI; `store_cap` is the CIBA store's.
    pub fn new(
        uri: &str,
        extra_roots: &[CertificateDer<'static>],
        store_cap: usize,
    ) -> Result<Self, ChannelError> {
        let http = Outbound::new(Trust::SystemAnd(extra_roots), None, TIMEOUT)?;
        Ok(Self {
            uri: uri.to_owned(),
            http,
            links: DashMap::new(),
            cap: store_cap.saturating_mul(2),
        })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Signs the token that names `auth_req_id` for the device and links
    /// the two; returns the token and its `jti`.
    pub fn token(
        &self,
        tokens: &TokenIssuer,
        auth_req_id: &str,
        draft: &Draft<'_>,
        now: SystemTime,
    ) -> Result<(String, String), OAuthError> {
        if self.links.len() >= self.cap {
            return Err(OAuthError::TemporarilyUnavailable(format!(
                "{} CIBA requests wait on the authentication channel; try again once some have finished",
                self.links.len()
            )));
        }
        let claims = ChannelClaims {
            exp: unix_seconds(draft.expires_at),
            iat: unix_seconds(now),
            jti: random_id(),
            iss: draft.issuer.to_owned(),
            aud: draft.issuer.to_owned(),
            sub: draft.subject.to_owned(),
            typ: TokenType::Bearer.as_str().into(),
            azp: draft.client_id.to_owned(),
        };
        let token = tokens
            .keys
            .active()
            .sign(&claims)
            .map_err(|e| OAuthError::ServerError(e.to_string()))?;
        self.links
            .insert(claims.jti.clone(), auth_req_id.to_owned());
        Ok((token, claims.jti))
    }

    /// POSTs a new request to the device; `Ok` once it answered 201.
    pub async fn notify(&self, token: &str, body: &ChannelRequest<'_>) -> Result<(), OAuthError> {
        let sent = self
            .http
            .client()
            .post(&self.uri)
            .bearer_auth(token)
            .send_json(body)
            .await
            .map_err(|e| {
                OAuthError::ChannelFailed(format!(
                    "Failed to send authentication request to the authentication channel {}: {}",
                    self.uri,
                    error_chain(&e)
                ))
            })?;
        let status = sent.status();
        if status != awc::http::StatusCode::CREATED {
            return Err(OAuthError::ChannelFailed(format!(
                "Unexpected response from authentication device: HTTP {status} from {} (the channel must answer 201 Created, as Keycloak requires)",
                self.uri
            )));
        }
        Ok(())
    }

    /// The auth_req_id a device token names, if its request may still be
    /// answered.
    pub fn request_of(&self, jti: &str) -> Option<String> {
        self.links.get(jti).map(|id| id.clone())
    }

    /// Forgets a link (its request was dropped, or answered).
    pub fn unlink(&self, jti: &str) {
        self.links.remove(jti);
    }

    /// Drops the links of requests that left the store.
    pub fn prune(&self, alive: impl Fn(&str) -> bool) -> usize {
        let before = self.links.len();
        self.links.retain(|_, auth_req_id| alive(auth_req_id));
        before.saturating_sub(self.links.len())
    }

    pub fn clear(&self) {
        self.links.clear();
    }
}
