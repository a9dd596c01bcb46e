//! The sales dashboard (issue #22): a checked range of UTC days, what each
//! order adds to the rolled-up figures the stores keep, and the figures as
//! `GET /admin/stats` and the `/admin` page show them.
//!
//! What the figures mean, the same on every store:
//! - An order counts on the UTC day it was placed (`created_at`), whatever
//!   happens to it later.
//! - Cancelled orders are not counted in `orders`, `revenue` or the products'
//!   figures; every other status is.
//! - An order's revenue is its total minus what was refunded on it, so a
//!   refund lowers the revenue of the day the order was placed.
//! - A product's `units` and `revenue` are its order lines' quantities and
//!   line totals (refunds are given back on the order, not per line).
//! - `by_status` counts every order now in each status, whenever placed:
//!   what waits now, not what the range sold.
//! - `new_customers` counts the accounts created in the range.
//!
//! Stores keep per-day, per-day-and-product and per-status sums current in
//! the same transaction as the checkout or the status change ([`SalesDelta`]),
//! so a range costs one read per day and product, never a pass over orders.

use std::collections::BTreeMap;

use serde::Serialize;
use strum::VariantArray;
use time::{Date, Duration};
use utoipa::ToSchema;

use super::accounts::{Identity, Permission};
use super::catalog::low_stock::LowStockVariant;
use super::catalog::Catalog;
use super::dates::DayRange;
use super::error::ShopResult;
use super::message::{MessageId, ShopText};
use super::orders::{Order, OrderStatus};
use super::ports::Store;
use super::validation::FieldErrors;
use super::{from_millis, to_millis, Timestamp};

/// Days in a range when none is given: the last 30, ending today.
pub const DEFAULT_DAYS: i64 = 30;
/// Most days one range covers (two years, leap days included).
pub const MAX_DAYS: i64 = 732;
/// Products in the top list.
pub const TOP_PRODUCTS: usize = 10;

const DAY_MS: i64 = 86_400_000;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The day number (days since 1970-01-01) that UTC instant `at` falls on.
pub fn day_of(at: Timestamp) -> i64 {
    to_millis(at).div_euclid(DAY_MS)
}

/// The day number of `date`.
pub fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// The date of day number `day`, if it is one.
pub fn date_of_day(day: i64) -> Option<Date> {
    i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| Date::from_julian_day(j).ok())
}

/// `YYYY-MM-DD`.
pub fn date_text(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A range of whole UTC days, both ends included, checked: the years
/// 2000..=2100 ([`DayRange`]), `from` not after `to`, at most [`MAX_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatsRange {
    from: Date,
    to: Date,
}

impl StatsRange {
    /// The last [`DEFAULT_DAYS`] days, ending `today`.
    pub fn last_days(today: Date) -> Self {
        Self {
            from: today.saturating_sub(Duration::days(DEFAULT_DAYS - 1)),
            to: today,
        }
    }

    /// The range `from`..=`to` as a client writes them (`YYYY-MM-DD`, read
    /// by [`DayRange`]; absent or empty means the default): `to` defaults to
    /// `today`, `from` to [`DEFAULT_DAYS`] days ending at `to`. An unreadable
    /// date or a year out of range is named by its field; `to` before `from`
    /// and a range too long by `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Self, FieldErrors> {
        fn given(text: Option<&str>) -> Option<&str> {
            text.map(str::trim).filter(|t| !t.is_empty())
        }
        let days = DayRange::parse(given(from), given(to))?;
        let to = days.to.unwrap_or(today);
        let from = days.from.unwrap_or_else(|| Self::last_days(to).from);
        if from > to {
            // `to` defaulted to today, and `from` is later.
            return Err(FieldErrors::single(
                "to",
                ShopText::DayBeforeFrom
                    .arg("from", date_text(from))
                    .arg("to", date_text(to)),
            ));
        }
        if day_number(to) - day_number(from) + 1 > MAX_DAYS {
            return Err(FieldErrors::single(
                "to",
                ShopText::StatsRangeTooLong.arg("max", MAX_DAYS),
            ));
        }
        Ok(Self { from, to })
    }

    /// The first day.
    pub fn from(&self) -> Date {
        self.from
    }

    /// The last day (included).
    pub fn to(&self) -> Date {
        self.to
    }

    /// Day number of the first day.
    pub fn first_day(&self) -> i64 {
        day_number(self.from)
    }

    /// Day number of the last day.
    pub fn last_day(&self) -> i64 {
        day_number(self.to)
    }

    /// When the first day starts.
    pub fn start(&self) -> Timestamp {
        from_millis(self.first_day() * DAY_MS)
    }

    /// When the day after the last one starts (excluded).
    pub fn end(&self) -> Timestamp {
        from_millis((self.last_day() + 1) * DAY_MS)
    }
}

