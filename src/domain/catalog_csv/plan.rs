//! From rows to product writes: which rows make one product, and each
//! product checked by the catalog's own rules ([`ProductInput::validate`]),
//! its errors named by line and column.
//!
//! Rows group into products so: a row naming an existing `product_id`
//! belongs to that product; else a row whose SKU exists belongs to that
//! SKU's product; else rows sharing a `product_id` that names no product
//! make one new product; else a row with options joins the product of an
//! earlier row with options and the same `name` (new or existing), or
//! starts a new one; else each row is a new product of its own. Product fields
//! come from a product's first row and its other rows must repeat them.
//! An import creates and updates variants; it never archives or deletes
//! one.

use std::collections::{BTreeMap, HashMap};

use super::parse::{Header, Row};
use super::{CsvText, ImportSummary, LineProblem};
use crate::domain::catalog::{Product, ProductFields, ProductInput, ProductOption, VariantInput};
use crate::domain::message::MessageId;
use crate::domain::validation::FieldErrors;
use crate::domain::{new_id, Timestamp};

/// The catalog as far as an import needs it: who owns each SKU the file
/// names, and the products it touches.
#[derive(Debug, Default)]
pub struct Existing {
    /// Upper-cased SKU → product id, for the SKUs the file names.
    pub sku_owner: HashMap<String, String>,
    /// The products the file names (by id or through a SKU).
    pub products: HashMap<String, Product>,
}

/// The writes of an import.
#[derive(Debug, Default)]
pub struct Plan {
    /// New products.
    pub creates: Vec<Product>,
    /// Changed products: id and their new fields.
    pub updates: Vec<(String, ProductFields)>,
    /// The counts and SKUs, for the report and the audit log.
    pub summary: ImportSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Product(String),
    Label(String),
    Name(String),
    Line(u64),
}

