//! Ferrobase: PocketBase rebuilt in Rust, wire-compatible.
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod core;
pub mod db;
pub mod jsvm;
pub mod migrations;
