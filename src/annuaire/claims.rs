//! The claims PSC derives from a professional: userinfo and the identity
//! claims of the tokens (FACTS §4–5).
//!
//! Scope rule (PSC publishes no scope-to-claim table): `openid` gives the
//! identity claims; `scope_all` adds every professional claim (organisation,
//! role, sector, `SubjectRefPro`, …). `profile` and `email` are accepted and
//! add nothing beyond `openid`'s set. Organisation-level claims come from
//! the first activity of the first exercice.

use serde::Serialize;

use super::model::{AuthMode, Exercice, OtherId, Professional};

/// OIDs PSC appends to its coded values (FACTS §5).
const ROLE_OID: &str = "1.2.250.1.213.1.1.5.5";
const SECTOR_OID: &str = "1.2.250.1.71.4.2.4";
const PALIER: &str = "APPPRIP3^1.2.250.1.213.1.5.1.1.1";
const PSI_LOCALE: &str = "1.2.250.1.213.1.3.1.1";

/// The requested scopes that select claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeSet {
    pub all: bool,
}

impl ScopeSet {
    pub fn from_scope(scope: &str) -> Self {
        Self {
            all: scope.split_ascii_whitespace().any(|s| s == "scope_all"),
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
    pub professional: Option<ProfessionalClaims<'a>>,
}

/// What `scope_all` adds.
#[derive(Debug, Serialize)]
pub struct ProfessionalClaims<'a> {
    #[serde(rename = "SubjectOrganization")]
    pub organization: &'a str,
    #[serde(rename = "SubjectOrganizationID")]
    pub organization_id: &'a str,
    #[serde(rename = "SubjectRole")]
    pub roles: Vec<String>,
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
    #[serde(rename = "SubjectRefPro")]
    pub ref_pro: RefPro<'a>,
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
            professional: scopes.all.then(|| self.professional_claims()),
        }
    }

    fn professional_claims(&self) -> ProfessionalClaims<'_> {
        let main = self.main_activity();
        ProfessionalClaims {
            organization: main.map_or("", |a| a.raison_sociale_site.as_str()),
            organization_id: main.map_or("", |a| a.identifiant_technique_de_la_structure.as_str()),
            roles: self
                .exercices
                .iter()
                .map(|e| format!("{}^{ROLE_OID}", e.code_profession))
                .collect(),
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
            ref_pro: RefPro {
                code_civilite: &self.civilite,
                exercices: &self.exercices,
            },
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
    fn the_subject_is_stable() {
        let annuaire = Annuaire::load(None).unwrap();
        let p = annuaire.get("899700245667").unwrap();
        assert_eq!(p.subject(), p.subject());
        assert_eq!(p.subject().len(), 36);
    }
}
