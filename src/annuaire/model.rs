//! A professional as the fake Annuaire santé knows them.
//!
//! Field names are PSC's own (`SubjectRefPro` spellings, docs/annuaire.md), so that
//! the fixture file reads like the claims it produces and the exercices and
//! activities serialize to the wire shape unchanged. Every string that PSC
//! may leave unknown defaults to `""`, PSC's convention.

use serde::{Deserialize, Serialize};

use crate::identifiers::IdNat;

/// How the professional authenticates: the CIBA `channel` (docs/fidelity.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuthMode {
    /// The e-CPS phone app (PSC's default channel).
    #[serde(rename = "MOBILE")]
    Mobile,
    /// A CPx card through the CPS-Gestion desktop app.
    #[serde(rename = "CARD")]
    Card,
}

impl AuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "MOBILE",
            Self::Card => "CARD",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "MOBILE" => Some(Self::Mobile),
            "CARD" => Some(Self::Card),
            _ => None,
        }
    }
}

fn both_modes() -> Vec<AuthMode> {
    vec![AuthMode::Mobile, AuthMode::Card]
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Professional {
    /// National identifier (`8` + RPPS, `0` + ADELI, …): `SubjectNameID`,
    /// `preferred_username` and the CIBA `login_hint`.
    pub id_nat: IdNat,
    /// The OIDC `sub`; derived from `idNat` (a stable UUID) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `M` or `MME`.
    pub civilite: String,
    pub nom: String,
    pub prenom: String,
    #[serde(default)]
    pub email: String,
    /// The channels that can reach this professional.
    #[serde(default = "both_modes")]
    pub auth_modes: Vec<AuthMode>,
    /// Derived from `idNat` when absent (RPPS for `8…` ids).
    #[serde(default)]
    pub other_ids: Vec<OtherId>,
    #[serde(default)]
    pub exercices: Vec<Exercice>,
    /// psc-mock only, never in a claim: what this professional does with
    /// CIBA requests and logins when no scenario speaks for them (one who
    /// always refuses, one who never answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<crate::outcome::Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherId {
    pub identifiant: String,
    pub origine: String,
    pub qualite: u8,
}

/// One profession exercised (TRE_G15), with its category and know-how.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Exercice {
    pub code_profession: String,
    pub code_categorie_professionnelle: String,
    pub code_civilite_dexercice: String,
    pub nom_dexercice: String,
    pub prenom_dexercice: String,
    pub code_type_savoir_faire: String,
    pub code_savoir_faire: String,
    pub activities: Vec<Activity>,
}

/// One place of practice, with PSC's spellings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Activity {
    pub code_mode_exercice: String,
    pub code_secteur_dactivite: String,
    pub code_section_pharmacien: String,
    pub code_role: String,
    pub code_genre_activite: String,
    pub numero_siret_site: String,
    pub numero_siren_site: String,
    pub numero_finess_site: String,
    pub numero_finessetablissement_juridique: String,
    pub identifiant_technique_de_la_structure: String,
    pub raison_sociale_site: String,
    pub enseigne_commerciale_site: String,
    pub complement_destinataire: String,
    pub complement_point_geographique: String,
    pub numero_voie: String,
    pub indice_repetition_voie: String,
    pub code_type_de_voie: String,
    pub libelle_voie: String,
    pub mention_distribution: String,
    pub bureau_cedex: String,
    pub code_postal: String,
    pub code_commune: String,
    pub code_pays: String,
    pub telephone: String,
    pub telephone2: String,
    pub telecopie: String,
    #[serde(rename = "adresseEMail")]
    pub adresse_e_mail: String,
    pub code_departement: String,
    pub ancien_identifiant_de_la_structure: String,
    pub autorite_denregistrement: String,
}

impl Professional {
    /// The first activity of the first exercice: where PSC takes
    /// `SubjectOrganization`, `SubjectOrganizationID` and `Secteur_Activite`.
    pub fn main_activity(&self) -> Option<&Activity> {
        self.exercices
            .iter()
            .flat_map(|e| e.activities.first())
            .next()
    }

    pub fn reachable_by(&self, mode: AuthMode) -> bool {
        self.auth_modes.contains(&mode)
    }
}
