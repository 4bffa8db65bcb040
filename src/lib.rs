//! Ferrobase: PocketBase rebuilt in Rust, wire-compatible.
#![forbid(unsafe_code)]

pub mod core;
pub mod db;
