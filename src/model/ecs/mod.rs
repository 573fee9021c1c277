//! The ECS API shapes, typed: `RegisterTaskDefinition` (with `ContainerDefinition`) and
//! `CreateService`, every member of the ECS API model (2014-11-13), camelCase as in ECS.
//!
//! The shapes are data only. Which fields ecsctl acts on and which it reports as meaningless
//! off AWS is decided in `model::ignored`; semantic rules live in `model::validate`.
//! Every field is optional here (`Option`, or an empty `Vec`/map): required-ness is a semantic
//! check, so that a missing field is reported together with every other problem.

pub mod service;
pub mod task_definition;

pub use service::*;
pub use task_definition::*;

/// True when a field holds nothing and is left out of serialized output (state, JSON views),
/// so that `null`, `[]` and an absent key all mean the same thing.
pub fn absent<T: Absent>(value: &T) -> bool {
    value.is_absent()
}

pub trait Absent {
    fn is_absent(&self) -> bool;
}

impl<T> Absent for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T> Absent for Vec<T> {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V> Absent for std::collections::BTreeMap<K, V> {
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

/// An ECS structure: camelCase keys, every field optional and skipped when absent.
macro_rules! ecs_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", default)]
        // The decoder of `model::de` refuses unknown keys of every structure (serde's
        // `deny_unknown_fields` would stop at the first), so the schema refuses them too.
        #[schemars(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "crate::model::ecs::absent")]
                pub $field: $ty,
            )*
        }
    };
}

/// An ecsctl structure (traffic, schedules): as [`ecs_struct`], and unknown keys are refused
/// (the decoder of `model::de` reports them with a did-you-mean).
macro_rules! strict_struct {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", default, deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(skip_serializing_if = "crate::model::ecs::absent")]
                pub $field: $ty,
            )*
        }
    };
}

/// An ECS enumeration: the exact strings of the API, nothing else.
macro_rules! ecs_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $text)] $variant, )*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use {ecs_enum, ecs_struct, strict_struct};
