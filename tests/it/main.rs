//! The HTTP integration suite: every test spawns the real app on a random
//! port against a fresh store and talks HTTP / WebSocket to it.

// A test that cannot go on should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod hostile;

mod admin_products;
mod audit;
mod auth;
mod backoffice_journey;
mod backoffice_orders;
mod browser;
mod catalog;
mod catalog_csv;
mod chat;
mod checkout;
mod customers;
mod dashboard;
mod errors;
mod forms;
mod guest;
mod instances;
mod languages;
mod low_stock;
mod mail;
mod metrics;
mod operations;
mod orders;
mod payments;
mod photos;
mod privacy;
mod process;
mod roles;
mod search;
mod settings;
mod stock;
mod storefront;
mod stripe_gateway;
mod theme;
mod upgrade;
mod variants;
