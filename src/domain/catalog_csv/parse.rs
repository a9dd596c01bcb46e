//! Reading an import file into rows: the header, the delimiter, each
//! record's cells checked for what the CSV itself must get right (UTF-8,
//! numbers, known columns, unique SKUs). The product rules are checked
//! later, by the catalog's own validation ([`super::plan`]).

use std::collections::HashMap;

use super::{unneutralise, CsvText, LineProblem, COLUMNS, MAX_RECORD_BYTES, REQUIRED};
use crate::domain::catalog::variants::{is_sku, MAX_SKU};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::tax::TaxClass;

/// Which of [`COLUMNS`] the file has, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    at: [Option<usize>; COLUMNS.len()],
}

impl Header {
    /// Whether the file has column `name`.
    pub fn has(&self, name: &str) -> bool {
        column(name).is_some_and(|i| self.at[i].is_some())
    }

    /// Whether the file has the option columns.
    pub fn has_options(&self) -> bool {
        self.has("option1_name")
    }
}

fn column(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| *c == name)
}

/// One variant row, its cells read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line the record starts on.
    pub line: u64,
    /// Upper-cased SKU.
    pub sku: String,
    /// The product it belongs to, when the cell is not empty.
    pub product_id: Option<String>,
    /// As written (the catalog's rules trim and check it).
    pub name: String,
    /// As written; empty when the column is missing.
    pub description: String,
    /// As written.
    pub category: String,
    /// Minor units.
    pub price: i64,
    /// Units (negative ones are refused by the catalog's rules).
    pub stock: i64,
    /// Option name and value pairs, in column order.
    pub options: Vec<(String, String)>,
    /// `None` when empty.
    pub tax_class: Option<TaxClass>,
    /// Grams; `None` when empty.
    pub weight: Option<i64>,
    /// As written.
    pub photo_url: String,
    /// Units; `None` when empty (the shop's default level).
    pub low_stock_threshold: Option<i64>,
}

/// What a file holds: its header, the rows that read, the problems of the
/// others, and how many records it has.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The columns.
    pub header: Header,
    /// Rows whose cells read.
    pub rows: Vec<Row>,
    /// Every problem found.
    pub problems: Vec<LineProblem>,
    /// Records after the header.
    pub records: usize,
}

/// `;` when the header line has more of them than commas (spreadsheets in
/// languages that write decimals with a comma save so), else `,`.
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|&&b| b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Reads an import file.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        parsed
            .problems
            .push(LineProblem::new(1, "file", CsvText::Empty));
        return parsed;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut header: Option<(Header, usize)> = None;
    let mut seen: HashMap<String, u64> = HashMap::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                let line = err.position().map_or(line, |p| p.line());
                parsed
                    .problems
                    .push(LineProblem::new(line, "file", CsvText::NotUtf8.message()));
                break;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        if record.as_slice().len() > MAX_RECORD_BYTES {
            parsed.problems.push(LineProblem::new(
                line,
                "file",
                CsvText::RecordTooLong.arg("max", MAX_RECORD_BYTES),
            ));
            if header.is_none() {
                return parsed;
            }
            parsed.records += 1;
            continue;
        }
        match &header {
            None => match read_header(&record, &mut parsed.problems) {
                Some(h) => header = Some((h, record.len())),
                None => return parsed,
            },
            Some((h, width)) => {
                parsed.records += 1;
                if let Some(row) = read_row(h, *width, line, &record, &mut parsed.problems) {
                    if let Some(first) = seen.get(&row.sku) {
                        parsed.problems.push(LineProblem::new(
                            line,
                            "sku",
                            CsvText::DuplicateSku.arg("line", *first),
                        ));
                    } else {
                        seen.insert(row.sku.clone(), line);
                        parsed.rows.push(row);
                    }
                }
            }
        }
    }
    match header {
        Some((h, _)) => {
            parsed.header = h;
            if parsed.records == 0 {
                parsed
                    .problems
                    .push(LineProblem::new(1, "file", CsvText::NoRows));
            }
        }
        None => parsed
            .problems
            .push(LineProblem::new(1, "file", CsvText::Empty)),
    }
    parsed
}

fn read_header(record: &csv::ByteRecord, problems: &mut Vec<LineProblem>) -> Option<Header> {
    let mut header = Header::default();
    let before = problems.len();
    for (i, cell) in record.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(cell) else {
            problems.push(LineProblem::new(1, "file", CsvText::NotUtf8));
            return None;
        };
        let name = name.trim().to_ascii_lowercase();
        match column(&name) {
            Some(c) if header.at[c].is_some() => {
                problems.push(LineProblem::new(1, &name, CsvText::RepeatedColumn));
            }
            Some(c) => header.at[c] = Some(i),
            None => {
                let shown: String = name.chars().take(40).collect();
                problems.push(LineProblem::new(
                    1,
                    &shown,
                    CsvText::UnknownColumn.arg("columns", COLUMNS.join(", ")),
                ));
            }
        }
    }
    for required in REQUIRED {
        if !header.has(required) {
            problems.push(LineProblem::new(1, required, CsvText::MissingColumn));
        }
    }
    (problems.len() == before).then_some(header)
}

