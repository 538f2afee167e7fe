//! Gendered French first names, and PSC's way of writing names.
//!
//! Why our own first names: `fake`'s French first-name list carries no
//! gender, and a generated professional's `civilite` (`M`/`MME`), civilité
//! d'exercice and first name must agree. These two tables are ours: common
//! first names of people born in France between the 1950s and the 2000s
//! (the working ages of health professionals), already written as PSC
//! writes them: upper case, without accents, compound names hyphenated.
//! No name is in both tables (no epicene names such as Dominique or Claude),
//! so a name alone tells the civilité back, which the tests rely on.
//!
//! Last names come from `fake` (FR locale) and go through [`plain_upper`],
//! which strips French accents and upper-cases (`"Hénaut"` → `"HENAUT"`).
//!
//! Constant data and a pure function: no randomness here.

/// Men's first names (civilité `M`).
pub const MALE: &[&str] = &[
    "JEAN",
    "PIERRE",
    "MICHEL",
    "ALAIN",
    "PHILIPPE",
    "PATRICK",
    "BERNARD",
    "CHRISTIAN",
    "DANIEL",
    "ERIC",
    "FREDERIC",
    "LAURENT",
    "STEPHANE",
    "DAVID",
    "PASCAL",
    "OLIVIER",
    "THIERRY",
    "CHRISTOPHE",
    "NICOLAS",
    "SEBASTIEN",
    "JULIEN",
    "THOMAS",
    "ALEXANDRE",
    "ANTOINE",
    "MATHIEU",
    "GUILLAUME",
    "VINCENT",
    "FRANCOIS",
    "JEROME",
    "CEDRIC",
    "FABRICE",
    "BRUNO",
    "DIDIER",
    "GILLES",
    "SYLVAIN",
    "EMMANUEL",
    "BENOIT",
    "ARNAUD",
    "XAVIER",
    "DAMIEN",
    "ROMAIN",
    "MAXIME",
    "KEVIN",
    "ANTHONY",
    "JONATHAN",
    "BAPTISTE",
    "CLEMENT",
    "QUENTIN",
    "HUGO",
    "LUCAS",
    "THEO",
    "LOUIS",
    "PAUL",
    "ARTHUR",
    "MARC",
    "YANNICK",
    "GAEL",
    "BASTIEN",
    "FLORIAN",
    "ADRIEN",
    "BENJAMIN",
    "SAMUEL",
    "YVES",
    "SERGE",
    "HERVE",
    "LOIC",
    "MEHDI",
    "KARIM",
    "VICTOR",
    "RAPHAEL",
    "JEAN-PIERRE",
    "JEAN-LUC",
    "JEAN-FRANCOIS",
    "JEAN-MARC",
    "PIERRE-ANTOINE",
];

/// Women's first names (civilité `MME`).
pub const FEMALE: &[&str] = &[
    "MARIE",
    "NATHALIE",
    "ISABELLE",
    "SYLVIE",
    "CATHERINE",
    "CHRISTINE",
    "MARTINE",
    "FRANCOISE",
    "VALERIE",
    "SANDRINE",
    "STEPHANIE",
    "CELINE",
    "AURELIE",
    "JULIE",
    "CAROLINE",
    "VIRGINIE",
    "SOPHIE",
    "CHRISTELLE",
    "EMILIE",
    "LAETITIA",
    "ELODIE",
    "PAULINE",
    "MARION",
    "CHARLOTTE",
    "LAURA",
    "MANON",
    "SARAH",
    "CLAIRE",
    "ANNE",
    "HELENE",
    "AGNES",
    "BEATRICE",
    "BRIGITTE",
    "CHANTAL",
    "PATRICIA",
    "CORINNE",
    "FLORENCE",
    "AUDREY",
    "MELANIE",
    "DELPHINE",
    "KARINE",
    "SEVERINE",
    "GAELLE",
    "MAGALI",
    "LUCIE",
    "MATHILDE",
    "CLEMENCE",
    "JUSTINE",
    "MARGAUX",
    "CHLOE",
    "LEA",
    "ALICE",
    "INES",
    "EMMA",
    "AMANDINE",
    "JEANNE",
    "ELISE",
    "AGATHE",
    "SOLENNE",
    "NADIA",
    "FATIMA",
    "GWENAELLE",
    "MURIEL",
    "ODILE",
    "VERONIQUE",
    "PASCALE",
    "ELISABETH",
    "CECILE",
    "ANNE-SOPHIE",
    "MARIE-CLAIRE",
    "MARIE-PIERRE",
    "ANNE-MARIE",
];

/// `name` as PSC writes it: French accented letters replaced by their plain
/// letter (`œ`/`æ` by two), then upper case. Anything else (spaces,
/// hyphens, apostrophes) is kept.
pub fn plain_upper(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        let plain = match ch {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => "A",
            'ç' | 'Ç' => "C",
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "E",
            'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => "I",
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => "O",
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
            'ÿ' | 'Ÿ' => "Y",
            'ñ' | 'Ñ' => "N",
            'œ' | 'Œ' => "OE",
            'æ' | 'Æ' => "AE",
            _ => {
                out.extend(ch.to_uppercase());
                continue;
            }
        };
        out.push_str(plain);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake::locales::{Data, FR_FR};
    use std::collections::HashSet;

    fn plain(name: &str) -> bool {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn the_tables_are_large_plain_and_disjoint() {
        for (table, what) in [(MALE, "MALE"), (FEMALE, "FEMALE")] {
            assert!((60..=80).contains(&table.len()), "{what}: {}", table.len());
            let unique: HashSet<_> = table.iter().collect();
            assert_eq!(unique.len(), table.len(), "{what}: a name appears twice");
            for name in table {
                assert!(plain(name), "{what}: {name:?}");
            }
        }
        let male: HashSet<_> = MALE.iter().collect();
        let both: Vec<_> = FEMALE.iter().filter(|n| male.contains(n)).collect();
        assert!(both.is_empty(), "in both tables: {both:?}");
    }

    #[test]
    fn accents_are_stripped_and_case_raised() {
        assert_eq!(plain_upper("Hénaut"), "HENAUT");
        assert_eq!(plain_upper("Évrat"), "EVRAT");
        assert_eq!(plain_upper("Sablonnière"), "SABLONNIERE");
        assert_eq!(plain_upper("Le Berre"), "LE BERRE");
        assert_eq!(plain_upper("Da Costa"), "DA COSTA");
        assert_eq!(plain_upper("Lefèvre-Ça"), "LEFEVRE-CA");
        assert_eq!(plain_upper("Cœur d'Aîné"), "COEUR D'AINE");
        assert_eq!(plain_upper(""), "");
    }

    #[test]
    fn every_fake_last_name_becomes_plain_ascii() {
        for name in FR_FR::NAME_LAST_NAME {
            let upper = plain_upper(name);
            assert!(
                upper
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b"- '".contains(&b)),
                "{name:?} -> {upper:?}"
            );
        }
    }
}
