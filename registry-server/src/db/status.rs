//! The stored states of records and cards: one `as_str` and one [`FromStr`] each, decoded
//! straight from their column (a stored name that is not one of them is a decode error,
//! never a default).

use std::str::FromStr;

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::decode::Decode;
use sqlx::error::BoxDynError;
use sqlx::Type;

/// An enum stored as its name in a text column.
macro_rules! stored_name {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownName {
                        what: stringify!($name),
                        name: other.chars().take(32).collect(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <String as Type<Any>>::type_info()
            }
        }

        impl<'r> Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <String as Decode<'r, Any>>::decode(value)?;
                Ok(text.parse()?)
            }
        }
    };
}

/// A stored name that is none of its enum's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored {what} {name:?} is not one of its names")]
pub struct UnknownName {
    what: &'static str,
    name: String,
}

stored_name! {
    /// A clinical record's state.
    RecordStatus {
        /// Current.
        Active => "active",
        /// Withdrawn by a clinician: kept, no longer on cards.
        Withdrawn => "withdrawn",
    }
}

stored_name! {
    /// A card's state at the registry.
    CardState {
        /// The patient's current card.
        Active => "active",
        /// Replaced by a newer card.
        Superseded => "superseded",
        /// Revoked (lost, stolen, deceased, error).
        Revoked => "revoked",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for s in [RecordStatus::Active, RecordStatus::Withdrawn] {
            assert_eq!(s.as_str().parse::<RecordStatus>(), Ok(s));
        }
        for s in [CardState::Active, CardState::Superseded, CardState::Revoked] {
            assert_eq!(s.as_str().parse::<CardState>(), Ok(s));
        }
        let e = "Active".parse::<CardState>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"stored CardState "Active" is not one of its names"#
        );
    }
}
