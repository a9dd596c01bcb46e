//! The embedded product index: tantivy matches and scores the words, the
//! products themselves are kept beside it in memory so filters, facets and
//! sorting read them without a store round trip. Each instance holds its own,
//! built from the store at start and kept current by the indexer.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, Query,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::TantivyDocument;
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentReader, Term};

use crate::domain::catalog::Product;
use crate::domain::search::{
    Facets, ProductSearch, SearchHit, SearchRequest, SearchResults, Sort, Suggestion,
    MAX_SUGGESTIONS,
};
use crate::store::cache::Versioned;

/// Name of the analyzer every text field and every query goes through.
const ANALYZER: &str = "folded";
/// Indexing memory the writer may use before it flushes a segment (tantivy's
/// smallest budget).
const WRITER_BUDGET: usize = 15_000_000;
/// Answers kept for searches asked again (shoppers ask the same few things:
/// the popular words, each prefix typed on the way to them).
const ANSWERS_KEPT: u64 = 1024;
/// How long an answer nobody asks for stays; any change drops them all sooner.
const ANSWER_TTL: Duration = Duration::from_secs(300);

/// How a query word met a product's word; better kinds score higher.
#[derive(Clone, Copy)]
enum MatchKind {
    Typo = 1,
    Prefix = 2,
    Exact = 3,
}

/// The text fields searched, with their weight: a match in the name beats
/// any match in the category, which beats any in the description.
#[derive(Clone, Copy)]
struct TextField {
    field: Field,
    weight: u8,
}

impl TextField {
    fn score(self, kind: MatchKind) -> Score {
        // Field first, then kind: name typo (10) > category exact (9).
        Score::from(self.weight * 3 + kind as u8)
    }
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    name: TextField,
    category: TextField,
    description: TextField,
}

impl Fields {
    fn text(&self) -> [TextField; 3] {
        [self.name, self.category, self.description]
    }
}

/// Allowed typos for a query word, by its length (meilisearch's defaults).
fn typo_budget(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// A product as the index keeps it.
struct Entry {
    product: Arc<Product>,
    /// The name folded as words are, for sorting by name.
    name_key: String,
}

/// What the index holds, swapped whole on a rebuild so a search never sees
/// one half-built.
struct Generation {
    index: Index,
    reader: IndexReader,
    /// Held while changes are applied: one writer at a time.
    applying: Mutex<()>,
    analyzer: TextAnalyzer,
    fields: Fields,
    docs: RwLock<Docs>,
}

#[derive(Default)]
struct Docs {
    /// The products by index key: a key is a slot here, so every match is
    /// one array read. A product whose words change gets a new key and its
    /// old slot is emptied at once (a searcher not yet reloaded skips it);
    /// a rebuild starts the slots afresh.
    entries: Vec<Option<Entry>>,
    /// The live key of each product id.
    key_of: HashMap<String, u64>,
}

impl Docs {
    /// The product under `key`, unless that key was retired.
    fn live(&self, key: u64) -> Option<&Entry> {
        let slot = usize::try_from(key).ok()?;
        self.entries.get(slot)?.as_ref()
    }

    fn slot(&mut self, key: u64) -> Option<&mut Option<Entry>> {
        self.entries.get_mut(usize::try_from(key).ok()?)
    }
}

/// A product to (re)index, or the id of one that is gone.
#[derive(Debug, Clone)]
pub enum IndexUpdate {
    /// The product as the store has it now.
    Put(Box<Product>),
    /// The product no longer exists.
    Gone(String),
}

impl IndexUpdate {
    /// The update that (re)indexes `product`.
    pub fn put(product: Product) -> Self {
        Self::Put(Box::new(product))
    }
}

/// The search index (see the module comment).
pub struct SearchIndex {
    current: RwLock<Arc<Generation>>,
    /// Answers computed since the index last changed.
    answers: Versioned<SearchRequest, Arc<SearchResults>>,
}

fn lock_poisoned<T>(e: PoisonError<T>) -> T {
    // A panic while holding the lock cannot leave the maps half-written in a
    // way a reader could misuse: every write is a whole insert or remove.
    e.into_inner()
}

impl SearchIndex {
    /// An index holding exactly `products`.
    pub fn build(products: impl IntoIterator<Item = Product>) -> anyhow::Result<Self> {
        let generation = Generation::build(products)?;
        Ok(Self {
            current: RwLock::new(Arc::new(generation)),
            answers: Versioned::new("search", ANSWERS_KEPT, ANSWER_TTL),
        })
    }

    /// Takes over everything `rebuilt` holds; searches used this index's old
    /// contents until the new one was whole.
    pub fn replace(&self, rebuilt: SearchIndex) {
        let generation = rebuilt.generation();
        *self.current.write().unwrap_or_else(lock_poisoned) = generation;
        self.answers.invalidate();
    }

    /// Applies changes read from the store.
    pub fn apply(&self, updates: Vec<IndexUpdate>) -> anyhow::Result<()> {
        let applied = self.generation().apply(updates);
        // Even a failed apply may have changed the products kept beside the
        // index: no answer from before it may be served.
        self.answers.invalidate();
        applied
    }

    /// How many products the index holds.
    pub fn len(&self) -> usize {
        let generation = self.generation();
        let docs = generation.docs.read().unwrap_or_else(lock_poisoned);
        docs.key_of.len()
    }

    /// Whether the index holds no product.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn generation(&self) -> Arc<Generation> {
        self.current.read().unwrap_or_else(lock_poisoned).clone()
    }
}

