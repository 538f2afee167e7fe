//! The identifiers the protocol passes around, each its own type so that
//! one cannot be given where another is meant (a `client_id` where an
//! `auth_req_id` is looked up, an idNat where a client is). On the wire
//! each is its plain string; in code each reads as a `&str` (`Deref`) and
//! looks up maps keyed by it from a `&str` (`Borrow`).

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

identifier! {
    /// A registered client's `client_id` (also its certificate's CN).
    ClientId
}

identifier! {
    /// A professional's national identifier (`idNat`, PSC's `SubjectNameID`
    /// and `preferred_username`): `8` + RPPS, or a structure's `3…/…`.
    IdNat
}

identifier! {
    /// A CIBA request's `auth_req_id`: 256 random bits, base64url.
    AuthReqId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_their_string_on_the_wire_and_look_up_by_str() {
        let id = ClientId::new("psc-mock-client");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"psc-mock-client\"");
        let back: ClientId = serde_json::from_str("\"psc-mock-client\"").unwrap();
        assert_eq!(back, id);
        let map: std::collections::HashMap<ClientId, u8> = [(id.clone(), 1)].into();
        assert_eq!(map.get("psc-mock-client"), Some(&1));
        assert!(id.starts_with("psc-"), "reads as a &str");
        assert_eq!(id, "psc-mock-client");
    }
}
