//! Fetching MNIST into a cache folder (the `download` feature).
//!
//! [`fetch_mnist`] makes sure a folder holds the four MNIST files, downloading the missing ones,
//! and returns the folder for [`load_mnist`](super::load_mnist):
//!
//! ```no_run
//! use backprop::data::{download, load_mnist};
//! // The cache folder: $BACKPROP_CACHE/mnist, else ~/.cache/backprop/mnist.
//! let folder = download::fetch_mnist(None)?;
//! let mnist = load_mnist(&folder)?;
//! assert_eq!(mnist.train_labels.len(), 60_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - **Where.** The folder is the function's argument when given; else `$BACKPROP_CACHE/mnist`
//!   when the environment variable [`CACHE_ENV`] is set; else `mnist` under the user's cache
//!   folder (`$XDG_CACHE_HOME/backprop`, `~/.cache/backprop`, or `%LOCALAPPDATA%\backprop`).
//! - **Checked.** Every file is checked against its published size and SHA-256
//!   ([`MNIST_FILES`]), those already present included: a file that does not match is fetched
//!   again. Nothing unchecked is ever loaded.
//! - **Atomic.** A download goes to a temporary file of its own in the folder and is renamed
//!   to the final name only once complete and verified, so a crash, a cut connection or a
//!   corrupted transfer never leaves a partial file under the final name, and two processes
//!   fetching into one folder at once both end with good files.
//! - **Bounded.** A response longer than the published size is cut off and rejected, so a
//!   misbehaving server cannot fill the disk.
//! - **Offline.** Each mirror of [`MNIST_MIRRORS`] is tried in turn; when all fail, the error
//!   names every address tried and why it failed, and says where to put the files by hand.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The environment variable that sets the cache root: MNIST goes into `$BACKPROP_CACHE/mnist`.
///
/// ```
/// assert_eq!(backprop::data::download::CACHE_ENV, "BACKPROP_CACHE");
/// ```
pub const CACHE_ENV: &str = "BACKPROP_CACHE";

/// One published file: its name, its size in bytes and the SHA-256 of its bytes.
///
/// ```
/// use backprop::data::download::MNIST_FILES;
/// let total: u64 = MNIST_FILES.iter().map(|f| f.size).sum();
/// assert_eq!(total, 11_594_722);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishedFile {
    /// The file name, the same on every mirror.
    pub name: &'static str,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in lowercase hexadecimal.
    pub sha256: &'static str,
}

