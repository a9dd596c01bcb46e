use proptest::prelude::*;

use super::*;
use crate::domain::tax::CountryRates;

use TaxClass::{Reduced, Standard};

fn table(country: &str, standard: u32, reduced: Option<u32>) -> TaxTable {
    TaxTable::new([(country.to_owned(), CountryRates { standard, reduced })])
}

fn spain() -> TaxTable {
    table("ES", 2100, Some(1000))
}

fn line(amount: i64, tax_class: TaxClass) -> PricedLine {
    PricedLine { amount, tax_class }
}

fn tax(rate: u32, amount: i64) -> TaxLine {
    TaxLine { rate, amount }
}

// Worked examples, checked by hand.

#[test]
fn ten_euros_gross_at_21_percent_hold_1_74() {
    // 1000 · 2100 / 12100 = 173.553… → 174
    let t = totals(&[line(1000, Standard)], 0, &spain(), "ES", true).unwrap();
    assert_eq!(
        t,
        Totals {
            subtotal: 1000,
            shipping: 0,
            taxes: vec![tax(2100, 174)],
            total: 1000
        }
    );
}

#[test]
fn five_cents_gross_at_21_percent_hold_one_cent() {
    // 5 · 2100 / 12100 = 0.868 → 1
    let t = totals(&[line(5, Standard)], 0, &spain(), "ES", true).unwrap();
    assert_eq!((t.taxes, t.total), (vec![tax(2100, 1)], 5));
}

#[test]
fn halves_round_away_from_zero() {
    // net 250 · 21% = 52.5 → 53; net 50 · 1% = 0.5 → 1; net 49 · 1% = 0.49 → 0
    let t = totals(&[line(250, Standard)], 0, &spain(), "ES", false).unwrap();
    assert_eq!((t.taxes, t.total), (vec![tax(2100, 53)], 303));
    let one_percent = table("ES", 100, None);
    let t = totals(&[line(50, Standard)], 0, &one_percent, "ES", false).unwrap();
    assert_eq!(t.taxes, [tax(100, 1)]);
    let t = totals(&[line(49, Standard)], 0, &one_percent, "ES", false).unwrap();
    assert_eq!((t.taxes, t.total), (vec![tax(100, 0)], 49));
    // gross 1 at 100%: 1 · 10000 / 20000 = 0.5 → 1
    let t = totals(
        &[line(1, Standard)],
        0,
        &table("ES", 10_000, None),
        "ES",
        true,
    )
    .unwrap();
    assert_eq!((t.taxes, t.total), (vec![tax(10_000, 1)], 1));
}

#[test]
fn tax_is_computed_on_each_rates_sum_not_per_line() {
    // ten lines of 0.02 net at 21%: 0.42 cents each (0 if rounded per
    // line), 20 · 2100 / 10000 = 4.2 → 4 on the sum.
    let lines = vec![line(2, Standard); 10];
    let t = totals(&lines, 0, &spain(), "ES", false).unwrap();
    assert_eq!((t.subtotal, t.taxes, t.total), (20, vec![tax(2100, 4)], 24));
}

#[test]
fn a_spanish_cart_with_both_rates_and_shipping() {
    let lines = [line(1210, Standard), line(1100, Reduced)];
    // Gross: (1210 + 484) · 2100 / 12100 = 294 exactly; 1100 · 1000 / 11000 = 100.
    let gross = totals(&lines, 484, &spain(), "ES", true).unwrap();
    assert_eq!(
        gross,
        Totals {
            subtotal: 2310,
            shipping: 484,
            taxes: vec![tax(2100, 294), tax(1000, 100)],
            total: 2794
        }
    );
    // Net: 1694 · 0.21 = 355.74 → 356; 1100 · 0.10 = 110; 2310 + 484 + 466.
    let net = totals(&lines, 484, &spain(), "es", false).unwrap();
    assert_eq!(net.taxes, [tax(2100, 356), tax(1000, 110)]);
    assert_eq!((net.tax(), net.total), (466, 3260));
}

#[test]
fn rates_are_grouped_by_value_not_by_class() {
    // Germany here has no reduced rate: every line is at 19%.
    let de = table("DE", 1900, None);
    let lines = [line(1000, Standard), line(1000, Reduced)];
    let t = totals(&lines, 0, &de, "DE", false).unwrap();
    assert_eq!((t.taxes, t.total), (vec![tax(1900, 380)], 2380));
}

#[test]
fn shipping_pays_the_standard_rate_even_in_a_reduced_cart() {
    let lines = [line(1000, Reduced)];
    let t = totals(&lines, 500, &spain(), "ES", false).unwrap();
    assert_eq!(t.taxes, [tax(2100, 105), tax(1000, 100)]);
    assert_eq!(t.total, 1705);
    // Free shipping charges nothing at the standard rate: no line for it.
    let t = totals(&lines, 0, &spain(), "ES", false).unwrap();
    assert_eq!(t.taxes, [tax(1000, 100)]);
}

