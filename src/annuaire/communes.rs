//! Real French communes and plausible street names, for generated addresses.
//!
//! `fake`'s French addresses invent town names and postcodes (as measured when the stack was chosen), and
//! an activity's `codePostal`, `codeCommune` (INSEE), `codeDepartement` and
//! `bureauCedex` must agree with one another, so the generator draws its
//! places from this table of our own instead. Every row is a real commune
//! with its main postcode (La Poste) and its INSEE code (COG): the twenty
//! arrondissements of Paris, the nine of Lyon and the sixteen of Marseille
//! (whose INSEE codes, not the city's, PSC carries), prefectures and large
//! towns of every region, Corsica (`2A`/`2B`) and five overseas départements.
//! Names are La Poste's: upper case, without accents. Only codes we are sure
//! of are listed; a commune is added with all three codes checked.
//!
//! Street names are generic ones found in most French towns; the road type
//! codes are those of the RPPS extracts (`R` rue, `AV` avenue, `BD`
//! boulevard, `PL` place, `CHE` chemin, `ALL` allée, `CRS` cours, `QU` quai).
//!
//! Constant data only: no randomness here, so the tables are part of the
//! generator's determinism (same seed, same table, same output).

/// One commune, with codes consistent with one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune {
    /// La Poste's name, as in `bureauCedex` (`"PARIS"` for every
    /// arrondissement of Paris).
    pub name: &'static str,
    /// The commune's (or arrondissement's) main postcode.
    pub postcode: &'static str,
    /// The INSEE code (`codeCommune`); an arrondissement's own for Paris,
    /// Lyon and Marseille.
    pub insee: &'static str,
    /// The département (`codeDepartement`): the INSEE code's first two
    /// characters, or three overseas.
    pub department: &'static str,
    /// Whether the town has a university hospital (CHU).
    pub chu: bool,
}

impl Commune {
    /// The first six digits of the ARCEP range reserved for fiction in the
    /// commune's telephone zone (`01 99 00`, `02 61 91`, `03 53 01`,
    /// `04 65 71`, `05 36 49`; overseas, the mobile one `06 39 98`), so that
    /// generated numbers look local and reach nobody.
    pub fn fictitious_phone_prefix(&self) -> &'static str {
        match self.department {
            "75" | "77" | "78" | "91" | "92" | "93" | "94" | "95" => "019900",
            "14" | "27" | "50" | "61" | "76" | "22" | "29" | "35" | "56" | "44" | "49" | "53"
            | "72" | "85" | "18" | "28" | "36" | "37" | "41" | "45" => "026191",
            "02" | "59" | "60" | "62" | "80" | "08" | "10" | "51" | "52" | "54" | "55" | "57"
            | "67" | "68" | "88" | "21" | "25" | "39" | "58" | "70" | "71" | "89" | "90" => {
                "035301"
            }
            "16" | "17" | "19" | "23" | "24" | "33" | "40" | "47" | "64" | "79" | "86" | "87"
            | "09" | "12" | "31" | "32" | "46" | "65" | "81" | "82" => "053649",
            d if d.len() == 3 => "063998",
            // Auvergne-Rhône-Alpes, Provence-Alpes-Côte d'Azur, Corsica and
            // eastern Occitanie.
            _ => "046571",
        }
    }
}

const fn c(
    name: &'static str,
    postcode: &'static str,
    insee: &'static str,
    department: &'static str,
    chu: bool,
) -> Commune {
    Commune {
        name,
        postcode,
        insee,
        department,
        chu,
    }
}

