//! The MNIST trainer of `examples/mnist.rs`, data-parallel over MPI: every process (rank)
//! computes the gradient of its share of each global batch of 100, the gradients are summed
//! across ranks in one all-reduce, and every rank takes the same Adam step
//! ([`backprop::distributed::DataParallel`]). Same network, seed, batches and schedule as the
//! single-process trainer, so the same test accuracy (the parameters agree up to the order of
//! the sums).
//!
//! ```sh
//! cargo build --release --features mpi --example mnist_mpi
//! mpirun -np 2 target/release/examples/mnist_mpi ../shared/data/mnist          # 2 processes x 1 thread
//! target/release/examples/mnist_mpi ../shared/data/mnist                       # 1 process x 2 threads
//! mpirun --hostfile hosts -np 8 target/release/examples/mnist_mpi /data/mnist   # 8 machines
//! ```
//!
//! Arguments: `[mnist folder] [epochs] [threads per process]`; by default 15 epochs, and 2
//! threads when alone, 1 per process otherwise. As root, `mpirun` needs `--allow-run-as-root`;
//! with more processes than cores, `--oversubscribe`. On several machines, `hosts` lists one
//! machine a line (`node1 slots=1`), the binary and the data must be at the same path on each
//! (a shared folder, or copies), and each machine reads the data itself.
//!
//! Rank 0 prints, for each epoch, its time and the share of it spent communicating (in the
//! all-reduce, which includes waiting for the slowest rank, and the test-accuracy reduction).

#[path = "common/mnist_net.rs"]
mod mnist_net;

use std::time::{Duration, Instant};

use backprop::distributed::{all_reduce_sum, mpi, shard_range, DataParallel};
use backprop::nn::{Adam, Rng};
use backprop::prelude::*;
use mnist_net::{batch_grad, correct, load, new_net, step_size};
use mpi::traits::*;

fn main() {
    // Threads inside a rank (parallel_grad) never call MPI: `Funneled` is enough.
    let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)
        .expect("MPI initialises once per process");
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(2).and_then(|e| e.parse().ok()).unwrap_or(15);
    let threads: usize = args
        .get(3)
        .and_then(|t| t.parse().ok())
        .unwrap_or(if size == 1 { 2 } else { 1 })
        .max(1);
    let say = |text: String| {
        if rank == 0 {
            println!("{text}");
        }
    };

    // The same random stream as examples/mnist.rs: the data (when synthetic), the weights, then
    // one shuffle an epoch; every rank draws the same numbers.
    let mut rng = Rng::new(2024);
    let data = load(args.get(1), &mut rng);
    let mut net = new_net(&mut rng);
    let mut dp = match DataParallel::new(&world, &mut net) {
        Ok(dp) => dp,
        Err(e) => {
            eprintln!("rank {rank}: {e}");
            world.abort(1);
        }
    };
    say(format!(
        "{}; {size} process(es) x {threads} thread(s), global batch 100",
        data.source
    ));

    let mut opt = Adam::new(3e-3_f32);
    let batch = 100;
    let n = data.train.0.count;
    let mut order: Vec<usize> = (0..n).collect();
    let mut grads = vec![net.zero_like(); threads];
    let start = Instant::now();
    let mut summary = Vec::new();
    for epoch in 1..=epochs {
        opt.lr = step_size(epoch);
        rng.shuffle(&mut order);
        let epoch_start = Instant::now();
        let (mut total_loss, mut seen) = (0.0, 0);
        let (mut communicating, mut computing, mut steps) = (Duration::ZERO, Duration::ZERO, 0u32);
        // A last partial batch is left for the next epoch's shuffle, as in examples/mnist.rs.
        for chunk in order.chunks_exact(batch) {
            let step = dp.step(&mut net, chunk, &mut grads, &mut opt, |net, idx, g| {
                batch_grad(net, &data.train, idx, g)
            });
            match step {
                Ok(step) => {
                    total_loss += step.loss * chunk.len() as f64;
                    communicating += step.communicate;
                    computing += step.compute;
                    steps += 1;
                }
                Err(e) => {
                    eprintln!("rank {rank}: {e}");
                    world.abort(1);
                }
            }
            seen += chunk.len();
        }
        // Test accuracy: each rank counts its share of the test set, one all-reduce sums.
        let tests = data.test.0.count;
        let mine = correct(&net, &data.test, shard_range(tests, size, rank)) as f64;
        let before = Instant::now();
        let mut right = mine;
        if let Err(e) = all_reduce_sum(&world, &mut right) {
            eprintln!("rank {rank}: {e}");
            world.abort(1);
        }
        communicating += before.elapsed();
        let acc = right / tests as f64;
        let secs = epoch_start.elapsed().as_secs_f64();
        let share = communicating.as_secs_f64() / secs;
        say(format!(
            "epoch {epoch}/{epochs}: mean loss {:.4}, test accuracy {:.2}%, {secs:.1} s \
             ({:.0} samples/s), communicating {:.0}%; a step: {:.2} ms computing, {:.2} ms in MPI",
            total_loss / seen as f64,
            100.0 * acc,
            seen as f64 / secs,
            100.0 * share,
            1e3 * computing.as_secs_f64() / f64::from(steps.max(1)),
            1e3 * communicating.as_secs_f64() / f64::from(steps.max(1)),
        ));
        summary.push((epoch, total_loss / seen as f64, acc, secs, share));
    }
    // The parameters must be bit-identical on every rank.
    if let Err(e) = dp.check_in_sync(&net) {
        eprintln!("rank {rank}: {e}");
        world.abort(1);
    }
    say("\n| epoch | mean loss | test accuracy | seconds | communicating |\n|---:|---:|---:|---:|---:|".into());
    for (e, l, a, s, c) in &summary {
        say(format!(
            "| {e} | {l:.4} | {:.2}% | {s:.1} | {:.0}% |",
            100.0 * a,
            100.0 * c
        ));
    }
    let final_acc = summary.last().map_or(0.0, |s| s.2);
    say(format!(
        "\nfinal test accuracy {:.2}% after {epochs} epochs in {:.0} s ({size} process(es) x {threads} thread(s)); parameters identical on every rank",
        100.0 * final_acc,
        start.elapsed().as_secs_f64(),
    ));
}
