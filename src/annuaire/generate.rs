//! Generated professionals: many realistic, fictitious entries of the
//! annuaire, deterministic per seed.
//!
//! What: [`generate`] makes `count` professionals shaped like the hand-written
//! fixtures (and like PSC's `SubjectRefPro`), for load tests and demos that
//! need more people than a fixture file holds. Each is consistent in itself:
//! the profession (TRE_G15, weighted towards those who use PSC most:
//! médecins, infirmiers, pharmaciens, kinés) decides the savoir-faire, the
//! civilité d'exercice, the kind of place (private practice, hospital,
//! pharmacy) and the registering authority, as in the fixtures; a
//! hospital activity carries Luhn-valid FINESS numbers, a pharmacy a
//! Luhn-valid SIREN and SIRET; every address is a real commune whose
//! postcode, INSEE code and département agree (`communes.rs`); the first
//! name matches the civilité (`names.rs`: `fake`'s French first names have no
//! gender), the last name comes from `fake`. Every generated professional
//! passes the annuaire's validation.
//!
//! Identifiers: the professional of index `i` has the RPPS `997` + the seven
//! digits of `1_000_000 + i` + a Luhn digit ([`id_nat`]), so ids are unique
//! within a generation, never in the `99700…` range the hand-written
//! fixtures use, and computable by a load generator without reading the
//! annuaire. They do not depend on the seed. Structure numbers (FINESS,
//! SIREN, SIRET) are made up: they have valid check digits but may happen to
//! be a real establishment's.
//!
//! Determinism: professional `i` is drawn from its own ChaCha8 stream (key
//! from the seed, stream number `i`), so it depends only on `(seed, i)`:
//! the same seed gives the same professionals, `generate(n, s)` is a prefix
//! of `generate(m, s)` for `n < m`, and [`professional`] builds any one of
//! them directly. The guarantee holds for a given build (`Cargo.lock` pins
//! `rand`, `chacha20` and `fake`, whose last-name list and sampling take part
//! in it) and for the tables of `communes.rs` and `names.rs`.

use fake::Fake;
use fake::faker::name::raw::LastName;
use fake::locales::FR_FR;
use rand::rngs::ChaCha8Rng;
use rand::{Rng, SeedableRng};

use super::communes::{COMMUNES, Commune, STREETS, Street};
use super::ids::luhn_digit;
use super::names::{FEMALE, MALE, plain_upper};
use super::{Activity, AuthMode, Exercice, Professional};

/// The most professionals one generation numbers uniquely (RPPS
/// `99710000000`…`99799999999`, check digit aside).
pub const MAX_COUNT: usize = 9_000_000;

/// `count` professionals, identical for the same `seed`.
///
/// # Panics
///
/// If `count` is above [`MAX_COUNT`].
pub fn generate(count: usize, seed: u64) -> Vec<super::Professional> {
    assert!(
        count <= MAX_COUNT,
        "at most {MAX_COUNT} professionals can be generated, not {count}"
    );
    let key = key(seed);
    (0..count).map(|index| build(key, index)).collect()
}

/// The professional of index `index` in `generate(_, seed)`, built alone.
///
/// # Panics
///
/// If `index` is not below [`MAX_COUNT`].
pub fn professional(index: usize, seed: u64) -> Professional {
    assert!(index < MAX_COUNT, "index {index} is not below {MAX_COUNT}");
    build(key(seed), index)
}

/// The idNat of the professional of index `index` (`8` + RPPS), whatever
/// the seed.
pub fn id_nat(index: usize) -> String {
    format!("8{}", rpps(index))
}

fn rpps(index: usize) -> String {
    let mut rpps = format!("997{:07}", 1_000_000 + index);
    rpps.push(luhn_digit(&rpps));
    rpps
}

