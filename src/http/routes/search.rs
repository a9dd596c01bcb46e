//! Product search: results (JSON or page) and suggestions for the search box.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::domain::search::{SearchParams, SearchRequest, SearchResults, Sort, Suggestion};
use crate::domain::validation::FieldErrors;
use crate::domain::Page;
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{ApiQuery, PageQuery, WantsHtml};
use crate::http::locale::Lang;
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;

/// Query parameters of `GET /search` (and the filters of the catalog lists).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Search text (at most 200 characters); empty lists the catalog.
    pub q: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Lowest price, minor units (cents), inclusive.
    pub min_price: Option<String>,
    /// Highest price, minor units (cents), inclusive.
    pub max_price: Option<String>,
    /// Only products in stock (`true`/`false`).
    pub in_stock: Option<String>,
    /// `relevance` (default), `price_asc`, `price_desc`, `newest` or `name`.
    pub sort: Option<String>,
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items per page (1-200, default 50).
    pub limit: Option<u64>,
}

impl SearchQuery {
    /// The checked request; a bad parameter is a 400 naming it.
    pub fn request(&self, category: Option<&str>) -> AppResult<SearchRequest> {
        let page = PageQuery {
            offset: self.offset,
            limit: self.limit,
        }
        .page()?;
        SearchParams {
            q: self.q.as_deref(),
            category: category.or(self.category.as_deref()),
            min_price: self.min_price.as_deref(),
            max_price: self.max_price.as_deref(),
            in_stock: self.in_stock.as_deref(),
            sort: self.sort.as_deref(),
        }
        .parse(page)
        .map_err(first_bad_parameter)
    }

    /// Whether any filter or order beyond the plain catalog list was asked for.
    pub fn filters_anything(&self) -> bool {
        [&self.min_price, &self.max_price, &self.in_stock, &self.sort]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()))
    }
}

/// Query parameters are named one at a time, as everywhere in the API.
fn first_bad_parameter(errors: FieldErrors) -> AppError {
    match errors.0.into_iter().next() {
        // Each search parameter breaks one rule at most: its first message.
        Some((name, messages)) => match messages.into_iter().next() {
            Some(message) => AppError::bad_param(&name, message),
            None => AppError::bad_param(&name, HttpText::SearchInvalid),
        },
        None => AppError::bad_param("q", HttpText::SearchInvalid),
    }
}

/// Search the catalog: words in name, category and description (prefix on the
/// last word, typos forgiven, case and accents ignored), with filters, facets
/// and paging.
#[utoipa::path(get, path = "/search", tag = "catalog", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    visitor: Visitor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> AppResult<Response> {
    let request = q.request(None)?;
    let results = state.search.search(&request);
    if !html {
        return Ok(Json(results).into_response());
    }
    let popular = if results.items.is_empty() {
        popular(&state)
    } else {
        Vec::new()
    };
    let title = if request.text.is_empty() {
        state.pages.text(locale, "title-search")
    } else {
        state
            .pages
            .text_with(locale, "title-search-for", &[("text", &request.text)])
    };
    state.pages.render(
        locale,
        "search",
        &title,
        &visitor,
        page_data(&request, &results, popular),
    )
}

/// A few products to offer when nothing matched: those in stock, newest first.
fn popular(state: &AppState) -> Vec<serde_json::Value> {
    let request = SearchRequest {
        text: String::new(),
        filter: crate::domain::search::ProductFilter {
            in_stock: true,
            ..Default::default()
        },
        sort: Sort::Newest,
        page: Page {
            offset: 0,
            limit: 4,
        },
    };
    state
        .search
        .search(&request)
        .items
        .iter()
        .map(|hit| json!(hit.product))
        .collect()
}

