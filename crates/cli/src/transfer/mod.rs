//! Moving records in and out: CSV/JSON import and export with column mappings.

pub mod export;
pub mod import;
pub mod kinds;
pub mod mapping;
