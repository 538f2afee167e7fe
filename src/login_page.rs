//! Placeholder: the login page's HTML (being written).

use crate::annuaire::AuthMode;

pub struct Candidate<'a> {
    pub id_nat: &'a str,
    pub name: String,
    pub profession: &'a str,
    pub organization: &'a str,
    pub auth_modes: &'a [AuthMode],
}

pub struct LoginPage<'a> {
    pub client_id: &'a str,
    pub tx: &'a str,
    pub submit_path: &'a str,
    pub search_path: &'a str,
    pub query: &'a str,
    pub candidates: &'a [Candidate<'a>],
    pub total: usize,
    pub preselected: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub fn login_page(page: &LoginPage<'_>) -> String {
    format!("<form>{}</form>", page.tx)
}

pub fn error_page(title: &str, message: &str) -> String {
    format!("{title}: {message}")
}

pub fn logged_out_page() -> String {
    String::new()
}