/// One profession and how its members practise.
struct Profession {
    /// TRE_G15.
    code: &'static str,
    /// Relative frequency among generated professionals (the weights add up
    /// to 100).
    weight: u32,
    /// Percent of women.
    female: u32,
    /// Percent of students (category `E`, at a hospital, no savoir-faire).
    students: u32,
    /// Percent of those with an activity who practise in a private practice
    /// (the rest at a hospital); médecins and pharmaciens decide otherwise.
    liberal: u32,
    /// `autoriteDenregistrement` of a private practice (or pharmacy).
    ordre: &'static str,
    /// `raisonSocialeSite` of a private practice, before the last name.
    cabinet: &'static str,
    /// Hospital services (`complementDestinataire`) of the profession.
    services: &'static [&'static str],
}

const PROFESSIONS: &[Profession] = &[
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
    },
];

/// A savoir-faire (TRE_R38, type `S`) with the hospital service that goes
/// with it and whether it is also practised in a private practice.
struct Specialty {
    code: &'static str,
    service: &'static str,
    liberal: bool,
}

const fn sp(code: &'static str, service: &'static str, liberal: bool) -> Specialty {
    Specialty {
        code,
        service,
        liberal,
    }
}

/// Médecins' specialties other than general medicine.
const SPECIALISTS: &[Specialty] = &[
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
const GENERALISTS: &[(&str, u32)] = &[("SM54", 55), ("SM26", 35), ("SM53", 10)];

/// Chirurgiens-dentistes' specialties.
const DENTISTS: &[&str] = &["SCD01", "SCD02", "SCD03"];

/// Hospital nurses' specialties.
const NURSES: &[Specialty] = &[
    sp("SI06", "BLOC OPERATOIRE", false),
    sp("SI07", "SERVICE D'ANESTHESIE-REANIMATION", false),
    sp("SI08", "SERVICE DE PEDIATRIE", false),
];

/// The kinds of hospital, with the digit they take in our FINESS numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hospital {
    /// Centre hospitalier.
    General = 0,
    /// Centre hospitalier universitaire (only where [`Commune::chu`]).
    University = 1,
    /// Centre hospitalier spécialisé (psychiatry).
    Psychiatric = 2,
}

/// Where one activity takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Cabinet,
    Hospital(Hospital),
    /// A pharmacy, with the pharmacist's section (`A` titulaire, `D` adjoint).
    Officine(&'static str),
}

/// The seeded random draws of one professional.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (`n > 0`), by widening multiplication.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items`, each as likely as `weight(item)`.
    fn weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
        let total: u32 = items.iter().map(&weight).sum();
        let mut roll = self.below(total as usize) as u32;
        for item in items {
            let w = weight(item);
            if roll < w {
                return item;
            }
            roll -= w;
        }
        unreachable!("the roll is below the total weight")
    }

    /// Appends `n` random decimal digits to `out`.
    fn digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }

    fn last_name(&mut self) -> String {
        plain_upper(LastName(FR_FR).fake_with_rng::<&str, _>(&mut self.0))
    }

    /// A Luhn-valid SIREN (not starting with 0, 1 or 2) and a SIRET of it.
    fn siren_siret(&mut self) -> (String, String) {
        let mut siren = String::with_capacity(9);
        siren.push(char::from(b'3' + self.below(7) as u8));
        self.digits(&mut siren, 7);
        siren.push(luhn_digit(&siren));
        let mut siret = String::with_capacity(14);
        siret.push_str(&siren);
        siret.push_str(&format!("{:04}", 1 + self.below(40)));
        siret.push(luhn_digit(&siret));
        (siren, siret)
    }
}

/// The professional being built.
struct Who<'a> {
    profession: &'a Profession,
    rpps: &'a str,
    nom: &'a str,
    female: bool,
}

/// The ChaCha8 key of a seed (rand's standard expansion of a `u64` seed).
fn key(seed: u64) -> [u8; 32] {
    ChaCha8Rng::seed_from_u64(seed).get_seed()
}

