//! The tokens PSC issues and how presented ones are checked.
//!
//! Shapes follow real test-platform tokens (docs/fidelity.md): RS256 JWTs;
//! the access token has `typ: "Bearer"`, `azp` and no `aud`; the ID token
//! has `typ: "ID"`, `aud` = client_id as a string, and `at_hash`, and is
//! issued only when the scope has `openid` (Keycloak treats a request
//! without it as plain OAuth 2.0). The refresh token is Keycloak's: HS512
//! with the internal key (`keys::RefreshKey`), `typ: "Refresh"`, `aud` = the
//! issuer. For a client with `certificate_bound_access_tokens`, the access
//! token is bound to the certificate presented (`cnf.x5t#S256`, RFC 8705
//! §3).

mod verify;

pub use verify::TokenError;

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::annuaire::{AuthMode, OtherId, Professional};
use crate::clients::Lifetimes;
use crate::clock::unix_seconds;
use crate::identifiers::IdNat;
use crate::keys::{KeyError, Keys, RefreshKey, SigningKey, at_hash};
use crate::sessions::Session;
use crate::urls::Urls;

/// Why a service-account token is refused where a professional is needed.
pub const SERVICE_TOKEN: &str = "this access token comes from client_credentials: it speaks for the client, not for a professional";

/// The `typ` claim of the tokens Keycloak issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenType {
    /// An access token (and a service account's).
    Bearer,
    Refresh,
    #[serde(rename = "ID")]
    Id,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::Refresh => "Refresh",
            Self::Id => "ID",
        }
    }
}

/// RFC 8705 §3.1 confirmation claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub exp: u64,
    pub iat: u64,
    pub auth_time: u64,
    pub jti: String,
    pub iss: String,
    pub sub: String,
    pub typ: TokenType,
    pub azp: String,
    pub session_state: String,
    pub sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub acr: String,
    pub scope: String,
    #[serde(rename = "authMode")]
    pub auth_mode: AuthMode,
    #[serde(rename = "otherIds")]
    pub other_ids: Vec<OtherId>,
    #[serde(rename = "SubjectNameID")]
    pub subject_name_id: IdNat,
    pub preferred_username: IdNat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// Only in a `client_credentials` token (never issued with these
    /// claims): read so that such a token is told apart.
    #[serde(rename = "clientId", default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Never issued here; checked when a presented token has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// The claims of an ID token.
#[derive(Debug, Serialize)]
struct IdClaims<'a> {
    exp: u64,
    iat: u64,
    auth_time: u64,
    jti: String,
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    typ: TokenType,
    azp: &'a str,
    session_state: &'a str,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    acr: &'a str,
    #[serde(rename = "authMode")]
    auth_mode: AuthMode,
    #[serde(rename = "otherIds")]
    other_ids: &'a [OtherId],
    #[serde(rename = "SubjectNameID")]
    subject_name_id: &'a str,
    preferred_username: &'a str,
    given_name: &'a str,
    family_name: &'a str,
}

/// The claims of a refresh token, Keycloak 25's set (docs/fidelity.md):
/// `typ: "Refresh"`, `aud` = the issuer, no `session_state`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub typ: TokenType,
    pub azp: String,
    pub sid: String,
    pub scope: String,
    /// Bound like the access token (Keycloak binds both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The token endpoint's success body: Keycloak's field names and order;
/// `id_token` only when the scope has `openid`.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_expires_in: u64,
    pub refresh_token: String,
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(rename = "not-before-policy")]
    pub not_before_policy: u64,
    pub session_state: String,
    pub scope: String,
}

/// What a grant hands to [`TokenIssuer::issue`].
pub struct Grant<'a> {
    /// The login the tokens belong to (client, acr, channel, auth_time).
    pub session: &'a Session,
    pub professional: &'a Professional,
    /// The scope granted now (the session's, or less on refresh).
    pub scope: &'a str,
    /// The `jti` of the refresh token to issue, already recorded in the
    /// session as the next one accepted.
    pub refresh_jti: &'a str,
    /// `x5t#S256` of the client certificate, to bind the access token
    /// (clients with `certificate_bound_access_tokens` only).
    pub certificate_thumbprint: Option<&'a str>,
    /// The `iss` of the tokens: the issuer of the request's name.
    pub issuer: &'a str,
    /// The client's token lifetimes.
    pub lifetimes: &'a Lifetimes,
}

/// Signs the tokens of a grant with the active key, and checks presented
/// tokens against every published key.
pub struct TokenIssuer {
    pub keys: Keys,
    /// The internal key of refresh tokens, never published.
    refresh_key: RefreshKey,
    /// Which issuers a presented token may name.
    pub urls: Urls,
}

impl TokenIssuer {
    pub fn new(keys: Keys, urls: Urls) -> Self {
        Self {
            keys,
            refresh_key: RefreshKey::generate(),
            urls,
        }
    }

