//! The catalog as CSV: one row per variant, keyed by SKU, read by the
//! import and written by the export with the same columns (README,
//! "Catalog CSV"). Parsing and planning are pure; [`service`] runs them
//! against the store.

use serde::Serialize;

use super::message::{message_ids, Message};

pub mod export;
pub mod parse;
pub mod plan;
pub mod service;

pub use service::CatalogCsv;

/// The columns, in the order the export writes them. The import takes them
/// in any order; [`REQUIRED`] must be there.
pub const COLUMNS: [&str; 17] = [
    "sku",
    "product_id",
    "name",
    "description",
    "category",
    "price",
    "stock",
    "option1_name",
    "option1_value",
    "option2_name",
    "option2_value",
    "option3_name",
    "option3_value",
    "tax_class",
    "weight",
    "photo_url",
    "low_stock_threshold",
];

/// The columns an import file must have.
pub const REQUIRED: [&str; 5] = ["sku", "name", "category", "price", "stock"];

/// Largest import file, in bytes (the request body is capped to it).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Largest record (one product row, all its fields), in bytes: far above
/// what the product rules allow (a 5,000-character description), far below
/// what would hurt memory.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Most problems a report lists; the count of the rest is given.
pub const MAX_PROBLEMS: usize = 1000;

message_ids! {
    /// What the catalog import says about a file, in `locales/*/errors.ftl`.
    CsvText {
        /// The file has no header line.
        Empty = "csv-empty";
        /// The file has a header and no rows.
        NoRows = "csv-no-rows";
        /// A column the import does not know; `columns` lists those it does.
        UnknownColumn = "csv-unknown-column";
        /// A required column is missing.
        MissingColumn = "csv-missing-column";
        /// A column named twice in the header.
        RepeatedColumn = "csv-repeated-column";
        /// A line that is not UTF-8 text.
        NotUtf8 = "csv-not-utf8";
        /// A record over `max` bytes.
        RecordTooLong = "csv-record-too-long";
        /// A row with `count` fields where the header has `expected`.
        FieldCount = "csv-field-count";
        /// The SKU was on line `line` already.
        DuplicateSku = "csv-duplicate-sku";
        /// Not a whole number.
        NotInteger = "csv-not-integer";
        /// Not an amount like 19.99.
        NotAmount = "csv-not-amount";
        /// Not `standard` or `reduced`.
        TaxClassUnknown = "csv-tax-class-unknown";
        /// An option name without its value, or a value without its name.
        OptionIncomplete = "csv-option-incomplete";
        /// A product field that differs from line `line` of the same product.
        Differs = "csv-differs";
        /// The SKU belongs to product `product_id`, not the row's.
        SkuElsewhere = "csv-sku-elsewhere";
        /// The body is not a CSV file (or the form has no `file` part).
        NoFile = "csv-no-file";
        /// The file is over `max` bytes.
        FileTooBig = "csv-file-too-big";
        /// The file has `count` problems; nothing was imported.
        Refused = "csv-refused";
    }
}

/// One problem of an import file: where, which column, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// The physical line the record starts on (1 is the header).
    pub line: u64,
    /// The column (or `file` for the file as a whole).
    pub field: String,
    /// What is wrong.
    pub message: Message,
}

impl LineProblem {
    /// A problem at `line` in `field`.
    pub fn new(line: u64, field: &str, message: impl Into<Message>) -> Self {
        Self {
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Rows read (not counting the header).
    pub rows: usize,
    /// Products created.
    pub products_created: usize,
    /// Products updated.
    pub products_updated: usize,
    /// SKUs of the variants created.
    pub created_skus: Vec<String>,
    /// SKUs of the variants updated.
    pub updated_skus: Vec<String>,
}

/// A refused import: every problem found (up to [`MAX_PROBLEMS`]), in line
/// order, and how many more there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRefused {
    /// The problems, by line then column.
    pub problems: Vec<LineProblem>,
    /// Problems beyond [`MAX_PROBLEMS`], not listed.
    pub more: usize,
}

impl ImportRefused {
    /// The report of `problems`, sorted and capped.
    pub fn of(mut problems: Vec<LineProblem>) -> Self {
        problems.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
        let more = problems.len().saturating_sub(MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        Self { problems, more }
    }
}

/// `minor` units as the decimal the CSV carries: `19.99`, `5.00`.
pub fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// An amount like `19.99`, `19.9` or `19` (a `.` or a `,` before at most
/// two decimals) in minor units, exactly; `None` for anything else
/// (signs, exponents, thousands separators).
pub fn parse_amount(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 15 || !digits(whole) || fraction.len() > 2 {
        return None;
    }
    if !digits(fraction) || (text.len() > whole.len() && fraction.is_empty()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// Whether a spreadsheet would read `text` as a formula.
fn is_formula(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// A text cell as the export writes it: text that a spreadsheet would read
/// as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, OWASP's list), possibly after quotes, gets one more leading `'`.
/// Numbers the export writes itself never go through here.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if is_formula(text.trim_start_matches('\'')) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A text cell as the import reads it: the inverse of [`neutralise`], so
/// an exported file imports as the catalog it came from. Only a `'` before
/// formula text is dropped; any other cell is taken literally.
pub fn unneutralise(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if is_formula(rest.trim_start_matches('\'')) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_or_not_at_all() {
        assert_eq!(parse_amount("19.99"), Some(1999));
        assert_eq!(parse_amount("19,9"), Some(1990));
        assert_eq!(parse_amount(" 7 "), Some(700));
        assert_eq!(parse_amount("0.01"), Some(1));
        for bad in [
            "", "-1", "+1", "1e3", "1.999", "1.", ".5", "1,000.00", "abc", "1.-1", "NaN",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(format_amount(1999), "19.99");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(parse_amount(&format_amount(123_456_789)), Some(123_456_789));
    }

    #[test]
    fn a_report_lists_problems_by_line_and_counts_those_past_the_cap() {
        use crate::domain::message::MessageId;
        let many = (0..MAX_PROBLEMS as u64 + 5)
            .rev()
            .map(|line| LineProblem::new(line + 2, "price", CsvText::NotAmount.message()))
            .collect();
        let refused = ImportRefused::of(many);
        assert_eq!(refused.problems.len(), MAX_PROBLEMS);
        assert_eq!(refused.more, 5);
        assert_eq!(refused.problems[0].line, 2);
        assert!(refused.problems.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn exported_product_rows_use_the_import_columns() {
        let mut p = crate::domain::catalog::test_product("p1", 1999, 4);
        p.name = "=SUM(A1)".into();
        p.weight = Some(250);
        let rows = export::product_rows(&p);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), COLUMNS.len());
        let cell =
            |name: &str| rows[0][COLUMNS.iter().position(|c| *c == name).unwrap_or(0)].clone();
        assert_eq!(cell("name"), "'=SUM(A1)");
        assert_eq!(cell("price"), "19.99");
        assert_eq!(cell("stock"), "4");
        assert_eq!(cell("weight"), "250");
        assert_eq!(cell("tax_class"), "standard");
        assert_eq!(cell("sku"), "P1");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in [
            "=HYPERLINK(\"x\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        assert_eq!(neutralise("Lamp = light"), "Lamp = light");
        assert_eq!(neutralise(""), "");
        assert_eq!(neutralise("'=x"), "''=x");
        for cell in ["=x", "'=x", "''+y", "'plain", "plain", "-", "'", ""] {
            assert_eq!(unneutralise(&neutralise(cell)), cell, "{cell}");
        }
        assert_eq!(unneutralise("'quoted"), "'quoted");
    }
}