fn build(key: [u8; 32], index: usize) -> Professional {
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(index as u64);
    let mut d = Draw(rng);

    let profession = d.weighted(PROFESSIONS, |p| p.weight);
    let female = d.chance(profession.female);
    let prenom = (*d.pick(if female { FEMALE } else { MALE })).to_owned();
    let nom = d.last_name();
    let rpps = rpps(index);
    let who = Who {
        profession,
        rpps: &rpps,
        nom: &nom,
        female,
    };
    let mut exercice = exercice(&mut d, &who);
    exercice.nom_dexercice = nom.clone();
    exercice.prenom_dexercice = prenom.clone();
    let auth_modes = match d.below(10) {
        0 => vec![AuthMode::Card],
        1 | 2 => vec![AuthMode::Mobile],
        _ => vec![AuthMode::Mobile, AuthMode::Card],
    };
    Professional {
        id_nat: format!("8{rpps}"),
        sub: None,
        civilite: civilite(female).into(),
        nom,
        prenom,
        email: String::new(),
        auth_modes,
        other_ids: Vec::new(),
        exercices: vec![exercice],
        scenario: None,
    }
}

fn civilite(female: bool) -> &'static str {
    if female { "MME" } else { "M" }
}

/// The profession's exercice, its savoir-faire and its activities (names of
/// exercice left to the caller).
fn exercice(d: &mut Draw, who: &Who) -> Exercice {
    let p = who.profession;
    let commune = d.pick(COMMUNES);
    let mut e = Exercice {
        code_profession: p.code.into(),
        code_categorie_professionnelle: "C".into(),
        code_civilite_dexercice: civilite(who.female).into(),
        ..Exercice::default()
    };
    if d.chance(p.students) {
        e.code_categorie_professionnelle = "E".into();
        let hospital = hospital_in(d, commune);
        let service = *d.pick(p.services);
        e.activities.push(activity(
            d,
            who,
            commune,
            Place::Hospital(hospital),
            service,
        ));
        return e;
    }

    // The savoir-faire, the places and the hospital service.
    let mut service = *d.pick(p.services);
    let mut places: Vec<Place> = Vec::with_capacity(2);
    let mut savoir_faire = "";
    match p.code {
        "10" => {
            // Percent at a cabinet only, at a cabinet and a hospital; the
            // rest at a hospital only, except 2% without any activity.
            let (cabinet, both, liberal) = if d.chance(72) {
                savoir_faire = d.weighted(GENERALISTS, |g| g.1).0;
                (85, 7, true)
            } else {
                let specialty = d.pick(SPECIALISTS);
                savoir_faire = specialty.code;
                service = specialty.service;
                (40, 25, specialty.liberal)
            };
            let roll = d.below(100);
            let (at_cabinet, at_hospital) = match roll {
                0..2 => (false, false),
                _ if !liberal => (false, true),
                _ if roll < 2 + cabinet => (true, false),
                _ if roll < 2 + cabinet + both => (true, true),
                _ => (false, true),
            };
            if at_cabinet {
                places.push(Place::Cabinet);
            }
            if at_hospital {
                let kind = if savoir_faire == "SM42" && d.chance(50) {
                    Hospital::Psychiatric
                } else {
                    hospital_in(d, commune)
                };
                places.push(Place::Hospital(kind));
            }
            e.code_civilite_dexercice = "DR".into();
            if places.contains(&Place::Hospital(Hospital::University)) && d.chance(15) {
                e.code_civilite_dexercice = "PR".into();
            }
        }
        "21" => match d.below(100) {
            0..2 => {}
            2..62 => places.push(Place::Officine("A")),
            62..87 => places.push(Place::Officine("D")),
            _ => places.push(Place::Hospital(hospital_in(d, commune))),
        },
        _ => {
            if p.code == "40" {
                e.code_civilite_dexercice = "DR".into();
                if d.chance(15) {
                    savoir_faire = *d.pick(DENTISTS);
                }
            }
            if !d.chance(2) {
                if d.chance(p.liberal) {
                    places.push(Place::Cabinet);
                } else {
                    let kind = if p.code == "69" {
                        Hospital::Psychiatric
                    } else {
                        hospital_in(d, commune)
                    };
                    places.push(Place::Hospital(kind));
                    if p.code == "60" && d.chance(8) {
                        let specialty = d.pick(NURSES);
                        savoir_faire = specialty.code;
                        service = specialty.service;
                    }
                }
            }
        }
    }
    if !savoir_faire.is_empty() {
        e.code_type_savoir_faire = "S".into();
        e.code_savoir_faire = savoir_faire.into();
    }
    if let [Place::Hospital(_)] = places[..]
        && d.chance(40)
    {
        e.code_categorie_professionnelle = "M".into();
    }
    e.activities = places
        .into_iter()
        .map(|place| activity(d, who, commune, place, service))
        .collect();
    e
}