/// The results page's data: every link keeps the other parameters.
fn page_data(
    request: &SearchRequest,
    results: &SearchResults,
    popular: Vec<serde_json::Value>,
) -> serde_json::Value {
    let f = &request.filter;
    let page = request.page;
    let link = |category: Option<&str>, offset: u64| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("q", &request.text);
        if let Some(c) = category {
            pairs.append_pair("category", c);
        }
        if let Some(p) = f.min_price {
            pairs.append_pair("min_price", &p.to_string());
        }
        if let Some(p) = f.max_price {
            pairs.append_pair("max_price", &p.to_string());
        }
        if f.in_stock {
            pairs.append_pair("in_stock", "true");
        }
        if request.sort != Sort::default() {
            pairs.append_pair("sort", request.sort.into());
        }
        if offset > 0 {
            pairs.append_pair("offset", &offset.to_string());
        }
        if page.limit != Page::default().limit {
            pairs.append_pair("limit", &page.limit.to_string());
        }
        format!("/search?{}", pairs.finish())
    };
    let category = f.category.as_deref();
    let next = (page.offset + page.limit < results.total)
        .then(|| link(category, page.offset + page.limit));
    let prev = (page.offset > 0).then(|| link(category, page.offset.saturating_sub(page.limit)));
    let items: Vec<serde_json::Value> = results
        .items
        .iter()
        .map(|hit| {
            let mut item = json!(hit.product);
            item["name_parts"] = json!(marked_parts(
                &hit.product.name,
                hit.matched
                    .get("name")
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            ));
            item
        })
        .collect();
    let facets: Vec<serde_json::Value> = results
        .facets
        .category
        .iter()
        .map(|(name, count)| {
            json!({ "name": name, "count": count, "url": link(Some(name), 0),
                    "current": category == Some(name.as_str()) })
        })
        .collect();
    // Each option's label is the message `sort-<value>`.
    let sorts: Vec<serde_json::Value> = <Sort as strum::VariantArray>::VARIANTS
        .iter()
        .map(|&sort| {
            let value: &'static str = sort.into();
            json!({ "value": value, "label": format!("sort-{value}"), "selected": sort == request.sort })
        })
    .collect();
    json!({
        "search_text": request.text,
        "category": category,
        "min_price": f.min_price,
        "max_price": f.max_price,
        "in_stock": f.in_stock,
        "sorts": sorts,
        "facets": facets,
        "all_categories_url": link(None, 0),
        "total": results.total,
        "items": items,
        "next_url": next,
        "prev_url": prev,
        "popular": popular,
    })
}

/// `name` cut into pieces, the words that matched marked; the template
/// escapes every piece, so nothing in a name or a query becomes markup.
fn marked_parts(name: &str, matched: &[String]) -> Vec<serde_json::Value> {
    let mut parts = Vec::new();
    let mut rest = name;
    while !rest.is_empty() {
        let next = matched
            .iter()
            .filter(|w| !w.is_empty())
            .filter_map(|w| rest.find(w.as_str()).map(|at| (at, w.len())))
            .min();
        let Some((at, len)) = next else {
            parts.push(json!({ "text": rest, "mark": false }));
            break;
        };
        if at > 0 {
            parts.push(json!({ "text": &rest[..at], "mark": false }));
        }
        parts.push(json!({ "text": &rest[at..at + len], "mark": true }));
        rest = &rest[at + len..];
    }
    parts
}

/// Query parameters of `GET /search/suggest`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestQuery {
    /// What the shopper has typed so far (at most 200 characters).
    pub q: Option<String>,
}

/// What `GET /search/suggest` answers.
#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    /// Up to 8 products whose names match, best first.
    pub suggestions: Vec<Suggestion>,
}

/// Up to 8 product names for a search box, as the shopper types.
#[utoipa::path(get, path = "/search/suggest", tag = "catalog", params(SuggestQuery),
    responses((status = 200, body = Suggestions), (status = 400, body = Problem)))]
pub async fn suggest(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> AppResult<Json<Suggestions>> {
    let request = SearchParams {
        q: q.q.as_deref(),
        ..Default::default()
    }
    .parse(Page::default())
    .map_err(first_bad_parameter)?;
    Ok(Json(Suggestions {
        suggestions: state.search.suggest(&request.text),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_parts_cover_the_name_and_mark_each_match() {
        let parts = marked_parts("Café <b> café", &["Café".into(), "café".into()]);
        let text: String = parts
            .iter()
            .map(|p| p["text"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(text, "Café <b> café");
        let marked: Vec<&str> = parts
            .iter()
            .filter(|p| p["mark"] == true)
            .filter_map(|p| p["text"].as_str())
            .collect();
        assert_eq!(marked, ["Café", "café"]);
    }
}
