//! The protocol endpoints by name and path: Keycloak's paths under the
//! issuer (`/auth/realms/{realm}`), and PSC's wallet path of the login page.
//! A domain notion: faults and the journal designate endpoints by these
//! names, and the HTTP layer (`oidc`) mounts its handlers at these paths.

/// PSC's login page, at the root of the wallet host.
pub const WALLET_AUTHORIZE: &str = "/auth";
/// Where the login page's forms go, under the issuer.
pub const LOGIN_PATH: &str = "/protocol/openid-connect/auth/login";

/// Paths under the issuer.
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const WALLET_DISCOVERY: &str = "/.well-known/wallet-openid-configuration";
pub const JWKS: &str = "/protocol/openid-connect/certs";
pub const BC_AUTHORIZE: &str = "/protocol/openid-connect/ext/ciba/auth";
/// Keycloak's callback of its HTTP authentication channel.
pub const CIBA_CALLBACK: &str = "/protocol/openid-connect/ext/ciba/auth/callback";
pub const TOKEN: &str = "/protocol/openid-connect/token";
pub const USERINFO: &str = "/protocol/openid-connect/userinfo";
pub const AUTHORIZE: &str = "/protocol/openid-connect/auth";
pub const INTROSPECT: &str = "/protocol/openid-connect/token/introspect";
pub const REVOKE: &str = "/protocol/openid-connect/revoke";
pub const LOGOUT: &str = "/protocol/openid-connect/logout";

/// The endpoints by name, as faults and the journal designate them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Any endpoint (faults only).
    #[serde(rename = "*")]
    Any,
    /// The realm descriptor, `GET /auth/realms/{realm}`.
    Realm,
    Discovery,
    Jwks,
    BcAuthorize,
    /// The authentication channel's callback (`…/ext/ciba/auth/callback`).
    CibaCallback,
    Token,
    Userinfo,
    Authorize,
    Login,
    Introspect,
    Revoke,
    Logout,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "*",
            Self::Realm => "realm",
            Self::Discovery => "discovery",
            Self::Jwks => "jwks",
            Self::BcAuthorize => "bc_authorize",
            Self::CibaCallback => "ciba_callback",
            Self::Token => "token",
            Self::Userinfo => "userinfo",
            Self::Authorize => "authorize",
            Self::Login => "login",
            Self::Introspect => "introspect",
            Self::Revoke => "revoke",
            Self::Logout => "logout",
        }
    }
}
