//! Checkpoints: a round trip of a derived record, atomic writes, and a clear error (never a panic,
//! never a half-loaded model) for truncated, corrupted and wrong-shape files. Also the parsers
//! against arbitrary bytes (what the fuzz targets in `fuzz/` do, here on stable Rust).

use backprop::nn::checkpoint::{from_bytes, load, save, to_bytes, CheckpointError};
use backprop::nn::{Dense, Rng};
use backprop::prelude::*;
use proptest::prelude::*;

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Small {
    l1: Dense<f64, U3, U4>,
    l2: Dense<f64, U4, U2>,
    scale: f64,
}

fn small(seed: u64) -> Small {
    let mut rng = Rng::new(seed);
    Small {
        l1: Dense::xavier(&mut rng),
        l2: Dense::xavier(&mut rng),
        scale: 0.5,
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("backprop-ckpt-{}-{name}", std::process::id()))
}

#[test]
fn round_trip_and_atomic_overwrite() {
    let path = tmp("roundtrip");
    let a = small(1);
    save(&path, &a).unwrap();
    assert_eq!(load(&path, &small(99)).unwrap(), a);
    // Overwriting replaces the file whole and leaves no temporary file behind.
    let b = small(2);
    save(&path, &b).unwrap();
    assert_eq!(load(&path, &a).unwrap(), b);
    let dir = path.parent().unwrap();
    let stem = path.file_name().unwrap().to_string_lossy().to_string();
    let leftovers = std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("{stem}.tmp"))
        })
        .count();
    assert_eq!(leftovers, 0);
    // f32 parameters are stored in 4 bytes each.
    let p32 = (1.5_f32, Vector::<f32, U3>::from([1.0, -2.0, 0.25]));
    let structure = "(_, Vector<3>)";
    assert_eq!(to_bytes(&p32).len(), 24 + structure.len() + 4 * 4 + 8);
    save(&path, &p32).unwrap();
    assert_eq!(load(&path, &p32).unwrap(), p32);
    // A folder that does not exist is an I/O error, and nothing is written.
    let missing = tmp("missing-dir").join("x.ckpt");
    assert!(matches!(
        save(&missing, &a).unwrap_err(),
        CheckpointError::Io { .. }
    ));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn truncated_files_are_rejected_at_every_length() {
    let bytes = to_bytes(&small(3));
    for len in 0..bytes.len() {
        let err = from_bytes(&bytes[..len], &small(0), "f".as_ref()).unwrap_err();
        assert!(
            matches!(
                err,
                CheckpointError::NotACheckpoint { .. } | CheckpointError::Truncated { .. }
            ),
            "length {len}: {err}"
        );
    }
}

#[test]
fn corrupted_files_are_rejected_whatever_byte_changed() {
    let good = small(4);
    let bytes = to_bytes(&good);
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        match from_bytes(&b, &small(0), "f".as_ref()) {
            Err(_) => {}
            Ok(p) => panic!("byte {i} flipped, loaded {:?}", p == good),
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        from_bytes(&longer, &small(0), "f".as_ref()).unwrap_err(),
        CheckpointError::Corrupted { .. }
    ));
}

#[test]
fn wrong_shapes_are_rejected() {
    let path = tmp("shape");
    save(&path, &small(5)).unwrap();
    // Another type with the same number of scalars.
    let same_count = [0.0_f64; 12 + 4 + 8 + 2 + 1];
    let err = load(&path, &same_count).unwrap_err();
    assert!(matches!(err, CheckpointError::WrongShape { .. }), "{err}");
    assert!(err.to_string().contains("27 scalars of 8 bytes"), "{err}");
    // f32 instead of f64.
    let err = load(&path, &(0.0_f32, Vector::<f32, U3>::zeros())).unwrap_err();
    assert!(matches!(err, CheckpointError::WrongShape { .. }));
    // Not a checkpoint at all.
    std::fs::write(&path, b"hello, world, this is text").unwrap();
    assert!(matches!(
        load(&path, &small(0)).unwrap_err(),
        CheckpointError::NotACheckpoint { .. }
    ));
    std::fs::remove_file(&path).unwrap();
}

proptest! {
    #[test]
    fn the_parsers_never_panic_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = from_bytes(&bytes, &small(0), "f".as_ref());
        #[cfg(feature = "data")]
        {
            let _ = backprop::data::parse_images(bytes.clone(), "f");
            let _ = backprop::data::parse_labels(bytes, "f");
        }
    }

    #[test]
    fn the_parsers_never_panic_on_damaged_headers(
        magic in prop::sample::select(vec![2049u32, 2051]),
        dims in prop::collection::vec(any::<u32>(), 0..4),
        tail in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = magic.to_be_bytes().to_vec();
        for d in dims { bytes.extend(d.to_be_bytes()); }
        bytes.extend(tail);
        let _ = &bytes;
        #[cfg(feature = "data")]
        {
            let _ = backprop::data::parse_images(bytes.clone(), "f");
            let _ = backprop::data::parse_labels(bytes, "f");
        }
    }
}
