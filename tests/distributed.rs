//! `backprop::distributed` under MPI. Run it with several processes:
//!
//! ```sh
//! cargo test --features mpi --test distributed --no-run   # prints the binary's path
//! mpirun --oversubscribe -np 3 target/debug/deps/distributed-<hash>
//! ```
//!
//! (`cargo test --features mpi` runs it as a single process, where every check still holds.)
//! Not libtest: MPI is initialised once per process, and a failed check on one rank aborts
//! the whole job (`MPI_Abort`) rather than leave the other ranks waiting in a collective.

use std::collections::BTreeMap;

use backprop::distributed::{
    all_reduce_mean, all_reduce_sum, broadcast, check_in_sync, mpi, shard_range, DataParallel,
    DistributedError,
};
use backprop::nn::{Optimizer, Sgd};
use backprop::prelude::*;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

#[derive(Backprop, Clone, Debug, PartialEq)]
struct Params {
    w: Matrix<f64, U2, U3>,
    b: Vector<f64, U2>,
    scale: f64,
    named: BTreeMap<String, f64>,
    extra: Vec<f64>,
}

fn params(seed: f64) -> Params {
    Params {
        w: Matrix::from_fn(|r, c| seed + 0.1 * (r * 3 + c) as f64 - 0.25),
        b: Vector::from_fn(|i| seed * 0.5 - 0.1 * i as f64),
        scale: 1.0 + seed,
        named: BTreeMap::from([("bias".to_string(), 0.2 * seed), ("gain".to_string(), 1.5)]),
        extra: vec![seed, -seed, 0.5],
    }
}

/// The summed loss of some samples, its gradient added into `g`.
fn shard_loss(p: &Params, samples: &[(Vector<f64, U3>, f64)], g: &mut Params) -> f64 {
    samples
        .iter()
        .map(|(x, y)| {
            value_and_grad_acc(
                |p| {
                    let h = (p.w.matvec(constant(x)) + p.b).tanh().sum() * p.scale;
                    let e = p.extra.sum_items();
                    (h + p.named.lookup_or("bias", &0.0) * p.named.lookup_or("gain", &1.0) + e - *y)
                        .powi(2)
                },
                p,
                g,
            )
            .expect("a buffer shaped like the parameters")
        })
        .sum()
}

fn samples(n: usize) -> Vec<(Vector<f64, U3>, f64)> {
    (0..n)
        .map(|i| {
            let t = i as f64;
            (
                Vector::from([(0.7 * t).sin(), (0.3 * t).cos(), 0.1 * t - 0.4]),
                (0.5 * t).sin(),
            )
        })
        .collect()
}

struct Checks<'w> {
    world: &'w SimpleCommunicator,
    rank: usize,
    size: usize,
    passed: usize,
}

impl Checks<'_> {
    /// Aborts every rank, with the reason, when `ok` fails on this one.
    fn check(&mut self, ok: bool, what: &str) {
        if !ok {
            eprintln!("rank {} of {}: FAILED: {what}", self.rank, self.size);
            self.world.abort(1);
        }
        self.passed += 1;
    }
}

fn close(a: &Params, b: &Params, tol: f64) -> bool {
    let (mut xs, mut ys) = (vec![], vec![]);
    a.for_each_scalar(&mut |v| xs.push(v));
    b.for_each_scalar(&mut |v| ys.push(v));
    xs.len() == ys.len()
        && xs
            .iter()
            .zip(&ys)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())))
}