/// Groups `rows` into products and checks each; `Err` lists every problem.
pub fn plan(
    header: &Header,
    rows: &[Row],
    existing: &Existing,
    currency: &str,
    at: Timestamp,
) -> Result<Plan, Vec<LineProblem>> {
    let mut problems = Vec::new();
    let mut keys: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<(Option<&Product>, Vec<&Row>)> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let owner = existing.sku_owner.get(&row.sku);
        let named = row
            .product_id
            .as_ref()
            .and_then(|id| existing.products.get(id));
        let key = match (&row.product_id, named, owner) {
            (_, Some(p), Some(o)) if *o != p.id => None,
            (_, Some(p), _) => Some(Key::Product(p.id.clone())),
            (Some(_), None, Some(_)) => None,
            (Some(label), None, None) => Some(Key::Label(label.clone())),
            (None, _, Some(o)) => Some(Key::Product(o.clone())),
            (None, _, None) if !row.options.is_empty() => {
                Some(Key::Name(row.name.trim().to_owned()))
            }
            (None, _, None) => Some(Key::Line(row.line)),
        };
        let Some(key) = key else {
            let owner = owner.map(String::as_str).unwrap_or_default();
            problems.push(LineProblem::new(
                row.line,
                "product_id",
                CsvText::SkuElsewhere.arg("product_id", owner),
            ));
            continue;
        };
        let name = row.name.trim();
        let index = match (&key, by_name.get(name)) {
            // A new row with options joins the product of that name
            // earlier in the file, new or existing.
            (Key::Name(_), Some(&index)) => index,
            _ => *keys.entry(key.clone()).or_insert_with(|| {
                let product = match &key {
                    Key::Product(id) => existing.products.get(id),
                    _ => None,
                };
                groups.push((product, Vec::new()));
                groups.len() - 1
            }),
        };
        if !row.options.is_empty() {
            by_name.entry(name.to_owned()).or_insert(index);
        }
        groups[index].1.push(row);
    }
    let mut out = Plan::default();
    out.summary.rows = rows.len();
    for (current, rows) in groups {
        let before = problems.len();
        check_repeats(header, &rows, &mut problems);
        let (input, lines, created, updated) = product_input(header, current, &rows);
        match input.validate(currency, current) {
            Err(errors) => problems.extend(located(&errors, rows[0].line, &lines)),
            Ok(_) if problems.len() > before => {}
            Ok(mut fields) => {
                out.summary.created_skus.extend(created);
                out.summary.updated_skus.extend(updated);
                match current {
                    Some(p) => {
                        if !p.photos.is_empty() {
                            // Uploaded photos lead, as in the product form.
                            fields.photo_url = p.photo_url.clone();
                        }
                        out.summary.products_updated += 1;
                        out.updates.push((p.id.clone(), fields));
                    }
                    None => {
                        out.summary.products_created += 1;
                        out.creates.push(Product::from_fields(new_id(), fields, at));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A product's other rows must repeat its first row's product fields.
fn check_repeats(header: &Header, rows: &[&Row], problems: &mut Vec<LineProblem>) {
    let Some((first, rest)) = rows.split_first() else {
        return;
    };
    let names = |r: &Row| -> Vec<String> { r.options.iter().map(|(n, _)| n.clone()).collect() };
    for row in rest {
        let mut differs = |field: &str, same: bool| {
            if !same && header.has(field) {
                problems.push(LineProblem::new(
                    row.line,
                    field,
                    CsvText::Differs.arg("line", first.line),
                ));
            }
        };
        differs("name", row.name.trim() == first.name.trim());
        differs(
            "description",
            row.description.trim() == first.description.trim(),
        );
        differs("category", row.category.trim() == first.category.trim());
        differs("tax_class", row.tax_class == first.tax_class);
        differs("weight", row.weight == first.weight);
        differs(
            "low_stock_threshold",
            row.low_stock_threshold == first.low_stock_threshold,
        );
        differs("photo_url", row.photo_url.trim() == first.photo_url.trim());
        differs("option1_name", names(row) == names(first));
    }
}

/// The product input of one group, the line of each input variant (`None`
/// for the current ones the file leaves alone), and the SKUs created and
/// updated.
fn product_input(
    header: &Header,
    current: Option<&Product>,
    rows: &[&Row],
) -> (ProductInput, Vec<Option<u64>>, Vec<String>, Vec<String>) {
    let first = rows[0];
    let mut options: Vec<ProductOption> = match current {
        Some(p) if !header.has_options() => p.options.clone(),
        Some(p) => first
            .options
            .iter()
            .map(|(name, _)| ProductOption {
                name: name.clone(),
                values: p
                    .options
                    .iter()
                    .find(|o| &o.name == name)
                    .map(|o| o.values.clone())
                    .unwrap_or_default(),
            })
            .collect(),
        None => first
            .options
            .iter()
            .map(|(name, _)| ProductOption {
                name: name.clone(),
                values: Vec::new(),
            })
            .collect(),
    };
    let mut variants: Vec<VariantInput> = Vec::new();
    let mut lines: Vec<Option<u64>> = Vec::new();
    if let Some(p) = current {
        for v in p.sold_variants() {
            variants.push(VariantInput {
                id: Some(v.id.clone()),
                sku: Some(v.sku.clone()),
                options: v.options.clone(),
                price: Some(v.price),
                stock: v.stock,
                weight: v.weight,
                photo_id: v.photo_id.clone(),
            });
            lines.push(None);
        }
    }
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for row in rows {
        let values: BTreeMap<String, String> = row.options.iter().cloned().collect();
        for (name, value) in &row.options {
            if let Some(o) = options.iter_mut().find(|o| &o.name == name) {
                if !o.values.contains(value) {
                    o.values.push(value.clone());
                }
            }
        }
        let known = current.and_then(|p| {
            p.variants
                .iter()
                .find(|v| v.sku.eq_ignore_ascii_case(&row.sku))
        });
        let slot = known.and_then(|v| variants.iter().position(|i| i.id.as_ref() == Some(&v.id)));
        let keep_options = |old: &BTreeMap<String, String>| {
            if header.has_options() {
                values.clone()
            } else {
                old.clone()
            }
        };
        match (known, slot) {
            (Some(_), Some(i)) => {
                let v = &mut variants[i];
                v.options = keep_options(&v.options);
                v.price = Some(row.price);
                v.stock = row.stock;
                lines[i] = Some(row.line);
                updated.push(row.sku.clone());
            }
            (Some(archived), None) => {
                variants.push(VariantInput {
                    id: Some(archived.id.clone()),
                    sku: Some(row.sku.clone()),
                    options: keep_options(&archived.options),
                    price: Some(row.price),
                    stock: row.stock,
                    weight: archived.weight,
                    photo_id: archived.photo_id.clone(),
                });
                lines.push(Some(row.line));
                updated.push(row.sku.clone());
            }
            (None, _) => {
                variants.push(VariantInput {
                    id: None,
                    sku: Some(row.sku.clone()),
                    options: values.clone(),
                    price: Some(row.price),
                    stock: row.stock,
                    weight: None,
                    photo_id: None,
                });
                lines.push(Some(row.line));
                created.push(row.sku.clone());
            }
        }
    }
    let keep = |has: &str, from_file: String, now: Option<String>| match now {
        Some(now) if !header.has(has) => now,
        _ => from_file,
    };
    let price = match current {
        Some(p) if !options.is_empty() => p.price,
        _ => first.price,
    };
    let input = ProductInput {
        name: first.name.clone(),
        description: keep(
            "description",
            first.description.clone(),
            current.map(|p| p.description.clone()),
        ),
        category: first.category.clone(),
        price,
        currency: None,
        photo_url: keep(
            "photo_url",
            first.photo_url.clone(),
            current.map(|p| p.photo_url.clone()),
        ),
        stock: None,
        tax_class: match current {
            Some(p) if !header.has("tax_class") => Some(p.tax_class),
            _ => first.tax_class,
        },
        weight: match current {
            Some(p) if !header.has("weight") => p.weight,
            _ => first.weight,
        },
        low_stock_threshold: match current {
            Some(p) if !header.has("low_stock_threshold") => p.low_stock_threshold,
            _ => first.low_stock_threshold,
        },
        options: std::mem::take(&mut options),
        variants,
    };
    (input, lines, created, updated)
}

/// The catalog's field errors as line problems: product fields on the
/// product's first line, a variant's on its own line.
fn located(errors: &FieldErrors, first: u64, lines: &[Option<u64>]) -> Vec<LineProblem> {
    let mut out = Vec::new();
    for (field, messages) in &errors.0 {
        let (line, column) = column_of(field, first, lines);
        for message in messages {
            let problem = LineProblem::new(line, &column, message.clone());
            // A product's price and its one variant's say the same thing.
            if !out.contains(&problem) {
                out.push(problem);
            }
        }
    }
    out
}

fn column_of(field: &str, first: u64, lines: &[Option<u64>]) -> (u64, String) {
    if let Some(rest) = field.strip_prefix("variants[") {
        let (index, name) = rest.split_once("].").unwrap_or((rest, ""));
        let line = index
            .trim_end_matches(']')
            .parse::<usize>()
            .ok()
            .and_then(|i| lines.get(i).copied().flatten())
            .unwrap_or(first);
        let column = match name {
            "price" | "stock" | "weight" | "sku" => name,
            "options" => "option1_value",
            _ => "sku",
        };
        return (line, column.to_owned());
    }
    if let Some(rest) = field.strip_prefix("options[") {
        let k = rest
            .split(']')
            .next()
            .and_then(|i| i.parse::<usize>().ok())
            .unwrap_or(0)
            + 1;
        let part = if rest.contains("values") {
            "value"
        } else {
            "name"
        };
        return (first, format!("option{k}_{part}"));
    }
    let column = match field {
        "options" => "option1_name",
        "variants" => "sku",
        other => other,
    };
    (first, column.to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;
    use crate::domain::now;

    fn planned(text: &str, existing: &Existing) -> Result<Plan, Vec<(u64, String, &'static str)>> {
        let parsed = parse(text.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        plan(&parsed.header, &parsed.rows, existing, "EUR", now()).map_err(|problems| {
            let mut out: Vec<_> = problems
                .into_iter()
                .map(|p| (p.line, p.field, p.message.id))
                .collect();
            out.sort();
            out
        })
    }

    const TEE: &str = "sku,name,category,price,stock,option1_name,option1_value\n\
                       TEE-S,Tee,home,10,1,Size,S\n\
                       TEE-M,Tee,home,12.50,2,Size,M\n\
                       LAMP,Lamp,home,5,3,,\n";

    #[test]
    fn rows_with_options_and_a_name_make_one_product() {
        let plan = planned(TEE, &Existing::default()).expect("valid");
        assert_eq!(plan.creates.len(), 2);
        let tee = &plan.creates[0];
        assert_eq!(tee.options[0].values, ["S", "M"]);
        assert_eq!(tee.variants.len(), 2);
        assert_eq!(
            (tee.variants[1].sku.as_str(), tee.variants[1].price),
            ("TEE-M", 1250)
        );
        assert_eq!(tee.stock, 3);
        assert_eq!(plan.summary.created_skus, ["TEE-S", "TEE-M", "LAMP"]);
    }

    #[test]
    fn a_known_sku_updates_its_variant_and_keeps_the_others() {
        let first = planned(TEE, &Existing::default()).expect("valid");
        let tee = first.creates[0].clone();
        let existing = Existing {
            sku_owner: [("TEE-M".to_owned(), tee.id.clone())].into(),
            products: [(tee.id.clone(), tee.clone())].into(),
        };
        let text = "sku,name,category,price,stock,option1_name,option1_value\n\
                    TEE-M,Tee shirt,home,9,7,Size,M\n\
                    TEE-L,Tee shirt,home,9,1,Size,L\n";
        let plan = planned(text, &existing).expect("valid");
        assert_eq!(plan.updates.len(), 1);
        let (id, fields) = &plan.updates[0];
        assert_eq!(id, &tee.id);
        assert_eq!(fields.name, "Tee shirt");
        let skus: Vec<(&str, i64)> = fields
            .variants
            .iter()
            .map(|v| (v.sku.as_str(), v.stock))
            .collect();
        assert_eq!(skus, [("TEE-S", 1), ("TEE-M", 7), ("TEE-L", 1)]);
        assert_eq!(fields.variants[1].id, tee.variants[1].id);
        assert_eq!(plan.summary.updated_skus, ["TEE-M"]);
        assert_eq!(plan.summary.created_skus, ["TEE-L"]);
    }

    #[test]
    fn the_catalog_rules_are_named_by_line_and_column() {
        let long = "x".repeat(201);
        let text = format!(
            "sku,name,category,price,stock\nA1,{long},home,1,1\nA2,Ok,no spaces,1,-1\nA3,Ok,home,200000000,1\n"
        );
        let problems = planned(&text, &Existing::default()).expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                (2, "name".into(), "field-too-long"),
                (3, "category".into(), "field-category-invalid"),
                (3, "stock".into(), "field-stock-out-of-range"),
                (4, "price".into(), "field-price-out-of-range"),
            ]
        );
    }

    #[test]
    fn a_product_row_that_disagrees_with_its_first_is_named() {
        let text = "sku,name,category,price,stock,option1_name,option1_value,product_id\n\
                    A1,Tee,home,1,1,Size,S,p\n\
                    A2,Tee,garden,1,1,Size,M,p\n";
        let problems = planned(text, &Existing::default()).expect_err("invalid");
        assert_eq!(problems, vec![(3, "category".into(), "csv-differs")]);
    }

    #[test]
    fn a_sku_of_another_product_is_refused() {
        let first = planned(TEE, &Existing::default()).expect("valid");
        let (tee, lamp) = (first.creates[0].clone(), first.creates[1].clone());
        let existing = Existing {
            sku_owner: [("LAMP".to_owned(), lamp.id.clone())].into(),
            products: [(tee.id.clone(), tee.clone()), (lamp.id.clone(), lamp)].into(),
        };
        let text = format!(
            "sku,name,category,price,stock,product_id\nLAMP,Lamp,home,1,1,{}\n",
            tee.id
        );
        let problems = planned(&text, &existing).expect_err("invalid");
        assert_eq!(
            problems,
            vec![(2, "product_id".into(), "csv-sku-elsewhere")]
        );
    }
}
