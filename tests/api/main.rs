//! HTTP integration tests: the real server in-process, talked to over HTTP.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod collections;
mod filters;
mod hooks;
mod hooks_bindings;
mod hooks_events;
mod hooks_examples;
mod limits;
mod migrate_cli;
mod migrations;
mod parity;
mod pocketbase_data;
mod records;
mod rules;
mod security;
mod server;
mod superusers;