/// The communes generated professionals practise in.
pub const COMMUNES: &[Commune] = &[
    // Paris: one row per arrondissement (postcode 750NN, INSEE 751NN).
    c("PARIS", "75001", "75101", "75", true),
    c("PARIS", "75002", "75102", "75", true),
    c("PARIS", "75003", "75103", "75", true),
    c("PARIS", "75004", "75104", "75", true),
    c("PARIS", "75005", "75105", "75", true),
    c("PARIS", "75006", "75106", "75", true),
    c("PARIS", "75007", "75107", "75", true),
    c("PARIS", "75008", "75108", "75", true),
    c("PARIS", "75009", "75109", "75", true),
    c("PARIS", "75010", "75110", "75", true),
    c("PARIS", "75011", "75111", "75", true),
    c("PARIS", "75012", "75112", "75", true),
    c("PARIS", "75013", "75113", "75", true),
    c("PARIS", "75014", "75114", "75", true),
    c("PARIS", "75015", "75115", "75", true),
    c("PARIS", "75016", "75116", "75", true),
    c("PARIS", "75017", "75117", "75", true),
    c("PARIS", "75018", "75118", "75", true),
    c("PARIS", "75019", "75119", "75", true),
    c("PARIS", "75020", "75120", "75", true),
    // Lyon (postcode 6900N, INSEE 6938N).
    c("LYON", "69001", "69381", "69", true),
    c("LYON", "69002", "69382", "69", true),
    c("LYON", "69003", "69383", "69", true),
    c("LYON", "69004", "69384", "69", true),
    c("LYON", "69005", "69385", "69", true),
    c("LYON", "69006", "69386", "69", true),
    c("LYON", "69007", "69387", "69", true),
    c("LYON", "69008", "69388", "69", true),
    c("LYON", "69009", "69389", "69", true),
    // Marseille (postcode 130NN, INSEE 132NN).
    c("MARSEILLE", "13001", "13201", "13", true),
    c("MARSEILLE", "13002", "13202", "13", true),
    c("MARSEILLE", "13003", "13203", "13", true),
    c("MARSEILLE", "13004", "13204", "13", true),
    c("MARSEILLE", "13005", "13205", "13", true),
    c("MARSEILLE", "13006", "13206", "13", true),
    c("MARSEILLE", "13007", "13207", "13", true),
    c("MARSEILLE", "13008", "13208", "13", true),
    c("MARSEILLE", "13009", "13209", "13", true),
    c("MARSEILLE", "13010", "13210", "13", true),
    c("MARSEILLE", "13011", "13211", "13", true),
    c("MARSEILLE", "13012", "13212", "13", true),
    c("MARSEILLE", "13013", "13213", "13", true),
    c("MARSEILLE", "13014", "13214", "13", true),
    c("MARSEILLE", "13015", "13215", "13", true),
    c("MARSEILLE", "13016", "13216", "13", true),
    // Île-de-France.
    c("VERSAILLES", "78000", "78646", "78", false),
    c("NANTERRE", "92000", "92050", "92", false),
    c("BOULOGNE-BILLANCOURT", "92100", "92012", "92", false),
    c("SAINT-DENIS", "93200", "93066", "93", false),
    c("MONTREUIL", "93100", "93048", "93", false),
    c("CRETEIL", "94000", "94028", "94", false),
    c("EVRY-COURCOURONNES", "91000", "91228", "91", false),
    c("CERGY", "95000", "95127", "95", false),
    c("ARGENTEUIL", "95100", "95018", "95", false),
    c("MELUN", "77000", "77288", "77", false),
    // Hauts-de-France.
    c("LILLE", "59000", "59350", "59", true),
    c("ROUBAIX", "59100", "59512", "59", false),
    c("TOURCOING", "59200", "59599", "59", false),
    c("DUNKERQUE", "59140", "59183", "59", false),
    c("ARRAS", "62000", "62041", "62", false),
    c("CALAIS", "62100", "62193", "62", false),
    c("AMIENS", "80000", "80021", "80", true),
    c("BEAUVAIS", "60000", "60057", "60", false),
    c("COMPIEGNE", "60200", "60159", "60", false),
    c("LAON", "02000", "02408", "02", false),
    c("SAINT-QUENTIN", "02100", "02691", "02", false),
    // Grand Est.
    c("STRASBOURG", "67000", "67482", "67", true),
    c("MULHOUSE", "68100", "68224", "68", false),
    c("COLMAR", "68000", "68066", "68", false),
    c("REIMS", "51100", "51454", "51", true),
    c("CHALONS-EN-CHAMPAGNE", "51000", "51108", "51", false),
    c("METZ", "57000", "57463", "57", false),
    c("THIONVILLE", "57100", "57672", "57", false),
    c("NANCY", "54000", "54395", "54", true),
    c("EPINAL", "88000", "88160", "88", false),
    c("TROYES", "10000", "10387", "10", false),
    c("CHARLEVILLE-MEZIERES", "08000", "08105", "08", false),
    c("CHAUMONT", "52000", "52121", "52", false),
    c("BAR-LE-DUC", "55000", "55029", "55", false),
    // Bourgogne-Franche-Comté.
    c("DIJON", "21000", "21231", "21", true),
    c("BESANCON", "25000", "25056", "25", true),
    c("BELFORT", "90000", "90010", "90", false),
    c("AUXERRE", "89000", "89024", "89", false),
    c("NEVERS", "58000", "58194", "58", false),
    c("MACON", "71000", "71270", "71", false),
    c("CHALON-SUR-SAONE", "71100", "71076", "71", false),
    c("LONS-LE-SAUNIER", "39000", "39300", "39", false),
    c("VESOUL", "70000", "70550", "70", false),
    // Normandie.
    c("ROUEN", "76000", "76540", "76", true),
    c("LE HAVRE", "76600", "76351", "76", false),
    c("CAEN", "14000", "14118", "14", true),
    c("EVREUX", "27000", "27229", "27", false),
    c("ALENCON", "61000", "61001", "61", false),
    c("SAINT-LO", "50000", "50502", "50", false),
    c("CHERBOURG-EN-COTENTIN", "50100", "50129", "50", false),
    // Bretagne.
    c("RENNES", "35000", "35238", "35", true),
    c("SAINT-MALO", "35400", "35288", "35", false),
    c("BREST", "29200", "29019", "29", true),
    c("QUIMPER", "29000", "29232", "29", false),
    c("VANNES", "56000", "56260", "56", false),
    c("LORIENT", "56100", "56121", "56", false),
    c("SAINT-BRIEUC", "22000", "22278", "22", false),
    // Pays de la Loire.
    c("NANTES", "44000", "44109", "44", true),
    c("SAINT-NAZAIRE", "44600", "44184", "44", false),
    c("ANGERS", "49000", "49007", "49", true),
    c("LE MANS", "72000", "72181", "72", false),
    c("LAVAL", "53000", "53130", "53", false),
    c("LA ROCHE-SUR-YON", "85000", "85191", "85", false),
    // Centre-Val de Loire.
    c("TOURS", "37000", "37261", "37", true),
    c("ORLEANS", "45000", "45234", "45", true),
    c("CHARTRES", "28000", "28085", "28", false),
    c("BOURGES", "18000", "18033", "18", false),
    c("BLOIS", "41000", "41018", "41", false),
    c("CHATEAUROUX", "36000", "36044", "36", false),
    // Nouvelle-Aquitaine.
    c("BORDEAUX", "33000", "33063", "33", true),
    c("LIMOGES", "87000", "87085", "87", true),
    c("POITIERS", "86000", "86194", "86", true),
    c("LA ROCHELLE", "17000", "17300", "17", false),
    c("NIORT", "79000", "79191", "79", false),
    c("ANGOULEME", "16000", "16015", "16", false),
    c("PERIGUEUX", "24000", "24322", "24", false),
    c("AGEN", "47000", "47001", "47", false),
    c("PAU", "64000", "64445", "64", false),
    c("BAYONNE", "64100", "64102", "64", false),
    c("MONT-DE-MARSAN", "40000", "40192", "40", false),
    c("TULLE", "19000", "19272", "19", false),
    c("BRIVE-LA-GAILLARDE", "19100", "19031", "19", false),
    c("GUERET", "23000", "23096", "23", false),
    // Occitanie.
    c("TOULOUSE", "31000", "31555", "31", true),
    c("MONTPELLIER", "34000", "34172", "34", true),
    c("BEZIERS", "34500", "34032", "34", false),
    c("NIMES", "30000", "30189", "30", true),
    c("PERPIGNAN", "66000", "66136", "66", false),
    c("CARCASSONNE", "11000", "11069", "11", false),
    c("MONTAUBAN", "82000", "82121", "82", false),
    c("ALBI", "81000", "81004", "81", false),
    c("RODEZ", "12000", "12202", "12", false),
    c("CAHORS", "46000", "46042", "46", false),
    c("TARBES", "65000", "65440", "65", false),
    c("AUCH", "32000", "32013", "32", false),
    c("FOIX", "09000", "09122", "09", false),
    c("MENDE", "48000", "48095", "48", false),
    // Auvergne-Rhône-Alpes.
    c("VILLEURBANNE", "69100", "69266", "69", false),
    c("GRENOBLE", "38000", "38185", "38", true),
    c("SAINT-ETIENNE", "42000", "42218", "42", true),
    c("CLERMONT-FERRAND", "63000", "63113", "63", true),
    c("ANNECY", "74000", "74010", "74", false),
    c("CHAMBERY", "73000", "73065", "73", false),
    c("VALENCE", "26000", "26362", "26", false),
    c("MONTELIMAR", "26200", "26198", "26", false),
    c("BOURG-EN-BRESSE", "01000", "01053", "01", false),
    c("MOULINS", "03000", "03190", "03", false),
    c("PRIVAS", "07000", "07186", "07", false),
    c("AURILLAC", "15000", "15014", "15", false),
    c("LE PUY-EN-VELAY", "43000", "43157", "43", false),
    // Provence-Alpes-Côte d'Azur.
    c("NICE", "06000", "06088", "06", true),
    c("CANNES", "06400", "06029", "06", false),
    c("ANTIBES", "06600", "06004", "06", false),
    c("TOULON", "83000", "83137", "83", false),
    c("DRAGUIGNAN", "83300", "83050", "83", false),
    c("AIX-EN-PROVENCE", "13100", "13001", "13", false),
    c("ARLES", "13200", "13004", "13", false),
    c("AVIGNON", "84000", "84007", "84", false),
    c("GAP", "05000", "05061", "05", false),
    c("DIGNE-LES-BAINS", "04000", "04070", "04", false),
    // Corsica.
    c("AJACCIO", "20000", "2A004", "2A", false),
    c("BASTIA", "20200", "2B033", "2B", false),
    // Overseas.
    c("POINTE-A-PITRE", "97110", "97120", "971", true),
    c("LES ABYMES", "97139", "97101", "971", false),
    c("FORT-DE-FRANCE", "97200", "97209", "972", true),
    c("CAYENNE", "97300", "97302", "973", false),
    c("SAINT-DENIS", "97400", "97411", "974", true),
    c("SAINT-PIERRE", "97410", "97416", "974", true),
    c("MAMOUDZOU", "97600", "97611", "976", false),
];

