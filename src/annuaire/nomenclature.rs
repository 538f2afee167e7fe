//! The ANS nomenclatures (NOS) psc-mock uses, as typed tables with labels.
//!
//! PSC's `SubjectRefPro` carries bare codes (`"codeProfession": "10"`,
//! `"codeSecteurDactivite": "SA07"`, …) taken from the nomenclatures the
//! Agence du Numérique en Santé publishes on its terminology server
//! (the "NOS", `https://mos.esante.gouv.fr/NOS/…`; docs/annuaire.md). The codes and
//! their French labels below are copied from those published tables
//! (CodeSystem versions of 2023–2026); labels are ANS's own wording, which
//! sometimes differs from older documents.
//!
//! The tables are **deliberately a subset**: every code PSC's public samples
//! show, plus the common ones of each table, and no deprecated code. A
//! fixture that needs another real code adds it here, with ANS's label.
//! Validation (`validate.rs`) refuses codes that are not in these tables, so
//! that a typo in a fixture file is caught at start-up rather than handed to
//! a client as if PSC had sent it.

/// One code of a nomenclature, with its French label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub label: &'static str,
}

/// One nomenclature: its NOS identifier, a short French name and its codes.
#[derive(Debug)]
pub struct Nomenclature {
    /// The NOS identifier, e.g. `TRE_G15`.
    pub id: &'static str,
    /// What the table holds, in French, lower case (used in messages).
    pub name: &'static str,
    pub codes: &'static [Code],
}

impl Nomenclature {
    /// The label of `code`, if the table has it (exact, case-sensitive match).
    pub fn label(&self, code: &str) -> Option<&'static str> {
        self.codes.iter().find(|c| c.code == code).map(|c| c.label)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.label(code).is_some()
    }
}

/// Builds a `&[Code]` from `code => label` pairs.
macro_rules! codes {
    ($($code:literal => $label:literal),* $(,)?) => {
        &[$(Code { code: $code, label: $label }),*]
    };
}

/// TRE_G15 professions de santé: the `codeProfession` of an exercice, and the
/// first part of `SubjectRole` (`"10^1.2.250.1.213.1.1.5.5"`). Active codes only.
pub const PROFESSION: Nomenclature = Nomenclature {
    id: "TRE_G15",
    name: "profession de santé",
    codes: codes! {
        "10" => "Médecin",
        "21" => "Pharmacien",
        "26" => "Audioprothésiste",
        "28" => "Opticien-Lunetier",
        "31" => "Assistant dentaire",
        "32" => "Physicien médical",
        "40" => "Chirurgien-Dentiste",
        "50" => "Sage-Femme",
        "60" => "Infirmier",
        "69" => "Infirmier psychiatrique",
        "70" => "Masseur-Kinésithérapeute",
        "80" => "Pédicure-Podologue",
        "81" => "Orthoprothésiste",
        "82" => "Podo-Orthésiste",
        "83" => "Orthopédiste-Orthésiste",
        "84" => "Oculariste",
        "85" => "Epithésiste",
        "86" => "Technicien de laboratoire médical",
        "91" => "Orthophoniste",
        "92" => "Orthoptiste",
        "94" => "Ergothérapeute",
        "95" => "Diététicien",
        "96" => "Psychomotricien",
        "98" => "Manipulateur ERM",
    },
};

/// TRE_R09 catégorie professionnelle (`codeCategorieProfessionnelle`).
/// `F` (fonctionnaire), deprecated in 2026 and merged into `M`, is left out.
pub const CATEGORIE: Nomenclature = Nomenclature {
    id: "TRE_R09",
    name: "catégorie professionnelle",
    codes: codes! {
        "C" => "Civil",
        "M" => "Agent public",
        "E" => "Etudiant",
    },
};

/// TRE_R23 mode d'exercice (`codeModeExercice`).
pub const MODE_EXERCICE: Nomenclature = Nomenclature {
    id: "TRE_R23",
    name: "mode d'exercice",
    codes: codes! {
        "L" => "Libéral, indépendant, artisan, commerçant",
        "S" => "Salarié",
        "B" => "Bénévole",
    },
};

