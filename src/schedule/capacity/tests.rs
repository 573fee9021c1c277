use super::*;

fn item(provider: &str, base: u32, weight: u32) -> Item {
    Item {
        provider: provider.into(),
        base,
        weight,
    }
}

fn strategy(items: &[(u32, u32)]) -> Strategy {
    let names = ["a", "b", "c", "d"];
    Strategy::new(
        items
            .iter()
            .zip(names)
            .map(|((base, weight), name)| item(name, *base, *weight))
            .collect(),
    )
}

/// The beyond-base share of the first of two items, rounded to nearest, a half up (to the
/// earlier item): `floor(r × wa / w + 1/2)`.
fn nearest(r: u32, wa: u32, wb: u32) -> u32 {
    let w = u64::from(wa + wb);
    ((2 * u64::from(r) * u64::from(wa) + w) / (2 * w)) as u32
}

#[test]
fn the_issue_example_base_1_weight_1_and_weight_3_with_8_tasks() {
    // 1 on spot for its base, then 7 split 1:3 → 1.75 rounds to 2 more on spot.
    let s = Strategy::new(vec![item("spot", 1, 1), item("ondemand", 0, 3)]);
    assert_eq!(s.split(8), [3, 5]);
    assert_eq!(s.assign(&[], 8), [0, 1, 0, 1, 1, 1, 0, 1]);
}

#[test]
fn ecs_published_examples() {
    // Two providers of weight 1: an even split once the base is satisfied.
    assert_eq!(strategy(&[(0, 1), (0, 1)]).split(6), [3, 3]);
    assert_eq!(strategy(&[(2, 1), (0, 1)]).split(6), [4, 2]);
    // Weight 1 on A, 4 on B: for every task on A, four on B.
    assert_eq!(strategy(&[(0, 1), (0, 4)]).split(5), [1, 4]);
    assert_eq!(strategy(&[(0, 1), (0, 4)]).split(10), [2, 8]);
    // FARGATE base 2 weight 1, FARGATE_SPOT weight 3, 10 tasks: 2 + (8 split 1:3).
    assert_eq!(strategy(&[(2, 1), (0, 3)]).split(10), [4, 6]);
    // A base larger than the count takes everything.
    assert_eq!(strategy(&[(5, 1), (0, 1)]).split(3), [3, 0]);
    // Weight 0 places nothing beyond its base.
    assert_eq!(strategy(&[(0, 1), (0, 0)]).split(7), [7, 0]);
    assert_eq!(strategy(&[(0, 0), (3, 0), (0, 2)]).split(7), [0, 3, 4]);
    // A base on the second item still comes first.
    assert_eq!(strategy(&[(0, 1), (1, 1)]).split(1), [0, 1]);
    assert_eq!(strategy(&[(0, 1), (1, 1)]).split(4), [2, 2]);
    // Three providers 1:2:1.
    assert_eq!(strategy(&[(0, 1), (0, 2), (0, 1)]).split(8), [2, 4, 2]);
}

#[test]
fn only_a_base_with_no_weight_places_no_more_than_the_base() {
    let s = strategy(&[(2, 0)]);
    assert_eq!(s.assign(&[], 5), [0, 0]);
    assert_eq!(s.next(&[2]), None);
}

#[test]
fn brief_strategy_exhaustively_for_0_to_50_tasks() {
    let s = Strategy::new(vec![item("spot", 1, 1), item("ondemand", 0, 3)]);
    for total in 0..=50u32 {
        let split = s.split(total);
        let beyond = total.saturating_sub(1);
        let spot = total.min(1) + nearest(beyond, 1, 3);
        assert_eq!(split, [spot, total - spot], "{total} tasks");
    }
}

