//! The login page's HTML (and the `form_post` page that carries a code
//! back to the client): what plays PSC's wallet page, where the
//! professional chooses how to authenticate (e-CPS app or CPS card) and
//! confirms or refuses. Server-rendered, inline styles, no script and no
//! external asset, so it works offline and in any test browser; in French,
//! with labelled controls and stable ids for browser tests (`#q`,
//! `#search`, radios `id_nat`, `#channel-MOBILE`, `#channel-CARD`,
//! `#approve`, `#deny`). Every dynamic value is escaped.

use std::fmt::Write;

use crate::annuaire::AuthMode;

/// A professional offered on the page.
pub struct Candidate<'a> {
    pub id_nat: &'a str,
    pub name: String,
    pub profession: &'a str,
    pub organization: &'a str,
    pub auth_modes: &'a [AuthMode],
}

pub struct LoginPage<'a> {
    /// The client asking, shown in the heading.
    pub client_id: &'a str,
    /// Id of the pending authorization request (hidden field `tx`).
    pub tx: &'a str,
    /// Where the choice form posts (tx, id_nat, channel, decision).
    pub submit_path: &'a str,
    /// Where the search form goes (GET with tx and q).
    pub search_path: &'a str,
    pub query: &'a str,
    /// Matching professionals, at most a page of them.
    pub candidates: &'a [Candidate<'a>],
    /// How many match in all.
    pub total: usize,
    /// The professional named by `login_hint`: checked.
    pub preselected: Option<&'a str>,
    pub notice: Option<&'a str>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f9;color:#1b1b1b}\
header{background:#00305e;color:#fff;padding:.8rem 1.5rem}header p{margin:.2rem 0 0;font-size:.9rem}\
main{max-width:44rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}\
fieldset{border:1px solid #c5cbd3;border-radius:6px;margin:1rem 0;padding:.8rem 1rem}\
legend{font-weight:600}label{display:block;padding:.35rem 0}\
.pro small{display:block;color:#4a4f57;margin-left:1.6rem}\
input[type=search]{padding:.45rem;width:60%;font-size:1rem}\
button{font-size:1rem;padding:.55rem 1.1rem;border-radius:5px;border:1px solid #00305e;cursor:pointer}\
#approve{background:#00305e;color:#fff}#deny,#search{background:#fff;color:#00305e}\
button:focus,input:focus{outline:3px solid #f5a623;outline-offset:2px}\
.notice{background:#fff4d6;border-left:4px solid #f5a623;padding:.6rem .8rem}";

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head><body>\
<header><strong>Pro Santé Connect — simulation (psc-mock)</strong>\
<p>Service de test : aucune donnée réelle, aucune vraie authentification.</p></header>\
<main>{body}</main></body></html>",
        title = escape(title)
    )
}

fn means(modes: &[AuthMode]) -> String {
    modes
        .iter()
        .map(|m| match m {
            AuthMode::Mobile => "e-CPS",
            AuthMode::Card => "carte CPS",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn login_page(page: &LoginPage<'_>) -> String {
    let mut body = format!(
        "<h1>Connexion à {client}</h1>",
        client = escape(page.client_id)
    );
    if let Some(notice) = page.notice {
        let _ = write!(
            body,
            "<p class=\"notice\" role=\"alert\">{}</p>",
            escape(notice)
        );
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"{search}\" role=\"search\">\
<input type=\"hidden\" name=\"tx\" value=\"{tx}\">\
<label for=\"q\">Rechercher un professionnel (nom ou identifiant national)</label>\
<input type=\"search\" id=\"q\" name=\"q\" value=\"{q}\"> \
<button type=\"submit\" id=\"search\">Rechercher</button></form>",
        search = escape(page.search_path),
        tx = escape(page.tx),
        q = escape(page.query),
    );
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{submit}\">\
<input type=\"hidden\" name=\"tx\" value=\"{tx}\"><input type=\"hidden\" name=\"q\" value=\"{q}\">\
<fieldset><legend>Professionnel de santé</legend>",
        submit = escape(page.submit_path),
        tx = escape(page.tx),
        q = escape(page.query),
    );
    if page.candidates.is_empty() {
        let _ = write!(
            body,
            "<p>Aucun professionnel ne correspond à « {} ».</p>",
            escape(page.query)
        );
    }
    for (i, c) in page.candidates.iter().enumerate() {
        let checked = if page.preselected == Some(c.id_nat) {
            " checked"
        } else {
            ""
        };
        let organization = if c.organization.is_empty() {
            String::new()
        } else {
            format!(" — {}", escape(c.organization))
        };
        let _ = write!(
            body,
            "<label class=\"pro\" for=\"pro-{i}\"><input type=\"radio\" id=\"pro-{i}\" name=\"id_nat\" value=\"{id}\"{checked}> \
{name}<small>{profession}{organization} · identifiant {id} · {means}</small></label>",
            id = escape(c.id_nat),
            name = escape(&c.name),
            profession = escape(c.profession),
            means = means(c.auth_modes),
        );
    }
    if page.total > page.candidates.len() {
        let _ = write!(
            body,
            "<p>{} résultats, {} affichés : affinez la recherche.</p>",
            page.total,
            page.candidates.len()
        );
    }
    body.push_str(
        "</fieldset><fieldset><legend>Moyen d'authentification</legend>\
<label for=\"channel-MOBILE\"><input type=\"radio\" id=\"channel-MOBILE\" name=\"channel\" value=\"MOBILE\" checked> Application e-CPS</label>\
<label for=\"channel-CARD\"><input type=\"radio\" id=\"channel-CARD\" name=\"channel\" value=\"CARD\"> Carte CPS (CPS-Gestion)</label>\
</fieldset><p>",
    );
    if !page.candidates.is_empty() {
        body.push_str(
            "<button type=\"submit\" id=\"approve\" name=\"decision\" value=\"approve\">Valider la connexion</button> ",
        );
    }
    body.push_str("<button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Refuser</button></p></form>");
    document(&format!("Connexion à {}", page.client_id), &body)
}

/// The pages' answer: HTML, never cached, never framed (a page the
/// professional confirms a login on must not be overlaid by another site).
pub fn html(status: actix_web::http::StatusCode, body: String) -> actix_web::HttpResponse {
    use actix_web::http::header;
    actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
        .body(body)
}

/// Errors that must not be redirected (unknown client, unregistered URI).
/// What to do after an error of the client's request.
pub const CHECK_CLIENT: &str = "Vérifiez la configuration du client (client_id, redirect_uri) et recommencez depuis l'application.";

/// An error page: what happened, then `advice` if any.
pub fn error_page(title: &str, message: &str, advice: &str) -> String {
    let advice = if advice.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape(advice))
    };
    document(
        title,
        &format!(
            "<h1>{}</h1><p role=\"alert\">{}</p>{advice}",
            escape(title),
            escape(message)
        ),
    )
}

