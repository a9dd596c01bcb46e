//! The CSV exports: products (the import's columns), orders and
//! customers, each a stream of chunks read from the store in bounded pages,
//! so a million orders never sit in memory at once. Each file starts with
//! a UTF-8 BOM (spreadsheets then read it as UTF-8), lines end in CRLF, and
//! text cells are [`neutralise`]d against formula injection.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use time::format_description::well_known::Rfc3339;

use super::{format_amount, neutralise, COLUMNS};
use crate::domain::accounts::User;
use crate::domain::catalog::Product;
use crate::domain::error::{ShopError, ShopResult};
use crate::domain::orders::Order;
use crate::domain::ports::Store;
use crate::domain::Timestamp;

/// The columns of the orders export: one row per order.
pub const ORDER_COLUMNS: [&str; 14] = [
    "number",
    "created_at",
    "email",
    "status",
    "payment_method",
    "payment_status",
    "subtotal",
    "shipping",
    "tax",
    "total",
    "refunded",
    "currency",
    "country",
    "items",
];

/// The columns of the customers export: one row per account.
pub const CUSTOMER_COLUMNS: [&str; 5] = ["id", "email", "name", "role", "created_at"];

/// Products, orders or users read per page.
const PAGE: u64 = 1000;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The catalog, one row per variant sold.
    Products,
    /// Every order.
    Orders,
    /// Every account.
    Customers,
}

impl ExportKind {
    /// The file name offered for download.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportKind::Products => "products.csv",
            ExportKind::Orders => "orders.csv",
            ExportKind::Customers => "customers.csv",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Products => &COLUMNS,
            ExportKind::Orders => &ORDER_COLUMNS,
            ExportKind::Customers => &CUSTOMER_COLUMNS,
        }
    }
}

/// Where the next page starts.
enum Cursor {
    Start,
    After(String),
    AfterNumber(i64),
    Done,
}

/// The export of `kind`: the BOM and the header first, then a chunk per page.
pub fn export(store: Arc<dyn Store>, kind: ExportKind) -> BoxStream<'static, ShopResult<Bytes>> {
    let head = stream::once(async move {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        let header = kind.columns().iter().map(|c| c.to_string()).collect();
        out.extend(encode(vec![header])?);
        Ok(Bytes::from(out))
    });
    let pages = stream::unfold(Cursor::Start, move |cursor| {
        let store = store.clone();
        async move {
            let (rows, next) = match next_page(&*store, kind, cursor).await {
                Ok(Some(page)) => page,
                Ok(None) => return None,
                Err(err) => return Some((Err(err), Cursor::Done)),
            };
            Some((encode(rows).map(Bytes::from), next))
        }
    });
    head.chain(pages).boxed()
}

/// The rows of the page at `cursor`, and the cursor after it; `None` at the end.
async fn next_page(
    store: &dyn Store,
    kind: ExportKind,
    cursor: Cursor,
) -> ShopResult<Option<(Vec<Vec<String>>, Cursor)>> {
    let after = match &cursor {
        Cursor::Done => return Ok(None),
        Cursor::Start => None,
        Cursor::After(id) => Some(id.as_str()),
        Cursor::AfterNumber(_) => None,
    };
    let (rows, next, count) = match kind {
        ExportKind::Products => {
            let page = store.scan_products(after, PAGE).await?;
            let next = page.last().map(|p| Cursor::After(p.id.clone()));
            (
                page.iter().flat_map(product_rows).collect(),
                next,
                page.len(),
            )
        }
        ExportKind::Customers => {
            let page = store.scan_users(after, PAGE).await?;
            let next = page.last().map(|u| Cursor::After(u.id.clone()));
            (page.iter().map(customer_row).collect(), next, page.len())
        }
        ExportKind::Orders => {
            let from = match cursor {
                Cursor::AfterNumber(n) => n,
                _ => 0,
            };
            let page = store.scan_orders(from, PAGE).await?;
            let next = page.last().map(|o| Cursor::AfterNumber(o.number));
            (page.iter().map(order_row).collect(), next, page.len())
        }
    };
    if count == 0 {
        return Ok(None);
    }
    let next = match next {
        Some(next) if count as u64 == PAGE => next,
        _ => Cursor::Done,
    };
    Ok(Some((rows, next)))
}

/// `rows` as CSV text, CRLF after each.
fn encode(rows: Vec<Vec<String>>) -> ShopResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(rows.len() * 160));
    for row in rows {
        writer.write_record(&row).map_err(ShopError::internal)?;
    }
    writer
        .into_inner()
        .map_err(|e| ShopError::internal(anyhow::anyhow!("{e}")))
}

fn text(value: &str) -> String {
    neutralise(value).into_owned()
}

fn date(at: Timestamp) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// One row per variant sold, in [`COLUMNS`] order.
pub fn product_rows(p: &Product) -> Vec<Vec<String>> {
    p.sold_variants()
        .map(|v| {
            let mut row = vec![
                text(&v.sku),
                text(&p.id),
                text(&p.name),
                text(&p.description),
                text(&p.category),
                format_amount(v.price),
                v.stock.to_string(),
            ];
            for k in 0..3 {
                match p.options.get(k) {
                    Some(o) => {
                        row.push(text(&o.name));
                        row.push(text(v.options.get(&o.name).map_or("", String::as_str)));
                    }
                    None => row.extend([String::new(), String::new()]),
                }
            }
            row.push(p.tax_class.as_str().to_owned());
            row.push(p.weight.map(|w| w.to_string()).unwrap_or_default());
            row.push(text(&p.photo_url));
            row.push(
                p.low_stock_threshold
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            );
            row
        })
        .collect()
}

/// One order, in [`ORDER_COLUMNS`] order.
pub fn order_row(o: &Order) -> Vec<String> {
    vec![
        o.number.to_string(),
        date(o.created_at),
        text(&o.email),
        o.status.as_str().to_owned(),
        o.payment.method.as_str().to_owned(),
        o.payment.status.as_str().to_owned(),
        format_amount(o.subtotal),
        format_amount(o.shipping.price),
        format_amount(o.taxes.iter().map(|t| t.amount).sum()),
        format_amount(o.total),
        format_amount(o.payment.refunded),
        text(&o.currency),
        text(&o.delivery_address.country),
        o.items.iter().map(|i| i.quantity).sum::<i64>().to_string(),
    ]
}

/// One account, in [`CUSTOMER_COLUMNS`] order.
pub fn customer_row(u: &User) -> Vec<String> {
    vec![
        text(&u.id),
        text(&u.email),
        text(&u.name),
        u.role.as_str().to_owned(),
        date(u.created_at),
    ]
}
