//! Regression tests for results that used to be silently wrong: gradient buffers of the wrong
//! shape, checkpoints loaded into another structure, optimizer state matched by position,
//! `parallel_grad`'s zeroing, and concurrent or interrupted checkpoint saves.

use std::collections::{BTreeMap, HashMap};

use backprop::nn::checkpoint::{load, save, CheckpointError};
use backprop::nn::{parallel_grad, Adam, Momentum, NoBuffers, Optimizer};
use backprop::prelude::*;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-trust-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("params.ckpt")
}

#[test]
fn a_gradient_buffer_of_another_length_is_an_error_and_is_left_alone() {
    let x = vec![1.0_f64, 2.0, 3.0];
    for bad in [vec![], vec![7.0; 2], vec![7.0; 5]] {
        let mut g = bad.clone();
        let err = value_and_grad_acc(|x| x.sum_items(), &x, &mut g).unwrap_err();
        assert!(err.to_string().contains("Vec<f64>"), "{err}");
        assert_eq!(g, bad, "the buffer must not change");
        // `product` and `maximum` used to panic on such a buffer.
        let mut g = bad.clone();
        assert!(value_and_grad_acc(|x| x.product(), &x, &mut g).is_err());
        let mut g = bad.clone();
        assert!(value_and_grad_acc(|x| x.maximum(), &x, &mut g).is_err());
    }
    // The right shape works and accumulates.
    let mut g = vec![1.0; 3];
    assert_eq!(value_and_grad_acc(|x| x.sum_items(), &x, &mut g), Ok(6.0));
    assert_eq!(g, vec![2.0; 3]);
    // Maps: other keys are an error too.
    let m = BTreeMap::from([("a".to_string(), 1.0_f64), ("b".to_string(), 2.0)]);
    let mut g = BTreeMap::from([("a".to_string(), 0.0_f64), ("c".to_string(), 0.0)]);
    let key = "a".to_string();
    assert!(value_and_grad_acc(|m| m.lookup_or(&key, &0.0), &m, &mut g).is_err());
}

#[test]
fn a_vjp_seed_of_another_shape_is_an_error() {
    let x = vec![1.0_f64, 2.0];
    assert!(vjp(|x| x.map_items(|v| v * 2.0), &x, vec![1.0]).is_err());
    let (y, g) = vjp(|x| x.map_items(|v| v * 2.0), &x, vec![1.0, 10.0]).unwrap();
    assert_eq!((y, g), (vec![2.0, 4.0], vec![2.0, 20.0]));
}