#[test]
fn zero_rates_and_untaxed_countries_yield_no_tax_lines() {
    let zero_rated_books = table("GB", 2000, Some(0));
    let t = totals(&[line(999, Reduced)], 0, &zero_rated_books, "GB", false).unwrap();
    assert_eq!((t.taxes, t.total), (vec![], 999));
    let t = totals(&[line(999, Standard)], 300, &spain(), "US", false).unwrap();
    assert_eq!((t.taxes, t.total), (vec![], 1299));
    let t = totals(&[], 0, &spain(), "ES", true).unwrap();
    assert_eq!(t, Totals::default());
}

#[test]
fn out_of_range_inputs_are_errors() {
    let t = spain();
    let err = Err(PricingError::Overflow);
    assert_eq!(totals(&[line(-1, Standard)], 0, &t, "ES", true), err);
    assert_eq!(totals(&[], -1, &t, "ES", true), err);
    let max = line(i64::MAX, Standard);
    assert_eq!(totals(&[max, line(1, Reduced)], 0, &t, "ES", true), err);
    assert_eq!(totals(&[max], 1, &t, "ES", true), err);
    // Net: the tax on i64::MAX fits, the total does not.
    assert_eq!(totals(&[max], 0, &t, "ES", false), err);
    // Gross: everything fits.
    let gross = totals(&[max], 0, &t, "ES", true).unwrap();
    assert_eq!(gross.total, i64::MAX);
    // A rate no validated table has (u32::MAX basis points) still cannot panic.
    let absurd = table("ES", u32::MAX, None);
    assert_eq!(totals(&[max], 0, &absurd, "ES", false), err);
}

#[test]
fn json_names_are_the_contract() {
    let t = totals(&[line(1000, Standard)], 0, &spain(), "ES", true).unwrap();
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        serde_json::json!({"subtotal": 1000, "shipping": 0,
            "taxes": [{"rate": 2100, "amount": 174}], "total": 1000})
    );
}

/// The reference: an exact fraction in lowest terms, written apart from the
/// module's integer division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

impl Ratio {
    fn new(num: i128, den: i128) -> Ratio {
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: den / g,
        }
    }

    /// The sum, over the least common denominator (never larger than the
    /// denominators' product, so the numerators stay small).
    fn add(self, other: Ratio) -> Option<Ratio> {
        let lcm = self.den / gcd(self.den, other.den) * other.den;
        let num = self
            .num
            .checked_mul(lcm / self.den)?
            .checked_add(other.num.checked_mul(lcm / other.den)?)?;
        Some(Ratio::new(num, lcm))
    }

    /// Nearest integer, halves away from zero: sign · ⌊(2|n| + d) / 2d⌋.
    fn round_half_away(self) -> i128 {
        let magnitude = (2 * self.num.abs() + self.den) / (2 * self.den);
        if self.num < 0 {
            -magnitude
        } else {
            magnitude
        }
    }
}

/// The rate straight from the generated rates, not through `TaxTable::rate`.
fn reference_rate(rates: Option<(u32, Option<u32>)>, class: TaxClass) -> u32 {
    match (rates, class) {
        (None, _) => 0,
        (Some((standard, _)), Standard) => standard,
        (Some((standard, reduced)), Reduced) => reduced.unwrap_or(standard),
    }
}

/// The rule computed independently: every amount's exact tax as a fraction,
/// summed per rate, rounded once; `None` where the module must refuse.
fn reference(
    lines: &[PricedLine],
    shipping: i64,
    rates: Option<(u32, Option<u32>)>,
    inclusive: bool,
) -> Option<Totals> {
    let mut amounts: Vec<(i64, u32)> = lines
        .iter()
        .map(|l| (l.amount, reference_rate(rates, l.tax_class)))
        .collect();
    amounts.push((shipping, reference_rate(rates, Standard)));
    if amounts.iter().any(|(a, _)| *a < 0) {
        return None;
    }
    let mut exact: Vec<(u32, Ratio, bool)> = Vec::new();
    for (amount, rate) in amounts {
        let r = i128::from(rate);
        let share = Ratio::new(
            i128::from(amount) * r,
            if inclusive { 10_000 + r } else { 10_000 },
        );
        match exact.iter_mut().find(|(rt, _, _)| *rt == rate) {
            Some((_, sum, any)) => {
                *sum = sum.add(share)?;
                *any |= amount > 0;
            }
            None => exact.push((rate, share, amount > 0)),
        }
    }
    exact.sort_by_key(|(rate, _, _)| std::cmp::Reverse(*rate));
    let taxes: Vec<TaxLine> = exact
        .into_iter()
        .filter(|(rate, _, any)| *rate > 0 && *any)
        .map(|(rate, sum, _)| {
            i64::try_from(sum.round_half_away())
                .ok()
                .map(|amount| TaxLine { rate, amount })
        })
        .collect::<Option<_>>()?;
    let subtotal: i128 = lines.iter().map(|l| i128::from(l.amount)).sum();
    let tax: i128 = taxes.iter().map(|t| i128::from(t.amount)).sum();
    let total = subtotal + i128::from(shipping) + if inclusive { 0 } else { tax };
    Some(Totals {
        subtotal: i64::try_from(subtotal).ok()?,
        shipping,
        taxes,
        total: i64::try_from(total).ok()?,
    })
}

