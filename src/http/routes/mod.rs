//! The request handlers, one module per part of the shop; `http::router`
//! mounts them.

pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod cart;
pub mod catalog_admin;
pub mod catalog_csv;
pub mod chat;
pub mod customers;
pub mod dashboard;
pub mod orders;
pub mod payments;
pub mod photos;
pub mod products;
pub mod search;
pub mod shipping;
pub mod site;
pub mod stock;
