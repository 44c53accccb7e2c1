//! The `lodestar` command's building blocks, as a library so tests drive them in-process.

pub mod cli;
pub mod demo;
pub mod transfer;