impl ProductSearch for SearchIndex {
    fn search(&self, request: &SearchRequest) -> Arc<SearchResults> {
        if let Some(answer) = self.answers.get(request) {
            return answer;
        }
        let version = self.answers.version();
        let answer = Arc::new(self.generation().search(request));
        self.answers.put(request.clone(), version, answer.clone());
        answer
    }

    fn suggest(&self, text: &str) -> Vec<Suggestion> {
        self.generation().suggest(text)
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let key = builder.add_u64_field("key", INDEXED | FAST);
    let name = builder.add_text_field("name", text.clone());
    let category = builder.add_text_field("category", text.clone());
    let description = builder.add_text_field("description", text);
    let fields = Fields {
        key,
        name: TextField {
            field: name,
            weight: 3,
        },
        category: TextField {
            field: category,
            weight: 2,
        },
        description: TextField {
            field: description,
            weight: 1,
        },
    };
    (builder.build(), fields)
}

/// Words as the index sees them: split on anything not a letter or digit,
/// lowercased, accents folded ("Café" → "cafe", "años" → "anos").
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

impl Generation {
    fn build(products: impl IntoIterator<Item = Product>) -> anyhow::Result<Self> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening the search index reader")?;
        let generation = Self {
            index,
            reader,
            applying: Mutex::new(()),
            analyzer: analyzer(),
            fields,
            docs: RwLock::new(Docs::default()),
        };
        generation.apply(products.into_iter().map(IndexUpdate::put).collect())?;
        Ok(generation)
    }

    fn fold(&self, text: &str) -> String {
        self.words(text).join(" ")
    }