    pub fn issue(&self, grant: &Grant<'_>, now: SystemTime) -> Result<TokenResponse, KeyError> {
        let key = self.keys.active();
        let ttl = grant.lifetimes;
        let issuer = grant.issuer;
        let iat = unix_seconds(now);
        let s = grant.session;
        let auth_time = unix_seconds(s.auth_time);
        let session = s.id.clone();
        let client_id = s.client_id.as_str();
        let sub = grant.professional.subject();
        let p = grant.professional;

        let access = AccessClaims {
            exp: iat.saturating_add(ttl.access.as_secs()),
            iat,
            auth_time,
            jti: crate::keys::random_uuid(),
            iss: issuer.to_owned(),
            sub: sub.clone(),
            typ: TokenType::Bearer,
            azp: client_id.into(),
            session_state: session.clone(),
            sid: session.clone(),
            nonce: s.nonce.clone(),
            acr: s.acr.clone(),
            scope: grant.scope.into(),
            auth_mode: s.auth_mode,
            other_ids: p.other_ids.clone(),
            subject_name_id: p.id_nat.clone(),
            preferred_username: p.id_nat.clone(),
            cnf: confirmation(grant),
            client_id: None,
            nbf: None,
        };
        let access_token = sign_with(&key, &access, s.claims.as_deref())?;

        let openid = has_openid(grant.scope);
        let id = openid.then(|| IdClaims {
            exp: iat.saturating_add(ttl.id.as_secs()),
            iat,
            auth_time,
            jti: crate::keys::random_uuid(),
            iss: issuer,
            aud: client_id,
            sub: &sub,
            typ: TokenType::Id,
            azp: client_id,
            session_state: &session,
            sid: &session,
            nonce: s.nonce.as_deref(),
            at_hash: at_hash(&access_token),
            acr: &s.acr,
            auth_mode: s.auth_mode,
            other_ids: &p.other_ids,
            subject_name_id: &p.id_nat,
            preferred_username: &p.id_nat,
            given_name: &p.prenom,
            family_name: &p.nom,
        });
        let id_token = id
            .map(|id| sign_with(&key, &id, s.claims.as_deref()))
            .transpose()?;

        let refresh = RefreshClaims {
            exp: iat.saturating_add(ttl.refresh.as_secs()),
            iat,
            jti: grant.refresh_jti.to_owned(),
            iss: issuer.to_owned(),
            aud: issuer.to_owned(),
            sub,
            typ: TokenType::Refresh,
            azp: client_id.into(),
            sid: session.clone(),
            scope: grant.scope.into(),
            cnf: confirmation(grant),
        };
        let refresh_token = self.refresh_key.sign(&refresh)?;

        Ok(TokenResponse {
            access_token,
            expires_in: ttl.access.as_secs(),
            refresh_expires_in: ttl.refresh.as_secs(),
            refresh_token,
            token_type: "Bearer",
            id_token,
            not_before_policy: 0,
            session_state: session,
            scope: grant.scope.into(),
        })
    }
}

/// Signs `claims` with `key`, with `extra` claims (from a scenario) added
/// or replacing those of the same name.
fn sign_with<T: Serialize>(
    key: &SigningKey,
    claims: &T,
    extra: Option<&Map<String, Value>>,
) -> Result<String, KeyError> {
    let Some(extra) = extra else {
        return key.sign(claims);
    };
    key.sign(&with_claims(claims, extra)?)
}

/// `document` as JSON with `extra` claims (a scenario's) added, or
/// replacing those of the same name: the tokens' and userinfo's rule.
pub fn with_claims<T: Serialize>(
    document: &T,
    extra: &Map<String, Value>,
) -> Result<Value, serde_json::Error> {
    let mut value = serde_json::to_value(document)?;
    if let Some(map) = value.as_object_mut() {
        map.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(value)
}

/// The `cnf` claim of a grant bound to a certificate.
fn confirmation(grant: &Grant<'_>) -> Option<Confirmation> {
    grant.certificate_thumbprint.map(|t| Confirmation {
        x5t_s256: t.to_owned(),
    })
}

/// Whether a scope has `openid`: an OpenID Connect request, with an ID
/// token (Keycloak's `TokenUtil.isOIDCRequest`).
pub fn has_openid(scope: &str) -> bool {
    scope.split_ascii_whitespace().any(|s| s == "openid")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::outcome::check_claims;

    /// An access token's claims as the mock issues them.
    fn issued() -> AccessClaims {
        serde_json::from_value(json!({
            "exp": 2, "iat": 1, "auth_time": 1, "jti": "j", "iss": "i", "sub": "s",
            "typ": "Bearer", "azp": "c", "session_state": "x", "sid": "x", "acr": "eidas1",
            "scope": "openid", "authMode": "MOBILE",
            "otherIds": [{"identifiant": "10", "origine": "RPPS", "qualite": 1}],
            "SubjectNameID": "8", "preferred_username": "8"
        }))
        .unwrap()
    }

    /// What `check_claims` lets through, the mock still reads back from its
    /// own access tokens (userinfo, introspection): the check and the
    /// token's types agree.
    #[test]
    fn accepted_claims_keep_the_access_token_readable() {
        let mut accepted = vec![
            json!({"acr": "eidas2"}),
            json!({"otherIds": []}),
            json!({"otherIds": [{"identifiant": "x", "origine": "ADELI", "qualite": 255}]}),
            json!({"x-custom": {"any": [1, null]}, "given_name": "Zoé"}),
        ];
        for mode in [AuthMode::Mobile, AuthMode::Card] {
            accepted.push(json!({"authMode": mode.as_str()}));
        }
        for extra in accepted {
            let extra = extra.as_object().unwrap();
            check_claims(extra).unwrap();
            let value = with_claims(&issued(), extra).unwrap();
            let read: AccessClaims = serde_json::from_value(value).unwrap();
            assert!(read.client_id.is_none(), "{extra:?}");
        }
        // And what it refuses would not be read back as a professional's.
        for refused in [
            json!({"authMode": 123}),
            json!({"authMode": "FAX"}),
            json!({"otherIds": "x"}),
            json!({"otherIds": [{"identifiant": "x", "origine": "y", "qualite": 1, "z": 0}]}),
            json!({"acr": 1}),
        ] {
            let extra = refused.as_object().unwrap();
            assert!(check_claims(extra).is_err(), "{extra:?}");
            let value = with_claims(&issued(), extra).unwrap();
            assert!(serde_json::from_value::<AccessClaims>(value).is_err());
        }
    }
}
