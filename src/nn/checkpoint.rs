//! Checkpoints: parameters saved to and loaded from a compact binary file, so that training can
//! stop and resume.
//!
//! Format (little-endian): the magic bytes `BPCK`, a format version (`u32`), the scalar size in
//! bytes (`u32`), the parameters' structure (`u32` length, then UTF-8: what
//! [`Scalars::describe`] writes, such as `{w: Matrix<3, 2>, b: Vector<3>, extra: [_ x4]}`), the
//! number of scalars (`u64`), the scalars in [`Scalars`] walk order, and an FNV-1a checksum
//! (`u64`) of everything before it.
//!
//! The structure, not a type name, is what a load checks: `std::any::type_name` changes with
//! compiler versions and module moves, while a structure records exactly what decides where
//! each scalar goes: field names, vector and matrix sizes, sequence lengths, map keys and
//! `Some`/`None`. A `Vec<Vec<f64>>` saved as `[[1, 2], [3]]` does not load into `[[_], [_, _]]`,
//! and a map saved with keys `weight` and `bias` does not load into `alpha` and `beta`.
//!
//! Writes are atomic: the file is written under a fresh temporary name beside the target
//! (created with `create_new`, so concurrent writers, threads or processes, never share one),
//! flushed to disk, renamed over it, and the directory is flushed, so a crash leaves the old
//! checkpoint or the new one, never half of one. Temporary files that an interrupted save left
//! behind (of the same checkpoint, older than a minute) are removed by the next save. Loads
//! check everything before they touch a parameter, so a truncated, corrupted or wrong-shape
//! file gives an error and never a half-loaded model.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Scalar, Scalars};

const MAGIC: &[u8; 4] = b"BPCK";
/// Version 2 records the structure; version 1 recorded a type name.
const VERSION: u32 = 2;

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
    /// The file holds parameters of another structure, scalar size or count than the ones being
    /// loaded.
    WrongShape {
        /// The file.
        path: PathBuf,
        /// The parameters being loaded: structure (see [`Scalars::describe`]), scalar size and
        /// count.
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
                write!(
                    f,
                    "{}: not a backprop checkpoint (or an unknown version)",
                    path.display()
                )
            }
            CheckpointError::Truncated {
                path,
                expected,
                actual,
            } => write!(
                f,
                "{}: truncated: expected {expected} bytes, found {actual}",
                path.display()
            ),
            CheckpointError::Corrupted { path } => {
                write!(
                    f,
                    "{}: corrupted: the checksum does not match",
                    path.display()
                )
            }
            CheckpointError::WrongShape {
                path,
                expected,
                found,
            } => {
                write!(
                    f,
                    "{}: holds {} scalars of {} bytes shaped `{}`, but {} scalars of {} bytes shaped `{}` were expected",
                    path.display(),
                    found.2,
                    found.1,
                    excerpt(&found.0, &expected.0),
                    expected.2,
                    expected.1,
                    excerpt(&expected.0, &found.0),
                )
            }
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

/// `s` shortened to about 120 characters around where it first differs from `other`, so an error
/// about a large structure shows the part that matters.
fn excerpt(s: &str, other: &str) -> String {
    const SHOW: usize = 120;
    if s.len() <= SHOW {
        return s.to_string();
    }
    let first_diff = s
        .char_indices()
        .zip(other.chars())
        .find(|((_, a), b)| a != b)
        .map_or(other.len().min(s.len()), |((i, _), _)| i);
    let mut start = first_diff.saturating_sub(SHOW / 2);
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + SHOW).min(s.len());
    while !s.is_char_boundary(end) {
        end += 1;
    }
    let pre = if start > 0 { "..." } else { "" };
    let post = if end < s.len() { "..." } else { "" };
    format!("{pre}{}{post}", &s[start..end])
}

/// The structure string of `params` (also what `distributed` compares across ranks).
pub(crate) fn structure<T, P: Scalars<T>>(params: &P) -> String {
    let mut s = String::new();
    params.describe(&mut s);
    s
}

/// FNV-1a's starting value.
pub(crate) const FNV1A_START: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a of `bytes`, continuing from `h` (start from [`FNV1A_START`]): a checksum against
/// accidents, not adversaries.
pub(crate) fn fnv1a_extend(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV1A_START, bytes)
}

/// Why a header could not be read.
enum HeaderFault {
    NotACheckpoint,
    /// The bytes end before the header does; the header needs this many.
    Truncated(usize),
}

