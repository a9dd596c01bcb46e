//! tienda: a self-hosted shop in one binary.
//!
//! Layout: `http` (routes, extractors, pages, middleware), `domain` (shop
//! concepts and rules), `store` (the storage interface and its SQLite and
//! MongoDB backends), `config`, and `app` which wires them together.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod state;
pub mod store;
pub mod templates;
