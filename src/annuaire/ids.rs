//! Check digits of the identifiers of the annuaire (docs/annuaire.md).
//!
//! RPPS, FINESS, SIREN and SIRET numbers all end with a Luhn check digit
//! over the whole number; only the lengths differ.

/// The Luhn sum of `digits`, doubling every second digit from the right
/// starting with the rightmost when `double_last` (each doubled digit above
/// 9 minus 9); `None` for a non-digit.
fn luhn_sum(digits: &str, double_last: bool) -> Option<u32> {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
            if (i % 2 == 0) == double_last {
                let doubled = d * 2;
                Some(if doubled > 9 { doubled - 9 } else { doubled })
            } else {
                Some(d)
            }
        })
        .sum()
}

/// The Luhn check used by RPPS, FINESS, SIREN and SIRET numbers: from the
/// right, every second digit is doubled (minus 9 when above 9) and the sum of
/// all digits must be a multiple of 10. False for an empty or non-digit string.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty() && luhn_sum(digits, false).is_some_and(|sum| sum.is_multiple_of(10))
}

/// The digit that makes `body` followed by it pass the Luhn check (`'0'`
/// for a body that is not all digits, which callers never give).
pub fn luhn_digit(body: &str) -> char {
    let sum = luhn_sum(body, true).unwrap_or(0);
    char::from(b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0))
}

/// A FINESS number (établissement géographique or juridique): 9 digits, the
/// last a Luhn check digit over the first eight. Corsican numbers (`2A…`,
/// `2B…`) are not accepted: the fixtures are fictitious and stay numeric.
pub fn finess_valid(s: &str) -> bool {
    s.len() == 9 && luhn_valid(s)
}

/// A SIREN (company) number: 9 digits, the last a Luhn check digit.
pub fn siren_valid(s: &str) -> bool {
    s.len() == 9 && luhn_valid(s)
}

/// La Poste's SIREN, the one exception INSEE makes to SIRET's Luhn rule.
const LA_POSTE_SIREN: &str = "356000000";

/// A SIRET (establishment) number: 14 digits, the SIREN then 5 more, the
/// last a Luhn check digit over all 14. La Poste has more establishments
/// than its check digits allow, so for SIREN `356000000` a SIRET whose
/// digits add up to a multiple of 5 is valid too.
pub fn siret_valid(s: &str) -> bool {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    luhn_valid(s)
        || (s.starts_with(LA_POSTE_SIREN)
            && s.bytes()
                .map(|b| u32::from(b - b'0'))
                .sum::<u32>()
                .is_multiple_of(5))
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
    fn the_check_digit_makes_every_body_luhn_valid() {
        for body in ["9970024566", "13001846", "0", "12345678901234", "99999"] {
            let mut id = body.to_owned();
            id.push(luhn_digit(body));
            assert!(luhn_valid(&id), "{id}");
            // Any other last digit fails.
            let wrong = (id.as_bytes()[id.len() - 1] - b'0' + 1) % 10;
            id.pop();
            id.push(char::from(b'0' + wrong));
            assert!(!luhn_valid(&id), "{id}");
        }
        assert_eq!(luhn_digit("9970024566"), '7');
    }

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
    fn finess_is_nine_digits_with_a_luhn_key() {
        // AP-HP (juridique) and a fixture hospital site.
        for ok in ["750712184", "130018468", "130018450"] {
            assert!(finess_valid(ok), "{ok}");
        }
        for bad in [
            "750712185",
            "75071218",
            "7507121840",
            "2A0000014",
            "75071218a",
            "",
        ] {
            assert!(!finess_valid(bad), "{bad}");
        }
    }

    #[test]
    fn siren_is_nine_digits_with_a_luhn_key() {
        for ok in ["732829320", "837415926", "356000000"] {
            assert!(siren_valid(ok), "{ok}");
        }
        for bad in ["732829321", "73282932", "7328293200", "73282932O", ""] {
            assert!(!siren_valid(bad), "{bad}");
        }
    }

    #[test]
    fn siret_is_fourteen_digits_with_a_luhn_key_except_at_la_poste() {
        for ok in [
            "73282932000074",
            "83741592600018",
            "35600000000048", // La Poste's siège: plain Luhn
            "35600000049837", // another La Poste site: digits add up to 45
        ] {
            assert!(siret_valid(ok), "{ok}");
        }
        for bad in [
            "73282932000075",
            "7328293200007",
            "732829320000740",
            "7328293200007a",
            "35600000049838", // La Poste, but neither rule holds
            "12345678900005", // digits add up to 50, but not La Poste's SIREN
            "",
        ] {
            assert!(!siret_valid(bad), "{bad}");
        }
    }

    #[test]
    fn rpps_is_only_read_from_eight_prefixed_ids() {
        assert_eq!(rpps_of("899700245667"), Some("99700245667"));
        assert_eq!(rpps_of("0123456789"), None);
        assert_eq!(rpps_of("ANS20220215183932"), None);
    }
}