/// The script of the `form_post` page: submit its form on load.
const SUBMIT_ON_LOAD: &str = "document.forms[0].submit()";

/// The `form_post` page's policy: no resource, only its own `onload`
/// handler (by hash), never framed.
pub const FORM_POST_CSP: &str = "default-src 'none'; script-src 'unsafe-hashes' 'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='; frame-ancestors 'none'";

/// The `form_post` response mode's page (Keycloak's shape): a form of
/// hidden fields that the page submits on load to the client's
/// `redirect_uri`, with a button for a browser without script.
pub fn form_post(action: &str, params: &[(&str, String)]) -> String {
    let mut fields = String::new();
    for (name, value) in params {
        let _ = write!(
            fields,
            "<INPUT TYPE=\"HIDDEN\" NAME=\"{}\" VALUE=\"{}\" />",
            escape(name),
            escape(value)
        );
    }
    format!(
        "<HTML><HEAD><TITLE>OIDC Form_Post Response</TITLE></HEAD>\
<BODY Onload=\"{SUBMIT_ON_LOAD}\">\
<FORM METHOD=\"POST\" ACTION=\"{}\">{fields}\
<NOSCRIPT><P>JavaScript is disabled. We strongly recommend to enable it. Click the button below to continue .</P>\
<INPUT name=\"continue\" TYPE=\"SUBMIT\" VALUE=\"CONTINUE\" /></NOSCRIPT>\
</FORM></BODY></HTML>",
        escape(action)
    )
}

/// After a logout without a redirect.
pub fn logged_out_page() -> String {
    document(
        "Déconnecté",
        "<h1>Vous êtes déconnecté</h1><p>La session Pro Santé Connect simulée est terminée.</p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [AuthMode; 2] = [AuthMode::Mobile, AuthMode::Card];

    fn page<'a>(candidates: &'a [Candidate<'a>], total: usize) -> LoginPage<'a> {
        LoginPage {
            client_id: "app",
            tx: "tx1",
            submit_path: "/login",
            search_path: "/login",
            query: "mar",
            candidates,
            total,
            preselected: Some("899700245667"),
            notice: None,
        }
    }

    fn candidate(name: &str) -> Candidate<'static> {
        Candidate {
            id_nat: "899700245667",
            name: name.into(),
            profession: "Médecin",
            organization: "CABINET",
            auth_modes: &BOTH,
        }
    }

    #[test]
    fn the_form_post_page_escapes_and_its_policy_allows_only_its_handler() {
        let html = form_post(
            "https://app/cb?x=\"1\"",
            &[("code", "a\"><script>".into()), ("state", "s".into())],
        );
        assert!(html.contains("ACTION=\"https://app/cb?x=&quot;1&quot;\""));
        assert!(html.contains("NAME=\"code\" VALUE=\"a&quot;&gt;&lt;script&gt;\""));
        assert!(!html.contains("<script>"));
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, SUBMIT_ON_LOAD.as_bytes());
        use base64::Engine;
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(FORM_POST_CSP.contains(&format!("'sha256-{hash}'")));
    }

    #[test]
    fn dynamic_values_are_escaped() {
        let list = [candidate("<script>alert(1)</script>")];
        let html = login_page(&page(&list, 1));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert_eq!(escape("a\"b'c&"), "a&quot;b&#39;c&amp;");
    }

    #[test]
    fn the_preselected_professional_is_checked_and_ids_are_stable() {
        let list = [candidate("CLAIRE MARTIN")];
        let html = login_page(&page(&list, 1));
        assert!(html.contains("value=\"899700245667\" checked"));
        for id in [
            "id=\"q\"",
            "id=\"search\"",
            "id=\"channel-MOBILE\"",
            "id=\"channel-CARD\"",
            "id=\"approve\"",
            "id=\"deny\"",
        ] {
            assert!(html.contains(id), "{id}");
        }
        assert!(html.contains("lang=\"fr\""));
    }

    #[test]
    fn more_matches_than_shown_ask_to_refine_and_none_hides_approve() {
        let list = [candidate("A B")];
        assert!(login_page(&page(&list, 40)).contains("40 résultats"));
        let empty = login_page(&page(&[], 0));
        assert!(empty.contains("Aucun professionnel"));
        assert!(!empty.contains("id=\"approve\"") && empty.contains("id=\"deny\""));
    }
}
