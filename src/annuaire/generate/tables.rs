//! The tables generated professionals are drawn from: professions (TRE_G15)
//! with how their members practise, and the specialties of médecins,
//! dentists and hospital nurses.

use super::places::Hospital;

/// One profession and how its members practise.
pub(super) struct Profession {
    /// TRE_G15.
    pub(super) code: &'static str,
    /// Relative frequency among generated professionals (the weights add up
    /// to 100).
    pub(super) weight: u32,
    /// Percent of women.
    pub(super) female: u32,
    /// Percent of students (category `E`, at a hospital, no savoir-faire).
    pub(super) students: u32,
    /// Percent of those with an activity who practise in a private practice
    /// (the rest at a hospital); médecins and pharmaciens decide otherwise.
    pub(super) liberal: u32,
    /// `autoriteDenregistrement` of a private practice (or pharmacy).
    pub(super) ordre: &'static str,
    /// `raisonSocialeSite` of a private practice, before the last name.
    pub(super) cabinet: &'static str,
    /// Hospital services (`complementDestinataire`) of the profession.
    pub(super) services: &'static [&'static str],
    /// How the rest of the exercice is drawn.
    pub(super) practice: Practice,
}

/// How a profession's exercice is drawn, beyond students and services.
#[derive(Debug, Clone, Copy)]
pub(super) enum Practice {
    /// Médecins: general medicine or a specialty, at a cabinet, a hospital
    /// or both; `DR`, or `PR` at a CHU.
    Medecin,
    /// Pharmaciens: a pharmacy (titulaire or adjoint) or a hospital.
    Pharmacien,
    /// Everyone else: a cabinet or a hospital, as `liberal` says.
    Common {
        /// `DR` as civilité d'exercice (chirurgiens-dentistes).
        doctor: bool,
        /// The one kind of hospital they work at, if only one.
        hospital: Option<Hospital>,
        /// A specialty some of them have.
        specialty: Option<Extra>,
    },
}

/// A specialty some members of a profession have.
#[derive(Debug, Clone, Copy)]
pub(super) struct Extra {
    /// Percent of them.
    pub(super) percent: u32,
    pub(super) list: &'static [Specialty],
    /// Drawn only for those at a hospital (else for everyone, first).
    pub(super) at_hospital: bool,
}

/// The common practice, without title, hospital kind or specialty.
const COMMON: Practice = Practice::Common {
    doctor: false,
    hospital: None,
    specialty: None,
};

pub(super) const PROFESSIONS: &[Profession] = &[
    Profession {
        code: "10",
        weight: 30,
        female: 50,
        students: 6,
        liberal: 0,
        ordre: "CNOM/CNOM/CNOM",
        cabinet: "CABINET DR",
        services: &[
            "SERVICE DES URGENCES",
            "SERVICE DE MEDECINE POLYVALENTE",
            "SERVICE DE SOINS DE SUITE ET DE READAPTATION",
        ],
        practice: Practice::Medecin,
    },
    Profession {
        code: "60",
        weight: 24,
        female: 86,
        students: 0,
        liberal: 55,
        ordre: "CNOI/CNOI/CNOI",
        cabinet: "CABINET INFIRMIER",
        services: &[
            "SERVICE DES URGENCES",
            "SERVICE DE MEDECINE POLYVALENTE",
            "SERVICE DE CHIRURGIE VISCERALE",
            "SERVICE DE CARDIOLOGIE",
            "SERVICE DE GERIATRIE",
            "SERVICE DE PNEUMOLOGIE",
        ],
        practice: Practice::Common {
            doctor: false,
            hospital: None,
            specialty: Some(Extra {
                percent: 8,
                list: NURSES,
                at_hospital: true,
            }),
        },
    },
    Profession {
        code: "21",
        weight: 10,
        female: 68,
        students: 3,
        liberal: 0,
        ordre: "CNOP/CNOP/CNOP",
        cabinet: "PHARMACIE",
        services: &["PHARMACIE A USAGE INTERIEUR"],
        practice: Practice::Pharmacien,
    },
    Profession {
        code: "70",
        weight: 10,
        female: 50,
        students: 0,
        liberal: 85,
        ordre: "CNOMK/CNOMK/CNOMK",
        cabinet: "CABINET DE KINESITHERAPIE",
        services: &["SERVICE DE MEDECINE PHYSIQUE ET DE READAPTATION"],
        practice: COMMON,
    },
    Profession {
        code: "40",
        weight: 6,
        female: 48,
        students: 3,
        liberal: 94,
        ordre: "CNOCD/CNOCD/CNOCD",
        cabinet: "CABINET DENTAIRE DR",
        services: &["SERVICE D'ODONTOLOGIE"],
        practice: Practice::Common {
            doctor: true,
            hospital: None,
            specialty: Some(Extra {
                percent: 15,
                list: DENTISTS,
                at_hospital: false,
            }),
        },
    },
    Profession {
        code: "50",
        weight: 4,
        female: 97,
        students: 3,
        liberal: 40,
        ordre: "CNOSF/CNOSF/CNOSF",
        cabinet: "CABINET DE SAGE-FEMME",
        services: &[
            "SERVICE DE GYNECOLOGIE-OBSTETRIQUE",
            "MATERNITE",
            "SALLE DE NAISSANCE",
        ],
        practice: COMMON,
    },
    Profession {
        code: "91",
        weight: 4,
        female: 96,
        students: 0,
        liberal: 85,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET D'ORTHOPHONIE",
        services: &["SERVICE DE NEUROLOGIE", "SERVICE D'ORL"],
        practice: COMMON,
    },
    Profession {
        code: "98",
        weight: 3,
        female: 70,
        students: 0,
        liberal: 0,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET DE RADIOLOGIE",
        services: &["SERVICE D'IMAGERIE MEDICALE", "SERVICE DE RADIOTHERAPIE"],
        practice: COMMON,
    },
    Profession {
        code: "80",
        weight: 2,
        female: 70,
        students: 0,
        liberal: 97,
        ordre: "CNOPP/CNOPP/CNOPP",
        cabinet: "CABINET DE PEDICURIE-PODOLOGIE",
        services: &["SERVICE D'ENDOCRINOLOGIE-DIABETOLOGIE"],
        practice: COMMON,
    },
    Profession {
        code: "94",
        weight: 2,
        female: 85,
        students: 0,
        liberal: 25,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET D'ERGOTHERAPIE",
        services: &["SERVICE DE MEDECINE PHYSIQUE ET DE READAPTATION"],
        practice: COMMON,
    },
    Profession {
        code: "96",
        weight: 2,
        female: 85,
        students: 0,
        liberal: 45,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET DE PSYCHOMOTRICITE",
        services: &["POLE DE PEDOPSYCHIATRIE"],
        practice: COMMON,
    },
    Profession {
        code: "92",
        weight: 1,
        female: 88,
        students: 0,
        liberal: 70,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET D'ORTHOPTIE",
        services: &["SERVICE D'OPHTALMOLOGIE"],
        practice: COMMON,
    },
    Profession {
        code: "95",
        weight: 1,
        female: 90,
        students: 0,
        liberal: 45,
        ordre: "ARS/ARS/ARS",
        cabinet: "CABINET DE DIETETIQUE",
        services: &[
            "SERVICE D'ENDOCRINOLOGIE-DIABETOLOGIE",
            "SERVICE DE NUTRITION",
        ],
        practice: COMMON,
    },
    Profession {
        code: "69",
        weight: 1,
        female: 60,
        students: 0,
        liberal: 0,
        ordre: "CNOI/CNOI/CNOI",
        cabinet: "CABINET INFIRMIER",
        services: &[
            "UNITE DE PSYCHIATRIE GENERALE",
            "POLE DE PSYCHIATRIE ADULTE",
        ],
        practice: Practice::Common {
            doctor: false,
            hospital: Some(Hospital::Psychiatric),
            specialty: None,
        },
    },
];

