//! Checkpoints: parameters saved to and loaded from a compact binary file, so that training can
//! stop and resume.
//!
//! Format (little-endian): the magic bytes `BPCK`, a format version (`u32`), the scalar size in
//! bytes (`u32`), the parameter type's name (`u32` length, then UTF-8), the number of scalars
//! (`u64`), the scalars in [`Scalars`] walk order, and an FNV-1a checksum (`u64`) of everything
//! before it.
//!
//! Writes are atomic: the file is written under a temporary name beside the target, flushed to
//! disk, then renamed over it, so a crash leaves the old checkpoint or the new one, never half of
//! one. Loads check everything before they touch a parameter, so a truncated, corrupted or
//! wrong-shape file gives an error and never a half-loaded model.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Scalar, Scalars};

const MAGIC: &[u8; 4] = b"BPCK";
const VERSION: u32 = 1;

/// What went wrong saving or loading a checkpoint.
///
/// ```
/// use backprop::nn::checkpoint::{load, CheckpointError};
/// let err = load("no/such/checkpoint", &0.0_f64).unwrap_err();
/// assert!(matches!(err, CheckpointError::Io { .. }));
/// ```
#[derive(Debug)]
pub enum CheckpointError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the checkpoint magic bytes, or has an unknown version.
    NotACheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// The file is shorter than its header announces.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header announces.
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The checksum does not match: the file was changed or damaged.
    Corrupted {
        /// The file.
        path: PathBuf,
    },
    /// The file holds parameters of another type or size than the ones being loaded.
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The parameters being loaded: type name, scalar size and count.
        expected: (String, usize, usize),
        /// What the file holds.
        found: (String, usize, usize),
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::NotACheckpoint { path } => {
                write!(f, "{}: not a backprop checkpoint (or an unknown version)", path.display())
            }
            CheckpointError::Truncated { path, expected, actual } => write!(
                f,
                "{}: truncated: expected {expected} bytes, found {actual}",
                path.display()
            ),
            CheckpointError::Corrupted { path } => {
                write!(f, "{}: corrupted: the checksum does not match", path.display())
            }
            CheckpointError::WrongShape { path, expected, found } => write!(
                f,
                "{}: holds {} scalars of {} bytes for `{}`, but {} scalars of {} bytes for `{}` were expected",
                path.display(),
                found.2,
                found.1,
                found.0,
                expected.2,
                expected.1,
                expected.0
            ),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The checkpoint bytes of `params`.
///
/// ```
/// use backprop::nn::checkpoint::{from_bytes, to_bytes};
/// let bytes = to_bytes(&(1.5_f64, [2.0_f64, 3.0]));
/// assert_eq!(from_bytes(&bytes, &(0.0, [0.0, 0.0]), "memory".as_ref()).unwrap(), (1.5, [2.0, 3.0]));
/// ```
pub fn to_bytes<T: Scalar, P: Scalars<T>>(params: &P) -> Vec<u8> {
    let name = std::any::type_name::<P>();
    let mut values = Vec::new();
    params.for_each_scalar(&mut |v| values.push(v));
    let size = core::mem::size_of::<T>();
    let mut out = Vec::with_capacity(32 + name.len() + values.len() * size);
    out.extend_from_slice(MAGIC);
    out.extend(VERSION.to_le_bytes());
    out.extend((size as u32).to_le_bytes());
    out.extend((name.len() as u32).to_le_bytes());
    out.extend(name.as_bytes());
    out.extend((values.len() as u64).to_le_bytes());
    for v in values {
        if size == 4 {
            out.extend((v.to_f64() as f32).to_le_bytes());
        } else {
            out.extend(v.to_f64().to_le_bytes());
        }
    }
    let sum = fnv1a(&out);
    out.extend(sum.to_le_bytes());
    out
}

