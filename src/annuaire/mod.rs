//! The fake Annuaire santé: the professionals psc-mock can authenticate.
//!
//! Loaded from a JSON fixture file (the bundled `fixtures/annuaire.json` by
//! default), validated as a whole before the server starts, then looked up
//! by national identifier (`idNat`, the CIBA `login_hint`) in O(1).

mod claims;
mod communes;
pub mod generate;
mod ids;
mod model;
mod names;
pub mod nomenclature;
mod validate;

use std::path::Path;
use std::sync::Arc;

use dashmap::DashMap;
use serde::Deserialize;

use crate::identifiers::IdNat;
pub use claims::{ScopeSet, UserInfo};
pub use ids::{luhn_valid, rpps_of};
pub use model::{Activity, AuthMode, Exercice, OtherId, Professional};
use validate::validate;

/// The bundled fixture file.
pub const BUNDLED: &str = include_str!("../../fixtures/annuaire.json");

#[derive(Debug, thiserror::Error)]
pub enum AnnuaireError {
    #[error("cannot read annuaire file {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("annuaire file {file}: {message}")]
    Parse { file: String, message: String },
    #[error("annuaire file {file} is invalid:{}", list(.problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

/// One thing wrong with one professional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub id_nat: IdNat,
    /// The field's path in the file, e.g. `exercices[0].activities[1].codePostal`.
    pub field: String,
    pub message: String,
}

/// Why a professional could not be added at run time.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("invalid professional:{}", list(.0))]
    Invalid(Vec<Problem>),
    #[error("a professional with idNat {0:?} already exists")]
    Exists(IdNat),
    #[error("no more professionals can be added at run time ({0} at most); DELETE some")]
    Full(usize),
}

/// The most professionals the annuaire holds (generated ones included).
pub const MAX_PROFESSIONALS: usize = 2_000_000;

/// The most professionals added at run time through the control API.
pub const MAX_ADDED: usize = 10_000;

/// At most this many problems are reported at once.
const MAX_PROBLEMS: usize = 20;

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            format!(
                "\n  professional {:?}, field {}: {}",
                p.id_nat, p.field, p.message
            )
        })
        .collect()
}

/// The fixture file: `{"professionals": [...]}`.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    pub professionals: Vec<Professional>,
}

impl FixtureFile {
    /// Pretty JSON in the fixture file's field order.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self).map(|mut text| {
            text.push('\n');
            text
        })
    }
}

/// Every known professional, by idNat.
#[derive(Debug, Default)]
pub struct Annuaire {
    by_id_nat: DashMap<IdNat, Arc<Professional>>,
    /// Professionals added at run time (control API) and still there.
    added: std::sync::atomic::AtomicUsize,
}

