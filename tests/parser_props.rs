//! Bad input never panics, and every error it produces has a location. Runs in CI on every
//! test run (the long fuzzing campaign uses `fuzz/`): arbitrary text, and valid manifests
//! mutated the ways people break them (cut short, characters replaced, lines shuffled).

use ecsctl::model::load::check_text;
use proptest::prelude::*;

const SEEDS: [&str; 3] = [
    include_str!("../manifests/web.yaml"),
    include_str!("../manifests/worker.yaml"),
    include_str!("../manifests/cluster.yaml"),
];

fn assert_located(name: &str, text: &str) {
    let (_, diagnostics) = check_text(name, text);
    for d in diagnostics.iter().filter(|d| d.is_error()) {
        assert!(
            d.location.is_some(),
            "an error without a location: {d:?}\ninput: {text:?}"
        );
    }
}

fn mutate(seed: &str, cut: usize, at: usize, with: &str, swap: (usize, usize)) -> String {
    let mut lines: Vec<&str> = seed.lines().collect();
    if !lines.is_empty() {
        let (a, b) = (swap.0 % lines.len(), swap.1 % lines.len());
        lines.swap(a, b);
    }
    let mut text = lines.join("\n");
    let at = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(at % text.chars().count().max(1))
        .unwrap_or(0);
    text.insert_str(at, with);
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(cut % text.chars().count().max(1))
        .unwrap_or(text.len());
    text.truncate(cut.max(1));
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        assert_located("any.yaml", &text);
        assert_located("any.json", &text);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "([a-zA-Z]{1,12}: [^\\n]{0,20}\\n|  - [^\\n]{0,20}\\n|---\\n|[\\[\\]{}:,'\"&*!|>-]{1,4}\\n){0,30}") {
        assert_located("y.yaml", &text);
    }

    #[test]
    fn mutated_manifests_never_panic(
        seed in 0usize..3,
        cut in any::<usize>(),
        at in any::<usize>(),
        with in prop::sample::select(vec!["", ":", "- ", "  ", "\t", "{", "]", "'", "\"", "&a", "*a", "null", "~", "0x", "{{x}}", "\n---\n", "<<: *a\n", "[", "!!str ", "999999999999999999999"]),
        swap in (any::<usize>(), any::<usize>()),
    ) {
        let text = mutate(SEEDS[seed], cut, at, with, swap);
        assert_located("m.yaml", &text);
    }
}
