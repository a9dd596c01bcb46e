//! tienda: a self-hosted shop in one binary.
//!
//! Layout, one way down: `http` (routes, extractors, pages, middleware: parse,
//! call one domain operation, render) → `domain` (shop rules, self-validating
//! types, and the storage ports they need) ← `store` (the ports' SQLite and
//! MongoDB backends, with the caches in front); `services` (chat hub, mail
//! sender) run beside them; `config` is read once at start; `templates` is
//! the Handlebars registry, with the owner's overrides from `theme`; `app`
//! wires it all together.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod services;
pub mod store;
pub mod templates;
pub mod theme;
