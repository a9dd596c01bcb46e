//! The storage contract: every case runs unchanged against both backends,
//! SQLite on a fresh temp file and MongoDB on a fresh database at
//! `TIENDA_TEST_MONGO_URL` (e.g. `mongodb://127.0.0.1:27117/`). Without that
//! variable the MongoDB variants fail (they never skip silently).
//!
//! Each case is one `async fn case(store: Arc<dyn Store>)`; `contract!`
//! turns it into `<case>_sqlite` and `<case>_mongo` tests.

// A test that cannot go on should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod audit;
mod backoffice;
mod cart;
mod catalog;
mod catalog_csv;
mod chat;
mod legacy_orders;
mod limits;
mod low_stock;
mod mongo_schema;
mod orders;
mod outbox;
mod payments;
mod photos;
mod privacy;
mod search;
mod shipping;
mod stats;
mod support;
mod variants;

macro_rules! contract {
    ($($module:ident :: $case:ident => $sqlite:ident, $mongo:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                let backend = support::Backend::sqlite().await;
                $module::$case(backend.store()).await;
                backend.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $mongo() {
                let backend = support::Backend::mongo().await;
                $module::$case(backend.store()).await;
                backend.finish().await;
            }
        )*
    };
}

contract! {
    low_stock::a_crossing_alerts_once_until_restocked_above => a_crossing_alerts_once_until_restocked_above_sqlite, a_crossing_alerts_once_until_restocked_above_mongo;
    low_stock::concurrent_crossings_alert_once => concurrent_crossings_alert_once_sqlite, concurrent_crossings_alert_once_mongo;
    low_stock::a_level_of_zero_alerts_at_zero => a_level_of_zero_alerts_at_zero_sqlite, a_level_of_zero_alerts_at_zero_mongo;
    low_stock::no_notify_address_no_alert => no_notify_address_no_alert_sqlite, no_notify_address_no_alert_mongo;
    low_stock::low_stock_variants_lowest_first => low_stock_variants_lowest_first_sqlite, low_stock_variants_lowest_first_mongo;
    low_stock::set_variant_writes_one_variant => set_variant_writes_one_variant_sqlite, set_variant_writes_one_variant_mongo;
    low_stock::concurrent_quick_edits_and_checkouts_keep_stock => concurrent_quick_edits_and_checkouts_keep_stock_sqlite, concurrent_quick_edits_and_checkouts_keep_stock_mongo;
    low_stock::find_products_by_name_or_sku => find_products_by_name_or_sku_sqlite, find_products_by_name_or_sku_mongo;
    audit::audit_log_appends_and_filters => audit_log_appends_and_filters_sqlite, audit_log_appends_and_filters_mongo;
    audit::audit_values_round_trip => audit_values_round_trip_sqlite, audit_values_round_trip_mongo;
    catalog::products_crud => products_crud_sqlite, products_crud_mongo;
    catalog::list_order_paging_and_category => list_order_paging_and_category_sqlite, list_order_paging_and_category_mongo;
    catalog::seed_only_when_empty => seed_only_when_empty_sqlite, seed_only_when_empty_mongo;
    catalog::catalog_reads_see_every_write => catalog_reads_see_every_write_sqlite, catalog_reads_see_every_write_mongo;
    catalog::a_checkout_abandoned_by_its_caller_still_refreshes_the_catalog => a_checkout_abandoned_by_its_caller_still_refreshes_the_catalog_sqlite, a_checkout_abandoned_by_its_caller_still_refreshes_the_catalog_mongo;
    accounts::users_unique_email_roles_delete => users_unique_email_roles_delete_sqlite, users_unique_email_roles_delete_mongo;
    accounts::sessions_lifecycle => sessions_lifecycle_sqlite, sessions_lifecycle_mongo;
    accounts::the_language_a_customer_picked_is_remembered => the_language_a_customer_picked_is_remembered_sqlite, the_language_a_customer_picked_is_remembered_mongo;
    accounts::staff_role_round_trips => staff_role_round_trips_sqlite, staff_role_round_trips_mongo;
    accounts::session_with_user => session_with_user_sqlite, session_with_user_mongo;
    accounts::session_reads_see_every_account_write => session_reads_see_every_account_write_sqlite, session_reads_see_every_account_write_mongo;
    accounts::password_reset_once_expiry_revokes => password_reset_once_expiry_revokes_sqlite, password_reset_once_expiry_revokes_mongo;
    cart::add_raise_and_refusals => add_raise_and_refusals_sqlite, add_raise_and_refusals_mongo;
    cart::set_remove_and_address => set_remove_and_address_sqlite, set_remove_and_address_mongo;
    cart::cart_with_products => cart_with_products_sqlite, cart_with_products_mongo;
    cart::concurrent_adds_by_one_customer => concurrent_adds_by_one_customer_sqlite, concurrent_adds_by_one_customer_mongo;
    cart::guest_cart_merges_into_the_customers_once => guest_cart_merges_into_the_customers_once_sqlite, guest_cart_merges_into_the_customers_once_mongo;
    cart::concurrent_logins_merge_a_guest_cart_once => concurrent_logins_merge_a_guest_cart_once_sqlite, concurrent_logins_merge_a_guest_cart_once_mongo;
    orders::checkout_happy_path => checkout_happy_path_sqlite, checkout_happy_path_mongo;
    orders::checkout_refusals => checkout_refusals_sqlite, checkout_refusals_mongo;
    orders::checkout_idempotency => checkout_idempotency_sqlite, checkout_idempotency_mongo;
    orders::checkout_sequence_is_one_behaviour => checkout_sequence_is_one_behaviour_sqlite, checkout_sequence_is_one_behaviour_mongo;
    orders::over_stock_checkout_rolls_back => over_stock_checkout_rolls_back_sqlite, over_stock_checkout_rolls_back_mongo;
    orders::concurrent_checkouts_never_oversell => concurrent_checkouts_never_oversell_sqlite, concurrent_checkouts_never_oversell_mongo;
    orders::status_transitions_and_cancel_restock => status_transitions_and_cancel_restock_sqlite, status_transitions_and_cancel_restock_mongo;
    orders::list_orders_filters_newest_first => list_orders_filters_newest_first_sqlite, list_orders_filters_newest_first_mongo;
    chat::messages_filters_and_paging => messages_filters_and_paging_sqlite, messages_filters_and_paging_mongo;
    chat::watch_feed => watch_feed_sqlite, watch_feed_mongo;
    outbox::claim_leases_and_statuses => claim_leases_and_statuses_sqlite, claim_leases_and_statuses_mongo;
    outbox::concurrent_claims_are_disjoint => concurrent_claims_are_disjoint_sqlite, concurrent_claims_are_disjoint_mongo;
    limits::rate_limit_hits => rate_limit_hits_sqlite, rate_limit_hits_mongo;
    search::relevance => search_relevance_sqlite, search_relevance_mongo;
    search::filters_sorting_and_facets => search_filters_sorting_and_facets_sqlite, search_filters_sorting_and_facets_mongo;
    search::index_follows_every_write => search_index_follows_every_write_sqlite, search_index_follows_every_write_mongo;
    search::scan_reads_the_catalog_in_id_order_pieces => search_scan_pieces_sqlite, search_scan_pieces_mongo;
    privacy::erase_anonymises_orders_and_messages_and_deletes_the_rest => erase_anonymises_sqlite, erase_anonymises_mongo;
    privacy::export_gathers_an_accounts_data => export_gathers_sqlite, export_gathers_mongo;
    photos::put_read_and_delete_photo_files => photo_files_sqlite, photo_files_mongo;
    variants::variants_round_trip_on_every_read => variants_round_trip_sqlite, variants_round_trip_mongo;
    variants::racing_checkouts_take_one_variants_stock_only => variant_stock_race_sqlite, variant_stock_race_mongo;
    variants::removed_variants_are_archived_not_deleted => variants_archived_sqlite, variants_archived_mongo;
    variants::skus_are_unique_across_the_shop => skus_unique_sqlite, skus_unique_mongo;
    variants::product_photos_are_stored_in_order => product_photos_sqlite, product_photos_mongo;
    shipping::shipping_methods_crud => shipping_methods_crud_sqlite, shipping_methods_crud_mongo;
    shipping::checkout_snapshots_shipping_taxes_and_payment => checkout_snapshots_sqlite, checkout_snapshots_mongo;
    shipping::no_shipping_method_refuses_and_changes_nothing => no_shipping_sqlite, no_shipping_mongo;
    shipping::weight_and_tax_class_from_the_catalog => weight_and_tax_class_sqlite, weight_and_tax_class_mongo;
    payments::stock_hold_and_release => stock_hold_and_release_sqlite, stock_hold_and_release_mongo;
    payments::payment_records_are_idempotent => payment_records_idempotent_sqlite, payment_records_idempotent_mongo;
    payments::concurrent_webhooks_pay_once => concurrent_webhooks_sqlite, concurrent_webhooks_mongo;
    payments::refund_holds => refund_holds_sqlite, refund_holds_mongo;
    payments::expiry_racing_the_payment => expiry_racing_the_payment_sqlite, expiry_racing_the_payment_mongo;
    backoffice::order_filters_by_number_dates_and_together => order_filters_sqlite, order_filters_mongo;
    backoffice::customers_search_and_paging => customers_search_sqlite, customers_search_mongo;
    backoffice::disabling_revokes_sessions_and_enabling_restores => disabling_accounts_sqlite, disabling_accounts_mongo;
    backoffice::mail_queued_on_its_own_is_pending => mail_queued_alone_sqlite, mail_queued_alone_mongo;
    stats::figures_follow_checkout_cancel_and_refund => stats_figures_sqlite, stats_figures_mongo;
    catalog_csv::import_is_all_or_nothing => csv_import_all_or_nothing_sqlite, csv_import_all_or_nothing_mongo;
    catalog_csv::scan_orders_and_users_in_pages => csv_scan_orders_and_users_sqlite, csv_scan_orders_and_users_mongo;
}
