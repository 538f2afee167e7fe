//! Scenario files (`--scenarios`: scenarios and faults, the same JSON as
//! the control API's bodies), checked against the bundled annuaire.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use psc_mock::annuaire::Annuaire;
use psc_mock::scenarios::ScriptFile;

static ANNUAIRE: LazyLock<Annuaire> =
    LazyLock::new(|| Annuaire::load(None).expect("the bundled annuaire loads"));

fuzz_target!(|text: &str| {
    let _ = ScriptFile::parse(text, &ANNUAIRE);
});
