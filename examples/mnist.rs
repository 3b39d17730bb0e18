//! Trains the 784-300-100-10 network (logistic hidden layers, softmax cross-entropy) on MNIST and
//! prints its test accuracy: the showcase of Haskell's `backprop`, here with static shapes and no
//! tape.
//!
//! Run: `cargo run --release --example mnist -- [mnist folder] [epochs] [checkpoint file]`
//!
//! With a checkpoint file, training starts from it when it exists and saves to it after every
//! epoch (atomically), so a run can stop and resume.
//!
//! The folder holds the four IDX files (gzipped or raw). Given no folder, the example uses the
//! download cache with the `download` feature (`cargo run --release --features download
//! --example mnist`: the first run fetches MNIST into `~/.cache/backprop/mnist`, or
//! `$BACKPROP_CACHE/mnist`, checked against its published SHA-256), and `../shared/data/mnist`
//! without it. When the data cannot be had (offline, a wrong folder) it trains on a small
//! synthetic data set instead and says so in one line.

#[path = "common/mnist_net.rs"]
mod mnist_net;

use std::path::PathBuf;
use std::time::Instant;

use backprop::nn::{checkpoint, parallel_grad, Adam, Optimizer, Rng};
use backprop::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use mnist_net::{accuracy, batch_grad, load, new_net, step_size};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let epochs: usize = args.get(2).and_then(|e| e.parse().ok()).unwrap_or(15);
    let mut rng = Rng::new(2024);
    let data = load(args.get(1), &mut rng);
    println!("{}", data.source);
    let mut net = new_net(&mut rng);
    let ckpt = args.get(3).map(PathBuf::from);
    if let Some(path) = ckpt.as_ref().filter(|p| p.exists()) {
        match checkpoint::load(path, &net) {
            Ok(loaded) => {
                net = loaded;
                println!("resumed from {}", path.display());
            }
            Err(e) => {
                eprintln!("cannot resume: {e}");
                std::process::exit(1);
            }
        }
    }
    let mut opt = Adam::new(3e-3_f32);
    // Batches of 100 samples, split across two threads: each computes the gradient of its 50
    // samples with matrix-matrix products, into its own buffer (`parallel_grad`).
    let batch = 100;
    let n = data.train.0.count;
    let mut order: Vec<usize> = (0..n).collect();
    let mut grads = [net.zero_like(), net.zero_like()];
    let start = Instant::now();
    let mut summary = Vec::new();
    for epoch in 1..=epochs {
        opt.lr = step_size(epoch);
        rng.shuffle(&mut order);
        let bar = ProgressBar::new(n as u64);
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap()
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{epoch}/{epochs}"));
        let epoch_start = Instant::now();
        let mut total_loss = 0.0;
        let mut seen = 0;
        // A last partial batch is left for the next epoch's shuffle.
        for (b, chunk) in order.chunks_exact(batch).enumerate() {
            let loss = parallel_grad(&net, chunk, &mut grads, |net, idx, g| {
                batch_grad(net, &data.train, idx, g)
            })
            .expect("at least one buffer");
            total_loss += loss;
            seen += chunk.len();
            let g = &mut grads[0];
            let scale = 1.0 / chunk.len() as f32;
            g.for_each_slice_mut(&mut |run| run.iter_mut().for_each(|v| *v *= scale));
            opt.step(&mut net, g)
                .expect("a gradient shaped like the parameters");
            if b % 20 == 0 {
                bar.set_position(seen as u64);
                bar.set_message(format!(
                    "loss {:.4}, {:.0} samples/s",
                    total_loss / seen as f64,
                    seen as f64 / epoch_start.elapsed().as_secs_f64()
                ));
            }
        }
        let n = seen;
        bar.finish_and_clear();
        let acc = accuracy(&net, &data.test);
        let secs = epoch_start.elapsed().as_secs_f64();
        println!(
            "epoch {epoch}/{epochs}: mean loss {:.4}, test accuracy {:.2}%, {:.1} s ({:.0} samples/s)",
            total_loss / n as f64,
            100.0 * acc,
            secs,
            n as f64 / secs
        );
        summary.push((epoch, total_loss / n as f64, acc, secs));
        if let Some(path) = &ckpt {
            if let Err(e) = checkpoint::save(path, &net) {
                eprintln!("cannot save the checkpoint: {e}");
                std::process::exit(1);
            }
        }
    }
    println!("\n| epoch | mean loss | test accuracy | seconds |\n|---:|---:|---:|---:|");
    for (e, l, a, s) in &summary {
        println!("| {e} | {l:.4} | {:.2}% | {s:.1} |", 100.0 * a);
    }
    let final_acc = summary.last().map_or(0.0, |s| s.2);
    println!(
        "\nfinal test accuracy {:.2}% after {} epochs in {:.0} s ({})",
        100.0 * final_acc,
        epochs,
        start.elapsed().as_secs_f64(),
        data.source
    );
}
