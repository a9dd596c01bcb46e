//! The MongoDB store's schema version, kept in `meta` as
//! `{_id: "schema", version: N}`, and the steps that bring an older
//! database up to it at start.
//!
//! Several instances may start at once on one database, old and new during a
//! rolling upgrade, so every step is idempotent (running it twice, or beside
//! another instance running it, changes nothing more) and the recorded
//! version only ever moves forward (`$max`). A database recorded newer than
//! this binary knows is refused before anything is written to it.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};

/// The schema version this tienda writes.
pub const SCHEMA_VERSION: usize = 5;

const META: &str = "meta";
const SCHEMA_ID: &str = "schema";

/// Collections every tienda wrote from the first release: a database holding
/// any of them but no version was written before versions were recorded (1).
const FIRST_RELEASE_COLLECTIONS: &[&str] = &["users", "products", "orders", "cart", "counters"];

/// A step from version `to - 1` to `to`.
struct Step {
    to: usize,
    what: &'static str,
}

/// Every step, in order; the last one's `to` is [`SCHEMA_VERSION`].
/// Version 1 is the schema of the releases before versions were recorded;
/// its indexes, like every later one, are ensured at each start (see
/// `MongoStore::create_indexes`).
const STEPS: &[Step] = &[
    Step {
        to: 2,
        what: "users get `locale` (null: none chosen yet)",
    },
    Step {
        to: 3,
        what: "products get options, photos and their default variant; cart lines and order items name it",
    },
    Step {
        to: 4,
        what: "orders awaiting payment say `awaiting_payment` rather than `placed`",
    },
    Step {
        to: 5,
        what: "the sales dashboard's rolled-up figures, backfilled from the orders",
    },
];

async fn run(step: &Step, db: &Database) -> anyhow::Result<()> {
    match step.to {
        // Accounts from before languages existed have no `locale`; new ones
        // are written with null. The reader accepts both; the backfill makes
        // every document the same shape for other tools and later steps.
        2 => {
            db.collection::<Document>("users")
                .update_many(
                    doc! { "locale": { "$exists": false } },
                    doc! { "$set": { "locale": Bson::Null } },
                )
                .await?;
        }
        // Every product is sold as one variant whose id is the product's, so
        // the cart lines and order items that name the product by id name
        // that variant too.
        3 => {
            let products = db.collection::<Document>("products");
            let mut old = products
                .find(doc! { "variants": { "$exists": false } })
                .await?;
            while let Some(product) = old.try_next().await? {
                let id = product.get_str("_id")?;
                let default = doc! {
                    "id": id,
                    "sku": id.to_ascii_uppercase(),
                    "options": {},
                    "price": product.get("price").cloned().unwrap_or(Bson::Int64(0)),
                    "stock": product.get("stock").cloned().unwrap_or(Bson::Int64(0)),
                    "archived": false,
                };
                products
                    .update_one(
                        doc! { "_id": id, "variants": { "$exists": false } },
                        doc! { "$set": { "options": [], "photos": [], "variants": [default] } },
                    )
                    .await?;
            }
            for collection in ["cart", "orders"] {
                name_variants_in_items(&db.collection::<Document>(collection)).await?;
            }
        }
        // Amounts, shipping and payment of older orders read from what they
        // have (see `legacy_payment`); only the renamed status is rewritten,
        // so that lists filtered by status find them.
        4 => {
            let orders = db.collection::<Document>("orders");
            orders
                .update_many(
                    doc! { "status": "placed" },
                    doc! { "$set": { "status": "awaiting_payment" } },
                )
                .await?;
            orders
                .update_many(
                    doc! { "history.status": "placed" },
                    doc! { "$set": { "history.$[h].status": "awaiting_payment" } },
                )
                .array_filters(vec![doc! { "h.status": "placed" }])
                .await?;
        }
        // Checkout and status changes keep the figures from now on; the
        // orders already stored are summed once.
        5 => super::stats::backfill(db).await?,
        other => anyhow::bail!("no step is written for version {other}"),
    }
    Ok(())
}