/// Every combination of (base, weight) for two providers, totals 0..=50: base first, the
/// rest rounded to the nearest task (a half to the earlier item), never moving a task as
/// the count grows, and scale-in the exact reverse of scale-out.
#[test]
fn two_providers_round_to_nearest_for_every_combination() {
    for base_at in [0usize, 1] {
        for base in 0..=4u32 {
            for wa in 0..=5u32 {
                for wb in 0..=5u32 {
                    if wa + wb == 0 {
                        continue;
                    }
                    let mut items = [(0, wa), (0, wb)];
                    items[base_at].0 = base;
                    let s = strategy(&items);
                    let mut previous = vec![0, 0];
                    for total in 0..=50u32 {
                        let split = s.split(total);
                        let context = format!("{items:?} with {total} tasks: {split:?}");
                        assert_eq!(split.iter().sum::<u32>(), total, "{context}");
                        let in_base = total.min(base);
                        let mut expected = [0, 0];
                        expected[base_at] = in_base;
                        let a = nearest(total - in_base, wa, wb);
                        expected[0] += a;
                        expected[1] += total - in_base - a;
                        assert_eq!(split, expected, "{context}");
                        check_growth(&s, &previous, &split, &context);
                        previous = split;
                    }
                }
            }
        }
    }
}

/// Three and four providers: the bases, the sum, the shares within one task of the exact
/// proportion, growth without moves and scale-in as its reverse.
#[test]
fn more_providers_keep_their_share_within_one_task() {
    let weights = [0u32, 1, 2, 3, 5];
    for &wa in &weights {
        for &wb in &weights {
            for &wc in &weights {
                for &wd in &[0u32, 4] {
                    for base in [0u32, 3] {
                        let items = [(base, wa), (0, wb), (0, wc), (0, wd)];
                        let w = wa + wb + wc + wd;
                        if w == 0 {
                            continue;
                        }
                        let s = strategy(&items);
                        let mut previous = vec![0; 4];
                        for total in 0..=50u32 {
                            let split = s.split(total);
                            let context = format!("{items:?} with {total} tasks: {split:?}");
                            assert_eq!(split.iter().sum::<u32>(), total, "{context}");
                            let in_base = total.min(base);
                            let rest = f64::from(total - in_base);
                            for (i, (b, weight)) in items.iter().enumerate() {
                                let beyond = f64::from(split[i] - total.min(*b));
                                let exact = rest * f64::from(*weight) / f64::from(w);
                                assert!((beyond - exact).abs() < 1.0, "{context}: item {i}");
                            }
                            check_growth(&s, &previous, &split, &context);
                            previous = split;
                        }
                    }
                }
            }
        }
    }
}

/// One more task adds one to one item; taking one back gives the smaller split.
fn check_growth(s: &Strategy, previous: &[u32], split: &[u32], context: &str) {
    let total: u32 = split.iter().sum();
    if total == 0 {
        return;
    }
    let grown: Vec<usize> = (0..split.len())
        .filter(|&i| split[i] != previous[i])
        .collect();
    assert_eq!(grown.len(), 1, "{context}: from {previous:?}");
    assert_eq!(split[grown[0]], previous[grown[0]] + 1, "{context}");
    assert_eq!(s.take(split, 1), grown, "{context}: scale-in");
}

#[test]
fn new_tasks_go_where_a_drifted_split_is_short() {
    let s = strategy(&[(0, 1), (0, 1)]);
    // b took everything while a had no room: a gets the next ones.
    assert_eq!(s.assign(&[0, 5], 3), [0, 0, 0]);
    assert_eq!(s.assign(&[0, 5], 7), [0, 0, 0, 0, 0, 0, 1]);
    // The base is filled first, whatever the rest holds.
    let based = strategy(&[(0, 3), (2, 1)]);
    assert_eq!(based.assign(&[9, 0], 2), [1, 1]);
}

#[test]
fn scale_in_takes_from_where_the_split_is_over() {
    let s = strategy(&[(1, 1), (0, 3)]);
    assert_eq!(s.take(&[3, 5], 8), [1, 0, 1, 1, 1, 0, 1, 0]);
    // Drifted: b holds everything; it gives first, and a's base goes last.
    let even = strategy(&[(1, 1), (0, 1)]);
    assert_eq!(even.take(&[1, 4], 4), [1, 1, 1, 1]);
    assert_eq!(even.take(&[3, 0], 3), [0, 0, 0]);
    // Over a weight-0 item's base: taken first.
    let zero = strategy(&[(2, 0), (0, 1)]);
    assert_eq!(zero.take(&[4, 2], 3), [0, 0, 1]);
    assert_eq!(s.take(&[0, 0], 2), Vec::<usize>::new());
}