/// What an order counts for in the figures, as it is at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    day: i64,
    status: OrderStatus,
    /// Its revenue; `None` while it is not counted (cancelled).
    revenue: Option<i64>,
    lines: Vec<ProductDelta>,
}

impl Counted {
    /// What `order` counts for now.
    pub fn of(order: &Order) -> Self {
        let counted = order.status != OrderStatus::Cancelled;
        let mut lines: Vec<ProductDelta> = Vec::with_capacity(order.items.len());
        for item in &order.items {
            // Two variants of one product are one product in the figures.
            match lines.iter_mut().find(|l| l.product_id == item.product_id) {
                Some(line) => {
                    line.units += item.quantity;
                    line.revenue += item.line_total;
                }
                None => lines.push(ProductDelta {
                    product_id: item.product_id.clone(),
                    title: item.name.clone(),
                    units: item.quantity,
                    revenue: item.line_total,
                }),
            }
        }
        Self {
            day: day_of(order.created_at),
            status: order.status,
            revenue: counted.then(|| order.total - order.payment.refunded),
            lines,
        }
    }
}

/// How one write changes the rolled-up figures: what a store adds, in the
/// write's own transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesDelta {
    /// The day the order counts on (see [`day_of`]).
    pub day: i64,
    /// Added to the day's order count.
    pub orders: i64,
    /// Added to the day's revenue.
    pub revenue: i64,
    /// Added to the orders placed that day, cancelled ones included: what
    /// the order list counts for a range of days.
    pub placed: i64,
    /// Added to the count of orders in each status.
    pub statuses: Vec<(OrderStatus, i64)>,
    /// Added to the day's figures of each product.
    pub products: Vec<ProductDelta>,
}

/// What one write adds to one product's figures of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDelta {
    /// The product.
    pub product_id: String,
    /// Its name on the order (kept when units are added).
    pub title: String,
    /// Added to its units sold.
    pub units: i64,
    /// Added to its revenue.
    pub revenue: i64,
}

impl SalesDelta {
    /// A new order.
    pub fn placed(order: &Order) -> Self {
        Self::change(None, &Counted::of(order))
    }

    /// An order that counted as `before` and is now `after`.
    pub fn updated(before: &Counted, after: &Order) -> Self {
        Self::change(Some(before), &Counted::of(after))
    }

    fn change(before: Option<&Counted>, after: &Counted) -> Self {
        let mut statuses = Vec::new();
        match before {
            Some(b) if b.status == after.status => {}
            Some(b) => statuses.extend([(b.status, -1), (after.status, 1)]),
            None => statuses.push((after.status, 1)),
        }
        let was = before.and_then(|b| b.revenue);
        let sign = i64::from(after.revenue.is_some()) - i64::from(was.is_some());
        let products = if sign == 0 {
            Vec::new()
        } else {
            after
                .lines
                .iter()
                .map(|l| ProductDelta {
                    units: sign * l.units,
                    revenue: sign * l.revenue,
                    ..l.clone()
                })
                .collect()
        };
        Self {
            day: after.day,
            orders: sign,
            revenue: after.revenue.unwrap_or(0) - was.unwrap_or(0),
            placed: i64::from(before.is_none()),
            statuses,
            products,
        }
    }

    /// Whether the day's own figures change (not only statuses).
    pub fn changes_day(&self) -> bool {
        self.orders != 0 || self.revenue != 0 || self.placed != 0
    }
}

/// One day's rolled-up sums as a store keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotals {
    /// Day number.
    pub day: i64,
    /// Orders counted.
    pub orders: i64,
    /// Their revenue, minor units.
    pub revenue: i64,
}

/// A product among the best sellers of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TopProduct {
    /// The product (it may have been deleted since).
    pub product_id: String,
    /// Its name on its latest order in the range.
    pub title: String,
    /// Units sold in the range.
    pub units: i64,
    /// Their line totals, minor units.
    pub revenue: i64,
}

