//! The IDX reader: good files (gzipped and raw) and every kind of bad one, written by the test,
//! plus the real MNIST files when `../shared/data/mnist` is there.
#![cfg(feature = "data")]

use std::io::Write;
use std::path::{Path, PathBuf};

use backprop::data::{load_mnist, read_images, read_labels, IdxError};

/// A fresh folder for one test.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("backprop-idx-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(body);
    v
}

fn write(path: &Path, bytes: &[u8], gzip: bool) {
    let mut f = std::fs::File::create(path).unwrap();
    if gzip {
        let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap();
    } else {
        f.write_all(bytes).unwrap();
    }
}

/// Writes a consistent little data set of `n` training and `m` test samples.
fn dataset(d: &Path, n: u32, m: u32, gzip: bool) {
    let ext = if gzip { ".gz" } else { "" };
    for (prefix, count) in [("train", n), ("t10k", m)] {
        let pixels: Vec<u8> = (0..count * 784).map(|i| (i % 251) as u8).collect();
        let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
        write(
            &d.join(format!("{prefix}-images-idx3-ubyte{ext}")),
            &idx(2051, &[count, 28, 28], &pixels),
            gzip,
        );
        write(
            &d.join(format!("{prefix}-labels-idx1-ubyte{ext}")),
            &idx(2049, &[count], &labels),
            gzip,
        );
    }
}