/// A hospital of `commune`: its CHU more often than not where it has one.
fn hospital_in(d: &mut Draw, commune: &Commune) -> Hospital {
    if commune.chu && d.chance(60) {
        Hospital::University
    } else {
        Hospital::General
    }
}

/// One activity at `place`, in `commune`.
fn activity(d: &mut Draw, who: &Who, commune: &Commune, place: Place, service: &str) -> Activity {
    let mut a = Activity {
        code_genre_activite: "GENR01".into(),
        code_pays: "99000".into(),
        code_postal: commune.postcode.into(),
        code_commune: commune.insee.into(),
        code_departement: commune.department.into(),
        bureau_cedex: format!("{} {}", commune.postcode, commune.name),
        ..Activity::default()
    };
    match place {
        Place::Cabinet => {
            a.code_mode_exercice = "L".into();
            a.code_secteur_dactivite = "SA07".into();
            a.identifiant_technique_de_la_structure = format!("R1010{}", &who.rpps[1..]);
            a.ancien_identifiant_de_la_structure = format!("4{}001", who.rpps);
            a.raison_sociale_site = format!("{} {}", who.profession.cabinet, who.nom);
            a.autorite_denregistrement = who.profession.ordre.into();
            if d.chance(25) {
                (a.numero_siren_site, a.numero_siret_site) = d.siren_siret();
            }
            street_address(d, &mut a, commune);
        }
        Place::Officine(section) => {
            a.code_mode_exercice = if section == "A" { "L" } else { "S" }.into();
            a.code_secteur_dactivite = "SA33".into();
            a.code_section_pharmacien = section.into();
            (a.numero_siren_site, a.numero_siret_site) = d.siren_siret();
            a.identifiant_technique_de_la_structure = format!("3{}", a.numero_siret_site);
            a.ancien_identifiant_de_la_structure = a.identifiant_technique_de_la_structure.clone();
            a.autorite_denregistrement = who.profession.ordre.into();
            let street = street_address(d, &mut a, commune);
            let by_street = format!("PHARMACIE {}", street.name);
            if section == "A" && d.chance(40) {
                a.raison_sociale_site = format!("SELARL PHARMACIE {}", who.nom);
                a.enseigne_commerciale_site = by_street;
            } else {
                a.raison_sociale_site = by_street;
            }
        }
        Place::Hospital(kind) => {
            a.code_mode_exercice = "S".into();
            a.code_secteur_dactivite = "SA01".into();
            if who.profession.code == "21" {
                a.code_section_pharmacien = "H".into();
            }
            a.numero_finess_site = finess(commune, kind, false);
            a.numero_finessetablissement_juridique = finess(commune, kind, true);
            a.identifiant_technique_de_la_structure = format!("F{}", a.numero_finess_site);
            a.ancien_identifiant_de_la_structure = format!("1{}", a.numero_finess_site);
            a.raison_sociale_site = hospital_name(commune, kind);
            a.complement_destinataire = service.into();
            a.autorite_denregistrement = "ARS/ARS/ARS".into();
            hospital_address(&mut a, commune, kind);
        }
    }
    a
}

/// A random address in `commune` (street, number, telephone most often);
/// returns the street.
fn street_address(d: &mut Draw, a: &mut Activity, commune: &Commune) -> &'static Street {
    let street = d.pick(STREETS);
    a.numero_voie = (1 + d.below(200)).to_string();
    a.indice_repetition_voie = match d.below(100) {
        0..3 => "B",
        3 => "T",
        _ => "",
    }
    .into();
    a.code_type_de_voie = street.kind.into();
    a.libelle_voie = street.name.into();
    if d.chance(85) {
        let mut phone = String::with_capacity(10);
        phone.push_str(commune.fictitious_phone_prefix());
        d.digits(&mut phone, 4);
        a.telephone = phone;
    }
    street
}

