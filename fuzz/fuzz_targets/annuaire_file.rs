//! Fixture files of professionals (`--annuaire`, `annuaire check`, the
//! control API's batches): refused with a reason or loaded; a loaded file
//! written back out (as `annuaire generate` writes) loads again, to the
//! same professionals.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psc_mock::annuaire::{Annuaire, FixtureFile};

fuzz_target!(|text: &str| {
    let Ok(annuaire) = Annuaire::from_json("fuzz.json", text) else {
        return;
    };
    let mut professionals: Vec<_> = annuaire.all().iter().map(|p| (**p).clone()).collect();
    professionals.sort_by(|a, b| a.id_nat.cmp(&b.id_nat));
    let written = FixtureFile { professionals }
        .to_json()
        .expect("an annuaire serializes");
    let again = Annuaire::from_json("written.json", &written).expect("written back, it loads");
    assert_eq!(again.len(), annuaire.len());
    for professional in annuaire.all() {
        assert_eq!(
            again.get(&professional.id_nat).as_deref(),
            Some(&*professional)
        );
    }
});