/// The four gzipped MNIST files, with the sizes and SHA-256 sums published for them (the same
/// as TensorFlow Datasets' checksums; their MD5 sums are the ones torchvision checks).
pub const MNIST_FILES: [PublishedFile; 4] = [
    PublishedFile {
        name: "train-images-idx3-ubyte.gz",
        size: 9_912_422,
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    PublishedFile {
        name: "train-labels-idx1-ubyte.gz",
        size: 28_881,
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    PublishedFile {
        name: "t10k-images-idx3-ubyte.gz",
        size: 1_648_877,
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    PublishedFile {
        name: "t10k-labels-idx1-ubyte.gz",
        size: 4_542,
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

/// Where MNIST is fetched from, in order: the mirrors PyTorch and TensorFlow use (the original
/// site no longer serves the files reliably). Each address is a folder; the file name is
/// appended.
pub const MNIST_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Why one address did not give a good file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// No response: no network, a name that does not resolve, a refused connection, a timeout.
    Unreachable(String),
    /// The server answered with an HTTP status other than 200.
    Status(u16),
    /// The transfer stopped before the whole file arrived (the connection was cut).
    CutShort {
        /// Bytes received.
        received: u64,
        /// Bytes published.
        expected: u64,
        /// What the connection reported, if anything.
        reason: String,
    },
    /// The server sent more bytes than the published size (the rest was not read).
    TooLong {
        /// Bytes published.
        expected: u64,
    },
    /// The file arrived whole but its SHA-256 is not the published one.
    Checksum {
        /// The published SHA-256.
        expected: &'static str,
        /// The SHA-256 of what arrived.
        actual: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreachable(why) => write!(f, "unreachable ({why})"),
            Problem::Status(code) => write!(f, "HTTP status {code}"),
            Problem::CutShort {
                received,
                expected,
                reason,
            } => {
                write!(f, "cut short after {received} of {expected} bytes")?;
                if !reason.is_empty() {
                    write!(f, " ({reason})")?;
                }
                Ok(())
            }
            Problem::TooLong { expected } => {
                write!(f, "longer than the published {expected} bytes")
            }
            Problem::Checksum { expected, actual } => {
                write!(f, "SHA-256 {actual} is not the published {expected}")
            }
        }
    }
}

/// Fetching failed: the cache folder could not be used, or no mirror gave a good copy of a
/// file. The message fits on one line.
///
/// ```
/// use backprop::data::download::{fetch_mnist_from, DownloadError};
/// let dir = std::env::temp_dir().join("backprop-doc-offline");
/// // Nothing listens on port 9 of the loopback address.
/// let err = fetch_mnist_from(&["http://127.0.0.1:9/"], Some(&dir)).unwrap_err();
/// assert!(matches!(err, DownloadError::Failed { .. }));
/// assert!(err.to_string().starts_with("cannot download train-images-idx3-ubyte.gz"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DownloadError {
    /// No folder was given, [`CACHE_ENV`] is not set and the user's cache folder is unknown
    /// (no home folder).
    NoCacheFolder,
    /// The folder could not be created, or a file in it written, read or renamed.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Every mirror failed for this file.
    Failed {
        /// The file's name.
        file: &'static str,
        /// The folder it was to go into.
        folder: PathBuf,
        /// Each address tried, with why it failed.
        attempts: Vec<(String, Problem)>,
    },
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::NoCacheFolder => write!(
                f,
                "no cache folder: set {CACHE_ENV} or pass a folder (no home folder is known)"
            ),
            DownloadError::Io { path, source } => {
                write!(f, "cannot use {}: {source}", path.display())
            }
            DownloadError::Failed {
                file,
                folder,
                attempts,
            } => {
                write!(f, "cannot download {file}: ")?;
                for (i, (url, problem)) in attempts.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{url}: {problem}")?;
                }
                write!(
                    f,
                    " (offline? put the four MNIST files in {} by hand)",
                    folder.display()
                )
            }
        }
    }
}

impl std::error::Error for DownloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DownloadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The folder MNIST is cached in: `dir` when given, else `$BACKPROP_CACHE/mnist`, else
/// `backprop/mnist` under the user's cache folder.
///
/// ```
/// use backprop::data::download::mnist_folder;
/// use std::path::Path;
/// assert_eq!(mnist_folder(Some(Path::new("/data/mnist")))?, Path::new("/data/mnist"));
/// # Ok::<(), backprop::data::download::DownloadError>(())
/// ```
///
/// # Errors
/// [`DownloadError::NoCacheFolder`] when no folder is given, the variable is not set and no
/// home folder is known.
pub fn mnist_folder(dir: Option<&Path>) -> Result<PathBuf, DownloadError> {
    if let Some(dir) = dir {
        return Ok(dir.to_path_buf());
    }
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let root = if let Some(root) = var(CACHE_ENV) {
        PathBuf::from(root)
    } else if let Some(xdg) = var("XDG_CACHE_HOME") {
        PathBuf::from(xdg).join("backprop")
    } else if let Some(local) = var("LOCALAPPDATA") {
        PathBuf::from(local).join("backprop")
    } else if let Some(home) = var("HOME") {
        PathBuf::from(home).join(".cache").join("backprop")
    } else {
        return Err(DownloadError::NoCacheFolder);
    };
    Ok(root.join("mnist"))
}

/// Makes sure the MNIST folder (see [`mnist_folder`]) holds the four files with their
/// published checksums, downloading what is missing or damaged from [`MNIST_MIRRORS`], and
/// returns the folder.
///
/// ```no_run
/// let folder = backprop::data::download::fetch_mnist(None)?;
/// let mnist = backprop::data::load_mnist(folder)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DownloadError`]: the folder cannot be created or written, or no mirror gave a good copy of
/// a file (offline, say). Files already verified stay in place.
pub fn fetch_mnist(dir: Option<&Path>) -> Result<PathBuf, DownloadError> {
    fetch_mnist_from(&MNIST_MIRRORS, dir)
}