#[test]
fn reads_gzipped_and_raw_files() {
    for gzip in [true, false] {
        let d = dir(if gzip { "gz" } else { "raw" });
        dataset(&d, 5, 3, gzip);
        let m = load_mnist(&d).unwrap();
        assert_eq!((m.train_images.count, m.test_images.count), (5, 3));
        assert_eq!(m.train_labels, vec![0, 1, 2, 3, 4]);
        assert_eq!(m.train_images.image(1)[0], (784 % 251) as u8);
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[test]
fn rejects_every_kind_of_bad_file() {
    let d = dir("bad");
    let p = d.join("f");
    // wrong magic: a label file read as images
    write(&p, &idx(2049, &[1], &[3]), false);
    let e = read_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            IdxError::BadMagic {
                expected: 2051,
                found: Some(2049),
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("magic number 2049, expected 2051"));
    // too short for a header
    write(&p, &[0, 0], false);
    assert!(matches!(
        read_labels(&p).unwrap_err(),
        IdxError::BadMagic { found: None, .. }
    ));
    // wrong dimensions
    write(&p, &idx(2051, &[1, 28, 27], &[0; 28 * 27]), false);
    let e = read_images(&p).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: images are 28x27, expected 28x28", p.display())
    );
    // truncated pixels, truncated header, truncated labels, truncated gzip stream
    write(&p, &idx(2051, &[2, 28, 28], &[0; 784 + 100]), false);
    let e = read_images(&p).unwrap_err();
    assert!(
        matches!(
            e,
            IdxError::Truncated {
                expected: 1584,
                actual: 900,
                ..
            }
        ),
        "{e}"
    );
    write(&p, &idx(2051, &[2], &[]), false);
    assert!(matches!(
        read_images(&p).unwrap_err(),
        IdxError::Truncated { .. }
    ));
    write(&p, &idx(2049, &[10], &[1, 2, 3]), false);
    assert!(matches!(
        read_labels(&p).unwrap_err(),
        IdxError::Truncated {
            expected: 18,
            actual: 11,
            ..
        }
    ));
    let mut gz = Vec::new();
    {
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
        e.write_all(&idx(2049, &[100], &[1; 100])).unwrap();
        e.finish().unwrap();
    }
    write(&p, &gz[..gz.len() / 2], false);
    assert!(matches!(read_labels(&p).unwrap_err(), IdxError::Io { .. }));
    // a label over 9
    write(&p, &idx(2049, &[3], &[1, 12, 3]), false);
    let e = read_labels(&p).unwrap_err();
    assert!(
        matches!(
            e,
            IdxError::LabelOutOfRange {
                index: 1,
                label: 12,
                ..
            }
        ),
        "{e}"
    );
    // missing file
    assert!(matches!(
        read_labels(d.join("missing")).unwrap_err(),
        IdxError::Io { .. }
    ));
    // image and label counts that differ
    let d2 = dir("mismatch");
    dataset(&d2, 4, 2, true);
    write(
        &d2.join("train-labels-idx1-ubyte.gz"),
        &idx(2049, &[3], &[1, 2, 3]),
        true,
    );
    let e = load_mnist(&d2).unwrap_err();
    assert_eq!(e.to_string(), "4 images but 3 labels");
    std::fs::remove_dir_all(&d).unwrap();
    std::fs::remove_dir_all(&d2).unwrap();
}

#[test]
fn reads_the_real_mnist_files_when_present() {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if !d.exists() {
        eprintln!("skipped: {} not found", d.display());
        return;
    }
    let m = load_mnist(&d).unwrap();
    assert_eq!(
        (m.train_images.count, m.test_images.count),
        (60_000, 10_000)
    );
    assert_eq!(&m.train_labels[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(&m.test_labels[..10], &[7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    // label counts published with the data set
    let mut counts = [0usize; 10];
    m.test_labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(
        counts,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    counts = [0; 10];
    m.train_labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(
        counts,
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
}

/// A reader that counts the bytes taken from it.
struct Counting<R> {
    inner: R,
    taken: std::rc::Rc<std::cell::Cell<usize>>,
}
impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken.set(self.taken.get() + n);
        Ok(n)
    }
}

/// An endless stream of one byte.
struct Endless(u8);
impl std::io::Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        buf.fill(self.0);
        Ok(buf.len())
    }
}

#[test]
fn a_gzip_bomb_fails_on_its_magic_number_without_being_inflated() {
    // 64 MiB of zeros, about 64 KiB gzipped: the whole stream used to be inflated (1 GiB took
    // 1.9 s and 3 GB) before the magic number was looked at.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    let taken = std::rc::Rc::new(std::cell::Cell::new(0));
    let reader = Counting {
        inner: &bomb[..],
        taken: taken.clone(),
    };
    let err = backprop::data::read_images_from(reader, "bomb.gz").unwrap_err();
    assert!(
        matches!(err, IdxError::BadMagic { found: Some(0), .. }),
        "{err}"
    );
    assert!(
        taken.get() < 64 * 1024,
        "read {} of {} compressed bytes",
        taken.get(),
        bomb.len()
    );
}

#[test]
fn an_endless_input_is_an_error_not_an_exhausted_machine() {
    // A label file announcing two labels, then bytes without end.
    let header = idx(2049, &[2], &[]);
    let reader = std::io::Read::chain(&header[..], Endless(1));
    let err = backprop::data::read_labels_from(reader, "endless").unwrap_err();
    assert!(
        matches!(err, IdxError::TrailingData { expected: 10, .. }),
        "{err}"
    );
    // Endless garbage from the first byte: the magic number is wrong.
    let err = backprop::data::read_images_from(Endless(0xAB), "garbage").unwrap_err();
    assert!(matches!(err, IdxError::BadMagic { .. }), "{err}");
    // A header that announces 4 billion images, with none following: truncated, and no buffer
    // of the announced size was made (this would need 3 TB).
    let huge = idx(2051, &[u32::MAX, 28, 28], &[1, 2, 3]);
    let err = backprop::data::parse_images(huge, "huge").unwrap_err();
    assert!(
        matches!(err, IdxError::Truncated { actual: 19, .. }),
        "{err}"
    );
}

#[test]
fn trailing_data_after_the_declared_bytes_is_rejected() {
    let d = dir("trailing");
    let path = d.join("labels");
    write(&path, &idx(2049, &[2], &[1, 2, 3]), true);
    let err = read_labels(&path).unwrap_err();
    assert!(matches!(err, IdxError::TrailingData { .. }), "{err}");
    write(&path, &idx(2049, &[2], &[1, 2]), true);
    assert_eq!(read_labels(&path).unwrap(), vec![1, 2]);
    std::fs::remove_dir_all(d).ok();
}
