//! When a host pulls an image: the ECS agent's `ECS_IMAGE_PULL_BEHAVIOR`, set per cluster as
//! `imagePullBehavior`. Whatever the behaviour, a digest that is present is never pulled
//! again: its content cannot have changed.

use super::reference::ImageReference;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PullBehavior {
    /// Pull what is missing, and floating tags (`latest`) every time; when pulling a
    /// present floating tag fails, the cached image is used.
    #[default]
    Default,
    /// Pull every time; a failed pull fails the task.
    Always,
    /// Pull once per host (per ecsctl process), then use the cached image.
    Once,
    /// Pull only what is missing.
    PreferCached,
}

impl PullBehavior {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "default" => Some(Self::Default),
            "always" => Some(Self::Always),
            "once" => Some(Self::Once),
            "prefer-cached" => Some(Self::PreferCached),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullDecision {
    UseCached,
    Pull {
        /// A failed pull may fall back to the image on the host.
        fallback_to_cached: bool,
    },
}

/// Whether to pull `image` on a host that has it (`present`) or not, and has pulled it in
/// this process before (`pulled_before`).
pub fn decide(
    behavior: PullBehavior,
    image: &ImageReference,
    present: bool,
    pulled_before: bool,
) -> PullDecision {
    if !present {
        return PullDecision::Pull {
            fallback_to_cached: false,
        };
    }
    if image.digest.is_some() {
        return PullDecision::UseCached;
    }
    let pull = match behavior {
        PullBehavior::Default => image.floats(),
        PullBehavior::Always => true,
        PullBehavior::Once => !pulled_before,
        PullBehavior::PreferCached => false,
    };
    if pull {
        PullDecision::Pull {
            fallback_to_cached: behavior == PullBehavior::Default,
        }
    } else {
        PullDecision::UseCached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::reference::parse;

    const PULL: PullDecision = PullDecision::Pull {
        fallback_to_cached: false,
    };
    const PULL_OR_CACHED: PullDecision = PullDecision::Pull {
        fallback_to_cached: true,
    };
    const CACHED: PullDecision = PullDecision::UseCached;

    #[test]
    fn every_behaviour_against_every_kind_of_reference() {
        use PullBehavior::*;
        let latest = parse("r.example.com/app");
        let tagged = parse("r.example.com/app:1.2");
        let digest = parse("r.example.com/app@sha256:abc");
        // (behaviour, image, present, pulled before) → decision
        let cases = [
            (Default, &latest, false, false, PULL),
            (Default, &latest, true, false, PULL_OR_CACHED),
            (Default, &latest, true, true, PULL_OR_CACHED),
            (Default, &tagged, false, false, PULL),
            (Default, &tagged, true, false, CACHED),
            (Default, &digest, false, false, PULL),
            (Default, &digest, true, false, CACHED),
            (Always, &latest, true, true, PULL),
            (Always, &tagged, true, true, PULL),
            (Always, &digest, true, false, CACHED),
            (Always, &digest, false, false, PULL),
            (Once, &latest, true, false, PULL),
            (Once, &latest, true, true, CACHED),
            (Once, &tagged, true, false, PULL),
            (Once, &tagged, false, true, PULL),
            (Once, &digest, true, false, CACHED),
            (PreferCached, &latest, true, false, CACHED),
            (PreferCached, &tagged, true, false, CACHED),
            (PreferCached, &latest, false, false, PULL),
        ];
        for (behavior, image, present, before, expected) in cases {
            assert_eq!(
                decide(behavior, image, present, before),
                expected,
                "{behavior:?} {image:?} present={present} pulled_before={before}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for name in crate::model::cluster::IMAGE_PULL_BEHAVIORS {
            assert!(PullBehavior::parse(name).is_some(), "{name}");
        }
        assert_eq!(PullBehavior::parse("Always"), None);
    }
}