/// A hospital's address and switchboard, the same for every professional
/// who works there (derived from the commune and the kind, not drawn).
fn hospital_address(a: &mut Activity, commune: &Commune, kind: Hospital) {
    // FNV-1a over the INSEE code and the kind: a fixed, well-spread number.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in commune.insee.bytes().chain([kind as u8]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let street = &STREETS[(h % STREETS.len() as u64) as usize];
    a.numero_voie = (1 + (h >> 16) % 300).to_string();
    a.code_type_de_voie = street.kind.into();
    a.libelle_voie = street.name.into();
    a.telephone = format!(
        "{}{:04}",
        commune.fictitious_phone_prefix(),
        (h >> 32) % 10_000
    );
}

/// A FINESS number of a fictitious hospital of `commune`: the département
/// (`20` then `1`/`2` for Corsica's `2A`/`2B`; three digits overseas), the
/// commune's number in its INSEE code, `0` for the établissement juridique
/// or `1` for the site, the kind, and the Luhn check digit: 9 digits, unique
/// per commune, kind and role.
fn finess(commune: &Commune, kind: Hospital, juridique: bool) -> String {
    let (head, number) = match commune.department {
        "2A" => ("201", &commune.insee[2..]),
        "2B" => ("202", &commune.insee[2..]),
        d => (d, &commune.insee[d.len()..]),
    };
    let mut finess = String::with_capacity(9);
    finess.push_str(head);
    while finess.len() + number.len() < 6 {
        finess.push('0');
    }
    finess.push_str(number);
    finess.push(if juridique { '0' } else { '1' });
    finess.push(char::from(b'0' + kind as u8));
    finess.push(luhn_digit(&finess));
    finess
}

fn hospital_name(commune: &Commune, kind: Hospital) -> String {
    let what = match kind {
        Hospital::General => "CENTRE HOSPITALIER",
        Hospital::University => "CHU",
        Hospital::Psychiatric => "CENTRE HOSPITALIER SPECIALISE",
    };
    format!("{what} {}", of(commune.name))
}

