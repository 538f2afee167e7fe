//! Validation of a professional before it enters the annuaire: required
//! fields, identifiers and their check digits, and every coded field against
//! its nomenclature (`nomenclature.rs`).
//!
//! Each problem names the field by its path in the file
//! (`exercices[0].activities[1].codeModeExercice`) and, for a code, the table
//! it is not in. Nothing is allocated for a field that is fine, so that
//! validating a large generated annuaire stays cheap.

use super::ids::{finess_valid, siren_valid, siret_valid};
use super::nomenclature::{
    CATEGORIE, CIVILITE, CIVILITE_EXERCICE, GENRE_ACTIVITE, MODE_EXERCICE, Nomenclature,
    PROFESSION, SAVOIR_FAIRE, SECTEUR_ACTIVITE, SECTION_PHARMACIEN, TYPE_SAVOIR_FAIRE,
    savoir_faire_fits,
};
use super::{Activity, Exercice, Problem, Professional, luhn_valid, rpps_of};

/// The `origine` values accepted in `otherIds`.
const ORIGINES: &[&str] = &["RPPS", "ADELI", "EDIT", "FINESS", "SIRET", "CAB"];

/// Everything wrong with `p` (empty when valid).
pub(super) fn validate(p: &Professional) -> Vec<Problem> {
    let mut c = Checker {
        id_nat: &p.id_nat,
        problems: Vec::new(),
    };
    c.check_id_nat();
    for (field, value) in [("nom", &p.nom), ("prenom", &p.prenom)] {
        if value.trim().is_empty() {
            c.fail(At::Top, field, "is required");
        }
    }
    c.code(At::Top, "civilite", &p.civilite, &CIVILITE, Need::Required);
    if p.auth_modes.is_empty() {
        c.fail(
            At::Top,
            "authModes",
            "needs at least one of \"MOBILE\", \"CARD\"",
        );
    }
    for (k, mode) in p.auth_modes.iter().enumerate() {
        if p.auth_modes[..k].contains(mode) {
            c.fail(
                At::Top,
                "authModes",
                format!("{:?} appears twice", mode.as_str()),
            );
        }
    }
    for (k, other) in p.other_ids.iter().enumerate() {
        let at = At::OtherId(k);
        c.required(at, "identifiant", &other.identifiant);
        if !ORIGINES.contains(&other.origine.as_str()) {
            c.fail(
                at,
                "origine",
                format!(
                    "unknown origine {:?} (expected one of {})",
                    other.origine,
                    ORIGINES.join(", ")
                ),
            );
        }
        if other.qualite > 9 {
            c.fail(at, "qualite", "must be a single digit, 0 to 9");
        }
    }
    for (i, exercice) in p.exercices.iter().enumerate() {
        c.exercice(i, exercice);
    }
    if let Some(Err(why)) = p.scenario.as_ref().map(|s| s.validate_shape()) {
        c.fail(At::Top, "scenario", why.to_string());
    }
    c.problems
}

/// Where a field sits in the professional; turned into a path only when a
/// problem is reported.
#[derive(Debug, Clone, Copy)]
enum At {
    Top,
    OtherId(usize),
    Exercice(usize),
    Activity(usize, usize),
}

impl At {
    fn path(self, field: &str) -> String {
        match self {
            Self::Top => field.to_owned(),
            Self::OtherId(k) => format!("otherIds[{k}].{field}"),
            Self::Exercice(i) => format!("exercices[{i}].{field}"),
            Self::Activity(i, j) => format!("exercices[{i}].activities[{j}].{field}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    /// `""` means "none" (PSC's convention for unknown values).
    Optional,
}

/// Collects the problems of one professional.
struct Checker<'a> {
    id_nat: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn fail(&mut self, at: At, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            id_nat: crate::identifiers::IdNat::new(self.id_nat),
            field: at.path(field),
            message: message.into(),
        });
    }

    fn required(&mut self, at: At, field: &str, value: &str) {
        if value.is_empty() {
            self.fail(at, field, "is required");
        }
    }

    /// Checks `value` against `table`; true when it is a code of the table.
    fn code(&mut self, at: At, field: &str, value: &str, table: &Nomenclature, need: Need) -> bool {
        if value.is_empty() {
            if need == Need::Required {
                self.fail(at, field, "is required");
            }
            false
        } else if table.contains(value) {
            true
        } else {
            self.fail(
                at,
                field,
                format!("unknown code {value:?} ({} {})", table.id, table.name),
            );
            false
        }
    }

