//! Cart and order totals: subtotal, shipping, tax per rate and total, in
//! integer minor units.
//!
//! # The rounding rule
//!
//! Lines are grouped by the tax rate their tax class has in the destination
//! country; shipping is taxed at that country's standard rate, so it joins
//! the standard rate's group. Tax is computed once per rate, on the sum of
//! that rate's amounts (never line by line), and rounded half away from
//! zero to the minor unit:
//!
//! - when catalog prices include tax (`shop.prices_include_tax`, EU style),
//!   the tax inside a gross sum `G` at rate `r` basis points is
//!   `G·r / (10000 + r)`, and `total = subtotal + shipping`;
//! - otherwise (US style) the tax on a net sum `N` is `N·r / 10000`, and
//!   `total = subtotal + shipping + Σ taxes`.
//!
//! `taxes` lists each rate above 0 that something was charged at, once,
//! highest rate first (a rate whose amounts round to no tax is still
//! listed, with 0). A rate of 0 yields no line. Amounts are exact to the
//! minor unit: no intermediate rounding, 128-bit arithmetic; a negative
//! input or a result beyond `i64` is a [`PricingError`], never a wrap or a
//! panic.
//!
//! Worked examples (21% = 2100): €10.00 gross holds 1000·2100/12100 =
//! 173.55… → €1.74 tax; €0.05 gross holds 5·2100/12100 = 0.87… → €0.01;
//! ten €0.02 lines net pay 20·2100/10000 = 4.2 → €0.04 tax on their sum,
//! where rounding each line would have made 10 × 0.
//!
//! [`PricingError`]: PricingError

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::tax::{TaxClass, TaxTable};

/// 100% in basis points.
const WHOLE: i128 = 10_000;

/// One cart or order line as the catalog prices it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedLine {
    /// The line's total (unit price × quantity), minor units; gross when
    /// prices include tax, net otherwise.
    pub amount: i64,
    /// Which of the country's rates it pays.
    pub tax_class: TaxClass,
}

/// The tax charged at one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxLine {
    /// Basis points: 2100 is 21%.
    #[schema(example = 2100)]
    pub rate: u32,
    /// Minor units.
    #[schema(example = 174)]
    pub amount: i64,
}

/// What a cart or order costs, in minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// The lines' sum as the catalog prices them (tax included when prices
    /// include it).
    pub subtotal: i64,
    /// The shipping price (tax included when prices include it).
    pub shipping: i64,
    /// The tax per rate, highest rate first; rates of 0 are left out.
    pub taxes: Vec<TaxLine>,
    /// What the customer pays.
    pub total: i64,
}

impl Totals {
    /// The sum of the taxes (saturating: it always fits in totals this
    /// module computes).
    pub fn tax(&self) -> i64 {
        self.taxes
            .iter()
            .fold(0_i64, |sum, t| sum.saturating_add(t.amount))
    }
}

/// Totals that cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// An amount is negative, or a sum or tax is beyond what an `i64` of
    /// minor units holds.
    #[error("amounts out of range: an input is negative or a total overflows")]
    Overflow,
}

/// The totals of `lines` plus `shipping` going to `country`, taxed by
/// `table`, by the rule in the [module documentation](self).
pub fn totals(
    lines: &[PricedLine],
    shipping: i64,
    table: &TaxTable,
    country: &str,
    prices_include_tax: bool,
) -> Result<Totals, PricingError> {
    use PricingError::Overflow;

    let mut bases: BTreeMap<u32, i128> = BTreeMap::new();
    let mut add = |rate: u32, amount: i64| -> Result<(), PricingError> {
        if amount < 0 {
            return Err(Overflow);
        }
        let base = bases.entry(rate).or_default();
        *base = base.checked_add(i128::from(amount)).ok_or(Overflow)?;
        Ok(())
    };
    let mut subtotal: i128 = 0;
    for line in lines {
        add(table.rate(country, line.tax_class), line.amount)?;
        subtotal = subtotal
            .checked_add(i128::from(line.amount))
            .ok_or(Overflow)?;
    }
    add(table.rate(country, TaxClass::Standard), shipping)?;

    let mut taxes = Vec::new();
    let mut tax_sum: i128 = 0;
    for (&rate, &base) in bases.iter().rev() {
        if rate == 0 || base == 0 {
            continue;
        }
        let rate_bp = i128::from(rate);
        let divisor = if prices_include_tax {
            WHOLE + rate_bp
        } else {
            WHOLE
        };
        let tax = base.checked_mul(rate_bp).ok_or(Overflow)?;
        let tax = divide_rounding_half_away(tax, divisor);
        tax_sum = tax_sum.checked_add(tax).ok_or(Overflow)?;
        taxes.push(TaxLine {
            rate,
            amount: i64::try_from(tax).map_err(|_| Overflow)?,
        });
    }

    let mut total = subtotal.checked_add(i128::from(shipping)).ok_or(Overflow)?;
    if !prices_include_tax {
        total = total.checked_add(tax_sum).ok_or(Overflow)?;
    }
    Ok(Totals {
        subtotal: i64::try_from(subtotal).map_err(|_| Overflow)?,
        shipping,
        taxes,
        total: i64::try_from(total).map_err(|_| Overflow)?,
    })
}

/// `n / d` rounded to the nearest integer, halves away from zero; `d > 0`.
fn divide_rounding_half_away(n: i128, d: i128) -> i128 {
    let quotient = n / d;
    let remainder = n % d;
    // |remainder| < d, so doubling it cannot overflow for any divisor here.
    if remainder.abs() * 2 >= d {
        quotient + n.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests;
