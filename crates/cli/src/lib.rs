//! The `lodestar` command's building blocks, as a library so tests drive them in-process.

pub mod cli;
pub mod demo;
pub mod demo_health;
pub mod demo_reviews;
pub mod demo_usage;
pub mod transfer;