    /// Checks a non-empty `value` with an identifier rule.
    fn identifier(
        &mut self,
        at: At,
        field: &str,
        value: &str,
        valid: fn(&str) -> bool,
        what: &str,
    ) {
        if !value.is_empty() && !valid(value) {
            self.fail(at, field, format!("{value:?} is not {what}"));
        }
    }

    fn check_id_nat(&mut self) {
        let id = self.id_nat;
        if id.is_empty() {
            self.fail(At::Top, "idNat", "is required");
        } else if id.chars().any(char::is_whitespace) {
            self.fail(At::Top, "idNat", "must not contain whitespace");
        } else if id.starts_with('8') && id.len() == 12 && !rpps_of(id).is_some_and(luhn_valid) {
            self.fail(
                At::Top,
                "idNat",
                "the RPPS number (after the leading 8) fails its Luhn check",
            );
        } else if id.starts_with('0') && id.len() == 10 && !id.bytes().all(|b| b.is_ascii_digit()) {
            self.fail(
                At::Top,
                "idNat",
                "an ADELI-based idNat is 0 followed by the 9 digits of the ADELI number",
            );
        }
    }

    fn exercice(&mut self, i: usize, e: &Exercice) {
        let at = At::Exercice(i);
        let profession = &e.code_profession;
        let known_profession = self.code(
            at,
            "codeProfession",
            profession,
            &PROFESSION,
            Need::Required,
        );
        let categorie = &e.code_categorie_professionnelle;
        self.code(
            at,
            "codeCategorieProfessionnelle",
            categorie,
            &CATEGORIE,
            Need::Required,
        );
        let civilite = &e.code_civilite_dexercice;
        self.code(
            at,
            "codeCiviliteDexercice",
            civilite,
            &CIVILITE_EXERCICE,
            Need::Optional,
        );
        let type_sf = &e.code_type_savoir_faire;
        self.code(
            at,
            "codeTypeSavoirFaire",
            type_sf,
            &TYPE_SAVOIR_FAIRE,
            Need::Optional,
        );
        let sf = &e.code_savoir_faire;
        if self.code(at, "codeSavoirFaire", sf, &SAVOIR_FAIRE, Need::Optional) {
            if known_profession && !savoir_faire_fits(profession, sf) {
                self.fail(
                    at,
                    "codeSavoirFaire",
                    format!(
                        "{sf:?} ({}) is not a savoir-faire of profession {profession:?} ({})",
                        SAVOIR_FAIRE.label(sf).unwrap_or_default(),
                        PROFESSION.label(profession).unwrap_or_default(),
                    ),
                );
            }
            if type_sf.is_empty() {
                self.fail(
                    at,
                    "codeTypeSavoirFaire",
                    "is required when codeSavoirFaire is set",
                );
            }
        }
        for (j, activity) in e.activities.iter().enumerate() {
            self.activity(At::Activity(i, j), profession, activity);
        }
    }

