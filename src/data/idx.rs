//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one `u32`
//! per dimension), then unsigned bytes. Files may be gzipped (detected by their first bytes).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What went wrong reading an IDX file or a data set folder.
///
/// ```
/// use backprop::data::read_labels;
/// let err = read_labels("no/such/file").unwrap_err();
/// assert!(err.to_string().starts_with("cannot read no/such/file"));
/// ```
#[derive(Debug)]
pub enum IdxError {
    /// The file could not be opened or decompressed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The magic number is not the expected one (wrong kind of file).
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number expected (2051 for images, 2049 for labels).
        expected: u32,
        /// The magic number found (or the file was shorter than a header).
        found: Option<u32>,
    },
    /// The images are not 28 x 28.
    BadDimensions {
        /// The file.
        path: PathBuf,
        /// Rows and columns found.
        found: (u32, u32),
    },
    /// The file holds fewer bytes than its header announces.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces (header included).
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// Image and label files disagree on the number of samples.
    CountMismatch {
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A label is not a digit 0-9.
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// Index of the sample.
        index: usize,
        /// The label found.
        label: u8,
    },
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            IdxError::BadMagic {
                path,
                expected,
                found: Some(found),
            } => write!(
                f,
                "{}: not an IDX file of this kind: magic number {found}, expected {expected}",
                path.display()
            ),
            IdxError::BadMagic {
                path,
                expected,
                found: None,
            } => write!(
                f,
                "{}: too short for an IDX header (expected magic number {expected})",
                path.display()
            ),
            IdxError::BadDimensions { path, found } => write!(
                f,
                "{}: images are {}x{}, expected 28x28",
                path.display(),
                found.0,
                found.1
            ),
            IdxError::Truncated {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{}: truncated: the header announces {expected} bytes, the file has {actual}",
                path.display()
            ),
            IdxError::CountMismatch { images, labels } => {
                write!(f, "{images} images but {labels} labels")
            }
            IdxError::LabelOutOfRange { path, index, label } => write!(
                f,
                "{}: label {label} of sample {index} is not a digit 0-9",
                path.display()
            ),
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdxError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Images: `count` images of `rows x cols` bytes, one after the other, row-major.
///
/// ```
/// use backprop::data::Images;
/// let im = Images { count: 1, rows: 1, cols: 2, pixels: vec![0, 255] };
/// assert_eq!(im.image(0), &[0, 255]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// All pixels, image after image.
    pub pixels: Vec<u8>,
}

impl Images {
    /// The pixels of image `i`.
    ///
    /// ```
    /// use backprop::data::Images;
    /// let im = Images { count: 2, rows: 1, cols: 1, pixels: vec![3, 4] };
    /// assert_eq!(im.image(1), &[4]);
    /// ```
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.pixels[i * n..(i + 1) * n]
    }
}

/// The four MNIST files of a folder, checked against each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mnist {
    /// Training images (60,000 for MNIST).
    pub train_images: Images,
    /// Training labels, digits 0-9.
    pub train_labels: Vec<u8>,
    /// Test images (10,000 for MNIST).
    pub test_images: Images,
    /// Test labels, digits 0-9.
    pub test_labels: Vec<u8>,
}

