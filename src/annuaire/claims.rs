//! The claims PSC derives from a professional: userinfo and the identity
//! claims of the tokens (docs/annuaire.md, docs/fidelity.md).
//!
//! Scope rule (PSC publishes no scope-to-claim table; this follows what
//! integrators see with `scope_all` and the names of PSC's scopes; the table
//! of every scope is in docs/fidelity.md):
//! - `openid`: the identity claims (`sub`, `SubjectNameID`,
//!   `preferred_username`, names, `email_verified`, `authMode`, `otherIds`);
//!   without it there is no ID token and userinfo refuses the token;
//! - `rpps`: adds the professional record, `SubjectRefPro` and `SubjectRole`;
//! - `scope_all`: everything, adding the organisation and session claims;
//! - every other scope PSC publishes (`profile`, `email`, `identity`,
//!   `referentiel`, `eidas1`, `basic`, `acr`, `roles`, …) is accepted and
//!   adds nothing: PSC's identity claims already come with `openid`, and
//!   Keycloak's own mappers for them find no attribute to map.
//!
//! Derivations: `SubjectRole` lists every exercice's profession code;
//! `SubjectOrganization`, `SubjectOrganizationID` and `Secteur_Activite` come
//! from the first activity of the first exercice that has one (`""` when the
//! professional has no activity).

use serde::Serialize;

use super::model::{AuthMode, Exercice, OtherId, Professional};

/// OIDs PSC appends to its coded values (docs/annuaire.md).
const ROLE_OID: &str = "1.2.250.1.213.1.1.5.5";
const SECTOR_OID: &str = "1.2.250.1.71.4.2.4";
const PALIER: &str = "APPPRIP3^1.2.250.1.213.1.5.1.1.1";
const PSI_LOCALE: &str = "1.2.250.1.213.1.3.1.1";

/// The requested scopes that select claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeSet {
    /// `scope_all`: every claim.
    pub all: bool,
    /// `rpps` (or `scope_all`): the professional record.
    pub rpps: bool,
}

impl ScopeSet {
    pub fn from_scope(scope: &str) -> Self {
        let has = |name: &str| scope.split_ascii_whitespace().any(|s| s == name);
        let all = has("scope_all");
        Self {
            all,
            rpps: all || has("rpps"),
        }
    }
}

/// The userinfo document, with PSC's names, types and `""` conventions.
#[derive(Debug, Serialize)]
pub struct UserInfo<'a> {
    pub sub: String,
    #[serde(rename = "SubjectNameID")]
    pub subject_name_id: &'a str,
    pub preferred_username: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email_verified: bool,
    #[serde(rename = "authMode")]
    pub auth_mode: &'static str,
    #[serde(rename = "otherIds")]
    pub other_ids: &'a [OtherId],
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationClaims<'a>>,
    #[serde(rename = "SubjectRole", skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(rename = "SubjectRefPro", skip_serializing_if = "Option::is_none")]
    pub ref_pro: Option<RefPro<'a>>,
}

/// What `scope_all` adds besides the professional record.
#[derive(Debug, Serialize)]
pub struct OrganizationClaims<'a> {
    #[serde(rename = "SubjectOrganization")]
    pub organization: &'a str,
    #[serde(rename = "SubjectOrganizationID")]
    pub organization_id: &'a str,
    #[serde(rename = "Secteur_Activite")]
    pub secteur_activite: String,
    #[serde(rename = "Palier_Authentification")]
    pub palier: &'static str,
    #[serde(rename = "PSI_Locale")]
    pub psi_locale: &'static str,
    #[serde(rename = "UITVersion")]
    pub uit_version: &'static str,
    #[serde(rename = "Acces_Regulation_Medicale")]
    pub acces_regulation_medicale: &'static str,
    #[serde(rename = "Mode_Acces_Raison")]
    pub mode_acces_raison: &'static str,
}

#[derive(Debug, Serialize)]
pub struct RefPro<'a> {
    #[serde(rename = "codeCivilite")]
    pub code_civilite: &'a str,
    pub exercices: &'a [Exercice],
}