/// The header: structure, scalar size, scalar count, and where the scalars start.
fn parse_header(bytes: &[u8]) -> Result<(String, usize, usize, usize), HeaderFault> {
    if bytes.len() < 12 || &bytes[..4] != MAGIC {
        return Err(HeaderFault::NotACheckpoint);
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if u32_at(4) != VERSION {
        return Err(HeaderFault::NotACheckpoint);
    }
    let size = u32_at(8) as usize;
    if bytes.len() < 16 {
        return Err(HeaderFault::Truncated(16));
    }
    let name_len = u32_at(12) as usize;
    let count_at = 16usize.saturating_add(name_len);
    if bytes.len() < count_at.saturating_add(8) {
        return Err(HeaderFault::Truncated(count_at.saturating_add(8)));
    }
    let name = String::from_utf8_lossy(&bytes[16..count_at]).into_owned();
    let mut c = [0u8; 8];
    c.copy_from_slice(&bytes[count_at..count_at + 8]);
    let count = u64::from_le_bytes(c) as usize;
    Ok((name, size, count, count_at + 8))
}

/// The checkpoint bytes of `params`.
///
/// ```
/// use backprop::nn::checkpoint::{from_bytes, to_bytes};
/// let bytes = to_bytes(&(1.5_f64, [2.0_f64, 3.0]));
/// assert_eq!(from_bytes(&bytes, &(0.0, [0.0, 0.0]), "memory".as_ref()).unwrap(), (1.5, [2.0, 3.0]));
/// ```
pub fn to_bytes<T: Scalar, P: Scalars<T>>(params: &P) -> Vec<u8> {
    let name = structure(params);
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
    let (name, size, count, data_at) = match parse_header(bytes) {
        Ok(h) => h,
        Err(HeaderFault::NotACheckpoint) => {
            return Err(CheckpointError::NotACheckpoint { path: path_buf() })
        }
        Err(HeaderFault::Truncated(expected)) => return Err(truncated(expected)),
    };
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
    let expected = (structure(template), core::mem::size_of::<T>(), want);
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

/// Saves `params` to `path` atomically: a fresh temporary file beside it, flushed, renamed over
/// `path`, then the directory flushed. Concurrent saves to one path (threads or processes) each
/// write their own temporary file, and the last rename wins with a whole checkpoint; a load
/// never sees half of one.
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
    remove_stale_temp_files(path);
    let bytes = to_bytes(params);
    let (tmp, mut file) = create_temp_file(path).map_err(io)?;
    let write = || -> std::io::Result<()> {
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// The prefix of the temporary files of checkpoint `path`: `<name>.tmp-`.
fn temp_prefix(path: &Path) -> std::ffi::OsString {
    let mut prefix = path.file_name().unwrap_or_default().to_os_string();
    prefix.push(".tmp-");
    prefix
}

/// A new temporary file beside `path`, named `<name>.tmp-<pid>-<n>` and created with
/// `create_new`, so no two writers ever share one.
fn create_temp_file(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let mut name = temp_prefix(path);
        name.push(format!(
            "{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = path.with_file_name(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            // Left by an earlier process with the same pid: try the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// How long a temporary file may go unmodified before a save takes it for abandoned, whatever
/// its writer's process id says.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes the temporary files of checkpoint `path` that interrupted saves left behind: those
/// whose writing process is gone (where the system tells, as Linux's `/proc` does) and those
/// untouched for [`STALE_AFTER`]. Best effort: a file that cannot be removed is left.
fn remove_stale_temp_files(path: &Path) {
    let prefix = temp_prefix(path);
    let prefix = prefix.to_string_lossy();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(rest) = name.strip_prefix(prefix.as_ref()) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let writer_gone = match pid {
            Some(pid) if pid != me => process_gone(pid),
            _ => false,
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if writer_gone || old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// True when the system says no process `pid` runs (Linux: no `/proc/<pid>`); false when it
/// cannot tell.
fn process_gone(pid: u32) -> bool {
    let proc_fs = Path::new("/proc/self");
    proc_fs.exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Flushes the directory holding `path`, so the rename itself survives a crash.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
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
    use std::io::Read;
    let path = path.as_ref();
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    };
    // Bounded: no checkpoint of `template` is longer than `largest` (8-byte scalars), so a
    // larger file (another model's, or not a checkpoint at all) is never read whole.
    let mut scalars = 0usize;
    template.for_each_scalar(&mut |_| scalars += 1);
    let largest = 16 + structure(template).len() + 8 + scalars.saturating_mul(8) + 8;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(largest as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() <= largest {
        return from_bytes(&bytes, template, path);
    }
    // Too long for these parameters: say why from the header when it tells (another structure,
    // size or count), else the file is damaged. The header is read on its own (its structure
    // may be longer than the prefix read so far), up to a bound.
    const HEADER_MAX: u64 = 64 << 20;
    let expected = (structure(template), core::mem::size_of::<T>(), scalars);
    let mut header = Vec::new();
    let mut file = std::fs::File::open(path).map_err(io)?;
    (&mut file).take(16).read_to_end(&mut header).map_err(io)?;
    if header.len() == 16 {
        let name_len = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);
        let rest = (u64::from(name_len) + 8).min(HEADER_MAX);
        file.take(rest).read_to_end(&mut header).map_err(io)?;
    }
    match parse_header(&header) {
        Err(HeaderFault::NotACheckpoint) => Err(CheckpointError::NotACheckpoint {
            path: path.to_path_buf(),
        }),
        Ok((name, size, count, _))
            if (&name, size, count) != (&expected.0, expected.1, expected.2) =>
        {
            Err(CheckpointError::WrongShape {
                path: path.to_path_buf(),
                expected,
                found: (name, size, count),
            })
        }
        _ => Err(CheckpointError::Corrupted {
            path: path.to_path_buf(),
        }),
    }
}
