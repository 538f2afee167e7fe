//! Form bodies as every protocol endpoint reads them: the strict decoder,
//! then the `scope` and `acr_values` rules on what it found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use psc_mock::form::Form;
use psc_mock::oidc::params::{acr, check_scope};

fuzz_target!(|body: &[u8]| {
    let Ok(form) = Form::parse(body) else {
        return;
    };
    if let Some(scope) = form.get("scope")
        && let Ok(normalised) = check_scope(scope)
    {
        // The normalised scope is what sessions keep: normalising it again
        // must change nothing.
        let again = check_scope(&normalised).ok();
        assert_eq!(again.as_deref(), Some(normalised.as_str()));
    }
    let _ = acr(form.get("acr_values"));
});
