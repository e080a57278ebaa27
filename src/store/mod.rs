//! The two historians `iiot store` writes (docs/storage.md): a SQLite file
//! and a Parquet lake.

pub mod lake;
pub mod sqlite;
