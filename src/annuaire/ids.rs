//! Check digits of the identifiers of the annuaire (FACTS §6).

/// The Luhn check used by RPPS numbers (and SIRET).
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// For an RPPS-based idNat (`8` + 11 digits), the RPPS number.
pub fn rpps_of(id_nat: &str) -> Option<&str> {
    id_nat
        .strip_prefix('8')
        .filter(|r| r.len() == 11 && r.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_the_public_test_ids_and_rejects_a_typo() {
        for id in [
            "899700245667",
            "899700218896",
            "899700366240",
            "899700427885",
            "899700771191",
        ] {
            assert!(luhn_valid(rpps_of(id).unwrap()), "{id}");
        }
        assert!(!luhn_valid("99700245668"));
        assert!(!luhn_valid("9970024566a"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn rpps_is_only_read_from_eight_prefixed_ids() {
        assert_eq!(rpps_of("899700245667"), Some("99700245667"));
        assert_eq!(rpps_of("0123456789"), None);
        assert_eq!(rpps_of("ANS20220215183932"), None);
    }
}