/// TRE_R04 type de savoir-faire (`codeTypeSavoirFaire`). PSC sends `""` for
/// a professional without savoir-faire; `""` is not a code of the table.
pub const TYPE_SAVOIR_FAIRE: Nomenclature = Nomenclature {
    id: "TRE_R04",
    name: "type de savoir-faire",
    codes: codes! {
        "S" => "Spécialité ordinale",
        "C" => "Compétence de médecine",
        "CEX" => "Compétence exclusive",
        "CAPA" => "Capacité",
        "CM" => "Compétence métier",
        "DEC" => "Droit d'exercice complémentaire",
        "DNQ" => "DESC non qualifiant",
        "FQ" => "Fonction qualifiée",
        "OP" => "Orientation particulière",
        "PAC" => "Qualification PAC",
        "SH" => "Spécialité de concours hospitalier",
        "SST" => "Surspécialité de Formation Spécialisée Transversale (FST)",
    },
};

/// TRE_R38 spécialité ordinale (`codeSavoirFaire`), a subset: the common
/// médecine specialties (`SM…`), all chirurgien-dentiste ones (`SCD…`) and all
/// infirmier ones (`SI…`). Which professions take which prefix:
/// [`savoir_faire_fits`].
pub const SAVOIR_FAIRE: Nomenclature = Nomenclature {
    id: "TRE_R38",
    name: "spécialité ordinale",
    codes: codes! {
        "SM02" => "Anesthésie-réanimation (SM)",
        "SM03" => "Biologie médicale (SM)",
        "SM04" => "Cardiologie et Maladies vasculaires (SM)",
        "SM05" => "Chirurgie générale (SM)",
        "SM08" => "Chirurgie orthopédique et Traumatologie (SM)",
        "SM14" => "Chirurgie viscérale et digestive (SM)",
        "SM15" => "Dermatologie et Vénéréologie (SM)",
        "SM18" => "Gériatrie (SM)",
        "SM19" => "Gynécologie médicale (SM)",
        "SM20" => "Gynécologie-obstétrique (SM)",
        "SM24" => "Gastro-entérologie et Hépatologie (SM)",
        "SM26" => "Qualifié en Médecine générale (SM)",
        "SM27" => "Médecine interne (SM)",
        "SM32" => "Neurologie (SM)",
        "SM38" => "Ophtalmologie (SM)",
        "SM40" => "Pédiatrie (SM)",
        "SM41" => "Pneumologie (SM)",
        "SM42" => "Psychiatrie (SM)",
        "SM44" => "Radio-diagnostic (SM)",
        "SM48" => "Rhumatologie (SM)",
        "SM53" => "Spécialiste en Médecine générale (SM)",
        "SM54" => "Médecine générale (SM)",
        "SM59" => "Médecine d'urgence (SM)",
        "SCD01" => "Orthopédie dento-faciale (SCD)",
        "SCD02" => "Chirurgie orale (SCD)",
        "SCD03" => "Médecine bucco-dentaire (SCD)",
        "SI01" => "Infirmier(ère) en pratique avancée Pathologies chroniques stabilisées (SI)",
        "SI02" => "Infirmier(ère) en pratique avancée Oncologie et hémato-oncologie (SI)",
        "SI03" => "Infirmier(ère) en pratique avancée Maladie rénale chronique, dialyse, transplantation rénale (SI)",
        "SI04" => "Infirmier(ère) en pratique avancée Psychiatrie et santé mentale (SI)",
        "SI05" => "Infirmier(ère) en pratique avancée Urgences (SI)",
        "SI06" => "Infirmier(ère) de bloc opératoire (SI)",
        "SI07" => "Infirmier(ère) anesthésiste (SI)",
        "SI08" => "Infirmier(ère) puériculteur(trice)",
    },
};

/// TRE_R02 secteur d'activité (`codeSecteurDactivite`, and `Secteur_Activite`
/// in the claims), a subset: care settings a professional of the fixtures
/// plausibly works in.
pub const SECTEUR_ACTIVITE: Nomenclature = Nomenclature {
    id: "TRE_R02",
    name: "secteur d'activité",
    codes: codes! {
        "SA01" => "Etablissement public de santé",
        "SA02" => "Hôpital militaire du Service de santé des armées",
        "SA03" => "Etablissement privé PSPH",
        "SA04" => "Etablissement privé non PSPH",
        "SA05" => "Centre de santé",
        "SA06" => "Autre structure du Service de santé des armées",
        "SA07" => "Cabinet individuel",
        "SA08" => "Cabinet de groupe",
        "SA09" => "Exercice en société",
        "SA13" => "Prévention et soins en entreprise",
        "SA15" => "PMI et Planification familiale",
        "SA16" => "Etablissement pour personnes handicapées",
        "SA17" => "Etablissement pour personnes âgées",
        "SA24" => "Organisme de sécurité sociale",
        "SA25" => "Laboratoire de biologie médicale",
        "SA29" => "Laboratoire d'analyses et de biologie médicale",
        "SA33" => "Pharmacie d'officine",
        "SA34" => "Centre de dialyse",
        "SA36" => "Centre anti-cancer",
        "SA37" => "Centre de transfusion sanguine",
        "SA38" => "Pharmacie minière",
        "SA39" => "Pharmacie mutualiste",
        "SA40" => "Secteur privé, praticien hospitalier",
        "SA43" => "Secteur non défini",
        "SA50" => "Permanence des soins ambulatoires hors cabinet",
        "SA52" => "Maison de santé ou Pôle de santé",
        "SA56" => "Propharmacie",
        "SA64" => "Société de téléconsultation",
        "SA67" => "Maisons médicales de garde (MMG)",
        "SA69" => "Maisons de naissance",
    },
};

