//! Data sets: a reader for MNIST's IDX files (gzipped or raw), with errors that say what is wrong
//! and never a panic on a bad file. Needs the `data` feature (on by default).

mod idx;

pub use idx::{
    load_mnist, parse_images, parse_labels, read_images, read_images_from, read_labels,
    read_labels_from, IdxError, Images, Mnist,
};
