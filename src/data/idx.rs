//! The IDX format of MNIST and Fashion-MNIST: a big-endian header (magic number, then one `u32`
//! per dimension), then unsigned bytes. Files may be gzipped (detected by their first bytes).
//!
//! Readers are streaming and bounded: the header is read and checked first, then exactly the
//! bytes it declares, and one byte more must not exist. A file with a wrong magic number fails
//! after 4 bytes however large it is (a gzip stream inflating to gigabytes included), memory
//! never exceeds what the header declares, and an endless input is an error, not an exhausted
//! machine.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What went wrong reading an IDX file or a data set folder.
///
/// ```
/// use backprop::data::read_labels;
/// let err = read_labels("no/such/file").unwrap_err();
/// assert!(err.to_string().starts_with("cannot read no/such/file"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
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
    /// The file goes on after the bytes its header announces.
    TrailingData {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces (header included).
        expected: usize,
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
            IdxError::TrailingData { path, expected } => write!(
                f,
                "{}: the header announces {expected} bytes, but the file goes on after them",
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

/// Opens a file for [`read_idx`].
fn open(path: &Path) -> Result<BufReader<std::fs::File>, IdxError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(|source| IdxError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// The header and the data of an IDX stream, gunzipped when it starts with the gzip magic bytes:
/// the header is read and checked (`check` sees the dimensions and returns the data's size)
/// before any data is, then exactly that many data bytes are read, and the stream must end
/// there.
fn read_idx<R: BufRead>(
    mut input: R,
    path: &Path,
    magic: u32,
    dims: usize,
    check: impl FnOnce(&[usize]) -> Result<usize, IdxError>,
) -> Result<(Vec<usize>, Vec<u8>), IdxError> {
    let io = |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    };
    let gzipped = input.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let mut input: Box<dyn Read + '_> = if gzipped {
        Box::new(flate2::bufread::GzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let header_len = 4 + 4 * dims;
    let mut header = Vec::with_capacity(header_len);
    (&mut input)
        .take(header_len as u64)
        .read_to_end(&mut header)
        .map_err(io)?;
    let found = be_u32(&header, 0);
    if found != Some(magic) {
        return Err(IdxError::BadMagic {
            path: path.to_path_buf(),
            expected: magic,
            found,
        });
    }
    if header.len() < header_len {
        return Err(IdxError::Truncated {
            path: path.to_path_buf(),
            expected: header_len,
            actual: header.len(),
        });
    }
    let sizes: Vec<usize> = (0..dims)
        .map(|d| be_u32(&header, 4 + 4 * d).map_or(0, |v| v as usize))
        .collect();
    let data_len = check(&sizes)?;
    let expected = header_len.saturating_add(data_len);
    // Grows with what actually arrives (never a buffer of a size the header merely claims).
    let mut data = Vec::with_capacity(data_len.min(1 << 20));
    (&mut input)
        .take(data_len as u64)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() < data_len {
        return Err(IdxError::Truncated {
            path: path.to_path_buf(),
            expected,
            actual: header_len + data.len(),
        });
    }
    let mut one = [0u8; 1];
    let more = loop {
        match input.read(&mut one) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    };
    if more > 0 {
        return Err(IdxError::TrailingData {
            path: path.to_path_buf(),
            expected,
        });
    }
    Ok((sizes, data))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
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
    images_from(open(path)?, path)
}

/// Reads an image file from any reader (gzipped or raw), streaming: the header is checked
/// first, then exactly the bytes it declares are read; `name` only names the source in errors.
///
/// ```
/// // A header announcing 28 x 28 images, and no image: an empty set.
/// let bytes: &[u8] = &[0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28];
/// let images = backprop::data::read_images_from(bytes, "bytes")?;
/// assert_eq!(images.count, 0);
/// # Ok::<(), backprop::data::IdxError>(())
/// ```
pub fn read_images_from(reader: impl Read, name: impl AsRef<Path>) -> Result<Images, IdxError> {
    images_from(BufReader::new(reader), name.as_ref())
}

/// Parses the bytes of an image file (gzipped or raw); `name` only names the source in errors.
///
/// ```
/// let err = backprop::data::parse_images(vec![0, 0, 8, 1], "bytes").unwrap_err();
/// assert_eq!(err.to_string(), "bytes: not an IDX file of this kind: magic number 2049, expected 2051");
/// ```
pub fn parse_images(bytes: Vec<u8>, name: impl AsRef<Path>) -> Result<Images, IdxError> {
    let path = name.as_ref();
    images_from(&bytes[..], path)
}

fn images_from(input: impl BufRead, path: &Path) -> Result<Images, IdxError> {
    let (dims, pixels) = read_idx(input, path, 2051, 3, |d| {
        if (d[1], d[2]) != (28, 28) {
            return Err(IdxError::BadDimensions {
                path: path.to_path_buf(),
                found: (d[1] as u32, d[2] as u32),
            });
        }
        Ok(d[0].saturating_mul(28 * 28))
    })?;
    Ok(Images {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels,
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
    labels_from(open(path)?, path)
}

/// Reads a label file from any reader (gzipped or raw), streaming, like [`read_images_from`].
///
/// ```
/// let bytes: &[u8] = &[0, 0, 8, 1, 0, 0, 0, 2, 7, 3, 9];
/// let err = backprop::data::read_labels_from(bytes, "bytes").unwrap_err();
/// assert!(err.to_string().contains("goes on after them"));
/// ```
pub fn read_labels_from(reader: impl Read, name: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    labels_from(BufReader::new(reader), name.as_ref())
}

/// Parses the bytes of a label file (gzipped or raw); `name` only names the source in errors.
///
/// ```
/// let labels = backprop::data::parse_labels(vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 3], "bytes").unwrap();
/// assert_eq!(labels, vec![7, 3]);
/// ```
pub fn parse_labels(bytes: Vec<u8>, name: impl AsRef<Path>) -> Result<Vec<u8>, IdxError> {
    let path = name.as_ref();
    labels_from(&bytes[..], path)
}

fn labels_from(input: impl BufRead, path: &Path) -> Result<Vec<u8>, IdxError> {
    let (_, labels) = read_idx(input, path, 2049, 1, |d| Ok(d[0]))?;
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
