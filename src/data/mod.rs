//! Data sets: a reader for MNIST's IDX files (gzipped or raw) and one for numeric CSV tables
//! (the sunspot series), with errors that say what is wrong and never a panic on a bad file.
//! Needs the `data` feature (on by default); the `download` feature adds `data::download`, which
//! fetches MNIST into a cache folder.

mod csv;
#[cfg(feature = "download")]
pub mod download;
mod idx;

pub use csv::{parse_table, read_table, CsvError, Table, MAX_LINE, MAX_ROWS};
pub use idx::{
    load_mnist, parse_images, parse_labels, read_images, read_images_from, read_labels,
    read_labels_from, IdxError, Images, Mnist,
};
