//! Search over each store: the index is built from the store and follows its
//! writes, so both stores must give the same ids in the same order.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tienda::domain::catalog::{Product, ProductFields};
use tienda::domain::search::{
    ProductFilter, ProductSearch, SearchParams, SearchRequest, SearchResults, Sort,
};
use tienda::domain::Page;
use tienda::services::search::{self, SearchIndex};
use tienda::store::Store;
use tokio::sync::watch;

use crate::support;
use crate::support::t;

/// A product with a fixed id (ids break ties, so they must not be random).
fn item(n: u32, name: &str, category: &str, description: &str, price: i64, stock: i64) -> Product {
    let mut product = support::product(name, category, price, stock, t(i64::from(n)));
    let id = format!("00000000-0000-7000-8000-{n:012}");
    product.variants[0].id = id.clone();
    product.id = id;
    product.description = description.to_owned();
    product
}

fn catalog() -> Vec<Product> {
    vec![
        item(
            1,
            "Wireless Headphones",
            "electronics",
            "Over-ear, noise cancelling.",
            8999,
            4,
        ),
        item(2, "Table", "home", "Solid oak dining table.", 24900, 2),
        item(3, "Tablet", "electronics", "Ten inch screen.", 19900, 0),
        item(
            4,
            "Cable",
            "electronics",
            "USB-C to USB-C, two metres.",
            999,
            50,
        ),
        item(
            5,
            "Desk lamp",
            "office",
            "Warm light for late work.",
            3499,
            8,
        ),
        item(
            6,
            "Reading light",
            "office",
            "Clips on a book; brighter than a lamp.",
            1999,
            3,
        ),
        item(
            7,
            "Café de Colombia",
            "grocery",
            "Whole beans, medium roast.",
            1250,
            20,
        ),
        item(
            8,
            "Cien años de soledad",
            "books",
            "García Márquez, paperback.",
            1890,
            5,
        ),
        item(
            9,
            "Binoculars",
            "outdoors",
            "Eight by forty-two, waterproof.",
            12900,
            1,
        ),
        item(
            10,
            "Espresso cups",
            "kitchen",
            "Set of four, for cafe lovers.",
            2400,
            12,
        ),
    ]
}

async fn indexed(store: &Arc<dyn Store>) -> (Arc<SearchIndex>, watch::Sender<bool>) {
    for p in catalog() {
        store.insert_product(&p).await.expect("insert");
    }
    let (index, indexer) = search::open(store.clone()).await.expect("open index");
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(indexer.run(stopped));
    (index, stop)
}

fn request(q: &str) -> SearchRequest {
    SearchParams {
        q: Some(q),
        ..Default::default()
    }
    .parse(Page::default())
    .expect("valid search")
}

fn ids(results: &SearchResults) -> Vec<u32> {
    results
        .items
        .iter()
        .map(|h| h.product.id[24..].parse::<u32>().expect("fixed id"))
        .collect()
}

fn find(index: &SearchIndex, q: &str) -> Vec<u32> {
    ids(&index.search(&request(q)))
}

pub async fn relevance(store: Arc<dyn Store>) {
    let (index, _stop) = indexed(&store).await;

    // Prefix on the last word, case ignored.
    assert_eq!(find(&index, "head"), [1]);
    assert_eq!(find(&index, "HEADPH"), [1]);
    // One typo in a word of 5+ letters, two in 9+; none below 5.
    assert_eq!(find(&index, "headphnes"), [1], "one typo");
    assert_eq!(
        find(&index, "binocolrs"),
        [9],
        "two typos in a 9-letter word"
    );
    assert_eq!(
        find(&index, "bnoclars"),
        Vec::<u32>::new(),
        "two typos in 8 letters: too many"
    );
    assert_eq!(
        find(&index, "lmp"),
        Vec::<u32>::new(),
        "short words need to be exact or a prefix"
    );
    // Accents ignored both ways.
    assert_eq!(find(&index, "anos"), [8]);
    assert_eq!(find(&index, "AÑOS"), [8]);
    assert_eq!(find(&index, "marquez"), [8]);
    assert_eq!(
        find(&index, "CAFÉ"),
        [7, 10],
        "name (café) above description (cafe)"
    );
    assert_eq!(find(&index, "cafe"), [7, 10]);
    // Exact above prefix above typo, in the same field.
    assert_eq!(find(&index, "table"), [2, 3, 4]);
    // Name above description.
    assert_eq!(find(&index, "lamp"), [5, 6]);
    // Words in any order; every word must match.
    assert_eq!(find(&index, "lamp desk"), [5]);
    assert_eq!(find(&index, "desk lamp"), [5]);
    assert_eq!(find(&index, "desk headphones"), Vec::<u32>::new());
    // Query syntax is only text: the words still count, nothing else does.
    assert_eq!(find(&index, "\"desk\" (lamp*)"), [5]);
    assert_eq!(find(&index, "desk: +lamp -"), [5]);
    for hostile in [
        "' OR 1=1 --",
        "lamp AND desk",
        "NEAR(lamp desk)",
        "{\"$gt\": \"\"}",
        "lamp OR table",
    ] {
        let got = index.search(&request(hostile));
        assert!(got.total < 10, "`{hostile}` must not match everything");
    }
    assert_eq!(
        find(&index, "*").len(),
        10,
        "no words at all lists the catalog"
    );
    // What matched, as written in the product.
    let hit = &index.search(&request("cafe"));
    assert_eq!(hit.items[0].matched["name"], ["Café"]);
    assert_eq!(hit.items[1].matched["description"], ["cafe"]);
    // Suggestions: names, best first.
    let names: Vec<String> = index.suggest("tab").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["Table", "Tablet"]);
    assert!(index.suggest("").is_empty());
}

