//! The `download` feature against a local HTTP server that the test starts on 127.0.0.1,
//! serving `../shared/data/mnist` (never the internet): a good download, a corrupted file, a
//! connection cut halfway, a missing file, a server that sends too much, no server at all,
//! mirrors tried in order, a damaged cache repaired, and two fetches into one folder at once.
#![cfg(feature = "download")]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use backprop::data::download::{
    fetch_mnist_from, mnist_folder, DownloadError, Problem, MNIST_FILES,
};
use backprop::data::load_mnist;

const SHARED: &str = "../shared/data/mnist";

/// A server on an ephemeral loopback port. The first path segment picks its behaviour:
/// `/good/F` serves the file, `/corrupt/F` flips one byte in its middle, `/cut/F` announces
/// the whole length then closes the connection after half, `/long/F` sends the file and more
/// bytes, anything else is a 404. Counts the requests it served.
struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let count = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(stream));
            }
        });
        Server { base, requests }
    }

    fn url(&self, mode: &str) -> String {
        format!("{}/{mode}/", self.base)
    }
}

fn serve(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Skip the headers.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let (mode, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file = Path::new(SHARED).join(name);
    let body = match (mode, std::fs::read(&file)) {
        (_, Err(_)) | ("missing", _) => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        (_, Ok(bytes)) => bytes,
    };
    let mut body = body;
    let announced = body.len();
    match mode {
        "corrupt" => {
            let mid = body.len() / 2;
            body[mid] ^= 0x55;
        }
        "long" => body.extend_from_slice(&[0u8; 4096]),
        _ => {}
    }
    let length = if mode == "long" {
        body.len()
    } else {
        announced
    };
    let header = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    );
    if stream.write_all(header.as_bytes()).is_err() {
        return;
    }
    let send = if mode == "cut" {
        &body[..body.len() / 2]
    } else {
        &body[..]
    };
    let _ = stream.write_all(send);
    let _ = stream.flush();
    // Dropping the stream closes the connection: for `cut`, halfway through the body.
}

/// A fresh folder under the target directory, removed first if an earlier run left it.
fn folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("download-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The names in a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Fetches from the local server in `mode` into a fresh folder, expecting a failure: the
/// error and the folder (`None` when the shared data is not there).
fn failing_fetch(mode: &str) -> Option<(DownloadError, PathBuf)> {
    if !shared_present() {
        return None;
    }
    let server = Server::start();
    let dir = folder(mode);
    let err = fetch_mnist_from(&[&server.url(mode)], Some(&dir)).unwrap_err();
    Some((err, dir))
}

/// The problem with the first address tried for the file that failed.
fn first_problem(err: &DownloadError) -> &Problem {
    match err {
        DownloadError::Failed { attempts, .. } => &attempts[0].1,
        other => panic!("expected a failed download, got {other}"),
    }
}

fn shared_present() -> bool {
    let present = MNIST_FILES
        .iter()
        .all(|f| Path::new(SHARED).join(f.name).exists());
    if !present {
        eprintln!("skipped: {SHARED} is not there");
    }
    present
}

fn all_names() -> Vec<String> {
    let mut names: Vec<String> = MNIST_FILES.iter().map(|f| f.name.to_string()).collect();
    names.sort();
    names
}

#[test]
fn a_good_download_lands_verified_and_loads_and_a_second_fetch_downloads_nothing() {
    if !shared_present() {
        return;
    }
    let server = Server::start();
    let dir = folder("good");
    let got = fetch_mnist_from(&[&server.url("good")], Some(&dir)).unwrap();
    assert_eq!(got, dir);
    assert_eq!(
        listing(&dir),
        all_names(),
        "no temporary file is left behind"
    );
    for f in &MNIST_FILES {
        let copy = std::fs::read(dir.join(f.name)).unwrap();
        assert_eq!(copy, std::fs::read(Path::new(SHARED).join(f.name)).unwrap());
    }
    let mnist = load_mnist(&dir).unwrap();
    assert_eq!(
        (mnist.train_labels.len(), mnist.test_labels.len()),
        (60_000, 10_000)
    );

    let served = server.requests.load(Ordering::SeqCst);
    assert_eq!(served, 4);
    fetch_mnist_from(&[&server.url("good")], Some(&dir)).unwrap();
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        served,
        "the cache was used"
    );
}