/// Reads checkpoint bytes into a copy of `template` (which gives the shape); `path` only names
/// the source in errors. Everything is checked before any value is used.
///
/// ```
/// use backprop::nn::checkpoint::{from_bytes, to_bytes, CheckpointError};
/// let mut bytes = to_bytes(&[1.0_f64, 2.0]);
/// let last = bytes.len() - 9;
/// bytes[last] ^= 1; // flip a bit of the data
/// let err = from_bytes(&bytes, &[0.0_f64; 2], "memory".as_ref()).unwrap_err();
/// assert!(matches!(err, CheckpointError::Corrupted { .. }));
/// ```
pub fn from_bytes<T: Scalar, P: Scalars<T> + Clone>(
    bytes: &[u8],
    template: &P,
    path: &Path,
) -> Result<P, CheckpointError> {
    let path_buf = || path.to_path_buf();
    let truncated = |expected: usize| CheckpointError::Truncated {
        path: path_buf(),
        expected,
        actual: bytes.len(),
    };
    if bytes.len() < 12 || &bytes[..4] != MAGIC {
        return Err(CheckpointError::NotACheckpoint { path: path_buf() });
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if u32_at(4) != VERSION {
        return Err(CheckpointError::NotACheckpoint { path: path_buf() });
    }
    let size = u32_at(8) as usize;
    if bytes.len() < 16 {
        return Err(truncated(16));
    }
    let name_len = u32_at(12) as usize;
    let count_at = 16usize.saturating_add(name_len);
    if bytes.len() < count_at.saturating_add(8) {
        return Err(truncated(count_at.saturating_add(8)));
    }
    let name = String::from_utf8_lossy(&bytes[16..count_at]).into_owned();
    let mut c = [0u8; 8];
    c.copy_from_slice(&bytes[count_at..count_at + 8]);
    let count = u64::from_le_bytes(c) as usize;
    let data_at = count_at + 8;
    let total = count
        .checked_mul(size)
        .and_then(|n| n.checked_add(data_at + 8))
        .unwrap_or(usize::MAX);
    if bytes.len() < total {
        return Err(truncated(total));
    }
    if bytes.len() > total {
        return Err(CheckpointError::Corrupted { path: path_buf() });
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&bytes[total - 8..]);
    if fnv1a(&bytes[..total - 8]) != u64::from_le_bytes(s) {
        return Err(CheckpointError::Corrupted { path: path_buf() });
    }
    let mut want = 0;
    template.for_each_scalar(&mut |_| want += 1);
    let expected = (
        std::any::type_name::<P>().to_string(),
        core::mem::size_of::<T>(),
        want,
    );
    if (name.as_str(), size, count) != (expected.0.as_str(), expected.1, expected.2) {
        return Err(CheckpointError::WrongShape {
            path: path_buf(),
            expected,
            found: (name, size, count),
        });
    }
    let mut out = template.clone();
    let mut at = data_at;
    out.for_each_scalar_mut(&mut |v| {
        *v = if size == 4 {
            T::from_f64(f64::from(f32::from_le_bytes([
                bytes[at],
                bytes[at + 1],
                bytes[at + 2],
                bytes[at + 3],
            ])))
        } else {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            T::from_f64(f64::from_le_bytes(b))
        };
        at += size;
    });
    Ok(out)
}

/// Saves `params` to `path` atomically (a temporary file beside it, flushed, then renamed).
///
/// ```
/// use backprop::nn::checkpoint::{load, save};
/// let path = std::env::temp_dir().join(format!("bp-doc-{}.ckpt", std::process::id()));
/// save(&path, &(1.0_f64, 2.0_f64))?;
/// assert_eq!(load(&path, &(0.0, 0.0))?, (1.0, 2.0));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), backprop::nn::checkpoint::CheckpointError>(())
/// ```
pub fn save<T: Scalar, P: Scalars<T>>(
    path: impl AsRef<Path>,
    params: &P,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&to_bytes(params))?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Loads parameters shaped like `template` from `path`: a new value, or an error and no change.
///
/// ```no_run
/// use backprop::nn::checkpoint::load;
/// let params = load("model.ckpt", &(0.0_f64, [0.0_f64; 3]))?;
/// # Ok::<(), backprop::nn::checkpoint::CheckpointError>(())
/// ```
pub fn load<T: Scalar, P: Scalars<T> + Clone>(
    path: impl AsRef<Path>,
    template: &P,
) -> Result<P, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, template, path)
}