    /// `text` as index words.
    fn words(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    fn document(&self, key: u64, p: &Product) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.fields.key, key);
        doc.add_text(self.fields.name.field, &p.name);
        doc.add_text(self.fields.category.field, &p.category);
        doc.add_text(self.fields.description.field, &p.description);
        doc
    }

    fn apply(&self, updates: Vec<IndexUpdate>) -> anyhow::Result<()> {
        if updates.is_empty() {
            return Ok(());
        }
        let _one_at_a_time = self.applying.lock().unwrap_or_else(lock_poisoned);
        let mut added = Vec::new();
        let mut retired = Vec::new();
        {
            let mut docs = self.docs.write().unwrap_or_else(lock_poisoned);
            for update in updates {
                match update {
                    IndexUpdate::Put(product) => {
                        let old = docs.key_of.get(&product.id).copied();
                        let entry = Entry {
                            name_key: self.fold(&product.name),
                            product: Arc::new(*product),
                        };
                        let same_words = old
                            .and_then(|k| docs.live(k))
                            .is_some_and(|e| same_words(&e.product, &entry.product));
                        match old.and_then(|k| docs.slot(k)) {
                            // Only stock or price moved: the words stay, the
                            // filters read the new values.
                            Some(slot) if same_words => *slot = Some(entry),
                            _ => {
                                let key = docs.entries.len() as u64;
                                added.push((key, entry.product.clone()));
                                docs.key_of.insert(entry.product.id.clone(), key);
                                docs.entries.push(Some(entry));
                                retired.extend(old);
                            }
                        }
                    }
                    IndexUpdate::Gone(id) => retired.extend(docs.key_of.remove(&id)),
                }
            }
            for &key in &retired {
                if let Some(slot) = docs.slot(key) {
                    *slot = None;
                }
            }
        }
        if !added.is_empty() || !retired.is_empty() {
            // A writer only while words change: it holds threads and an
            // indexing arena that a quiet shop should not keep.
            let mut writer: IndexWriter<TantivyDocument> = self
                .index
                .writer_with_num_threads(1, WRITER_BUDGET)
                .context("opening the search index writer")?;
            for &key in &retired {
                writer.delete_term(Term::from_field_u64(self.fields.key, key));
            }
            for (key, product) in &added {
                writer.add_document(self.document(*key, product))?;
            }
            writer.commit().context("committing to the search index")?;
            writer
                .wait_merging_threads()
                .context("merging search index segments")?;
            self.reader.reload().context("reloading the search index")?;
        }
        Ok(())
    }

    /// The query for `words`: every word must match some field, exactly, by
    /// prefix (the last word only: the shopper may still be typing) or within
    /// its typo budget; per word the best match counts.
    fn query(&self, words: &[String], fields: &[TextField]) -> Box<dyn Query> {
        let last = words.len().saturating_sub(1);
        let clauses = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
                for &f in fields {
                    let term = Term::from_field_text(f.field, word);
                    alternatives.push(Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                        f.score(MatchKind::Exact),
                    )));
                    if i == last {
                        alternatives.push(Box::new(ConstScoreQuery::new(
                            Box::new(FuzzyTermQuery::new_prefix(term.clone(), 0, true)),
                            f.score(MatchKind::Prefix),
                        )));
                    }
                    let budget = typo_budget(word);
                    if budget > 0 {
                        alternatives.push(Box::new(ConstScoreQuery::new(
                            Box::new(FuzzyTermQuery::new(term, budget, true)),
                            f.score(MatchKind::Typo),
                        )));
                    }
                }
                let best: Box<dyn Query> = Box::new(DisjunctionMaxQuery::new(alternatives));
                (Occur::Must, best)
            })
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    /// Every live product matching `words` in `fields`, with its score; every
    /// product when there are no words.
    fn matches(&self, words: &[String], fields: &[TextField]) -> Vec<(u64, Score)> {
        let searcher = self.reader.searcher();
        let query: Box<dyn Query> = if words.is_empty() {
            Box::new(AllQuery)
        } else {
            self.query(words, fields)
        };
        searcher
            .search(
                query.as_ref(),
                &AllMatches {
                    key: self.fields.key,
                },
            )
            .unwrap_or_else(|e| {
                // An in-memory index has no I/O to fail; if tantivy still
                // refuses, the shopper gets no results rather than an error.
                tracing::error!(error = %e, "search index query failed");
                Vec::new()
            })
    }

    fn search(&self, request: &SearchRequest) -> SearchResults {
        let words = self.words(&request.text);
        let hits = self.matches(&words, &self.fields.text());
        let docs = self.docs.read().unwrap_or_else(lock_poisoned);
        let filter = &request.filter;
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut kept: Vec<(&Entry, Score)> = Vec::new();
        for (key, score) in hits {
            let Some(entry) = docs.live(key) else {
                continue;
            };
            if !filter.admits_in_any_category(&entry.product) {
                continue;
            }
            *counts.entry(&entry.product.category).or_default() += 1;
            if filter
                .category
                .as_ref()
                .is_none_or(|c| *c == entry.product.category)
            {
                kept.push((entry, score));
            }
        }
        let sort = if words.is_empty() && request.sort == Sort::Relevance {
            None
        } else {
            Some(request.sort)
        };
        let total = kept.len() as u64;
        let page = request.page;
        let skip = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let end = skip.saturating_add(usize::try_from(page.limit).unwrap_or(usize::MAX));
        // Only the requested page needs its exact order: pick the first `end`
        // (every order is total, so the pick is the same as a full sort's).
        if end < kept.len() {
            kept.select_nth_unstable_by(end, |a, b| order(sort, a, b));
            kept.truncate(end);
        }
        kept.sort_unstable_by(|a, b| order(sort, a, b));
        let facets = Facets {
            category: counts
                .into_iter()
                .map(|(name, count)| (name.to_owned(), count))
                .collect(),
        };
        let items = kept
            .into_iter()
            .skip(skip)
            .map(|(entry, _)| SearchHit {
                matched: self.matched_words(&entry.product, &words),
                product: entry.product.clone(),
            })
            .collect();
        SearchResults {
            items,
            total,
            offset: page.offset,
            limit: page.limit,
            facets,
        }
    }

    fn suggest(&self, text: &str) -> Vec<Suggestion> {
        let words = self.words(text);
        if words.is_empty() {
            return Vec::new();
        }
        let hits = self.matches(&words, &[self.fields.name]);
        let docs = self.docs.read().unwrap_or_else(lock_poisoned);
        let mut kept: Vec<(&Entry, Score)> = hits
            .into_iter()
            .filter_map(|(key, score)| docs.live(key).map(|e| (e, score)))
            .collect();
        let best = |a: &(&Entry, Score), b: &(&Entry, Score)| order(Some(Sort::Relevance), a, b);
        if MAX_SUGGESTIONS < kept.len() {
            kept.select_nth_unstable_by(MAX_SUGGESTIONS, best);
            kept.truncate(MAX_SUGGESTIONS);
        }
        kept.sort_unstable_by(best);
        kept.into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(e, _)| Suggestion {
                id: e.product.id.clone(),
                name: e.product.name.clone(),
            })
            .collect()
    }

    /// Per field, the words of `product` that `words` matched, as written.
    fn matched_words(
        &self,
        product: &Product,
        words: &[String],
    ) -> BTreeMap<&'static str, Vec<String>> {
        let mut matched = BTreeMap::new();
        if words.is_empty() {
            return matched;
        }
        let budgets: Vec<usize> = words.iter().map(|w| usize::from(typo_budget(w))).collect();
        let mut analyzer = self.analyzer.clone();
        for (field, text) in [
            ("name", &product.name),
            ("category", &product.category),
            ("description", &product.description),
        ] {
            let mut found: Vec<String> = Vec::new();
            let mut stream = analyzer.token_stream(text);
            while stream.advance() {
                let token = stream.token();
                if word_matches(words, &budgets, &token.text) {
                    let written = &text[token.offset_from..token.offset_to];
                    if !found.iter().any(|w| w == written) {
                        found.push(written.to_owned());
                    }
                }
            }
            if !found.is_empty() {
                matched.insert(field, found);
            }
        }
        matched
    }
}

