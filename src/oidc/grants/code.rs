//! The authorization-code grant (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6): the
//! code is exchanged once, by its client, with its `redirect_uri` and, when
//! it was asked with a challenge, the matching `code_verifier`. A replayed
//! code ends the session it opened.

use super::Request;
use crate::codeflow::CodeError;
use crate::error::OAuthError;
use crate::tokens::TokenResponse;

pub fn redeem(request: &Request<'_>) -> Result<TokenResponse, OAuthError> {
    let Request {
        state,
        auth,
        form,
        now,
        ..
    } = *request;
    let code = form.require("code")?;
    let client_id = auth.client.client_id.as_str();
    let redeemed = state
        .codeflow
        .redeem(
            code,
            client_id,
            form.get("redirect_uri"),
            form.get("code_verifier"),
            now,
        )
        .map_err(|e| {
            if let CodeError::Replayed { session_id } = &e {
                state.sessions.end(session_id);
                tracing::warn!(
                    client_id,
                    "authorization code replayed: its session is ended"
                );
            }
            match e {
                CodeError::Full(_) => OAuthError::TemporarilyUnavailable(e.to_string()),
                other => OAuthError::invalid_grant(other.to_string()),
            }
        })?;
    let session = state
        .sessions
        .active(&redeemed.session_id, now)
        .ok_or_else(|| OAuthError::invalid_grant("Session not active: logged out or expired"))?;
    let professional = super::professional_of(state, &session.id_nat)?;
    super::issue(
        request,
        &session,
        &professional,
        &redeemed.scope,
        &redeemed.refresh_jti,
    )
}