/// [`fetch_mnist`] from mirrors of your choice (a local copy, a company mirror), each an
/// address of a folder holding the four files, tried in order.
///
/// ```no_run
/// let folder = backprop::data::download::fetch_mnist_from(
///     &["http://mirror.example.org/mnist/"],
///     Some("data/mnist".as_ref()),
/// )?;
/// # Ok::<(), backprop::data::download::DownloadError>(())
/// ```
///
/// # Errors
/// As [`fetch_mnist`].
pub fn fetch_mnist_from(mirrors: &[&str], dir: Option<&Path>) -> Result<PathBuf, DownloadError> {
    let folder = mnist_folder(dir)?;
    fs::create_dir_all(&folder).map_err(|source| DownloadError::Io {
        path: folder.clone(),
        source,
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_recv_body(Some(Duration::from_secs(600)))
        .http_status_as_error(false)
        .build()
        .into();
    for file in &MNIST_FILES {
        let target = folder.join(file.name);
        if verified(&target, file) {
            continue;
        }
        let mut attempts = Vec::new();
        let mut done = false;
        for mirror in mirrors {
            let url = format!("{}/{}", mirror.trim_end_matches('/'), file.name);
            match download(&agent, &url, file, &target)? {
                Ok(()) => {
                    done = true;
                    break;
                }
                Err(problem) => attempts.push((url, problem)),
            }
        }
        if !done {
            return Err(DownloadError::Failed {
                file: file.name,
                folder,
                attempts,
            });
        }
    }
    Ok(folder)
}

/// Whether `path` holds `file`'s published bytes.
fn verified(path: &Path, file: &PublishedFile) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    if f.metadata().map(|m| m.len()).ok() != Some(file.size) {
        return false;
    }
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hash.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    hex(&hash.finalize()) == file.sha256
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A temporary file in the target's folder, removed when dropped unless renamed into place.
struct Partial {
    path: PathBuf,
}

impl Partial {
    /// Creates the temporary file: its guard and the open file.
    fn create(target: &Path) -> Result<(Self, File), DownloadError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let folder = target.parent().unwrap_or(Path::new("."));
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        loop {
            // Unique to this process and call, so concurrent fetches never share a file.
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = folder.join(format!(".{name}.{}.{n}.part", std::process::id()));
            match File::options().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((Partial { path }, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(DownloadError::Io { path, source }),
            }
        }
    }

    /// Flushes `file` to disk and renames it to `target` (atomic on one file system).
    fn persist(mut self, file: File, target: &Path) -> Result<(), DownloadError> {
        file.sync_all().map_err(|source| DownloadError::Io {
            path: self.path.clone(),
            source,
        })?;
        drop(file);
        fs::rename(&self.path, target).map_err(|source| DownloadError::Io {
            path: target.to_path_buf(),
            source,
        })?;
        // Make the rename itself durable where folders can be synced (best effort).
        if let Some(dir) = target.parent().and_then(|f| File::open(f).ok()) {
            let _ = dir.sync_all();
        }
        self.path.clear();
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Downloads `url` into `target` through a temporary file, checking size and SHA-256.
/// The outer error is local (the folder cannot be written: no mirror would help); the inner
/// one is this address's problem.
fn download(
    agent: &ureq::Agent,
    url: &str,
    file: &PublishedFile,
    target: &Path,
) -> Result<Result<(), Problem>, DownloadError> {
    let response = match agent.get(url).call() {
        Ok(r) => r,
        Err(e) => return Ok(Err(Problem::Unreachable(e.to_string()))),
    };
    let status = response.status().as_u16();
    if status != 200 {
        return Ok(Err(Problem::Status(status)));
    }
    let (partial, mut out) = Partial::create(target)?;
    // One byte more than published: enough to tell a too-long response, never more.
    let mut body = response.into_body().into_reader().take(file.size + 1);
    let mut hash = Sha256::new();
    let mut received = 0u64;
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Ok(Err(Problem::CutShort {
                    received,
                    expected: file.size,
                    reason: e.to_string(),
                }))
            }
        };
        received += n as u64;
        if received > file.size {
            return Ok(Err(Problem::TooLong {
                expected: file.size,
            }));
        }
        hash.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|source| DownloadError::Io {
                path: partial.path.clone(),
                source,
            })?;
    }
    if received < file.size {
        return Ok(Err(Problem::CutShort {
            received,
            expected: file.size,
            reason: String::new(),
        }));
    }
    let actual = hex(&hash.finalize());
    if actual != file.sha256 {
        return Ok(Err(Problem::Checksum {
            expected: file.sha256,
            actual,
        }));
    }
    partial.persist(out, target)?;
    Ok(Ok(()))
}