    fn activity(&mut self, at: At, profession: &str, a: &Activity) {
        if a.identifiant_technique_de_la_structure.is_empty() {
            // Not `required`: the message says why.
            self.fail(
                at,
                "identifiantTechniqueDeLaStructure",
                "is required: every activity belongs to a structure",
            );
        }
        self.code(
            at,
            "codeModeExercice",
            &a.code_mode_exercice,
            &MODE_EXERCICE,
            Need::Required,
        );
        let secteur = &a.code_secteur_dactivite;
        self.code(
            at,
            "codeSecteurDactivite",
            secteur,
            &SECTEUR_ACTIVITE,
            Need::Optional,
        );
        let genre = &a.code_genre_activite;
        self.code(
            at,
            "codeGenreActivite",
            genre,
            &GENRE_ACTIVITE,
            Need::Optional,
        );
        let section = &a.code_section_pharmacien;
        if self.code(
            at,
            "codeSectionPharmacien",
            section,
            &SECTION_PHARMACIEN,
            Need::Optional,
        ) && profession != "21"
        {
            self.fail(
                at,
                "codeSectionPharmacien",
                format!(
                    "only pharmacists (codeProfession \"21\") have a section, not {profession:?}"
                ),
            );
        }

        const FINESS: &str = "a FINESS number (9 digits, the last a Luhn check digit)";
        self.identifier(
            at,
            "numeroFinessSite",
            &a.numero_finess_site,
            finess_valid,
            FINESS,
        );
        let juridique = &a.numero_finessetablissement_juridique;
        self.identifier(
            at,
            "numeroFinessetablissementJuridique",
            juridique,
            finess_valid,
            FINESS,
        );
        let (siret, siren) = (&a.numero_siret_site, &a.numero_siren_site);
        self.identifier(
            at,
            "numeroSiretSite",
            siret,
            siret_valid,
            "a SIRET number (14 digits, the last a Luhn check digit)",
        );
        self.identifier(
            at,
            "numeroSirenSite",
            siren,
            siren_valid,
            "a SIREN number (9 digits, the last a Luhn check digit)",
        );
        // Compared only when both are well-formed, not to report one typo twice.
        if siret_valid(siret) && siren_valid(siren) && !siret.starts_with(siren.as_str()) {
            self.fail(
                at,
                "numeroSiretSite",
                format!("SIRET {siret:?} does not start with the SIREN {siren:?}"),
            );
        }

        self.identifier(
            at,
            "codePostal",
            &a.code_postal,
            postal_code,
            "a postal code (5 digits)",
        );
        self.identifier(
            at,
            "codeDepartement",
            &a.code_departement,
            departement,
            "a département code (2 or 3 digits, or 2A/2B)",
        );
        self.identifier(
            at,
            "codeCommune",
            &a.code_commune,
            commune,
            "an INSEE commune code (5 digits, or 2A/2B and 3 digits)",
        );
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn postal_code(s: &str) -> bool {
    s.len() == 5 && digits(s)
}

/// `01`…`95`, `971`…`976`-style overseas codes, or Corsica's `2A`/`2B`.
fn departement(s: &str) -> bool {
    matches!(s, "2A" | "2B") || (matches!(s.len(), 2 | 3) && digits(s))
}

/// The INSEE code of a commune: 5 digits, or `2A`/`2B` and 3 digits.
fn commune(s: &str) -> bool {
    s.len() == 5 && (digits(s) || ((s.starts_with("2A") || s.starts_with("2B")) && digits(&s[2..])))
}

#[cfg(test)]
mod tests {
    use super::super::{AuthMode, OtherId};
    use super::*;

    /// A médecin with a liberal practice and a hospital activity, valid.
    fn valid() -> Professional {
        Professional {
            id_nat: "899700245667".into(),
            sub: None,
            civilite: "M".into(),
            nom: "BRESSOLIER".into(),
            prenom: "ANTOINE".into(),
            email: String::new(),
            auth_modes: vec![AuthMode::Mobile, AuthMode::Card],
            other_ids: vec![OtherId {
                identifiant: "899700245667".into(),
                origine: "RPPS".into(),
                qualite: 1,
            }],
            exercices: vec![Exercice {
                code_profession: "10".into(),
                code_categorie_professionnelle: "C".into(),
                code_civilite_dexercice: "DR".into(),
                code_type_savoir_faire: "S".into(),
                code_savoir_faire: "SM54".into(),
                activities: vec![
                    Activity {
                        code_mode_exercice: "L".into(),
                        code_secteur_dactivite: "SA07".into(),
                        code_genre_activite: "GENR01".into(),
                        numero_siret_site: "83741592600018".into(),
                        numero_siren_site: "837415926".into(),
                        identifiant_technique_de_la_structure: "R10100000245661".into(),
                        code_postal: "69003".into(),
                        code_commune: "69383".into(),
                        code_departement: "69".into(),
                        ..Activity::default()
                    },
                    Activity {
                        code_mode_exercice: "S".into(),
                        code_secteur_dactivite: "SA01".into(),
                        code_genre_activite: "GENR01".into(),
                        numero_finess_site: "130018468".into(),
                        numero_finessetablissement_juridique: "130018450".into(),
                        identifiant_technique_de_la_structure: "F130018468".into(),
                        code_postal: "20000".into(),
                        code_commune: "2A004".into(),
                        code_departement: "2A".into(),
                        ..Activity::default()
                    },
                ],
                ..Exercice::default()
            }],
            scenario: None,
        }
    }

    fn exercice(p: &mut Professional) -> &mut Exercice {
        &mut p.exercices[0]
    }

    fn activity(p: &mut Professional, j: usize) -> &mut Activity {
        &mut p.exercices[0].activities[j]
    }

    #[test]
    fn the_valid_professional_is_valid_and_so_are_its_optional_blanks() {
        assert_eq!(validate(&valid()), []);
        let mut p = valid();
        let e = exercice(&mut p);
        e.code_civilite_dexercice.clear();
        e.code_type_savoir_faire.clear();
        e.code_savoir_faire.clear();
        for a in &mut e.activities {
            *a = Activity {
                code_mode_exercice: "B".into(),
                identifiant_technique_de_la_structure: "R1".into(),
                ..Activity::default()
            };
        }
        p.other_ids.clear();
        assert_eq!(validate(&p), []);
        let mut adeli = valid();
        adeli.id_nat = "0123456789".into();
        adeli.other_ids[0].origine = "ADELI".into();
        assert_eq!(validate(&adeli), []);
        let mut ans = valid();
        ans.id_nat = "500000001815646/CPAT00045".into();
        assert_eq!(validate(&ans), []);
    }

    type Mutation = fn(&mut Professional);

    #[test]
    fn each_broken_field_is_named_with_what_is_wrong() {
        let rows: &[(Mutation, &str, &str)] = &[
            (|p| p.id_nat = "".into(), "idNat", "is required"),
            (|p| p.id_nat = "8997 0024566".into(), "idNat", "whitespace"),
            (|p| p.id_nat = "899700245668".into(), "idNat", "Luhn"),
            (|p| p.id_nat = "012345678X".into(), "idNat", "ADELI"),
            (|p| p.nom = " ".into(), "nom", "is required"),
            (
                |p| p.civilite = "MLLE".into(),
                "civilite",
                "unknown code \"MLLE\" (TRE_R81 civilité)",
            ),
            (|p| p.civilite.clear(), "civilite", "is required"),
            (|p| p.auth_modes.clear(), "authModes", "at least one"),
            (
                |p| p.auth_modes.push(AuthMode::Card),
                "authModes",
                "\"CARD\" appears twice",
            ),
            (
                |p| p.other_ids[0].identifiant.clear(),
                "otherIds[0].identifiant",
                "is required",
            ),
            (
                |p| p.other_ids[0].origine = "NIR".into(),
                "otherIds[0].origine",
                "unknown origine \"NIR\"",
            ),
            (
                |p| p.other_ids[0].qualite = 10,
                "otherIds[0].qualite",
                "0 to 9",
            ),
            (
                |p| exercice(p).code_profession.clear(),
                "exercices[0].codeProfession",
                "is required",
            ),
            (
                |p| exercice(p).code_profession = "11".into(),
                "exercices[0].codeProfession",
                "unknown code \"11\" (TRE_G15 profession de santé)",
            ),
            (
                |p| exercice(p).code_categorie_professionnelle.clear(),
                "exercices[0].codeCategorieProfessionnelle",
                "is required",
            ),
            (
                |p| exercice(p).code_categorie_professionnelle = "F".into(),
                "exercices[0].codeCategorieProfessionnelle",
                "(TRE_R09 catégorie professionnelle)",
            ),
            (
                |p| exercice(p).code_civilite_dexercice = "DOC".into(),
                "exercices[0].codeCiviliteDexercice",
                "(TRE_R11 civilité d'exercice)",
            ),
            (
                |p| exercice(p).code_type_savoir_faire = "X".into(),
                "exercices[0].codeTypeSavoirFaire",
                "(TRE_R04 type de savoir-faire)",
            ),
            (
                |p| exercice(p).code_type_savoir_faire.clear(),
                "exercices[0].codeTypeSavoirFaire",
                "required when codeSavoirFaire is set",
            ),
            (
                |p| exercice(p).code_savoir_faire = "SM99".into(),
                "exercices[0].codeSavoirFaire",
                "unknown code \"SM99\" (TRE_R38 spécialité ordinale)",
            ),
            (
                |p| exercice(p).code_savoir_faire = "SCD01".into(),
                "exercices[0].codeSavoirFaire",
                "not a savoir-faire of profession \"10\" (Médecin)",
            ),
            (
                |p| activity(p, 1).identifiant_technique_de_la_structure.clear(),
                "exercices[0].activities[1].identifiantTechniqueDeLaStructure",
                "is required",
            ),
            (
                |p| activity(p, 1).code_mode_exercice.clear(),
                "exercices[0].activities[1].codeModeExercice",
                "is required",
            ),
            (
                |p| activity(p, 1).code_mode_exercice = "X".into(),
                "exercices[0].activities[1].codeModeExercice",
                "(TRE_R23 mode d'exercice)",
            ),
            (
                |p| activity(p, 0).code_secteur_dactivite = "SA99".into(),
                "exercices[0].activities[0].codeSecteurDactivite",
                "unknown code \"SA99\" (TRE_R02 secteur d'activité)",
            ),
            (
                |p| activity(p, 0).code_genre_activite = "GENR05".into(),
                "exercices[0].activities[0].codeGenreActivite",
                "(TRE_R22 genre d'activité)",
            ),
            (
                |p| activity(p, 0).code_section_pharmacien = "Z".into(),
                "exercices[0].activities[0].codeSectionPharmacien",
                "(TRE_R06 section du tableau de l'Ordre des pharmaciens)",
            ),
            (
                |p| activity(p, 0).code_section_pharmacien = "A".into(),
                "exercices[0].activities[0].codeSectionPharmacien",
                "only pharmacists",
            ),
            (
                |p| activity(p, 1).numero_finess_site = "130018469".into(),
                "exercices[0].activities[1].numeroFinessSite",
                "\"130018469\" is not a FINESS number",
            ),
            (
                |p| activity(p, 1).numero_finessetablissement_juridique = "13001845".into(),
                "exercices[0].activities[1].numeroFinessetablissementJuridique",
                "not a FINESS number",
            ),
            (
                |p| activity(p, 0).numero_siret_site = "83741592600019".into(),
                "exercices[0].activities[0].numeroSiretSite",
                "not a SIRET number",
            ),
            (
                |p| activity(p, 0).numero_siren_site = "837415927".into(),
                "exercices[0].activities[0].numeroSirenSite",
                "not a SIREN number",
            ),
            (
                |p| activity(p, 0).numero_siren_site = "732829320".into(),
                "exercices[0].activities[0].numeroSiretSite",
                "does not start with the SIREN \"732829320\"",
            ),
            (
                |p| activity(p, 0).code_postal = "6900".into(),
                "exercices[0].activities[0].codePostal",
                "not a postal code",
            ),
            (
                |p| activity(p, 0).code_departement = "6".into(),
                "exercices[0].activities[0].codeDepartement",
                "not a département code",
            ),
            (
                |p| activity(p, 0).code_departement = "2C".into(),
                "exercices[0].activities[0].codeDepartement",
                "not a département code",
            ),
            (
                |p| activity(p, 0).code_commune = "6938".into(),
                "exercices[0].activities[0].codeCommune",
                "not an INSEE commune code",
            ),
            (
                |p| activity(p, 0).code_commune = "2C004".into(),
                "exercices[0].activities[0].codeCommune",
                "not an INSEE commune code",
            ),
        ];
        for (mutate, field, fragment) in rows {
            let mut p = valid();
            mutate(&mut p);
            let problems = validate(&p);
            assert!(
                problems
                    .iter()
                    .any(|pb| pb.field == *field && pb.message.contains(fragment)),
                "expected {field}: …{fragment}…, got {problems:#?}"
            );
            assert!(
                problems.iter().all(|pb| pb.field == *field),
                "only {field} should fail, got {problems:#?}"
            );
            assert!(problems.iter().all(|pb| pb.id_nat == p.id_nat));
        }
    }

    #[test]
    fn a_pharmacist_has_a_section_and_others_no_savoir_faire_of_another_profession() {
        let mut p = valid();
        let e = exercice(&mut p);
        e.code_profession = "21".into();
        e.code_civilite_dexercice = "MME".into();
        e.code_type_savoir_faire.clear();
        e.code_savoir_faire.clear();
        e.activities[0].code_section_pharmacien = "A".into();
        e.activities[0].code_secteur_dactivite = "SA33".into();
        assert_eq!(validate(&p), []);

        let mut nurse = valid();
        let e = exercice(&mut nurse);
        e.code_profession = "60".into();
        e.code_savoir_faire = "SI07".into();
        assert_eq!(validate(&nurse), []);
        exercice(&mut nurse).code_profession = "50".into();
        let problems = validate(&nurse);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].message.contains("(Sage-Femme)"),
            "{problems:#?}"
        );
    }
}
