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

mod draw;
mod places;
mod tables;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::communes::COMMUNES;
use super::ids::luhn_digit;
use super::names::{FEMALE, MALE};
use super::{AuthMode, Exercice, Professional};
use crate::identifiers::IdNat;
use draw::Draw;
use places::{Hospital, Place, activity, hospital_in};
use tables::{Extra, GENERALISTS, PROFESSIONS, Practice, Profession, SPECIALISTS};

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
        id_nat: IdNat::new(format!("8{rpps}")),
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
    match p.practice {
        Practice::Medecin => {
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
        Practice::Pharmacien => match d.below(100) {
            0..2 => {}
            2..62 => places.push(Place::Officine("A")),
            62..87 => places.push(Place::Officine("D")),
            _ => places.push(Place::Hospital(hospital_in(d, commune))),
        },
        Practice::Common {
            doctor,
            hospital,
            specialty,
        } => {
            if doctor {
                e.code_civilite_dexercice = "DR".into();
            }
            // A specialty is a savoir-faire; its service, if it has one,
            // replaces the profession's.
            let mut specialize = |d: &mut Draw, extra: Extra| {
                if d.chance(extra.percent) {
                    let specialty = d.pick(extra.list);
                    savoir_faire = specialty.code;
                    if !specialty.service.is_empty() {
                        service = specialty.service;
                    }
                }
            };
            if let Some(extra) = specialty.filter(|x| !x.at_hospital) {
                specialize(d, extra);
            }
            if !d.chance(2) {
                if d.chance(p.liberal) {
                    places.push(Place::Cabinet);
                } else {
                    let kind = hospital.unwrap_or_else(|| hospital_in(d, commune));
                    places.push(Place::Hospital(kind));
                    if let Some(extra) = specialty.filter(|x| x.at_hospital) {
                        specialize(d, extra);
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

#[cfg(test)]
mod tests {
    use super::super::communes::STREETS;
    use super::super::ids::{finess_valid, siren_valid, siret_valid};
    use super::super::nomenclature::{SAVOIR_FAIRE, savoir_faire_fits};
    use super::super::validate::validate;
    use super::super::{Annuaire, luhn_valid, rpps_of};
    use super::places::{finess, of};
    use super::tables::{DENTISTS, NURSES};
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
        for s in SPECIALISTS.iter().chain(NURSES).chain(DENTISTS) {
            assert!(SAVOIR_FAIRE.contains(s.code), "{}", s.code);
        }
        for code in GENERALISTS.iter().map(|g| g.0) {
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
