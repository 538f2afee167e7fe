//! Validation of a professional before it enters the annuaire: required
//! fields, check digits, and codes from the nomenclatures.

use super::{AnnuaireError, Professional, luhn_valid, rpps_of};

pub(super) fn invalid(file: &str, id_nat: &str, field: &str, message: &str) -> AnnuaireError {
    AnnuaireError::Invalid {
        file: file.into(),
        id_nat: id_nat.into(),
        field: field.into(),
        message: message.into(),
    }
}

pub(super) fn validate(file: &str, p: &Professional) -> Result<(), AnnuaireError> {
    let id = p.id_nat.as_str();
    let fail = |field: &str, message: &str| Err(invalid(file, id, field, message));
    if id.is_empty() {
        return fail("idNat", "is required");
    }
    if id.starts_with('8') && id.len() == 12 {
        match rpps_of(id) {
            Some(rpps) if luhn_valid(rpps) => {}
            _ => {
                return fail(
                    "idNat",
                    "the RPPS number (after the leading 8) fails its Luhn check",
                );
            }
        }
    }
    for (field, value) in [("nom", &p.nom), ("prenom", &p.prenom)] {
        if value.trim().is_empty() {
            return fail(field, "is required");
        }
    }
    if !matches!(p.civilite.as_str(), "M" | "MME") {
        return fail("civilite", "must be \"M\" or \"MME\"");
    }
    if p.auth_modes.is_empty() {
        return fail("authModes", "needs at least one of \"MOBILE\", \"CARD\"");
    }
    for (i, exercice) in p.exercices.iter().enumerate() {
        if exercice.code_profession.is_empty() {
            return fail(&format!("exercices[{i}].codeProfession"), "is required");
        }
        for (j, activity) in exercice.activities.iter().enumerate() {
            if activity.identifiant_technique_de_la_structure.is_empty() {
                return fail(
                    &format!("exercices[{i}].activities[{j}].identifiantTechniqueDeLaStructure"),
                    "is required: every activity belongs to a structure",
                );
            }
        }
    }
    Ok(())
}

