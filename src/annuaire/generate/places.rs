//! Where generated professionals practise: private practices, pharmacies
//! and fictitious hospitals of real communes, with their addresses and
//! structure numbers (FINESS with Luhn check digits).

use super::super::Activity;
use super::super::communes::{Commune, STREETS, Street};
use super::super::ids::luhn_digit;
use super::Who;
use super::draw::Draw;

/// The kinds of hospital, with the digit they take in our FINESS numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hospital {
    /// Centre hospitalier.
    General = 0,
    /// Centre hospitalier universitaire (only where [`Commune::chu`]).
    University = 1,
    /// Centre hospitalier spécialisé (psychiatry).
    Psychiatric = 2,
}

/// Where one activity takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Cabinet,
    Hospital(Hospital),
    /// A pharmacy, with the pharmacist's section (`A` titulaire, `D` adjoint).
    Officine(&'static str),
}

/// A hospital of `commune`: its CHU more often than not where it has one.
pub(super) fn hospital_in(d: &mut Draw, commune: &Commune) -> Hospital {
    if commune.chu && d.chance(60) {
        Hospital::University
    } else {
        Hospital::General
    }
}

/// One activity at `place`, in `commune`.
pub(super) fn activity(
    d: &mut Draw,
    who: &Who,
    commune: &Commune,
    place: Place,
    service: &str,
) -> Activity {
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
pub(super) fn finess(commune: &Commune, kind: Hospital, juridique: bool) -> String {
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
pub(super) fn of(name: &str) -> String {
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