pub async fn filters_sorting_and_facets(store: Arc<dyn Store>) {
    let (index, _stop) = indexed(&store).await;
    let with = |q: &str, filter: ProductFilter, sort: Sort| {
        index.search(&SearchRequest {
            text: q.to_owned(),
            filter,
            sort,
            page: Page::default(),
        })
    };
    let electronics = ProductFilter {
        category: Some("electronics".into()),
        ..Default::default()
    };
    // No words: the catalog in creation order, filtered.
    assert_eq!(
        ids(&with("", electronics.clone(), Sort::Relevance)),
        [1, 3, 4]
    );
    assert_eq!(
        ids(&with("", electronics.clone(), Sort::PriceAsc)),
        [4, 1, 3]
    );
    assert_eq!(
        ids(&with("", electronics.clone(), Sort::PriceDesc)),
        [3, 1, 4]
    );
    assert_eq!(ids(&with("", electronics.clone(), Sort::Name)), [4, 3, 1]);
    assert_eq!(
        ids(&with("", ProductFilter::default(), Sort::Newest))[..3],
        [10, 9, 8]
    );
    let in_stock = ProductFilter {
        in_stock: true,
        ..electronics.clone()
    };
    assert_eq!(ids(&with("", in_stock, Sort::Relevance)), [1, 4]);
    let priced = ProductFilter {
        min_price: Some(1000),
        max_price: Some(3499),
        ..Default::default()
    };
    assert_eq!(ids(&with("", priced, Sort::PriceAsc)), [7, 8, 6, 10, 5]);
    // Facets: per category for the words and the other filters.
    let results = with("table", electronics, Sort::Relevance);
    assert_eq!(ids(&results), [3, 4]);
    assert_eq!(results.facets.category.get("home"), Some(&1));
    assert_eq!(results.facets.category.get("electronics"), Some(&2));
    assert_eq!(results.facets.category.len(), 2);
    // Paging keeps the total.
    let page = index.search(&SearchRequest {
        page: Page {
            offset: 1,
            limit: 1,
        },
        ..request("table")
    });
    assert_eq!((ids(&page), page.total), (vec![3], 3));
}

/// Polls until `check` holds, for at most a second (the freshness promise).
async fn within_a_second(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{what} took over a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn index_follows_every_write(store: Arc<dyn Store>) {
    let (index, _stop) = indexed(&store).await;
    let kite = item(11, "Stunt kite", "outdoors", "Two lines.", 4500, 3);
    store.insert_product(&kite).await.expect("insert");
    within_a_second("a new product", || find(&index, "kite") == [11]).await;

    let fields = ProductFields {
        name: "Power kite".into(),
        description: "Four lines.".into(),
        category: "outdoors".into(),
        ..support::fields(&kite, 5500, 0)
    };
    store
        .replace_product(&kite.id, &fields, t(100))
        .await
        .expect("replace");
    within_a_second("a renamed product", || {
        find(&index, "stunt").is_empty() && find(&index, "power") == [11]
    })
    .await;
    let in_stock = |index: &SearchIndex| {
        ids(&index.search(&SearchRequest {
            filter: ProductFilter {
                in_stock: true,
                ..Default::default()
            },
            ..request("kite")
        }))
    };
    assert!(in_stock(&index).is_empty(), "sold out");
    store
        .replace_product(&kite.id, &ProductFields { stock: 9, ..fields }, t(101))
        .await
        .expect("restock");
    within_a_second("a restock", || in_stock(&index) == [11]).await;

    store.delete_product(&kite.id).await.expect("delete");
    within_a_second("a deleted product", || find(&index, "kite").is_empty()).await;

    // A new index over the same store (a restart) holds the same.
    let (reopened, _) = search::open(store.clone()).await.expect("reopen");
    assert_eq!(reopened.len(), 10);
    assert_eq!(find(&reopened, "lamp"), find(&index, "lamp"));
}

pub async fn scan_reads_the_catalog_in_id_order_pieces(store: Arc<dyn Store>) {
    let mut all = catalog();
    for p in all.iter().rev() {
        store.insert_product(p).await.expect("insert");
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let first = store.scan_products(None, 4).await.expect("scan");
    assert_eq!(
        first,
        all[..4].to_vec(),
        "the first piece, by id whatever the insert order"
    );
    let next = store
        .scan_products(Some(&first[3].id), 4)
        .await
        .expect("scan on");
    assert_eq!(next, all[4..8].to_vec());
    let last = store
        .scan_products(Some(&next[3].id), 4)
        .await
        .expect("scan on");
    assert_eq!(last, all[8..].to_vec(), "a short piece ends the catalog");
    assert!(store
        .scan_products(Some(&all[9].id), 4)
        .await
        .expect("past the end")
        .is_empty());
    assert_eq!(
        search::read_catalog(store.as_ref())
            .await
            .expect("read all"),
        all
    );
}