/// What a store reads for a range: the rolled-up sums, unassembled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesFigures {
    /// The days of the range that have figures, in any order.
    pub days: Vec<DayTotals>,
    /// Orders now in each status (statuses with none may be missing, a status
    /// may come in several parts).
    pub by_status: Vec<(OrderStatus, i64)>,
    /// The [`TOP_PRODUCTS`] best sellers: most units first, then most
    /// revenue, then product id.
    pub top_products: Vec<TopProduct>,
    /// Accounts created in the range.
    pub new_customers: i64,
}

/// One day of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DaySales {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Orders placed that day, cancelled ones left out.
    pub orders: i64,
    /// Their totals less refunds, minor units.
    pub revenue: i64,
}

/// Orders now in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Waiting for the money.
    pub awaiting_payment: i64,
    /// Paid, not shipped yet.
    pub paid: i64,
    /// On their way.
    pub shipped: i64,
    /// Received.
    pub delivered: i64,
    /// Called off.
    pub cancelled: i64,
    /// Given back in full.
    pub refunded: i64,
}

impl StatusCounts {
    /// The count of `status`.
    pub fn get(&self, status: OrderStatus) -> i64 {
        match status {
            OrderStatus::AwaitingPayment => self.awaiting_payment,
            OrderStatus::Paid => self.paid,
            OrderStatus::Shipped => self.shipped,
            OrderStatus::Delivered => self.delivered,
            OrderStatus::Cancelled => self.cancelled,
            OrderStatus::Refunded => self.refunded,
        }
    }

    fn slot(&mut self, status: OrderStatus) -> &mut i64 {
        match status {
            OrderStatus::AwaitingPayment => &mut self.awaiting_payment,
            OrderStatus::Paid => &mut self.paid,
            OrderStatus::Shipped => &mut self.shipped,
            OrderStatus::Delivered => &mut self.delivered,
            OrderStatus::Cancelled => &mut self.cancelled,
            OrderStatus::Refunded => &mut self.refunded,
        }
    }

    /// Every status with its count, in lifecycle order.
    pub fn all(&self) -> Vec<(OrderStatus, i64)> {
        OrderStatus::VARIANTS
            .iter()
            .map(|&s| (s, self.get(s)))
            .collect()
    }
}

/// The dashboard's figures for one range (see the module's definitions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesStats {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (included), `YYYY-MM-DD`.
    pub to: String,
    /// Every day of the range, oldest first, days without orders included.
    pub days: Vec<DaySales>,
    /// Orders placed in the range, cancelled ones left out.
    pub orders: i64,
    /// Their totals less refunds, minor units.
    pub revenue: i64,
    /// `revenue / orders`, rounded half away from zero; 0 without orders.
    pub average_order_value: i64,
    /// Every order now in each status, whenever placed.
    pub by_status: StatusCounts,
    /// The best sellers of the range by units (then revenue, then id).
    pub top_products: Vec<TopProduct>,
    /// Accounts created in the range.
    pub new_customers: i64,
    /// The sold variants at or below their low-stock level now, lowest
    /// stock first (at most [`LOW_STOCK_ROWS`]; the admin's product list
    /// filtered to low stock has them all).
    pub low_stock: Vec<LowStockVariant>,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

/// How many low-stock variants the dashboard lists.
pub const LOW_STOCK_ROWS: u64 = 10;

impl SalesStats {
    /// Assembles what a store read for `range`, and the low-stock variants.
    pub fn new(
        range: StatsRange,
        figures: SalesFigures,
        low_stock: Vec<LowStockVariant>,
        currency: &str,
    ) -> Self {
        let by_day: BTreeMap<i64, DayTotals> = figures.days.iter().map(|d| (d.day, *d)).collect();
        let days: Vec<DaySales> = (range.first_day()..=range.last_day())
            .filter_map(|day| {
                let totals = by_day.get(&day);
                Some(DaySales {
                    date: date_text(date_of_day(day)?),
                    orders: totals.map_or(0, |t| t.orders),
                    revenue: totals.map_or(0, |t| t.revenue),
                })
            })
            .collect();
        let orders = days.iter().map(|d| d.orders).sum();
        let revenue = days.iter().map(|d| d.revenue).sum();
        let mut by_status = StatusCounts::default();
        for (status, n) in figures.by_status {
            *by_status.slot(status) += n;
        }
        Self {
            from: date_text(range.from()),
            to: date_text(range.to()),
            days,
            orders,
            revenue,
            average_order_value: average(revenue, orders),
            by_status,
            top_products: figures.top_products,
            new_customers: figures.new_customers,
            low_stock,
            currency: currency.to_owned(),
        }
    }
}