/// A savoir-faire (TRE_R38, type `S`) with the hospital service that goes
/// with it and whether it is also practised in a private practice.
#[derive(Debug)]
pub(super) struct Specialty {
    pub(super) code: &'static str,
    pub(super) service: &'static str,
    pub(super) liberal: bool,
}

const fn sp(code: &'static str, service: &'static str, liberal: bool) -> Specialty {
    Specialty {
        code,
        service,
        liberal,
    }
}

/// Médecins' specialties other than general medicine.
pub(super) const SPECIALISTS: &[Specialty] = &[
    sp("SM04", "SERVICE DE CARDIOLOGIE", true),
    sp("SM40", "SERVICE DE PEDIATRIE", true),
    sp("SM42", "POLE DE PSYCHIATRIE ADULTE", true),
    sp("SM02", "SERVICE D'ANESTHESIE-REANIMATION", false),
    sp("SM15", "SERVICE DE DERMATOLOGIE", true),
    sp("SM20", "SERVICE DE GYNECOLOGIE-OBSTETRIQUE", true),
    sp("SM38", "SERVICE D'OPHTALMOLOGIE", true),
    sp("SM44", "SERVICE D'IMAGERIE MEDICALE", true),
    sp("SM32", "SERVICE DE NEUROLOGIE", true),
    sp("SM41", "SERVICE DE PNEUMOLOGIE", true),
    sp("SM48", "SERVICE DE RHUMATOLOGIE", true),
    sp("SM24", "SERVICE D'HEPATO-GASTRO-ENTEROLOGIE", true),
    sp("SM18", "SERVICE DE GERIATRIE", false),
    sp("SM27", "SERVICE DE MEDECINE INTERNE", false),
    sp("SM59", "SERVICE DES URGENCES", false),
];

/// General medicine (weighted: most généralistes are `SM54`).
pub(super) const GENERALISTS: &[(&str, u32)] = &[("SM54", 55), ("SM26", 35), ("SM53", 10)];

/// Chirurgiens-dentistes' specialties.
pub(super) const DENTISTS: &[Specialty] = &[
    sp("SCD01", "", true),
    sp("SCD02", "", true),
    sp("SCD03", "", true),
];

/// Hospital nurses' specialties.
pub(super) const NURSES: &[Specialty] = &[
    sp("SI06", "BLOC OPERATOIRE", false),
    sp("SI07", "SERVICE D'ANESTHESIE-REANIMATION", false),
    sp("SI08", "SERVICE DE PEDIATRIE", false),
];
