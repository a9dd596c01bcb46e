//! The catalog: list, by category, one product, and admin writes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

use crate::domain::cart::MAX_LINE_QUANTITY;
use crate::domain::catalog::{is_category, is_low_stock, Product, ProductInput, LOW_STOCK};
use crate::domain::message::{MessageId, ShopText};
use crate::domain::photos::{PhotoSize, ProductPhoto};
use crate::domain::shared::Shared;
use crate::domain::{is_id, Page};
use crate::error::{AppError, AppResult, Problem};
use crate::http::extract::{truncate, ApiJson, ApiQuery, ProductId, WantsHtml};
use crate::http::head::Head;
use crate::http::locale::Lang;
use crate::http::routes::search::SearchQuery;
use crate::http::session::{may, Allowed};
use crate::http::shopper::Shopper;
use crate::http::text::HttpText;
use crate::http::visitor::Visitor;
use crate::http::AppState;
use crate::i18n::Locale;
use crate::store::ProductPage;

/// What `GET /products/{x}` answers: one product (id) or a list (category).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ProductOrList {
    /// `x` was a product id.
    Product(Box<Product>),
    /// `x` was a category.
    List(ProductPage),
}

/// Query parameters of the catalog lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Items to skip.
    pub offset: Option<u64>,
    /// Items per page (1-200, default 50).
    pub limit: Option<u64>,
    /// Only this category (same as `GET /products/{category}`).
    pub category: Option<String>,
    /// Lowest price, minor units (cents), inclusive.
    pub min_price: Option<String>,
    /// Highest price, minor units (cents), inclusive.
    pub max_price: Option<String>,
    /// Only products in stock (`true`/`false`).
    pub in_stock: Option<String>,
    /// `price_asc`, `price_desc`, `newest` or `name` (default: oldest first).
    pub sort: Option<String>,
}

impl ListQuery {
    /// The same list as a search without words (the index answers filters).
    fn as_search(&self) -> SearchQuery {
        SearchQuery {
            q: None,
            category: self.category.clone(),
            min_price: self.min_price.clone(),
            max_price: self.max_price.clone(),
            in_stock: self.in_stock.clone(),
            sort: self.sort.clone(),
            offset: self.offset,
            limit: self.limit,
        }
    }
}

fn page_of(q: &ListQuery) -> AppResult<Page> {
    crate::http::extract::PageQuery {
        offset: q.offset,
        limit: q.limit,
    }
    .page()
}

/// A filtered or sorted list: the search index answers it, in the catalog
/// list's shape. `None` when the plain (cached) list is asked for.
fn filtered_list(
    state: &AppState,
    q: &ListQuery,
    category: Option<&str>,
) -> AppResult<Option<Arc<Shared<ProductPage>>>> {
    let search = q.as_search();
    if !search.filters_anything() {
        return Ok(None);
    }
    let request = search.request(category)?;
    let results = state.search.search(&request);
    Ok(Some(Shared::new(ProductPage {
        items: results
            .items
            .iter()
            .map(|hit| Product::clone(&hit.product))
            .collect(),
        total: results.total,
        offset: results.offset,
        limit: results.limit,
        category: request.filter.category,
    })))
}

/// All products, oldest first, paged.
#[utoipa::path(get, path = "/products", tag = "catalog", params(ListQuery),
    responses((status = 200, body = ProductPage), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    visitor: Visitor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    if let Some(list) = filtered_list(&state, &q, None)? {
        return render_page(&state, locale, html, &visitor, list, page_of(&q)?).await;
    }
    let page = page_of(&q)?;
    let category = match q.category.as_deref() {
        Some(c) if !is_category(c) => {
            return Err(AppError::bad_param(
                "category",
                ShopText::CategoryUnknown.arg("text", truncate(c, 64)),
            ))
        }
        other => other.map(str::to_owned),
    };
    render_list(&state, locale, html, &visitor, category, page).await
}

