//! `GET /mock/ui`: the e-CPS simulator, what the e-CPS phone app or
//! CPS-Gestion shows a health professional when a CIBA request arrives.
//!
//! One self-contained page (`ui.html`: HTML, CSS and a small script, no
//! external asset, so it works offline), in French. The script polls the
//! control API every second (`/mock/ciba/requests?status=pending`,
//! `/mock/ciba/recent`), shows each pending request as a card with
//! "Approuver" / "Refuser" buttons that POST to the same calls a test would,
//! and lists the fixture professionals. With `/mock/ui?token=…` every call
//! carries `Authorization: Bearer …`, for a control API behind a token.
//!
//! Stable hooks for browser tests: `#status` (the status line, errors
//! included), `#pending` (cards `.request[data-auth-req-id]` with
//! `button.approve` / `button.deny`), `#recent` (rows
//! `tr[data-auth-req-id]` with `data-outcome`), `#identities` (links
//! `a.identity[data-id-nat]`), `#identity-detail`.
//!
//! The script and style run under a Content-Security-Policy with a fresh
//! nonce per response; nothing else may load. Dynamic values are inserted
//! as text, never as HTML.

use actix_web::HttpResponse;
use actix_web::http::header;

use super::Unauthorized;
use crate::keys::random_id;

const PAGE: &str = include_str!("ui.html");

/// Where the per-response nonce goes in `ui.html`.
const NONCE_SLOT: &str = "{{nonce}}";

#[utoipa::path(
    get,
    path = "/mock/ui",
    tag = "ui",
    operation_id = "ui_page",
    responses(
        (status = 200, description = "The e-CPS simulator page", content_type = "text/html"),
        Unauthorized
    )
)]
pub async fn page() -> HttpResponse {
    // 256 random bits, base64url: valid CSP nonce characters.
    let nonce = random_id();
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // The page's URL may carry the control API token.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(PAGE.replace(NONCE_SLOT, &nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_one_script_and_one_style_both_with_the_nonce_slot() {
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert_eq!(PAGE.matches("<style").count(), 1);
        assert_eq!(PAGE.matches(NONCE_SLOT).count(), 2);
        assert!(PAGE.contains(&format!("<script nonce=\"{NONCE_SLOT}\">")));
        assert!(PAGE.contains(&format!("<style nonce=\"{NONCE_SLOT}\">")));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere_and_writes_no_html_from_data() {
        for forbidden in ["http://", "https://", " src=", "innerHTML", "style=\""] {
            assert!(!PAGE.contains(forbidden), "{forbidden}");
        }
        assert!(PAGE.contains("lang=\"fr\""));
    }
}