impl Professional {
    /// The stable OIDC subject: the configured one, or a UUID derived from
    /// the idNat so that it survives restarts.
    pub fn subject(&self) -> String {
        self.sub.clone().unwrap_or_else(|| {
            uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, self.id_nat.as_bytes()).to_string()
        })
    }

    pub fn userinfo(&self, scopes: ScopeSet, mode: AuthMode) -> UserInfo<'_> {
        UserInfo {
            sub: self.subject(),
            subject_name_id: &self.id_nat,
            preferred_username: &self.id_nat,
            given_name: &self.prenom,
            family_name: &self.nom,
            email_verified: false,
            auth_mode: mode.as_str(),
            other_ids: &self.other_ids,
            organization: scopes.all.then(|| self.organization_claims()),
            roles: scopes.rpps.then(|| {
                self.exercices
                    .iter()
                    .map(|e| format!("{}^{ROLE_OID}", e.code_profession))
                    .collect()
            }),
            ref_pro: scopes.rpps.then_some(RefPro {
                code_civilite: &self.civilite,
                exercices: &self.exercices,
            }),
        }
    }

    fn organization_claims(&self) -> OrganizationClaims<'_> {
        let main = self.main_activity();
        OrganizationClaims {
            organization: main.map_or("", |a| a.raison_sociale_site.as_str()),
            organization_id: main.map_or("", |a| a.identifiant_technique_de_la_structure.as_str()),
            secteur_activite: main
                .filter(|a| !a.code_secteur_dactivite.is_empty())
                .map_or_else(String::new, |a| {
                    format!("{}^{SECTOR_OID}", a.code_secteur_dactivite)
                }),
            palier: PALIER,
            psi_locale: PSI_LOCALE,
            uit_version: "1.0",
            acces_regulation_medicale: "FAUX",
            mode_acces_raison: "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annuaire::Annuaire;

    #[test]
    fn openid_alone_gives_identity_claims_only() {
        let annuaire = Annuaire::load(None).unwrap();
        let p = annuaire.get("899700245667").unwrap();
        let json =
            serde_json::to_value(p.userinfo(ScopeSet::from_scope("openid"), AuthMode::Mobile))
                .unwrap();
        assert_eq!(json["SubjectNameID"], "899700245667");
        assert_eq!(json["preferred_username"], "899700245667");
        assert_eq!(json["otherIds"][0]["origine"], "RPPS");
        assert!(json.get("SubjectRefPro").is_none());
    }

    #[test]
    fn scope_all_adds_the_professional_claims_with_empty_strings_not_nulls() {
        let annuaire = Annuaire::load(None).unwrap();
        let p = annuaire.get("899700245667").unwrap();
        let json = serde_json::to_value(
            p.userinfo(ScopeSet::from_scope("openid scope_all"), AuthMode::Card),
        )
        .unwrap();
        assert_eq!(json["authMode"], "CARD");
        assert!(
            json["SubjectRole"][0]
                .as_str()
                .unwrap()
                .ends_with("^1.2.250.1.213.1.1.5.5")
        );
        let activity = &json["SubjectRefPro"]["exercices"][0]["activities"][0];
        assert!(activity["numeroSiretSite"].is_string());
        assert!(activity.get("adresseEMail").is_some());
        fn no_nulls(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Null => false,
                serde_json::Value::Array(a) => a.iter().all(no_nulls),
                serde_json::Value::Object(o) => o.values().all(no_nulls),
                _ => true,
            }
        }
        assert!(no_nulls(&json));
    }

    #[test]
    fn each_scope_selects_its_claims() {
        let annuaire = Annuaire::load(None).unwrap();
        let p = annuaire.get("899700245667").unwrap();
        let keys = |scope: &str| {
            let json =
                serde_json::to_value(p.userinfo(ScopeSet::from_scope(scope), AuthMode::Mobile))
                    .unwrap();
            let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        let openid = keys("openid");
        assert_eq!(keys("openid profile email identity"), openid);
        let rpps = keys("openid rpps");
        assert!(rpps.contains(&"SubjectRefPro".into()) && rpps.contains(&"SubjectRole".into()));
        assert!(!rpps.contains(&"SubjectOrganization".into()));
        let all = keys("openid scope_all");
        assert!(
            all.contains(&"SubjectOrganization".into()) && all.contains(&"SubjectRefPro".into())
        );
        assert!(openid.iter().all(|k| rpps.contains(k)) && rpps.iter().all(|k| all.contains(k)));
    }

    #[test]
    fn the_subject_is_stable() {
        let annuaire = Annuaire::load(None).unwrap();
        let p = annuaire.get("899700245667").unwrap();
        assert_eq!(p.subject(), p.subject());
        assert_eq!(p.subject().len(), 36);
    }
}