/// Reads a file, gunzipping it when it starts with the gzip magic bytes.
fn read_bytes(path: &Path) -> Result<Vec<u8>, IdxError> {
    let raw = std::fs::read(path).map_err(|source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    gunzip(raw, path)
}

/// The bytes, gunzipped when they start with the gzip magic bytes.
fn gunzip(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>, IdxError> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|source| IdxError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Checks the magic number and returns the header's dimensions.
fn header(path: &Path, bytes: &[u8], magic: u32, dims: usize) -> Result<Vec<usize>, IdxError> {
    let found = be_u32(bytes, 0);
    if found != Some(magic) {
        return Err(IdxError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    (0..dims)
        .map(|d| {
            be_u32(bytes, 4 + 4 * d)
                .map(|v| v as usize)
                .ok_or(IdxError::Truncated {
                    path: path.to_path_buf(),
                    expected: 4 + 4 * dims,
                    actual: bytes.len(),
                })
        })
        .collect()
}

fn check_len(path: &Path, bytes: &[u8], expected: usize) -> Result<(), IdxError> {
    if bytes.len() < expected {
        Err(IdxError::Truncated {
            path: path.to_path_buf(),
            expected,
            actual: bytes.len(),
        })
    } else {
        Ok(())
    }
}

/// Reads an image file (magic 2051; 28 x 28 images).
///
/// ```no_run
/// let images = backprop::data::read_images("../shared/data/mnist/t10k-images-idx3-ubyte.gz")?;
/// assert_eq!((images.count, images.rows, images.cols), (10_000, 28, 28));
/// # Ok::<(), backprop::data::IdxError>(())
/// ```
pub fn read_images(path: impl AsRef<Path>) -> Result<Images, IdxError> {
    let path = path.as_ref();
    images_from(read_bytes(path)?, path)
}

/// Parses the bytes of an image file (gzipped or raw); `name` only names the source in errors.
///
/// ```
/// let err = backprop::data::parse_images(vec![0, 0, 8, 1], "bytes").unwrap_err();
/// assert_eq!(err.to_string(), "bytes: not an IDX file of this kind: magic number 2049, expected 2051");
/// ```
pub fn parse_images(bytes: Vec<u8>, name: impl AsRef<Path>) -> Result<Images, IdxError> {
    let path = name.as_ref();
    images_from(gunzip(bytes, path)?, path)
}

fn images_from(bytes: Vec<u8>, path: &Path) -> Result<Images, IdxError> {
    let dims = header(path, &bytes, 2051, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if (rows, cols) != (28, 28) {
        return Err(IdxError::BadDimensions {
            path: path.to_path_buf(),
            found: (rows as u32, cols as u32),
        });
    }
    let n = count.saturating_mul(rows * cols);
    check_len(path, &bytes, 16usize.saturating_add(n))?;
    Ok(Images {
        count,
        rows,
        cols,
        pixels: bytes[16..16 + n].to_vec(),
    })
}

/// Reads a label file (magic 2049; labels 0-9).
///
/// ```no_run
/// let labels = backprop::data::read_labels("../shared/data/mnist/t10k-labels-idx1-ubyte.gz")?;
/// assert_eq!(&labels[..3], &[7, 2, 1]);
/// # Ok::<(), backprop::data::IdxError>(())
/// ```
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    let path = path.as_ref();
    labels_from(read_bytes(path)?, path)
}

/// Parses the bytes of a label file (gzipped or raw); `name` only names the source in errors.
///
/// ```
/// let labels = backprop::data::parse_labels(vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 3], "bytes").unwrap();
/// assert_eq!(labels, vec![7, 3]);
/// ```
pub fn parse_labels(bytes: Vec<u8>, name: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    let path = name.as_ref();
    labels_from(gunzip(bytes, path)?, path)
}

fn labels_from(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>, IdxError> {
    let count = header(path, &bytes, 2049, 1)?[0];
    check_len(path, &bytes, 8usize.saturating_add(count))?;
    let labels = bytes[8..8 + count].to_vec();
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(IdxError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label,
        });
    }
    Ok(labels)
}

/// Finds `name` in `dir`, gzipped (`name.gz`) or raw.
fn find(dir: &Path, name: &str) -> PathBuf {
    let gz = dir.join(format!("{name}.gz"));
    if gz.exists() {
        gz
    } else {
        dir.join(name)
    }
}

/// Loads the four MNIST (or Fashion-MNIST) files from a folder: `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each gzipped
/// (`.gz`) or raw; image and label counts must agree.
///
/// ```no_run
/// let mnist = backprop::data::load_mnist("../shared/data/mnist")?;
/// assert_eq!(mnist.train_labels.len(), 60_000);
/// # Ok::<(), backprop::data::IdxError>(())
/// ```
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<Mnist, IdxError> {
    let dir = dir.as_ref();
    let pair = |images: &str, labels: &str| -> Result<(Images, Vec<u8>), IdxError> {
        let im = read_images(find(dir, images))?;
        let lb = read_labels(find(dir, labels))?;
        if im.count != lb.len() {
            return Err(IdxError::CountMismatch {
                images: im.count,
                labels: lb.len(),
            });
        }
        Ok((im, lb))
    };
    let (train_images, train_labels) = pair("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?;
    let (test_images, test_labels) = pair("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?;
    Ok(Mnist {
        train_images,
        train_labels,
        test_images,
        test_labels,
    })
}