/// A shared read as a JSON answer; its text is made once per read.
fn json_answer<T: Serialize>(shared: &Shared<T>) -> AppResult<Response> {
    let json = shared.json().map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

async fn render_list(
    state: &AppState,
    locale: Locale,
    html: bool,
    visitor: &Visitor,
    category: Option<String>,
    page: Page,
) -> AppResult<Response> {
    let list = state.store.list_products(category.as_deref(), page).await?;
    render_page(state, locale, html, visitor, list, page).await
}

async fn render_page(
    state: &AppState,
    locale: Locale,
    html: bool,
    visitor: &Visitor,
    list: Arc<Shared<ProductPage>>,
    page: Page,
) -> AppResult<Response> {
    if !html {
        return json_answer(&list);
    }
    let categories = state.store.categories().await?;
    // Descriptions name what is there: a few products, or the categories.
    let shop = &state.settings.shop.name;
    let pages = &state.pages;
    let head = match &list.category {
        Some(category) => {
            let names: Vec<&str> = list.items.iter().take(5).map(|p| p.name.as_str()).collect();
            let description = pages.text_with(
                locale,
                "describe-category",
                &[
                    ("category", category),
                    ("shop", shop),
                    ("names", &names.join(", ")),
                ],
            );
            Head::titled(category)
                .described(&description)
                .canonical(pages.public_url(), &format!("/products/{category}"))
        }
        None => {
            let description = pages.text_with(
                locale,
                "describe-catalog",
                &[("shop", shop), ("categories", &categories.join(", "))],
            );
            Head::titled(pages.text(locale, "title-catalog"))
                .described(&description)
                .canonical(pages.public_url(), "/products")
        }
    };
    let next = (page.offset + page.limit < list.total).then(|| page.offset + page.limit);
    let prev = (page.offset > 0).then(|| page.offset.saturating_sub(page.limit));
    state.pages.render(
        locale,
        "products",
        head,
        visitor,
        json!({ "list": list, "categories": categories, "next": next, "prev": prev }),
    )
}

/// One product when `x` is a product id (404 "product … does not exist" when
/// absent); otherwise the products of category `x` (possibly none).
#[utoipa::path(get, path = "/products/{x}", tag = "catalog",
    params(("x" = String, Path, description = "A product id, or a category name"), ListQuery),
    responses(
        (status = 200, description = "The product (id) or a product list (category)", body = ProductOrList),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn get_one_or_category(
    State(state): State<AppState>,
    Lang(locale): Lang,
    WantsHtml(html): WantsHtml,
    visitor: Visitor,
    Path(x): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    if is_id(&x) {
        let product = state
            .store
            .get_product(&x)
            .await?
            .ok_or_else(|| AppError::product_not_found(&x))?;
        if !html {
            return json_answer(&product);
        }
        if !visitor.is_plain() {
            return render_product(&state, locale, &visitor, &product, json!({}));
        }
        let cache = &state.pages.product_pages;
        let html = match cache.get(&product, locale) {
            Some(html) => html,
            None => {
                let html = product_html(&state, locale, &visitor, &product, json!({}))?;
                let html = Bytes::from(html);
                cache.keep(&product, locale, html.clone());
                html
            }
        };
        return Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response());
    }
    if !is_category(&x) {
        return Err(AppError::bad_param(
            "x",
            HttpText::NeitherIdNorCategory.arg("text", truncate(&x, 64)),
        ));
    }
    if let Some(list) = filtered_list(&state, &q, Some(&x))? {
        return render_page(&state, locale, html, &visitor, list, page_of(&q)?).await;
    }
    let page = page_of(&q)?;
    render_list(&state, locale, html, &visitor, Some(x), page).await
}

/// The product page of `id` with `data` (a refused add-to-cart form).
pub async fn product_page(
    state: &AppState,
    locale: Locale,
    shopper: &Shopper,
    id: &str,
    data: Value,
) -> AppResult<Response> {
    let product = match is_id(id) {
        true => state.store.get_product(id).await?,
        false => None,
    };
    let product = product.ok_or_else(|| AppError::product_not_found(&truncate(id, 64)))?;
    let visitor = Visitor::shopping(state, shopper).await;
    render_product(state, locale, &visitor, &product, data)
}

fn render_product(
    state: &AppState,
    locale: Locale,
    visitor: &Visitor,
    product: &Shared<Product>,
    data: Value,
) -> AppResult<Response> {
    let html = product_html(state, locale, visitor, product, data)?;
    Ok(axum::response::Html(html).into_response())
}

fn product_html(
    state: &AppState,
    locale: Locale,
    visitor: &Visitor,
    product: &Shared<Product>,
    mut data: Value,
) -> AppResult<String> {
    if let Value::Object(fields) = &mut data {
        fields.insert("product".into(), json!(product));
        // The variant the form starts on: the first one in stock, else the
        // first sold. A product without options has just that one.
        let choices = variant_choices(product);
        let chosen = choices
            .iter()
            .find(|c| c.stock > 0)
            .or(choices.first())
            .map(|c| c.id.clone());
        let lead_photo = chosen
            .as_ref()
            .and_then(|id| choices.iter().find(|c| &c.id == id))
            .and_then(|c| c.photo.as_ref())
            .map(|p| json!(p));
        let choices: Vec<Value> = choices
            .into_iter()
            .map(|c| {
                let checked = chosen.as_deref() == Some(c.id.as_str());
                json!({ "checked": checked, "choice": c })
            })
            .collect();
        let (price, stock) = chosen
            .and_then(|id| product.variant(&id))
            .map_or((product.price, 0), |v| (v.price, v.stock));
        fields.insert("photo".into(), json!(lead_photo));
        if !product.options.is_empty() {
            let names: Vec<&str> = product.options.iter().map(|o| o.name.as_str()).collect();
            fields.insert("option_names".into(), json!(names.join(" / ")));
            fields.insert("choices".into(), json!(choices));
        }
        fields.insert("price".into(), json!(price));
        fields.insert("stock".into(), json!(stock));
        let max_quantity = stock.min(MAX_LINE_QUANTITY);
        fields.insert("max_quantity".into(), json!(max_quantity));
        // What the page's live stock text follows (static/app.js).
        fields.insert("stock_low".into(), json!(is_low_stock(stock)));
        fields.insert("low_stock".into(), json!(LOW_STOCK));
        fields.insert("line_max".into(), json!(MAX_LINE_QUANTITY));
    }
    let head = Head::product(product, state.pages.public_url());
    state
        .pages
        .render_html(locale, "product", head, visitor, data)
}

/// One variant as the product page offers it.
#[derive(Serialize)]
struct VariantChoice {
    id: String,
    /// `M / blue`.
    title: String,
    price: i64,
    stock: i64,
    /// What the page shows when it is chosen: its own photo, else the
    /// product's first.
    photo: Option<ShownPhoto>,
}

/// A photo as the page's `<img>` takes it.
#[derive(Serialize)]
struct ShownPhoto {
    src: String,
    srcset: String,
    width: u32,
    height: u32,
}

impl From<&ProductPhoto> for ShownPhoto {
    fn from(photo: &ProductPhoto) -> Self {
        Self {
            src: photo.url(PhotoSize::Large),
            srcset: photo.srcset(),
            width: photo.width,
            height: photo.height,
        }
    }
}

/// The variants a shopper can pick, in the admin's order.
fn variant_choices(product: &Product) -> Vec<VariantChoice> {
    product
        .sold_variants()
        .map(|v| {
            let own = v
                .photo_id
                .as_ref()
                .and_then(|id| product.photos.iter().find(|p| &p.id == id));
            VariantChoice {
                id: v.id.clone(),
                title: product.variant_title(v),
                price: v.price,
                stock: v.stock,
                photo: own.or(product.photos.first()).map(ShownPhoto::from),
            }
        })
        .collect()
}

/// Create a product (admin).
#[utoipa::path(post, path = "/products", tag = "catalog", request_body = ProductInput,
    responses((status = 201, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ApiJson(input): ApiJson<ProductInput>,
) -> AppResult<(StatusCode, Json<Product>)> {
    let product = state.catalog.create(&admin, input).await?;
    Ok((StatusCode::CREATED, Json(product)))
}

/// Replace a product's fields (admin).
#[utoipa::path(put, path = "/products/{id}", tag = "catalog", request_body = ProductInput,
    params(("id" = String, Path, description = "Product id")),
    responses((status = 200, body = Product), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ProductId(id): ProductId,
    ApiJson(input): ApiJson<ProductInput>,
) -> AppResult<Json<Product>> {
    Ok(Json(state.catalog.replace(&admin, &id, input).await?))
}

/// Delete a product (admin). Carts keep the line, shown as unavailable.
#[utoipa::path(delete, path = "/products/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Product id")),
    responses((status = 204), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Allowed(admin, _): Allowed<may::ManageCatalog>,
    ProductId(id): ProductId,
) -> AppResult<StatusCode> {
    state.catalog.delete(&admin, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