/// `total / count` rounded half away from zero; 0 when `count` is 0.
pub fn average(total: i64, count: i64) -> i64 {
    if count <= 0 {
        return 0;
    }
    let (total, count) = (i128::from(total), i128::from(count));
    let rounded = (2 * total + total.signum() * count) / (2 * count);
    i64::try_from(rounded).unwrap_or(if total < 0 { i64::MIN } else { i64::MAX })
}

/// The dashboard's figures for `range`, for those who may see them
/// ([`Permission::ViewStats`]).
pub async fn sales_stats(
    store: &dyn Store,
    catalog: &Catalog,
    who: &Identity,
    range: StatsRange,
    currency: &str,
) -> ShopResult<SalesStats> {
    who.allowed(Permission::ViewStats)?;
    let figures = store.sales_figures(&range).await?;
    let low_stock = catalog.low_stock(LOW_STOCK_ROWS).await?;
    Ok(SalesStats::new(range, figures, low_stock, currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn range(from: Option<&str>, to: Option<&str>) -> Result<StatsRange, Vec<(String, String)>> {
        StatsRange::parse(from, to, date!(2026 - 12 - 03)).map_err(|e| {
            e.0.into_iter()
                .flat_map(|(f, ms)| ms.into_iter().map(move |m| (f.clone(), m.id.to_owned())))
                .collect()
        })
    }

    #[test]
    fn the_default_is_the_last_30_days_ending_today() {
        let r = range(None, Some("")).expect("default");
        assert_eq!(
            (r.from(), r.to()),
            (date!(2026 - 11 - 04), date!(2026 - 12 - 03))
        );
        assert_eq!(r.last_day() - r.first_day() + 1, DEFAULT_DAYS);
        let r = range(None, Some("2026-01-30")).expect("to only");
        assert_eq!(r.from(), date!(2026 - 01 - 01));
    }

    #[test]
    fn bad_ranges_name_their_field() {
        let named = |from, to| range(from, to).expect_err("refused");
        assert_eq!(
            named(Some("2026-13-01"), None),
            [("from".into(), "field-day-invalid".into())]
        );
        assert_eq!(
            named(None, Some("yesterday")),
            [("to".into(), "field-day-invalid".into())]
        );
        assert_eq!(named(Some("+02026-01-01"), None)[0].1, "field-day-invalid");
        assert_eq!(
            named(Some("1999-12-31"), Some("2000-01-10")),
            [("from".into(), "field-day-out-of-range".into())]
        );
        assert_eq!(
            named(Some("2026-02-01"), Some("2026-01-01")),
            [("to".into(), "field-day-before-from".into())]
        );
        assert_eq!(
            named(Some("2027-01-01"), None),
            [("to".into(), "field-day-before-from".into())],
            "after today"
        );
        assert_eq!(
            named(Some("2024-01-01"), Some("2026-01-02")),
            [("to".into(), "stats-range-too-long".into())]
        );
        assert!(
            range(Some("2024-01-01"), Some("2026-01-01")).is_ok(),
            "732 days"
        );
    }

    #[test]
    fn days_are_utc_and_round_trip() {
        let d = date!(2026 - 03 - 01);
        assert_eq!(date_of_day(day_number(d)), Some(d));
        assert_eq!(day_number(date!(1970 - 01 - 01)), 0);
        assert_eq!(day_of(from_millis(DAY_MS - 1)), 0);
        assert_eq!(day_of(from_millis(DAY_MS)), 1);
    }

    #[test]
    fn the_average_rounds_half_away_from_zero() {
        assert_eq!(average(5, 2), 3);
        assert_eq!(average(-5, 2), -3);
        assert_eq!(average(4, 3), 1);
        assert_eq!(average(5, 3), 2);
        assert_eq!(average(7, 0), 0);
    }
}
