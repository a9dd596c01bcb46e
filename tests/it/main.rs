//! The HTTP integration suite: every test spawns the real app on a random
//! port against a fresh store and talks HTTP / WebSocket to it.

mod helpers;

mod hostile;

mod auth;
mod browser;
mod catalog;
mod chat;
mod errors;
mod instances;
mod mail;
mod orders;
mod process;
mod settings;
