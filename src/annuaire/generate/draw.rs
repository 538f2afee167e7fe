//! The seeded random draws of one professional: uniform and weighted picks,
//! digits, names and structure numbers.

use fake::Fake;
use fake::faker::name::raw::LastName;
use fake::locales::FR_FR;
use rand::Rng;
use rand::rngs::ChaCha8Rng;

use super::super::ids::luhn_digit;
use super::super::names::plain_upper;

/// The seeded random draws of one professional.
pub(super) struct Draw(pub(super) ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (`n > 0`), by widening multiplication.
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }

    /// True with probability `percent` / 100.
    pub(super) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items`, each as likely as `weight(item)`.
    pub(super) fn weighted<'a, T>(&mut self, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
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
    pub(super) fn digits(&mut self, out: &mut String, n: usize) {
        for _ in 0..n {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }

    pub(super) fn last_name(&mut self) -> String {
        plain_upper(LastName(FR_FR).fake_with_rng::<&str, _>(&mut self.0))
    }

    /// A Luhn-valid SIREN (not starting with 0, 1 or 2) and a SIRET of it.
    pub(super) fn siren_siret(&mut self) -> (String, String) {
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
