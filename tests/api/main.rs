//! HTTP integration tests: the real server in-process, talked to over HTTP.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod auth_mail;
mod auth_oauth2;
mod bad_input;
mod collections;
mod files;
mod files_js;
mod files_s3;
mod filters;
mod hooks;
mod hooks_bindings;
mod hooks_events;
mod hooks_examples;
mod js_async;
mod js_compat;
mod js_members;
mod js_queries;
mod limits;
mod mailbox;
mod migrate_cli;
mod migrations;
mod parity;
mod pocketbase_data;
mod realtime;
mod records;
mod rules;
mod rules_body;
mod security;
mod server;
mod superusers;