impl Annuaire {
    /// Loads and validates a fixture file, or the bundled one.
    pub fn load(path: Option<&Path>) -> Result<Self, AnnuaireError> {
        match path {
            None => Self::from_json("fixtures/annuaire.json (bundled)", BUNDLED),
            Some(path) => {
                let file = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|source| AnnuaireError::Read {
                    file: file.clone(),
                    source,
                })?;
                Self::from_json(&file, &text)
            }
        }
    }

    pub fn from_json(file: &str, text: &str) -> Result<Self, AnnuaireError> {
        let parsed: FixtureFile = serde_json::from_str(text).map_err(|e| AnnuaireError::Parse {
            file: file.into(),
            message: e.to_string(),
        })?;
        Self::from_professionals(file, parsed.professionals)
    }

    /// Validates every professional (reporting up to twenty problems at
    /// once), completes the derivable fields, and indexes them by idNat.
    pub fn from_professionals(
        file: &str,
        professionals: Vec<Professional>,
    ) -> Result<Self, AnnuaireError> {
        let annuaire = Self::default();
        annuaire.extend(file, professionals)?;
        Ok(annuaire)
    }

    /// Adds a batch (a file, generated professionals): all or nothing.
    pub fn extend(
        &self,
        file: &str,
        professionals: Vec<Professional>,
    ) -> Result<(), AnnuaireError> {
        let mut problems = Vec::new();
        let mut batch = std::collections::HashMap::with_capacity(professionals.len());
        for mut professional in professionals {
            let found = validate(&professional);
            if !found.is_empty() {
                problems.extend(found);
            } else if batch.contains_key(&professional.id_nat)
                || self.by_id_nat.contains_key(&professional.id_nat)
            {
                problems.push(Problem {
                    id_nat: professional.id_nat.clone(),
                    field: "idNat".into(),
                    message: "appears twice".into(),
                });
            } else {
                complete(&mut professional);
                batch.insert(professional.id_nat.clone(), Arc::new(professional));
            }
            if problems.len() >= MAX_PROBLEMS {
                break;
            }
        }
        if !problems.is_empty() {
            return Err(AnnuaireError::Invalid {
                file: file.into(),
                problems,
            });
        }
        for (id_nat, professional) in batch {
            self.by_id_nat.insert(id_nat, professional);
        }
        Ok(())
    }

    /// Adds one professional at run time (control API), validated like a
    /// file's; refused if the idNat is taken or the annuaire is full.
    pub fn add(&self, mut professional: Professional) -> Result<Arc<Professional>, AddError> {
        let problems = validate(&professional);
        if !problems.is_empty() {
            return Err(AddError::Invalid(problems));
        }
        use std::sync::atomic::Ordering;
        if self.by_id_nat.len() >= MAX_PROFESSIONALS
            || self.added.load(Ordering::Acquire) >= MAX_ADDED
        {
            return Err(AddError::Full(MAX_ADDED));
        }
        complete(&mut professional);
        match self.by_id_nat.entry(professional.id_nat.clone()) {
            dashmap::Entry::Occupied(_) => Err(AddError::Exists(professional.id_nat)),
            dashmap::Entry::Vacant(slot) => {
                self.added.fetch_add(1, Ordering::AcqRel);
                Ok(slot.insert(Arc::new(professional)).clone())
            }
        }
    }

    pub fn remove(&self, id_nat: &str) -> Option<Arc<Professional>> {
        let removed = self.by_id_nat.remove(id_nat).map(|(_, p)| p);
        if removed.is_some() {
            // Removing a bundled professional also makes room; never below 0.
            let _ = self.added.fetch_update(
                std::sync::atomic::Ordering::AcqRel,
                std::sync::atomic::Ordering::Acquire,
                |n| n.checked_sub(1),
            );
        }
        removed
    }

    pub fn get(&self, id_nat: &str) -> Option<Arc<Professional>> {
        self.by_id_nat.get(id_nat).map(|p| p.value().clone())
    }

    pub fn len(&self) -> usize {
        self.by_id_nat.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id_nat.is_empty()
    }

    /// All professionals, sorted by idNat.
    pub fn all(&self) -> Vec<Arc<Professional>> {
        let mut all: Vec<_> = self.by_id_nat.iter().map(|p| p.value().clone()).collect();
        all.sort_by(|a, b| a.id_nat.cmp(&b.id_nat));
        all
    }
}

/// Fills what the file may leave out: names of exercice, `otherIds`.
fn complete(p: &mut Professional) {
    for exercice in &mut p.exercices {
        if exercice.nom_dexercice.is_empty() {
            exercice.nom_dexercice = p.nom.clone();
        }
        if exercice.prenom_dexercice.is_empty() {
            exercice.prenom_dexercice = p.prenom.clone();
        }
    }
    if p.other_ids.is_empty() {
        let id = p.id_nat.as_str();
        let origine = if rpps_of(id).is_some() {
            "RPPS"
        } else if id.len() == 10 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
            "ADELI"
        } else if id.starts_with("ANS") {
            // Identities made with ANS's test tool.
            "EDIT"
        } else {
            // Cards issued by a structure.
            "CAB"
        };
        p.other_ids.push(OtherId {
            identifiant: p.id_nat.to_string(),
            origine: origine.into(),
            qualite: 1,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_file_loads_with_the_public_test_ids() {
        let annuaire = Annuaire::load(None).expect("bundled annuaire is valid");
        assert!(annuaire.len() >= 5);
        for id in [
            "899700245667",
            "899700218896",
            "899700366240",
            "899700427885",
            "899700771191",
        ] {
            assert!(annuaire.get(id).is_some(), "{id} missing");
        }
    }

    #[test]
    fn errors_name_the_file_the_professional_and_the_field() {
        let text =
            r#"{"professionals":[{"idNat":"899700245668","civilite":"M","nom":"A","prenom":"B"}]}"#;
        let err = Annuaire::from_json("x.json", text).unwrap_err().to_string();
        assert!(
            err.contains("x.json") && err.contains("899700245668") && err.contains("idNat"),
            "{err}"
        );

        let dup = r#"{"professionals":[
            {"idNat":"899700245667","civilite":"M","nom":"A","prenom":"B"},
            {"idNat":"899700245667","civilite":"M","nom":"C","prenom":"D"}]}"#;
        assert!(
            Annuaire::from_json("y.json", dup)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );

        let no_structure = r#"{"professionals":[{"idNat":"899700245667","civilite":"M","nom":"A","prenom":"B",
            "exercices":[{"codeProfession":"10","activities":[{"raisonSocialeSite":"X"}]}]}]}"#;
        let err = Annuaire::from_json("z.json", no_structure)
            .unwrap_err()
            .to_string();
        assert!(err.contains("identifiantTechniqueDeLaStructure"), "{err}");
    }
}