/// A street: its road type code (`codeTypeDeVoie`) and name (`libelleVoie`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Street {
    pub kind: &'static str,
    pub name: &'static str,
}

const fn s(kind: &'static str, name: &'static str) -> Street {
    Street { kind, name }
}

/// Streets common to most French towns, each with a road type it usually
/// has; rues come first and most often, as in real addresses.
pub const STREETS: &[Street] = &[
    s("R", "DES LILAS"),
    s("R", "JEAN JAURES"),
    s("R", "DE LA REPUBLIQUE"),
    s("R", "VICTOR HUGO"),
    s("R", "PASTEUR"),
    s("R", "GAMBETTA"),
    s("R", "DE LA GARE"),
    s("R", "NATIONALE"),
    s("R", "PAUL BERT"),
    s("R", "EMILE ZOLA"),
    s("R", "DE LA LIBERTE"),
    s("R", "DU MOULIN"),
    s("R", "DES ECOLES"),
    s("R", "DE LA PAIX"),
    s("R", "SAINT MARTIN"),
    s("R", "DU COMMERCE"),
    s("R", "DE L EGLISE"),
    s("R", "ANATOLE FRANCE"),
    s("R", "CARNOT"),
    s("R", "JULES FERRY"),
    s("R", "DU 8 MAI 1945"),
    s("R", "DES JARDINS"),
    s("R", "VOLTAIRE"),
    s("R", "DU GENERAL LECLERC"),
    s("AV", "JEAN JAURES"),
    s("AV", "DE LA REPUBLIQUE"),
    s("AV", "DU GENERAL DE GAULLE"),
    s("AV", "FOCH"),
    s("AV", "DES TILLEULS"),
    s("AV", "ARISTIDE BRIAND"),
    s("AV", "PASTEUR"),
    s("BD", "VICTOR HUGO"),
    s("BD", "GAMBETTA"),
    s("BD", "DE LA LIBERTE"),
    s("BD", "CARNOT"),
    s("BD", "DE STRASBOURG"),
    s("PL", "DE LA MAIRIE"),
    s("PL", "DU MARCHE"),
    s("PL", "DE L HOTEL DE VILLE"),
    s("PL", "DE LA REPUBLIQUE"),
    s("CHE", "DES VIGNES"),
    s("CHE", "DU STADE"),
    s("ALL", "DES PLATANES"),
    s("ALL", "DES ACACIAS"),
    s("CRS", "JEAN JAURES"),
    s("QU", "DES ARTS"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn digits(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
    }

    #[test]
    fn every_commune_has_consistent_codes() {
        for c in COMMUNES {
            let what = format!("{c:?}");
            assert!(digits(c.postcode) && c.postcode.len() == 5, "{what}");
            assert_eq!(c.insee.len(), 5, "{what}");
            assert!(c.insee.starts_with(c.department), "{what}");
            assert!(digits(&c.insee[2..]), "{what}");
            match c.department {
                "2A" | "2B" => assert!(c.postcode.starts_with("20"), "{what}"),
                d => {
                    assert!(digits(d) && matches!(d.len(), 2 | 3), "{what}");
                    assert!(c.postcode.starts_with(d), "{what}");
                    assert_eq!(d.len() == 3, d.starts_with("97"), "{what}");
                }
            }
            assert!(
                !c.name.is_empty()
                    && c.name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b' '),
                "{what}: upper-case ASCII"
            );
        }
    }

    #[test]
    fn codes_are_unique_and_the_arrondissements_complete() {
        let insee: HashSet<_> = COMMUNES.iter().map(|c| c.insee).collect();
        assert_eq!(insee.len(), COMMUNES.len(), "an INSEE code appears twice");
        let postcodes: HashSet<_> = COMMUNES.iter().map(|c| c.postcode).collect();
        assert_eq!(postcodes.len(), COMMUNES.len(), "a postcode appears twice");
        for (name, arrondissements, postcode, insee) in [
            ("PARIS", 20, "750", "751"),
            ("LYON", 9, "6900", "6938"),
            ("MARSEILLE", 16, "130", "132"),
        ] {
            let rows: Vec<_> = COMMUNES.iter().filter(|c| c.name == name).collect();
            assert_eq!(rows.len(), arrondissements, "{name}");
            for (n, c) in (1..).zip(rows) {
                let width = 5 - postcode.len();
                assert_eq!(c.postcode, format!("{postcode}{n:0width$}"), "{c:?}");
                let width = 5 - insee.len();
                assert_eq!(c.insee, format!("{insee}{n:0width$}"), "{c:?}");
            }
        }
    }

    #[test]
    fn the_table_covers_corsica_overseas_and_many_departments() {
        let departments: HashSet<_> = COMMUNES.iter().map(|c| c.department).collect();
        for d in ["2A", "2B", "971", "972", "974"] {
            assert!(departments.contains(d), "{d}");
        }
        assert!(departments.len() >= 80, "{}", departments.len());
        assert!(COMMUNES.len() >= 80);
        // FINESS numbers are built from the INSEE code's commune number
        // (three digits), so it must be unique within a FINESS prefix.
        assert!(COMMUNES.len() < 1000);
    }

    #[test]
    fn phone_prefixes_are_the_fiction_ranges() {
        for c in COMMUNES {
            let p = c.fictitious_phone_prefix();
            assert!(
                ["019900", "026191", "035301", "046571", "053649", "063998"].contains(&p),
                "{c:?}"
            );
        }
        let zone = |insee: &str| {
            COMMUNES
                .iter()
                .find(|c| c.insee == insee)
                .unwrap()
                .fictitious_phone_prefix()
        };
        assert_eq!(zone("75108"), "019900");
        assert_eq!(zone("35238"), "026191");
        assert_eq!(zone("67482"), "035301");
        assert_eq!(zone("69383"), "046571");
        assert_eq!(zone("2A004"), "046571");
        assert_eq!(zone("33063"), "053649");
        assert_eq!(zone("97411"), "063998");
    }

    #[test]
    fn streets_have_known_road_types_and_plain_names() {
        let kinds: HashSet<_> = STREETS.iter().map(|s| s.kind).collect();
        for k in &kinds {
            assert!(
                ["R", "AV", "BD", "PL", "CHE", "ALL", "CRS", "QU"].contains(k),
                "{k}"
            );
        }
        let all: HashSet<_> = STREETS.iter().map(|s| (s.kind, s.name)).collect();
        assert_eq!(all.len(), STREETS.len(), "a street appears twice");
        for s in STREETS {
            assert!(
                s.name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '),
                "{s:?}"
            );
        }
    }
}