#[test]
fn a_corrupted_file_is_rejected_by_its_checksum_and_never_kept() {
    let Some((err, dir)) = failing_fetch("corrupt") else {
        return;
    };
    assert!(
        matches!(&err, DownloadError::Failed { file, .. } if *file == "train-images-idx3-ubyte.gz")
    );
    assert!(
        matches!(first_problem(&err), Problem::Checksum { expected, .. } if *expected == MNIST_FILES[0].sha256),
        "{err}"
    );
    assert!(err.to_string().contains("SHA-256"), "{err}");
    assert!(listing(&dir).is_empty(), "left behind: {:?}", listing(&dir));
}

#[test]
fn a_connection_cut_halfway_leaves_no_partial_file() {
    let Some((err, dir)) = failing_fetch("cut") else {
        return;
    };
    match first_problem(&err) {
        Problem::CutShort {
            received, expected, ..
        } => {
            assert_eq!(*expected, MNIST_FILES[0].size);
            assert!(*received < *expected);
        }
        other => panic!("expected a cut transfer, got {other}"),
    }
    assert!(err.to_string().contains("cut short"), "{err}");
    assert!(listing(&dir).is_empty(), "left behind: {:?}", listing(&dir));
}

#[test]
fn a_server_that_sends_too_much_is_cut_off() {
    let Some((err, dir)) = failing_fetch("long") else {
        return;
    };
    assert!(
        matches!(first_problem(&err), Problem::TooLong { .. }),
        "{err}"
    );
    assert!(listing(&dir).is_empty());
}

#[test]
fn mirrors_are_tried_in_order_and_the_error_names_each() {
    if !shared_present() {
        return;
    }
    let server = Server::start();
    let dir = folder("mirrors");
    // A missing file, then a corrupted one, then a good one: the third wins.
    let mirrors = [
        server.url("missing"),
        server.url("corrupt"),
        server.url("good"),
    ];
    let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
    fetch_mnist_from(&mirrors, Some(&dir)).unwrap();
    assert_eq!(listing(&dir), all_names());

    // Without the good one, the error lists both failures on one line.
    let dir = folder("mirrors-bad");
    let err = fetch_mnist_from(&mirrors[..2], Some(&dir)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("HTTP status 404") && text.contains("SHA-256"),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[test]
fn offline_is_a_clear_error_that_says_where_to_put_the_files() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = folder("offline");
    let url = format!("http://127.0.0.1:{port}/mnist/");
    let err = fetch_mnist_from(&[&url], Some(&dir)).unwrap_err();
    assert!(
        matches!(first_problem(&err), Problem::Unreachable(_)),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("put the four MNIST files in {}", dir.display())),
        "{text}"
    );
    assert!(listing(&dir).is_empty());
}

#[test]
fn a_damaged_file_in_the_cache_is_fetched_again() {
    if !shared_present() {
        return;
    }
    let server = Server::start();
    let dir = folder("repair");
    fetch_mnist_from(&[&server.url("good")], Some(&dir)).unwrap();
    // Damage one file and cut another short.
    let labels = dir.join(MNIST_FILES[1].name);
    let mut bytes = std::fs::read(&labels).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&labels, &bytes).unwrap();
    let test_labels = dir.join(MNIST_FILES[3].name);
    std::fs::write(&test_labels, b"short").unwrap();
    let before = server.requests.load(Ordering::SeqCst);
    fetch_mnist_from(&[&server.url("good")], Some(&dir)).unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst) - before, 2);
    assert_eq!(
        std::fs::read(&labels).unwrap(),
        std::fs::read(Path::new(SHARED).join(MNIST_FILES[1].name)).unwrap()
    );
    load_mnist(&dir).unwrap();
}

#[test]
fn two_fetches_into_one_folder_at_once_both_end_with_good_files() {
    if !shared_present() {
        return;
    }
    let server = Server::start();
    let dir = folder("concurrent");
    let url = server.url("good");
    std::thread::scope(|s| {
        let a = s.spawn(|| fetch_mnist_from(&[&url], Some(&dir)));
        let b = s.spawn(|| fetch_mnist_from(&[&url], Some(&dir)));
        a.join().unwrap().unwrap();
        b.join().unwrap().unwrap();
    });
    assert_eq!(listing(&dir), all_names());
    load_mnist(&dir).unwrap();
}

#[test]
fn the_folder_is_the_argument_else_the_environment_variable() {
    assert_eq!(
        mnist_folder(Some(Path::new("/x/y"))).unwrap(),
        PathBuf::from("/x/y")
    );
    // The variable is read by this test alone (no other test here sets or reads it).
    std::env::set_var("BACKPROP_CACHE", "/tmp/backprop-cache-test");
    let from_env = mnist_folder(None).unwrap();
    std::env::remove_var("BACKPROP_CACHE");
    assert_eq!(from_env, PathBuf::from("/tmp/backprop-cache-test/mnist"));
}