/// TRE_R22 genre d'activité (`codeGenreActivite`). Active codes only.
pub const GENRE_ACTIVITE: Nomenclature = Nomenclature {
    id: "TRE_R22",
    name: "genre d'activité",
    codes: codes! {
        "GENR01" => "Activité de soin et de pharmacie",
        "GENR02" => "Activité de soins ou de pharmacien en tant que remplaçant",
        "GENR03" => "Remplacement dans une activité de soins",
        "GENR04" => "Activité non soignante",
        "GENR06" => "Délégation de responsabilité pour continuité de service",
        "GENR08" => "Coordination et orientation",
        "GENR09" => "Administratif ou appui à l'organisation de l'accompagnement social/médico-social",
        "GENR10" => "Accompagnement social/médico-social à la vie sociale, professionnelle, éducative",
        "GENR11" => "Accompagnement social/médico-social au soin",
        "GENR12" => "Encadrement et organisation de l'accompagnement social/médico-social",
        "GENR13" => "Activité médico-administrative",
        "GENR99" => "Autre activité",
    },
};

/// TRE_R06 section du tableau de l'Ordre des pharmaciens
/// (`codeSectionPharmacien`), complete. Only pharmacists (`21`) have one.
pub const SECTION_PHARMACIEN: Nomenclature = Nomenclature {
    id: "TRE_R06",
    name: "section du tableau de l'Ordre des pharmaciens",
    codes: codes! {
        "A" => "Pharmacien titulaire d'officine",
        "B" => "Pharmacien d'entreprise - industrie",
        "C" => "Pharmacien d'entreprise - distribution",
        "D" => "Pharmacien adjoint, remplaçant ou gérant",
        "E" => "Pharmacien d'Outre-Mer",
        "G" => "Pharmacien biologiste",
        "H" => "Pharmacien d'établissement de santé",
        "M" => "Pharmacien militaire",
    },
};

/// TRE_R81 civilité (the professional's `civilite`, PSC's `codeCivilite`).
/// `MLLE`, deprecated since 2016, is left out.
pub const CIVILITE: Nomenclature = Nomenclature {
    id: "TRE_R81",
    name: "civilité",
    codes: codes! {
        "M" => "Monsieur",
        "MME" => "Madame",
    },
};

/// TRE_R11 civilité d'exercice (`codeCiviliteDexercice`), plus `M` and `MME`:
/// TRE_R11 has only titles (DR, PR, …), but PSC sends the plain civilité of
/// professionals without one (docs/annuaire.md), so they are accepted here too.
pub const CIVILITE_EXERCICE: Nomenclature = Nomenclature {
    id: "TRE_R11",
    name: "civilité d'exercice",
    codes: codes! {
        "DR" => "Docteur",
        "PR" => "Professeur",
        "MC" => "Médecin chef",
        "MG" => "Médecin général",
        "PC" => "Pharmacien chef",
        "PG" => "Pharmacien général",
        "M" => "Monsieur",
        "MME" => "Madame",
    },
};

/// Whether a savoir-faire code fits a profession: `SM…` for `10` (médecin),
/// `SCD…` for `40` (chirurgien-dentiste), `SI…` for `60`/`69` (infirmier);
/// other professions take none. Only the prefix is looked at: whether the
/// code exists is [`SAVOIR_FAIRE`]'s business.
pub fn savoir_faire_fits(profession: &str, savoir_faire: &str) -> bool {
    let prefix = match profession {
        "10" => "SM",
        "40" => "SCD",
        "60" | "69" => "SI",
        _ => return false,
    };
    savoir_faire.starts_with(prefix)
}