/// Gives every line in `items` that names no variant its product's id as
/// the variant (step 3).
async fn name_variants_in_items(collection: &Collection<Document>) -> anyhow::Result<()> {
    let unnamed = doc! { "items": { "$elemMatch": { "variant_id": { "$exists": false } } } };
    let mut found = collection.find(unnamed.clone()).await?;
    while let Some(document) = found.try_next().await? {
        let mut items = document.get_array("items")?.clone();
        for item in items.iter_mut() {
            if let Bson::Document(line) = item {
                if !line.contains_key("variant_id") {
                    let product = line.get_str("product_id")?.to_owned();
                    line.insert("variant_id", product);
                }
            }
        }
        let id = document.get("_id").cloned().unwrap_or(Bson::Null);
        collection
            .update_one(doc! { "_id": id }, doc! { "$set": { "items": items } })
            .await?;
    }
    Ok(())
}

/// The version recorded in `db`: 1 for a database written before versions
/// were recorded, and this binary's own for an empty one (nothing to migrate).
pub async fn recorded_version(db: &Database) -> anyhow::Result<usize> {
    let meta = db
        .collection::<Document>(META)
        .find_one(doc! { "_id": SCHEMA_ID })
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the schema version in {META}: {e}"))?;
    if let Some(meta) = meta {
        let version = match meta.get("version") {
            Some(Bson::Int32(n)) => usize::try_from(*n).ok(),
            Some(Bson::Int64(n)) => usize::try_from(*n).ok(),
            _ => None,
        };
        return version.ok_or_else(|| {
            anyhow::anyhow!("{META} {{_id: \"{SCHEMA_ID}\"}} has no whole `version`: {meta}")
        });
    }
    let existing = db
        .list_collection_names()
        .await
        .map_err(|e| anyhow::anyhow!("cannot list the collections: {e}"))?;
    let older = existing
        .iter()
        .any(|c| FIRST_RELEASE_COLLECTIONS.contains(&c.as_str()));
    Ok(if older { 1 } else { SCHEMA_VERSION })
}

/// Refuses a database a newer tienda wrote; call before writing anything.
pub fn refuse_newer(db: &Database, recorded: usize) -> anyhow::Result<()> {
    if recorded > SCHEMA_VERSION {
        return Err(crate::store::newer_schema(
            &format!("the MongoDB database {}", db.name()),
            recorded,
            SCHEMA_VERSION,
        ));
    }
    Ok(())
}

/// Runs every step after `recorded`, then records this binary's version.
/// A step that fails leaves the version where it was, so the next start
/// runs it again.
pub async fn migrate(db: &Database, recorded: usize) -> anyhow::Result<()> {
    for step in STEPS.iter().filter(|s| s.to > recorded) {
        run(step, db).await.map_err(|e| {
            anyhow::anyhow!(
                "migrating to schema version {} ({}): {e}",
                step.to,
                step.what
            )
        })?;
        tracing::info!(version = step.to, "MongoDB schema migrated: {}", step.what);
    }
    record(db).await
}

async fn record(db: &Database) -> anyhow::Result<()> {
    let meta = db.collection::<Document>(META);
    let version = i64::try_from(SCHEMA_VERSION).unwrap_or(i64::MAX);
    let update = doc! { "$max": { "version": version } };
    // Two instances upserting the missing document at once: one of them
    // gets a duplicate key, and then the document exists to update.
    for _ in 0..2 {
        match meta
            .update_one(doc! { "_id": SCHEMA_ID }, update.clone())
            .upsert(true)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if super::is_duplicate_key(&e) => continue,
            Err(e) => anyhow::bail!("cannot record the schema version in {META}: {e}"),
        }
    }
    anyhow::bail!("cannot record the schema version in {META}: it kept being created meanwhile")
}
