//! `/mock/identities`: list with filters, read, add at run time, remove.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PRO, spawn_app};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["idNat"].as_str().unwrap().to_owned())
        .collect()
}

/// A valid professional in the fixture schema (fictitious).
fn newcomer(id_nat: &str) -> Value {
    let mut p: Value = json!({
        "idNat": id_nat, "civilite": "MME", "nom": "ESSAI", "prenom": "LUCIE",
        "authModes": ["MOBILE"],
        "exercices": [{
            "codeProfession": "60", "codeCategorieProfessionnelle": "C",
            "codeCiviliteDexercice": "MME",
            "activities": [{
                "codeModeExercice": "L", "codeSecteurDactivite": "SA07",
                "codeGenreActivite": "GENR01",
                "identifiantTechniqueDeLaStructure": "R10100000999990",
                "raisonSocialeSite": "CABINET INFIRMIER ESSAI",
                "codePostal": "31000", "codeCommune": "31555", "codeDepartement": "31",
                "bureauCedex": "31000 TOULOUSE", "codePays": "99000"
            }]
        }]
    });
    p["idNat"] = json!(id_nat);
    p
}

#[tokio::test]
async fn the_list_filters_by_profession_mode_channel_and_name() {
    let app = spawn_app().await;
    let get = |q: &'static str| app.control(Method::GET, q, None);

    let doctors = get("/mock/identities?profession=10").await;
    assert!(ids(&doctors.body).contains(&PRO.to_owned()));
    assert!(
        !ids(&doctors.body).contains(&"899700218896".to_owned()),
        "a pharmacist is not a doctor"
    );
    let total: usize = doctors.headers["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(total, doctors.body.as_array().unwrap().len());

    let hospital = get("/mock/identities?mode=S").await;
    assert!(ids(&hospital.body).contains(&"899700366240".to_owned()));
    assert!(!ids(&hospital.body).contains(&PRO.to_owned()));

    let card_only_excluded = get("/mock/identities?auth_mode=MOBILE").await;
    assert!(!ids(&card_only_excluded.body).contains(&"899700218896".to_owned()));

    let one = get("/mock/identities?limit=1").await;
    assert_eq!(one.body.as_array().unwrap().len(), 1);

    let bad = get("/mock/identities?auth_mode=FAX").await;
    bad.assert_error(400, "invalid_request");
}

#[tokio::test]
async fn one_identity_reads_back_in_the_fixture_schema() {
    let app = spawn_app().await;
    let p = app
        .control(Method::GET, &format!("/mock/identities/{PRO}"), None)
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["idNat"], PRO);
    assert!(p.body["exercices"][0]["activities"][0]["codePostal"].is_string());
    let missing = app.control(Method::GET, "/mock/identities/000", None).await;
    assert!(missing.assert_error(404, "not_found").contains("\"000\""));
}

#[tokio::test]
async fn an_added_professional_can_log_in_at_once_and_a_removed_one_cannot() {
    let app = spawn_app().await;
    let id = "899700100011";
    let added = app
        .control(Method::POST, "/mock/identities", Some(newcomer(id)))
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(
        added.body["otherIds"][0]["origine"], "RPPS",
        "derived fields are filled in"
    );

    let tokens = app.tokens(id).await;
    let info = app
        .userinfo(
            crate::helpers::Who::Client,
            tokens["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(info.body["family_name"], "ESSAI");

    let again = app
        .control(Method::POST, "/mock/identities", Some(newcomer(id)))
        .await;
    again.assert_error(409, "conflict");

    assert_eq!(
        app.control(Method::DELETE, &format!("/mock/identities/{id}"), None)
            .await
            .status,
        204
    );
    let gone = app.bc_authorize(id).await;
    assert!(
        gone.assert_error(400, "invalid_request")
            .contains("invalid_user")
    );
}

#[tokio::test]
async fn an_invalid_professional_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let mut bad = newcomer("899700100017"); // the Luhn digit should be 1
    bad["exercices"][0]["activities"][0]["identifiantTechniqueDeLaStructure"] = json!("");
    let refused = app
        .control(Method::POST, "/mock/identities", Some(bad))
        .await;
    let description = refused.assert_error(400, "invalid_request");
    assert!(
        description.contains("idNat") && description.contains("Luhn"),
        "{description}"
    );
    assert!(
        description.contains("identifiantTechniqueDeLaStructure"),
        "{description}"
    );
    let unknown_key = app
        .control(
            Method::POST,
            "/mock/identities",
            Some(json!({"idNat": "1", "surname": "X"})),
        )
        .await;
    unknown_key.assert_error(400, "invalid_request");
    // Nothing was added.
    let list = app
        .control(Method::GET, "/mock/identities?q=ESSAI", None)
        .await;
    assert_eq!(list.body, json!([]));
}
