//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::{admin, auth, cart, chat, orders, products, search, site, stock};

/// The API's OpenAPI document, served at `/openapi.json` (Swagger UI at `/docs`).
#[derive(OpenApi)]
#[openapi(
    info(title = "tienda", description = "Self-hosted shop: catalog, cart, orders, accounts, support chat. Errors are RFC 9457 problem+json with an `id`, `code` and details."),
    paths(
        products::list, products::get_one_or_category, products::create, products::replace, products::delete,
        super::routes::photos::upload, super::routes::photos::reorder, super::routes::photos::remove,
        super::routes::photos::serve,
        search::search, search::suggest, stock::events,
        auth::register, auth::login, auth::logout, auth::me, auth::user_sessions, auth::revoke_session,
        auth::delete_user, auth::forgot_password, auth::reset_password,
        super::routes::account::page, super::routes::account::export, super::routes::account::erase,
        cart::get, cart::add, cart::set_quantity, cart::remove, cart::set_address,
        orders::checkout, orders::list, orders::get, orders::set_status, orders::refund,
        crate::http::routes::shipping::list, crate::http::routes::shipping::put,
        crate::http::routes::shipping::delete, crate::http::routes::payments::stripe_webhook,
        chat::messages, chat::general_page, chat::channel_page, chat::socket,
        admin::mail, admin::retry_mail, crate::http::routes::audit::list,
        super::routes::catalog_admin::set_variant,
        super::routes::dashboard::stats,
        super::routes::catalog_csv::import, super::routes::catalog_csv::export_products,
        super::routes::catalog_csv::export_orders, super::routes::catalog_csv::export_customers,
        site::healthz, site::readyz, site::config_view, site::set_locale,
        orders::resend, crate::http::routes::customers::list, crate::http::routes::customers::get,
        crate::http::routes::customers::disable, crate::http::routes::customers::enable,
    ),
    components(schemas(crate::error::Problem, chat::Incoming)),
    modifiers(&BearerAuth, &ProblemContentType),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Error answers are `application/problem+json`; the annotations name only
/// the schema, so this sets the media type on every 4xx/5xx response.
struct ProblemContentType;

impl Modify for ProblemContentType {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, utoipa::openapi::RefOr::T(response)) = (is_error, response) {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            response
                                .content
                                .insert("application/problem+json".to_owned(), content);
                        }
                    }
                }
            }
        }
    }
}
