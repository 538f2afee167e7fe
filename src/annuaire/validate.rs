//! Validation of a professional before it enters the annuaire: required
//! fields, check digits, and codes from the nomenclatures.

use super::{Problem, Professional, luhn_valid, rpps_of};

/// Everything wrong with `p` (empty when valid).
pub(super) fn validate(p: &Professional) -> Vec<Problem> {
    let mut problems = Vec::new();
    let id = p.id_nat.as_str();
    let mut fail = |field: &str, message: &str| {
        problems.push(Problem {
            id_nat: id.to_owned(),
            field: field.to_owned(),
            message: message.to_owned(),
        });
    };
    if id.is_empty() {
        fail("idNat", "is required");
    }
    if id.starts_with('8') && id.len() == 12 && !rpps_of(id).is_some_and(luhn_valid) {
        fail(
            "idNat",
            "the RPPS number (after the leading 8) fails its Luhn check",
        );
    }
    for (field, value) in [("nom", &p.nom), ("prenom", &p.prenom)] {
        if value.trim().is_empty() {
            fail(field, "is required");
        }
    }
    if !matches!(p.civilite.as_str(), "M" | "MME") {
        fail("civilite", "must be \"M\" or \"MME\"");
    }
    if p.auth_modes.is_empty() {
        fail("authModes", "needs at least one of \"MOBILE\", \"CARD\"");
    }
    for (i, exercice) in p.exercices.iter().enumerate() {
        if exercice.code_profession.is_empty() {
            fail(&format!("exercices[{i}].codeProfession"), "is required");
        }
        for (j, activity) in exercice.activities.iter().enumerate() {
            if activity.identifiant_technique_de_la_structure.is_empty() {
                fail(
                    &format!("exercices[{i}].activities[{j}].identifiantTechniqueDeLaStructure"),
                    "is required: every activity belongs to a structure",
                );
            }
        }
    }
    problems
}