fn main() {
    let (universe, _) =
        mpi::initialize_with_threading(mpi::Threading::Funneled).expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let mut c = Checks {
        world: &world,
        rank,
        size,
        passed: 0,
    };
    let r = rank as f64;
    let n = size as f64;

    // Sum and mean of a record with a matrix, a vector, a scalar, a map and a Vec: closed
    // forms of sums over ranks (sum of r = n(n-1)/2).
    let ranks_sum = n * (n - 1.0) / 2.0;
    let mut g = params(r);
    all_reduce_sum(&world, &mut g).unwrap();
    let mut expected = params(0.0);
    expected.w = Matrix::from_fn(|i, j| ranks_sum + n * (0.1 * (i * 3 + j) as f64 - 0.25));
    expected.b = Vector::from_fn(|i| 0.5 * ranks_sum - n * 0.1 * i as f64);
    expected.scale = n + ranks_sum;
    expected.named = BTreeMap::from([
        ("bias".to_string(), 0.2 * ranks_sum),
        ("gain".to_string(), 1.5 * n),
    ]);
    expected.extra = vec![ranks_sum, -ranks_sum, 0.5 * n];
    c.check(close(&g, &expected, 1e-13), "all_reduce_sum of a record");
    let mut m = (r as f32, Vector::<f32, U2>::from([1.0, 2.0 * r as f32]));
    all_reduce_mean(&world, &mut m).unwrap();
    let mean = (ranks_sum / n) as f32;
    c.check(
        (m.0 - mean).abs() < 1e-6 && m.1[0] == 1.0 && (m.1[1] - 2.0 * mean).abs() < 1e-6,
        "all_reduce_mean of a tuple in f32",
    );

    // Broadcast: rank 0's values everywhere.
    let mut p = params(r);
    broadcast(&world, &mut p).unwrap();
    c.check(p == params(0.0), "broadcast from rank 0");
    c.check(check_in_sync(&world, &p).is_ok(), "in sync after broadcast");

    // A rank whose structure differs (a longer Vec): an error on every rank, nothing summed.
    if size > 1 {
        let mut v = vec![1.0_f64; if rank == size - 1 { 4 } else { 3 }];
        let err = all_reduce_sum(&world, &mut v).unwrap_err();
        c.check(
            err == DistributedError::StructureDiffers {
                ranks: vec![size - 1],
            },
            &format!("a differing structure is refused everywhere (got {err})"),
        );
        c.check(v.iter().all(|&x| x == 1.0), "nothing was summed");
    }

    // The data-parallel gradient equals the single-process gradient of the whole batch, for
    // batch sizes divisible by the rank count and not (7 over 2 or 3 ranks; 2 over 3 leaves a
    // rank without samples).
    for batch_len in [6, 7, 2, 1] {
        let batch = samples(batch_len);
        let mut start = params(0.3 + r); // differs per rank: `new` broadcasts rank 0's
        let mut dp = DataParallel::new(&world, &mut start)
            .unwrap()
            .check_every(1);
        c.check(start == params(0.3), "DataParallel::new broadcasts");
        let mut whole = start.zero_like();
        let whole_loss = shard_loss(&start, &batch, &mut whole);
        let mut whole_mean = whole.zero_like();
        whole_mean.axpy(1.0 / batch_len as f64, &whole).unwrap();
        let mut buffers = vec![start.zero_like(), start.zero_like()];
        let mut stepped = start.clone();
        let mut sgd = Sgd::new(0.1);
        let step = dp
            .step(&mut stepped, &batch, &mut buffers, &mut sgd, shard_loss)
            .unwrap();
        c.check(
            close(&buffers[0], &whole_mean, 1e-12),
            &format!("the all-reduced gradient of {batch_len} samples is the whole batch's"),
        );
        c.check(
            (step.loss - whole_loss / batch_len as f64).abs() < 1e-12 * (1.0 + whole_loss.abs()),
            "the global mean loss",
        );
        let mut by_hand = start.clone();
        Sgd::new(0.1).step(&mut by_hand, &buffers[0]).unwrap();
        c.check(stepped == by_hand, "the step is the optimizer's step");
        c.check(dp.check_in_sync(&stepped).is_ok(), "in sync after the step");
        let mine = shard_range(batch_len, size, rank);
        c.check(
            dp.shard(&batch).len() == mine.len(),
            "the shard is this rank's range",
        );
    }

    // Several steps with the check every step: the parameters stay bit-identical.
    let batch = samples(11);
    let mut p = params(0.1);
    let mut dp = DataParallel::new(&world, &mut p).unwrap().check_every(1);
    let mut buffers = vec![p.zero_like()];
    let mut sgd = Sgd::new(0.05);
    let first = dp
        .step(&mut p, &batch, &mut buffers, &mut sgd, shard_loss)
        .unwrap()
        .loss;
    let mut last = first;
    for _ in 0..20 {
        last = dp
            .step(&mut p, &batch, &mut buffers, &mut sgd, shard_loss)
            .unwrap()
            .loss;
    }
    c.check(last < first, "training lowers the loss");
    c.check(dp.steps() == 21, "steps are counted");

    // A rank whose parameters differ is found by the check, on every rank, and named.
    if size > 1 {
        let mut q = p.clone();
        if rank == size - 1 {
            q.scale += 1e-12;
        }
        let err = dp.check_in_sync(&q).unwrap_err();
        c.check(
            err == DistributedError::Diverged {
                step: 21,
                ranks: vec![size - 1],
            },
            &format!("a diverged rank is named on every rank (got {err})"),
        );
        c.check(
            err.to_string().contains(&format!("ranks [{}]", size - 1)),
            "the message names the rank",
        );
    }

    // A rank whose gradient comes back with another shape: the step is refused everywhere
    // (no rank steps, no rank waits for ever).
    let before = p.clone();
    let bad_rank = size - 1;
    let err = dp
        .step(&mut p, &batch, &mut buffers, &mut sgd, |p, s, g| {
            let loss = shard_loss(p, s, g);
            if rank == bad_rank {
                g.extra.push(0.0);
            }
            loss
        })
        .unwrap_err();
    c.check(
        err == DistributedError::GradientShape { ranks: 1 },
        &format!("a bad gradient is refused on every rank (got {err})"),
    );
    c.check(p == before, "no rank stepped");
    c.check(dp.check_in_sync(&p).is_ok(), "still in sync");

    // A rank whose parameters changed size since training started (a Vec grew): the exchange
    // keeps the agreed length, and the step is refused on every rank.
    let mut grown = p.clone();
    if rank == bad_rank {
        grown.extra.push(1.0);
    }
    let mut fresh = vec![grown.zero_like()];
    let err = dp
        .step(&mut grown, &batch, &mut fresh, &mut sgd, shard_loss)
        .unwrap_err();
    c.check(
        err == DistributedError::GradientShape { ranks: 1 },
        &format!("parameters that changed size are refused on every rank (got {err})"),
    );
    if size > 1 {
        let err = dp.check_in_sync(&grown).unwrap_err();
        c.check(
            matches!(err, DistributedError::Diverged { ref ranks, .. } if ranks == &vec![bad_rank]),
            &format!("and the check names the rank (got {err})"),
        );
    }

    world.barrier();
    if rank == 0 {
        println!(
            "distributed: {} checks passed on each of {size} rank(s)",
            c.passed
        );
    }
}