/// The row of `record`, or `None` with its problems recorded.
fn read_row(
    header: &Header,
    width: usize,
    line: u64,
    record: &csv::ByteRecord,
    problems: &mut Vec<LineProblem>,
) -> Option<Row> {
    if record.len() != width {
        problems.push(LineProblem::new(
            line,
            "file",
            CsvText::FieldCount
                .arg("count", record.len())
                .arg("expected", width),
        ));
        return None;
    }
    let before = problems.len();
    let mut cells: [&str; COLUMNS.len()] = [""; COLUMNS.len()];
    for (c, name) in COLUMNS.iter().enumerate() {
        let Some(at) = header.at[c] else { continue };
        match std::str::from_utf8(record.get(at).unwrap_or_default()) {
            Ok(text) => cells[c] = unneutralise(text),
            Err(_) => problems.push(LineProblem::new(line, name, CsvText::NotUtf8)),
        }
    }
    if problems.len() > before {
        return None;
    }
    let cell = |name: &str| column(name).map_or("", |c| cells[c]);
    let mut bad = |field: &str, message: crate::domain::message::Message| {
        problems.push(LineProblem::new(line, field, message));
    };
    let sku = cell("sku").trim().to_ascii_uppercase();
    if !is_sku(&sku) {
        bad("sku", ShopText::SkuInvalid.arg("max", MAX_SKU));
    }
    let price = super::parse_amount(cell("price"));
    if price.is_none() {
        bad("price", CsvText::NotAmount.message());
    }
    let stock = cell("stock").trim().parse::<i64>().ok();
    if stock.is_none() {
        bad("stock", CsvText::NotInteger.message());
    }
    let weight = match cell("weight").trim() {
        "" => Some(None),
        text => text.parse::<i64>().ok().map(Some),
    };
    if weight.is_none() {
        bad("weight", CsvText::NotInteger.message());
    }
    let low_stock_threshold = match cell("low_stock_threshold").trim() {
        "" => Some(None),
        text => text.parse::<i64>().ok().map(Some),
    };
    if low_stock_threshold.is_none() {
        bad("low_stock_threshold", CsvText::NotInteger.message());
    }
    let tax_class = match cell("tax_class").trim() {
        "" => Some(None),
        text => text.to_ascii_lowercase().parse::<TaxClass>().ok().map(Some),
    };
    if tax_class.is_none() {
        bad("tax_class", CsvText::TaxClassUnknown.message());
    }
    let mut options = Vec::new();
    for k in 1..=3 {
        let (name_col, value_col) = (format!("option{k}_name"), format!("option{k}_value"));
        let (name, value) = (cell(&name_col).trim(), cell(&value_col).trim());
        match (name.is_empty(), value.is_empty()) {
            (true, true) => {}
            (false, false) => options.push((name.to_owned(), value.to_owned())),
            (true, false) => bad(&name_col, CsvText::OptionIncomplete.message()),
            (false, true) => bad(&value_col, CsvText::OptionIncomplete.message()),
        }
    }
    let product_id = Some(cell("product_id").trim().to_owned()).filter(|id| !id.is_empty());
    match (price, stock, weight, tax_class, low_stock_threshold) {
        (Some(price), Some(stock), Some(weight), Some(tax_class), Some(low_stock_threshold))
            if problems.len() == before =>
        {
            Some(Row {
                line,
                sku,
                product_id,
                name: cell("name").to_owned(),
                description: cell("description").to_owned(),
                category: cell("category").to_owned(),
                price,
                stock,
                options,
                tax_class,
                weight,
                photo_url: cell("photo_url").to_owned(),
                low_stock_threshold,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(parsed: &Parsed) -> Vec<(u64, String, &'static str)> {
        parsed
            .problems
            .iter()
            .map(|p| (p.line, p.field.clone(), p.message.id))
            .collect()
    }

    const HEAD: &str = "sku,name,category,price,stock\n";

    #[test]
    fn a_plain_file_reads_every_row() {
        let parsed = parse(format!("{HEAD}a-1,Lamp,home,19.99,3\nB2,Mug,home,5,0\n").as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(
            (
                &parsed.rows[0].sku[..],
                parsed.rows[0].price,
                parsed.rows[0].line
            ),
            ("A-1", 1999, 2)
        );
        assert!(!parsed.header.has("description"));
    }

    #[test]
    fn bom_and_semicolons_are_accepted() {
        let text = "\u{feff}sku;name;category;price;stock\r\nA1;Lamp;home;19,99;3\r\n";
        let parsed = parse(text.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert_eq!(parsed.rows[0].price, 1999);
    }

    #[test]
    fn quoted_newlines_keep_line_numbers_of_record_starts() {
        let text = "sku,name,category,price,stock,description\nA1,Lamp,home,1,1,\"two\nlines\"\nA2,Mug,home,x,1,\n";
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.rows[0].description, "two\nlines");
        assert_eq!(fields(&parsed), vec![(4, "price".into(), "csv-not-amount")]);
    }

    #[test]
    fn header_problems_name_the_columns() {
        let parsed = parse(b"sku,name,colour,price\nA1,Lamp,red,1\n");
        assert_eq!(
            fields(&parsed),
            vec![
                (1, "colour".into(), "csv-unknown-column"),
                (1, "category".into(), "csv-missing-column"),
                (1, "stock".into(), "csv-missing-column"),
            ]
        );
        assert!(parsed.rows.is_empty());
    }

    #[test]
    fn empty_and_header_only_files_are_refused() {
        assert_eq!(fields(&parse(b"")), vec![(1, "file".into(), "csv-empty")]);
        assert_eq!(
            fields(&parse(b"\xEF\xBB\xBF \n")),
            vec![(1, "file".into(), "csv-empty")]
        );
        assert_eq!(
            fields(&parse(HEAD.as_bytes())),
            vec![(1, "file".into(), "csv-no-rows")]
        );
    }

    #[test]
    fn bad_cells_are_named_with_their_line() {
        let text = format!(
            "{HEAD}A1,Lamp,home,1.999,-2\nA1,Mug,home,1,1\nbad sku,X,home,1,1\nA3,Y,home,1\nA4,Z,home,abc,1.5\n"
        );
        let parsed = parse(text.as_bytes());
        assert_eq!(
            fields(&parsed),
            vec![
                (2, "price".into(), "csv-not-amount"),
                (4, "sku".into(), "field-sku-invalid"),
                (5, "file".into(), "csv-field-count"),
                (6, "price".into(), "csv-not-amount"),
                (6, "stock".into(), "csv-not-integer"),
            ]
        );
        // A1 on line 2 was refused, so line 3 is the first A1 that reads.
        let dup = parse(format!("{HEAD}A1,Lamp,home,1,1\na1,Mug,home,1,1\n").as_bytes());
        assert_eq!(fields(&dup), vec![(3, "sku".into(), "csv-duplicate-sku")]);
        assert_eq!(
            dup.problems[0].message.args[0].1,
            crate::domain::message::Arg::Number(2)
        );
    }

    #[test]
    fn negative_stock_reads_for_the_catalog_to_refuse() {
        let parsed = parse(format!("{HEAD}A1,Lamp,home,1,-2\n").as_bytes());
        assert_eq!(parsed.rows[0].stock, -2);
    }

    #[test]
    fn invalid_utf8_and_huge_records_are_refused_by_line() {
        let mut text = format!("{HEAD}A1,Lamp,home,1,1\nA2,").into_bytes();
        text.extend_from_slice(b"\xff\xfe,home,1,1\nA3,");
        text.extend(std::iter::repeat_n(b'x', MAX_RECORD_BYTES + 10));
        text.extend_from_slice(b",home,1,1\nA4,Ok,home,1,1\n");
        let parsed = parse(&text);
        assert_eq!(
            fields(&parsed),
            vec![
                (3, "name".into(), "csv-not-utf8"),
                (4, "file".into(), "csv-record-too-long"),
            ]
        );
        assert_eq!(parsed.rows.len(), 2);
    }

    #[test]
    fn options_need_both_name_and_value() {
        let text =
            "sku,name,category,price,stock,option1_name,option1_value,option2_name,option2_value\n\
                    A1,Tee,home,1,1,Size,M,Colour,\n";
        let parsed = parse(text.as_bytes());
        assert_eq!(
            fields(&parsed),
            vec![(2, "option2_value".into(), "csv-option-incomplete")]
        );
    }

    #[test]
    fn neutralised_cells_read_back_as_written() {
        let text = format!("{HEAD}A1,'=HYPERLINK(\"x\"),home,1,1\nA2,'+cmd,home,1,1\n");
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.rows[0].name, "=HYPERLINK(\"x\")");
        assert_eq!(parsed.rows[1].name, "+cmd");
    }
}
