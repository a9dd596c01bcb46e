pub mod admin;
pub mod auth;
pub mod cart;
pub mod chat;
pub mod orders;
pub mod products;
pub mod site;
