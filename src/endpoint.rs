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
    /// The endpoint a request path (`/auth/realms/{realm}/…`, or PSC's
    /// `/auth`) is for; an unknown path is none.
    pub fn of_path(path: &str) -> Option<Self> {
        if path == WALLET_AUTHORIZE {
            return Some(Self::Authorize);
        }
        let under = path.strip_prefix("/auth/realms/")?;
        let Some((_realm, tail)) = under.split_once('/') else {
            return Some(Self::Realm);
        };
        let path = &path[path.len() - tail.len() - 1..];
        let table = [
            (DISCOVERY, Self::Discovery),
            (WALLET_DISCOVERY, Self::Discovery),
            (JWKS, Self::Jwks),
            (BC_AUTHORIZE, Self::BcAuthorize),
            (CIBA_CALLBACK, Self::CibaCallback),
            (TOKEN, Self::Token),
            (INTROSPECT, Self::Introspect),
            (REVOKE, Self::Revoke),
            (LOGOUT, Self::Logout),
            (USERINFO, Self::Userinfo),
            (AUTHORIZE, Self::Authorize),
            (LOGIN_PATH, Self::Login),
        ];
        table
            .into_iter()
            .find(|(known, _)| path == *known)
            .map(|(_, endpoint)| endpoint)
    }

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

#[cfg(test)]
mod tests {
    use super::{Endpoint, TOKEN};

    #[test]
    fn endpoints_are_named_by_their_exact_path() {
        let at = |tail: &str| Endpoint::of_path(&format!("/auth/realms/esante-wallet{tail}"));
        assert_eq!(at(TOKEN), Some(Endpoint::Token));
        assert_eq!(
            at("/protocol/openid-connect/token/introspect"),
            Some(Endpoint::Introspect)
        );
        assert_eq!(
            at("/protocol/openid-connect/auth/login"),
            Some(Endpoint::Login)
        );
        assert_eq!(at("/x/protocol/openid-connect/token"), None);
        assert_eq!(Endpoint::of_path("/protocol/openid-connect/token"), None);
    }
}