/// French "de" before a place name: `DE NANTES`, `D'ANGERS`, `DU MANS`,
/// `DES ABYMES`, `DE LA ROCHELLE`.
fn of(name: &str) -> String {
    if let Some(rest) = name.strip_prefix("LE ") {
        format!("DU {rest}")
    } else if let Some(rest) = name.strip_prefix("LES ") {
        format!("DES {rest}")
    } else if name.starts_with(['A', 'E', 'I', 'O', 'U', 'Y']) {
        format!("D'{name}")
    } else {
        format!("DE {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::ids::{finess_valid, siren_valid, siret_valid};
    use super::super::nomenclature::{SAVOIR_FAIRE, savoir_faire_fits};
    use super::super::validate::validate;
    use super::super::{Annuaire, luhn_valid, rpps_of};
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn json(professionals: &[Professional]) -> String {
        serde_json::to_string(professionals).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_professionals() {
        let a = generate(200, 42);
        assert_eq!(a.len(), 200);
        assert_eq!(json(&a), json(&generate(200, 42)));
        // A shorter run is a prefix; any one can be built alone.
        assert_eq!(json(&a[..50]), json(&generate(50, 42)));
        for i in [0, 1, 77, 199] {
            assert_eq!(a[i], professional(i, 42), "index {i}");
        }
        assert!(generate(0, 42).is_empty());
    }

    #[test]
    fn different_seeds_give_different_professionals_with_the_same_ids() {
        let a = generate(200, 1);
        let b = generate(200, 2);
        assert_ne!(json(&a), json(&b));
        let same_names = a
            .iter()
            .zip(&b)
            .filter(|(x, y)| (&x.nom, &x.prenom) == (&y.nom, &y.prenom))
            .count();
        assert!(same_names < 10, "{same_names} of 200 share their name");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.id_nat, y.id_nat);
            assert_eq!(x.id_nat, id_nat(i));
        }
    }

    #[test]
    fn every_generated_professional_is_valid_and_loads() {
        for p in generate(5_000, 3) {
            let problems = validate(&p);
            assert!(problems.is_empty(), "{problems:#?}\n{p:#?}");
        }
        let annuaire = Annuaire::from_professionals("generated", generate(1000, 7))
            .expect("generated professionals load");
        assert_eq!(annuaire.len(), 1000);
        let first = annuaire.get(&id_nat(0)).unwrap();
        assert_eq!(first.other_ids[0].origine, "RPPS");
        assert_eq!(first.other_ids[0].identifiant, id_nat(0));
    }

    #[test]
    fn ids_are_luhn_valid_unique_and_outside_the_fixture_range() {
        let all = generate(100_000, 11);
        let mut seen = HashSet::with_capacity(all.len());
        for p in &all {
            let rpps = rpps_of(&p.id_nat).expect("8 + 11 digits");
            assert!(luhn_valid(rpps), "{}", p.id_nat);
            assert!(
                rpps.starts_with("997") && !rpps.starts_with("9970"),
                "{rpps}"
            );
            assert!(seen.insert(p.id_nat.as_str()), "{} twice", p.id_nat);
        }
        assert_eq!(id_nat(0).len(), 12);
        assert!(luhn_valid(rpps_of(&id_nat(MAX_COUNT - 1)).unwrap()));
        assert_eq!(&id_nat(MAX_COUNT - 1)[..11], "89979999999");
    }

    #[test]
    fn first_names_match_the_civilite() {
        for p in generate(2_000, 5) {
            let table = match p.civilite.as_str() {
                "M" => MALE,
                "MME" => FEMALE,
                other => panic!("civilite {other:?}"),
            };
            assert!(
                table.contains(&p.prenom.as_str()),
                "{} {}",
                p.civilite,
                p.prenom
            );
            assert!(!p.nom.is_empty());
            assert!(
                p.nom
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b" -'".contains(&b)),
                "{}",
                p.nom
            );
            for e in &p.exercices {
                assert_eq!((&e.nom_dexercice, &e.prenom_dexercice), (&p.nom, &p.prenom));
                let civ = e.code_civilite_dexercice.as_str();
                if matches!(civ, "M" | "MME") {
                    assert_eq!(civ, p.civilite);
                }
            }
        }
    }

    #[test]
    fn addresses_come_from_the_commune_table() {
        let by_insee: HashMap<_, _> = COMMUNES.iter().map(|c| (c.insee, c)).collect();
        for p in generate(3_000, 9) {
            for a in p.exercices.iter().flat_map(|e| &e.activities) {
                let c = by_insee[a.code_commune.as_str()];
                assert_eq!(a.code_postal, c.postcode);
                assert_eq!(a.code_departement, c.department);
                assert_eq!(a.bureau_cedex, format!("{} {}", c.postcode, c.name));
                assert_eq!(a.code_pays, "99000");
                let number: u32 = a.numero_voie.parse().unwrap();
                assert!((1..=300).contains(&number));
                assert!(
                    STREETS.iter().any(
                        |s| (s.kind, s.name) == (&a.code_type_de_voie[..], &a.libelle_voie[..])
                    )
                );
                if !a.telephone.is_empty() {
                    assert_eq!(a.telephone.len(), 10);
                    assert!(a.telephone.starts_with(c.fictitious_phone_prefix()));
                }
            }
        }
    }

    #[test]
    fn each_profession_practises_as_it_should() {
        let all = generate(20_000, 13);
        let mut professions = HashMap::new();
        let mut categories = HashMap::new();
        let mut activities = HashMap::new();
        let mut auth_modes = HashSet::new();
        let mut professors = 0;
        for p in &all {
            assert_eq!(p.exercices.len(), 1);
            assert!(p.email.is_empty() && p.other_ids.is_empty() && p.sub.is_none());
            auth_modes.insert(p.auth_modes.clone());
            let e = &p.exercices[0];
            let code = e.code_profession.as_str();
            *professions.entry(code).or_insert(0) += 1;
            *categories
                .entry(e.code_categorie_professionnelle.as_str())
                .or_insert(0) += 1;
            *activities.entry(e.activities.len()).or_insert(0) += 1;
            let student = e.code_categorie_professionnelle == "E";

            // Savoir-faire: only médecins, dentistes and infirmiers; type S.
            if e.code_savoir_faire.is_empty() {
                assert!(e.code_type_savoir_faire.is_empty());
                assert!(code != "10" || student, "médecin without specialty");
            } else {
                assert!(!student);
                assert_eq!(e.code_type_savoir_faire, "S");
                assert!(SAVOIR_FAIRE.contains(&e.code_savoir_faire));
                assert!(
                    savoir_faire_fits(code, &e.code_savoir_faire),
                    "{code} {}",
                    e.code_savoir_faire
                );
            }

            // Civilité d'exercice.
            let civ = e.code_civilite_dexercice.as_str();
            match (code, student) {
                ("10" | "40", false) => assert!(matches!(civ, "DR" | "PR"), "{code} {civ}"),
                _ => assert_eq!(civ, p.civilite),
            }
            if civ == "PR" {
                professors += 1;
                assert_eq!(code, "10");
                assert!(
                    e.activities
                        .iter()
                        .any(|a| a.raison_sociale_site.starts_with("CHU "))
                );
            }

            if student {
                assert_eq!(e.activities.len(), 1);
                assert_eq!(e.activities[0].code_mode_exercice, "S");
            }
            for a in &e.activities {
                assert_eq!(a.code_genre_activite, "GENR01");
                assert!(!a.identifiant_technique_de_la_structure.is_empty());
                assert_eq!(a.code_section_pharmacien.is_empty(), code != "21");
                match a.code_secteur_dactivite.as_str() {
                    "SA07" => {
                        assert_eq!(a.code_mode_exercice, "L");
                        let rpps = rpps_of(&p.id_nat).unwrap();
                        assert_eq!(
                            a.identifiant_technique_de_la_structure,
                            format!("R1010{}", &rpps[1..])
                        );
                        assert_eq!(a.identifiant_technique_de_la_structure.len(), 15);
                        assert_eq!(a.ancien_identifiant_de_la_structure, format!("4{rpps}001"));
                        assert_ne!(a.autorite_denregistrement, "");
                        assert!(a.raison_sociale_site.ends_with(&p.nom));
                        assert!(a.numero_finess_site.is_empty());
                    }
                    "SA01" => {
                        assert_eq!(a.code_mode_exercice, "S");
                        assert!(finess_valid(&a.numero_finess_site));
                        assert!(finess_valid(&a.numero_finessetablissement_juridique));
                        assert_ne!(a.numero_finess_site, a.numero_finessetablissement_juridique);
                        let dept = match a.code_departement.as_str() {
                            "2A" | "2B" => "20",
                            d => d,
                        };
                        assert!(a.numero_finess_site.starts_with(dept));
                        assert_eq!(
                            a.identifiant_technique_de_la_structure,
                            format!("F{}", a.numero_finess_site)
                        );
                        assert_eq!(
                            a.ancien_identifiant_de_la_structure,
                            format!("1{}", a.numero_finess_site)
                        );
                        assert_eq!(a.autorite_denregistrement, "ARS/ARS/ARS");
                        assert!(a.raison_sociale_site.starts_with("C"));
                        assert!(!a.complement_destinataire.is_empty());
                        if code == "21" {
                            assert_eq!(a.code_section_pharmacien, "H");
                        }
                        assert!(a.numero_siret_site.is_empty());
                    }
                    "SA33" => {
                        assert_eq!(code, "21");
                        let section = a.code_section_pharmacien.as_str();
                        let mode = if section == "A" { "L" } else { "S" };
                        assert!(matches!(section, "A" | "D"));
                        assert_eq!(a.code_mode_exercice, mode);
                        assert!(a.raison_sociale_site.contains("PHARMACIE"));
                        assert_eq!(
                            a.identifiant_technique_de_la_structure,
                            format!("3{}", a.numero_siret_site)
                        );
                        assert_eq!(a.autorite_denregistrement, "CNOP/CNOP/CNOP");
                    }
                    other => panic!("sector {other}"),
                }
                if !a.numero_siret_site.is_empty() {
                    assert!(siret_valid(&a.numero_siret_site));
                    assert!(siren_valid(&a.numero_siren_site));
                    assert!(a.numero_siret_site.starts_with(&a.numero_siren_site));
                }
            }
        }
        // Every profession of the table shows up, médecins most.
        for p in PROFESSIONS {
            assert!(professions.contains_key(p.code), "{}", p.code);
        }
        let most = professions.iter().max_by_key(|(_, n)| **n).unwrap();
        assert_eq!(*most.0, "10", "{professions:?}");
        for c in ["C", "M", "E"] {
            assert!(categories.contains_key(c), "{categories:?}");
        }
        assert!(categories["C"] > categories["M"] && categories["M"] > categories["E"]);
        for n in [0, 1, 2] {
            assert!(activities.contains_key(&n), "{activities:?}");
        }
        assert!(
            activities[&1] > 10 * (activities[&0] + activities[&2]),
            "{activities:?}"
        );
        assert_eq!(auth_modes.len(), 3);
        assert!(professors > 0);
    }

    #[test]
    fn the_tables_are_consistent() {
        assert_eq!(PROFESSIONS.iter().map(|p| p.weight).sum::<u32>(), 100);
        let codes: HashSet<_> = PROFESSIONS.iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), PROFESSIONS.len());
        for p in PROFESSIONS {
            assert!(
                super::super::nomenclature::PROFESSION.contains(p.code),
                "{}",
                p.code
            );
            assert!(!p.services.is_empty() && p.female <= 100 && p.liberal <= 100);
        }
        for s in SPECIALISTS.iter().chain(NURSES) {
            assert!(SAVOIR_FAIRE.contains(s.code), "{}", s.code);
        }
        for code in GENERALISTS
            .iter()
            .map(|g| g.0)
            .chain(DENTISTS.iter().copied())
        {
            assert!(SAVOIR_FAIRE.contains(code), "{code}");
        }
        // FINESS numbers: valid and distinct across communes, kinds and roles.
        let mut seen = HashSet::new();
        for c in COMMUNES {
            for kind in [
                Hospital::General,
                Hospital::University,
                Hospital::Psychiatric,
            ] {
                for juridique in [false, true] {
                    let f = finess(c, kind, juridique);
                    assert!(finess_valid(&f), "{f}");
                    assert!(seen.insert(f.clone()), "{f} twice");
                }
            }
        }
    }

    #[test]
    fn place_names_take_the_right_de() {
        assert_eq!(of("NANTES"), "DE NANTES");
        assert_eq!(of("ANGERS"), "D'ANGERS");
        assert_eq!(of("LE MANS"), "DU MANS");
        assert_eq!(of("LES ABYMES"), "DES ABYMES");
        assert_eq!(of("LA ROCHELLE"), "DE LA ROCHELLE");
        assert_eq!(luhn_digit("9970024566"), '7');
        assert_eq!(luhn_digit("13001846"), '8');
    }

    /// `cargo test --release --lib annuaire::generate -- --ignored --nocapture`
    #[test]
    #[ignore = "a timing, meaningful in release only"]
    fn time_to_generate_and_load_100_000() {
        let start = crate::clock::Stopwatch::start();
        let all = generate(100_000, 1);
        let generated = start.elapsed();
        let start = crate::clock::Stopwatch::start();
        let annuaire = Annuaire::from_professionals("generated", all).unwrap();
        let loaded = start.elapsed();
        assert_eq!(annuaire.len(), 100_000);
        println!("generate 100 000: {generated:?}; validate and load: {loaded:?}");
    }
}