#[test]
fn parallel_grad_zeroes_buffers_from_the_parameters_and_refuses_no_buffers() {
    let w = vec![2.0_f64, -1.0];
    let xs: Vec<f64> = (1..=9).map(f64::from).collect();
    let f = |w: &Vec<f64>, chunk: &[f64], g: &mut Vec<f64>| -> f64 {
        chunk
            .iter()
            .map(|&x| {
                value_and_grad_acc(|w| w.map_items(|v| (v * x).powi(2)).sum_items(), w, g).unwrap()
            })
            .sum()
    };
    let sq: f64 = xs.iter().map(|x| x * x).sum();
    // Buffers that start empty (as `vec![Vec::new(); 2]`) used to give a wrong loss and gradient.
    let mut buffers = vec![Vec::new(); 2];
    let loss = parallel_grad(&w, &xs, &mut buffers, f).unwrap();
    assert_eq!(loss, 5.0 * sq);
    assert_eq!(buffers[0], vec![4.0 * sq, -2.0 * sq]);
    // No buffer: an error, and `f` is never called (it used to return a loss of 0).
    let mut none: Vec<Vec<f64>> = vec![];
    let called = std::sync::atomic::AtomicBool::new(false);
    let r = parallel_grad(&w, &xs, &mut none, |_, _, _| {
        called.store(true, std::sync::atomic::Ordering::SeqCst);
        1.0
    });
    assert_eq!(r, Err(NoBuffers));
    assert!(!called.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn checkpoints_of_nested_sequences_keep_their_lengths() {
    let path = tmp("nested");
    save(&path, &vec![vec![1.0_f64, 2.0], vec![3.0]]).unwrap();
    // The same number of scalars, another structure: it used to load as [[1], [2, 3]].
    let err = load(&path, &vec![vec![0.0_f64], vec![0.0, 0.0]]).unwrap_err();
    assert!(matches!(err, CheckpointError::WrongShape { .. }), "{err}");
    assert!(err.to_string().contains("[[_ x2], [_]]"), "{err}");
    assert_eq!(
        load(&path, &vec![vec![0.0_f64; 2], vec![0.0]]).unwrap(),
        vec![vec![1.0, 2.0], vec![3.0]]
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn checkpoints_of_maps_keep_their_keys() {
    let path = tmp("keys");
    let saved = HashMap::from([("weight".to_string(), 1.0_f64), ("bias".to_string(), 2.0)]);
    save(&path, &saved).unwrap();
    // It used to load with the values assigned by position: alpha = bias's, beta = weight's.
    let other = HashMap::from([("alpha".to_string(), 0.0_f64), ("beta".to_string(), 0.0)]);
    let err = load(&path, &other).unwrap_err();
    assert!(
        err.to_string().contains(r#"{"bias": _, "weight": _}"#),
        "{err}"
    );
    let template = HashMap::from([("weight".to_string(), 0.0_f64), ("bias".to_string(), 0.0)]);
    assert_eq!(load(&path, &template).unwrap(), saved);
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Pair {
    w: Vector<f64, U6>,
}
#[derive(Backprop, Clone, Debug, PartialEq)]
struct Grid {
    w: Matrix<f64, U2, U3>,
}
#[derive(Backprop, Clone, Debug, PartialEq)]
struct Renamed {
    v: Vector<f64, U6>,
}

#[test]
fn checkpoints_check_field_names_and_tensor_sizes_not_type_names() {
    let path = tmp("fields");
    save(
        &path,
        &Pair {
            w: Vector::filled(1.0),
        },
    )
    .unwrap();
    // Six scalars each, but a matrix is not a vector and `v` is not `w`.
    let err = load(&path, &Grid { w: Matrix::zeros() }).unwrap_err();
    assert!(
        err.to_string().contains("{w: Vector<6>}") && err.to_string().contains("{w: Matrix<2, 3>}"),
        "{err}"
    );
    assert!(load(&path, &Renamed { v: Vector::zeros() }).is_err());
    // A struct of another name (or module) with the same structure loads: names of types are
    // not part of the format.
    #[derive(Backprop, Clone, Debug, PartialEq)]
    struct Moved {
        w: Vector<f64, U6>,
    }
    assert_eq!(
        load(&path, &Moved { w: Vector::zeros() }).unwrap().w,
        Vector::filled(1.0)
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn adam_keeps_each_keys_moments_when_a_key_is_inserted() {
    // Two runs: one where `b` exists from the start, one where `a` (sorting before it) is
    // inserted later. `b`'s trajectory must not change when `a` appears.
    let grad_of = |p: &BTreeMap<&'static str, f64>| -> BTreeMap<&'static str, f64> {
        p.iter()
            .map(|(k, v)| (*k, 2.0 * (v - if *k == "b" { 3.0 } else { -1.0 })))
            .collect()
    };
    let mut alone = BTreeMap::from([("b", 0.0_f64)]);
    let mut opt_alone = Adam::new(0.1);
    let mut grown = BTreeMap::from([("b", 0.0_f64)]);
    let mut opt_grown = Adam::new(0.1);
    for step in 0..20 {
        if step == 5 {
            grown.insert("a", 0.0);
        }
        let g = grad_of(&alone);
        opt_alone.step(&mut alone, &g).unwrap();
        let g = grad_of(&grown);
        opt_grown.step(&mut grown, &g).unwrap();
        assert_eq!(
            alone["b"], grown["b"],
            "step {step}: b's moments were disturbed"
        );
    }
    // And the new key moves towards its own target from a fresh state.
    assert!(grown["a"] < 0.0);
    // Momentum keeps velocities by key too.
    let mut p = BTreeMap::from([("b", 1.0_f64)]);
    let mut opt = Momentum::new(0.1, 0.9);
    opt.step(&mut p, &BTreeMap::from([("b", 1.0)])).unwrap();
    p.insert("a", 1.0);
    opt.step(&mut p, &BTreeMap::from([("a", 0.0), ("b", 0.0)]))
        .unwrap();
    // b kept its velocity 1 (0.9 of it applied); a got none.
    assert!(
        (p["b"] - (1.0 - 0.1 - 0.09)).abs() < 1e-15 && p["a"] == 1.0,
        "{p:?}"
    );
    // A gradient of another shape than the parameters is an error, and nothing moves.
    let before = p.clone();
    assert!(opt.step(&mut p, &BTreeMap::from([("b", 1.0)])).is_err());
    assert_eq!(p, before);
}

#[test]
fn concurrent_saves_to_one_path_never_fail_nor_show_a_torn_file() {
    let path = tmp("concurrent");
    let big = |v: f64| vec![v; 20_000];
    save(&path, &big(0.0)).unwrap();
    std::thread::scope(|s| {
        for t in 0..2 {
            let path = &path;
            s.spawn(move || {
                for i in 0..50 {
                    save(path, &big((t * 1000 + i) as f64)).expect("a concurrent save failed");
                }
            });
        }
        s.spawn(|| {
            for _ in 0..200 {
                let p = load(&path, &big(0.0)).expect("a load saw a torn checkpoint");
                assert!(p.iter().all(|&x| x == p[0]));
            }
        });
    });
    let dir = path.parent().unwrap();
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        1,
        "temporary files were left"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_save_removes_the_temporary_files_interrupted_saves_left() {
    let path = tmp("stale");
    let dir = path.parent().unwrap().to_path_buf();
    // What a killed save leaves: one of a process that is gone, one of this process that nobody
    // has touched for an hour, and one of another checkpoint (which must stay).
    let gone = dir.join("params.ckpt.tmp-4000000000-0");
    let old = dir.join(format!("params.ckpt.tmp-{}-999", std::process::id()));
    let unrelated = dir.join("other.ckpt.tmp-4000000000-0");
    for f in [&gone, &old, &unrelated] {
        std::fs::write(f, b"half a checkpoint").unwrap();
    }
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    save(&path, &1.0_f64).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, vec!["other.ckpt.tmp-4000000000-0", "params.ckpt"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn loading_reads_no_more_than_a_checkpoint_of_the_template_can_hold() {
    let path = tmp("bounded");
    // A big checkpoint of other parameters: rejected for its structure, from its header.
    save(&path, &vec![0.5_f64; 1_000_000]).unwrap();
    let err = load(&path, &(0.0_f64, 0.0_f64)).unwrap_err();
    assert!(matches!(err, CheckpointError::WrongShape { .. }), "{err}");
    // A right checkpoint with a large tail appended: damaged.
    save(&path, &(1.0_f64, 2.0_f64)).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, 10_000_000));
    std::fs::write(&path, &bytes).unwrap();
    let err = load(&path, &(0.0_f64, 0.0_f64)).unwrap_err();
    assert!(matches!(err, CheckpointError::Corrupted { .. }), "{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
