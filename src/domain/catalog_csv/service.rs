//! The import and the exports as shop operations over the store.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde_json::json;

use super::export::{export, ExportKind};
use super::parse::parse;
use super::plan::{plan, Existing, Plan};
use super::{ImportRefused, ImportSummary};
use crate::domain::accounts::{Identity, Permission};
use crate::domain::audit;
use crate::domain::error::ShopResult;
use crate::domain::now;
use crate::domain::ports::Store;

/// Products read per page while finding the SKUs a file names.
const SCAN_PAGE: u64 = 1000;

/// What an import (or its dry run) found: the summary of its writes, or
/// every problem of the file.
pub type ImportOutcome = Result<ImportSummary, ImportRefused>;

/// Catalog import and the exports (admins; each operation checks).
pub struct CatalogCsv {
    store: Arc<dyn Store>,
    currency: String,
}

impl CatalogCsv {
    /// The import and exports on `store`, prices in `currency`.
    pub fn new(store: Arc<dyn Store>, currency: &str) -> Self {
        Self {
            store,
            currency: currency.to_owned(),
        }
    }

    /// A dry run: reads and checks the whole file, says what an import would
    /// create and update, changes nothing.
    pub async fn check(&self, who: &Identity, file: &[u8]) -> ShopResult<ImportOutcome> {
        who.allowed(Permission::ManageCatalog)?;
        Ok(self.plan(file).await?.map(|p| p.summary))
    }

    /// Imports the file: the same checks as [`CatalogCsv::check`], then
    /// every product written in one store transaction, or none if any line
    /// is bad.
    pub async fn import(&self, who: &Identity, file: &[u8]) -> ShopResult<ImportOutcome> {
        who.allowed(Permission::ManageCatalog)?;
        let Plan {
            creates,
            updates,
            summary,
        } = match self.plan(file).await? {
            Ok(plan) => plan,
            Err(refused) => return Ok(Err(refused)),
        };
        self.store.import_products(creates, updates, now()).await?;
        // One entry for the whole file: per-product before and after would
        // double a bulk import's writes.
        audit::record(
            &*self.store,
            who,
            "catalog.import",
            "catalog",
            None,
            Some(json!({
                "rows": summary.rows,
                "products_created": summary.products_created,
                "products_updated": summary.products_updated,
                "created_skus": summary.created_skus,
                "updated_skus": summary.updated_skus,
            })),
        )
        .await?;
        Ok(Ok(summary))
    }

    /// The export of `kind`, streamed; products need `ManageCatalog`,
    /// orders and customers `ExportData`.
    pub fn export(
        &self,
        who: &Identity,
        kind: ExportKind,
    ) -> ShopResult<BoxStream<'static, ShopResult<Bytes>>> {
        who.allowed(match kind {
            ExportKind::Products => Permission::ManageCatalog,
            ExportKind::Orders | ExportKind::Customers => Permission::ExportData,
        })?;
        Ok(export(self.store.clone(), kind))
    }

    async fn plan(&self, file: &[u8]) -> ShopResult<Result<Plan, ImportRefused>> {
        let parsed = parse(file);
        let existing = self.existing(&parsed.rows).await?;
        let mut problems = parsed.problems;
        match plan(
            &parsed.header,
            &parsed.rows,
            &existing,
            &self.currency,
            now(),
        ) {
            Ok(mut plan) if problems.is_empty() => {
                plan.summary.rows = parsed.records;
                Ok(Ok(plan))
            }
            Ok(_) => Ok(Err(ImportRefused::of(problems))),
            Err(more) => {
                problems.extend(more);
                Ok(Err(ImportRefused::of(problems)))
            }
        }
    }

    /// The products the rows name, by id or through a SKU, read in pages.
    async fn existing(&self, rows: &[super::parse::Row]) -> ShopResult<Existing> {
        let mut existing = Existing::default();
        if rows.is_empty() {
            return Ok(existing);
        }
        let skus: HashSet<&str> = rows.iter().map(|r| r.sku.as_str()).collect();
        let ids: HashSet<&str> = rows
            .iter()
            .filter_map(|r| r.product_id.as_deref())
            .collect();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .scan_products(after.as_deref(), SCAN_PAGE)
                .await?;
            let full = page.len() as u64 == SCAN_PAGE;
            after = page.last().map(|p| p.id.clone());
            for p in page {
                let mut named = ids.contains(p.id.as_str());
                for v in &p.variants {
                    let sku = v.sku.to_ascii_uppercase();
                    if skus.contains(sku.as_str()) {
                        existing.sku_owner.insert(sku, p.id.clone());
                        named = true;
                    }
                }
                if named {
                    existing.products.insert(p.id.clone(), p);
                }
            }
            if !full {
                return Ok(existing);
            }
        }
    }
}