/// All tables, for listing/documentation.
pub const ALL: &[&Nomenclature] = &[
    &PROFESSION,
    &CATEGORIE,
    &MODE_EXERCICE,
    &TYPE_SAVOIR_FAIRE,
    &SAVOIR_FAIRE,
    &SECTEUR_ACTIVITE,
    &GENRE_ACTIVITE,
    &SECTION_PHARMACIEN,
    &CIVILITE,
    &CIVILITE_EXERCICE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_table_has_unique_non_empty_codes_and_labels() {
        let mut ids = HashSet::new();
        for table in ALL {
            assert!(ids.insert(table.id), "{} listed twice", table.id);
            assert!(
                !table.name.is_empty() && !table.codes.is_empty(),
                "{}",
                table.id
            );
            let mut seen = HashSet::new();
            for c in table.codes {
                assert!(!c.code.is_empty(), "{}: empty code", table.id);
                assert!(
                    !c.label.trim().is_empty(),
                    "{} {}: no label",
                    table.id,
                    c.code
                );
                assert!(seen.insert(c.code), "{} {}: twice", table.id, c.code);
            }
        }
        assert_eq!(ids.len(), 10);
    }

    #[test]
    fn the_codes_facts_names_are_all_there() {
        let named: &[(&Nomenclature, &[&str])] = &[
            (
                &PROFESSION,
                &[
                    "10", "21", "26", "28", "40", "50", "60", "69", "70", "80", "91", "92", "94",
                    "95", "96", "98",
                ],
            ),
            (&CATEGORIE, &["C", "M", "E"]),
            (&MODE_EXERCICE, &["L", "S", "B"]),
            (&TYPE_SAVOIR_FAIRE, &["S", "C", "CEX", "CAPA"]),
            (
                &SAVOIR_FAIRE,
                &[
                    "SM26", "SM53", "SM54", "SM04", "SM40", "SM42", "SCD01", "SCD02", "SCD03",
                    "SI01", "SI02", "SI03", "SI04", "SI05", "SI06", "SI07", "SI08",
                ],
            ),
            (&SECTEUR_ACTIVITE, &["SA01", "SA07", "SA33", "SA43"]),
            (&GENRE_ACTIVITE, &["GENR01"]),
            (&SECTION_PHARMACIEN, &["A", "D", "E", "G", "H"]),
            (&CIVILITE, &["M", "MME"]),
            (&CIVILITE_EXERCICE, &["DR", "M", "MME", "PR"]),
        ];
        for (table, codes) in named {
            for code in *codes {
                assert!(table.contains(code), "{} lacks {code}", table.id);
            }
        }
    }

    #[test]
    fn labels_are_looked_up_exactly() {
        assert_eq!(PROFESSION.label("10"), Some("Médecin"));
        assert_eq!(SECTEUR_ACTIVITE.label("SA07"), Some("Cabinet individuel"));
        assert_eq!(SAVOIR_FAIRE.label("SM54"), Some("Médecine générale (SM)"));
        assert_eq!(CIVILITE.label("mme"), None);
        assert_eq!(TYPE_SAVOIR_FAIRE.label(""), None);
        assert!(!SECTEUR_ACTIVITE.contains("SA99"));
        assert!(!CIVILITE.contains("MLLE"), "deprecated codes stay out");
    }

    #[test]
    fn savoir_faire_goes_with_its_profession() {
        assert!(savoir_faire_fits("10", "SM54"));
        assert!(savoir_faire_fits("40", "SCD01"));
        assert!(savoir_faire_fits("60", "SI07"));
        assert!(savoir_faire_fits("69", "SI04"));
        assert!(!savoir_faire_fits("10", "SCD01"));
        assert!(!savoir_faire_fits("40", "SM04"));
        assert!(!savoir_faire_fits("60", "SM54"));
        assert!(!savoir_faire_fits("21", "SM03"));
        assert!(!savoir_faire_fits("50", "SI01"));
        // Every SM/SCD/SI code of the table fits exactly one family.
        for c in SAVOIR_FAIRE.codes {
            let fits: Vec<_> = ["10", "40", "60"]
                .into_iter()
                .filter(|p| savoir_faire_fits(p, c.code))
                .collect();
            assert_eq!(fits.len(), 1, "{}: {fits:?}", c.code);
        }
    }
}