fn rates_strategy(max: u32) -> impl Strategy<Value = Option<(u32, Option<u32>)>> {
    proptest::option::weighted(0.9, (0..=max, proptest::option::of(0..=max)))
}

fn lines_strategy(
    amounts: std::ops::RangeInclusive<i64>,
) -> impl Strategy<Value = Vec<PricedLine>> {
    let class = prop_oneof![Just(Standard), Just(Reduced)];
    proptest::collection::vec(
        (amounts, class).prop_map(|(amount, tax_class)| PricedLine { amount, tax_class }),
        0..8,
    )
}

fn table_of(rates: Option<(u32, Option<u32>)>) -> TaxTable {
    match rates {
        Some((standard, reduced)) => table("ES", standard, reduced),
        None => TaxTable::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Shop-sized inputs: always computed, always the reference's answer,
    /// always adding up.
    #[test]
    fn shop_totals_match_the_reference_and_add_up(
        lines in lines_strategy(0..=10_000_000_000),
        shipping in 0..=100_000_000_i64,
        rates in rates_strategy(10_000),
        inclusive: bool,
    ) {
        let t = totals(&lines, shipping, &table_of(rates), "es", inclusive);
        let t = t.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = reference(&lines, shipping, rates, inclusive);
        prop_assert_eq!(Some(&t), expected.as_ref());

        let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(t.subtotal, subtotal);
        prop_assert_eq!(t.shipping, shipping);
        let expected = if inclusive { subtotal + shipping } else { subtotal + shipping + t.tax() };
        prop_assert_eq!(t.total, expected);
        if inclusive {
            prop_assert!(t.tax() <= subtotal + shipping);
        }
        prop_assert!(t.taxes.iter().all(|l| l.rate > 0 && l.amount >= 0));
        prop_assert!(t.taxes.windows(2).all(|w| w[0].rate > w[1].rate));
    }

    /// Any inputs at all (negative, huge, absurd rates): never a panic; an
    /// error exactly where the reference finds no representable answer.
    #[test]
    fn any_input_gives_the_references_answer_or_an_error(
        lines in lines_strategy(i64::MIN..=i64::MAX),
        shipping: i64,
        rates in rates_strategy(u32::MAX),
        inclusive: bool,
    ) {
        let got = totals(&lines, shipping, &table_of(rates), "ES", inclusive).ok();
        prop_assert_eq!(got, reference(&lines, shipping, rates, inclusive));
    }

    /// Near the top of the range, where overflow happens.
    #[test]
    fn large_amounts_give_the_references_answer_or_an_error(
        lines in lines_strategy(i64::MAX / 4..=i64::MAX),
        shipping in 0..=i64::MAX,
        rates in rates_strategy(10_000),
        inclusive: bool,
    ) {
        let got = totals(&lines, shipping, &table_of(rates), "ES", inclusive).ok();
        if let Some(t) = &got {
            prop_assert!(!inclusive || t.tax() <= t.total);
        }
        prop_assert_eq!(got, reference(&lines, shipping, rates, inclusive));
    }

    /// Tax is on each rate's sum, so how a sum is split into lines does not
    /// change the totals.
    #[test]
    fn splitting_a_line_changes_nothing(
        lines in lines_strategy(0..=1_000_000),
        cut in 0..=1_000_000_i64,
        shipping in 0..=10_000_i64,
        rates in rates_strategy(10_000),
        inclusive: bool,
    ) {
        let table = table_of(rates);
        let whole = totals(&lines, shipping, &table, "ES", inclusive);
        let mut split = lines.clone();
        if let Some(first) = split.first_mut() {
            let cut = cut.min(first.amount);
            first.amount -= cut;
            let class = first.tax_class;
            split.push(line(cut, class));
        }
        prop_assert_eq!(whole, totals(&split, shipping, &table, "ES", inclusive));
    }
}