/// Whether a product word (folded) is met by one of the query words, by the
/// same rules as the query; `budgets` holds each word's typo budget.
fn word_matches(words: &[String], budgets: &[usize], folded: &str) -> bool {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .zip(budgets)
        .enumerate()
        .any(|(i, (w, &budget))| {
            folded == w
            || (i == last && folded.starts_with(w.as_str()))
            // Words whose lengths differ by more than the budget cannot be
            // within it: the distance is only computed when it can pass.
            || (budget > 0
                && folded.chars().count().abs_diff(w.chars().count()) <= budget
                && strsim::osa_distance(w, folded) <= budget)
        })
}

fn same_words(a: &Product, b: &Product) -> bool {
    a.name == b.name && a.category == b.category && a.description == b.description
}

/// The order of a result list; `None` is the catalog's own (creation) order.
/// Every order ends on the product id, so ties fall the same way everywhere.
fn order(sort: Option<Sort>, a: &(&Entry, Score), b: &(&Entry, Score)) -> Ordering {
    let (pa, pb) = (&a.0.product, &b.0.product);
    let by_creation = || {
        pa.created_at
            .cmp(&pb.created_at)
            .then_with(|| pa.id.cmp(&pb.id))
    };
    let by_name = || {
        a.0.name_key
            .cmp(&b.0.name_key)
            .then_with(|| pa.id.cmp(&pb.id))
    };
    match sort {
        None => by_creation(),
        Some(Sort::Relevance) => b.1.total_cmp(&a.1).then_with(by_name),
        Some(Sort::PriceAsc) => pa.price.cmp(&pb.price).then_with(by_name),
        Some(Sort::PriceDesc) => pb.price.cmp(&pa.price).then_with(by_name),
        Some(Sort::Newest) => pb
            .created_at
            .cmp(&pa.created_at)
            .then_with(|| pb.id.cmp(&pa.id)),
        Some(Sort::Name) => by_name(),
    }
}

/// Collects every matching document's key and score (tantivy's own
/// collectors keep a top-N; facets and totals need them all).
struct AllMatches {
    key: Field,
}

struct SegmentMatches {
    keys: Column<u64>,
    hits: Vec<(u64, Score)>,
}

impl Collector for AllMatches {
    type Fruit = Vec<(u64, Score)>;
    type Child = SegmentMatches;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<SegmentMatches> {
        let name = segment.schema().get_field_name(self.key).to_owned();
        Ok(SegmentMatches {
            keys: segment.fast_fields().u64(&name)?,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(u64, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(key) = self.keys.first(doc) {
            self.hits.push((key, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}
