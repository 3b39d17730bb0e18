//! The MNIST network and its data, shared by `examples/mnist.rs` (one process) and
//! `examples/mnist_mpi.rs` (data-parallel over MPI), so that both train exactly the same model.
// Each example uses its own subset of these items.
#![allow(dead_code)]

use std::path::PathBuf;

use backprop::data::{load_mnist, Images};
use backprop::nn::{Dense, Rng};
use backprop::prelude::*;

/// Single precision: twice the arithmetic per instruction and half the memory traffic of f64,
/// with the same accuracy on this problem.
#[derive(Backprop, Clone)]
pub struct Net {
    pub l1: Dense<f32, U784, U300>,
    pub l2: Dense<f32, U300, U100>,
    pub l3: Dense<f32, U100, U10>,
}

/// Training and test images with their labels, and where they came from.
pub struct Data {
    pub train: (Images, Vec<u8>),
    pub test: (Images, Vec<u8>),
    pub source: String,
}

/// A synthetic stand-in: ten noisy prototypes, 28x28 like MNIST.
pub fn synthetic(rng: &mut Rng) -> Data {
    let protos: Vec<Vec<u8>> = (0..10)
        .map(|_| {
            (0..784)
                .map(|_| if rng.uniform(0.0, 1.0) < 0.2 { 255 } else { 0 })
                .collect()
        })
        .collect();
    let mut make = |n: usize| {
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        let pixels = labels
            .iter()
            .flat_map(|&l| protos[l as usize].clone())
            .map(|p| {
                if rng.uniform(0.0, 1.0) < 0.1 {
                    255 - p
                } else {
                    p
                }
            })
            .collect();
        (
            Images {
                count: n,
                rows: 28,
                cols: 28,
                pixels,
            },
            labels,
        )
    };
    let (train, test) = (make(2000), make(500));
    Data {
        train,
        test,
        source: "synthetic data (2,000 training and 500 test samples)".into(),
    }
}

/// Adds the gradient of the summed loss of the samples `idx` (any number) into `g` and
/// returns that summed loss: fifty at a time, one sample a row, through matrix-matrix
/// products; a remainder ten, then one, at a time.
pub fn batch_grad(net: &Net, data: &(Images, Vec<u8>), idx: &[usize], g: &mut Net) -> f64 {
    let mut fifties = idx.chunks_exact(50);
    let mut loss: f64 = (&mut fifties)
        .map(|c| rows_grad::<U50>(net, data, c, g))
        .sum();
    let mut tens = fifties.remainder().chunks_exact(10);
    loss += (&mut tens)
        .map(|c| rows_grad::<U10>(net, data, c, g))
        .sum::<f64>();
    loss += tens
        .remainder()
        .chunks(1)
        .map(|c| rows_grad::<U1>(net, data, c, g))
        .sum::<f64>();
    loss
}

/// [`batch_grad`] for exactly `B` samples.
fn rows_grad<B: backprop::Dim>(
    net: &Net,
    (images, labels): &(Images, Vec<u8>),
    idx: &[usize],
    g: &mut Net,
) -> f64 {
    let x = inputs::<B>(images, idx);
    let t = Matrix::<f32, B, U10>::from_fn(|r, c| {
        if c == labels[idx[r]] as usize {
            1.0
        } else {
            0.0
        }
    });
    value_and_grad_acc(
        |net| {
            let h1 = constant(&x).matmul_t(net.l1.w).add_row(net.l1.b).logistic();
            let h2 = h1.matmul_t(net.l2.w).add_row(net.l2.b).logistic();
            softmax_cross_entropy_rows(h2.matmul_t(net.l3.w).add_row(net.l3.b), constant(&t))
        },
        net,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
    .into()
}

/// The images `idx` (exactly `B` of them), one a row, pixels scaled to [0, 1].
pub fn inputs<B: backprop::Dim>(images: &Images, idx: &[usize]) -> Matrix<f32, B, U784> {
    let mut x = Matrix::<f32, B, U784>::zeros();
    for (row, &i) in x.as_mut_slice().chunks_exact_mut(784).zip(idx) {
        for (v, &p) in row.iter_mut().zip(images.image(i)) {
            *v = f32::from(p) / 255.0;
        }
    }
    x
}

/// The network's outputs (before the softmax) for a batch of `B` images, one a row.
pub fn logits<B: backprop::Dim>(net: &Net, x: &Matrix<f32, B, U784>) -> Matrix<f32, B, U10> {
    eval(
        |net: backprop::entry::Placeholders<Net>| {
            let h1 = constant(x).matmul_t(net.l1.w).add_row(net.l1.b).logistic();
            let h2 = h1.matmul_t(net.l2.w).add_row(net.l2.b).logistic();
            h2.matmul_t(net.l3.w).add_row(net.l3.b)
        },
        net,
    )
}

/// How many of the images `range` are classified right, a hundred at a time through matrix
/// products (a last partial hundred one by one).
pub fn correct(
    net: &Net,
    (images, labels): &(Images, Vec<u8>),
    range: std::ops::Range<usize>,
) -> usize {
    let right = |logits: &[f32], label: u8| {
        let best = (0..10).max_by(|&a, &b| logits[a].total_cmp(&logits[b]));
        best == Some(label as usize)
    };
    let idx: Vec<usize> = range.collect();
    let mut count = 0;
    let mut chunks = idx.chunks_exact(100);
    for chunk in &mut chunks {
        let out = logits(net, &inputs::<U100>(images, chunk));
        count += chunk
            .iter()
            .enumerate()
            .filter(|&(r, &i)| right(out.row(r), labels[i]))
            .count();
    }
    for &i in chunks.remainder() {
        let out = logits(net, &inputs::<U1>(images, &[i]));
        count += usize::from(right(out.row(0), labels[i]));
    }
    count
}

/// The share of `images` classified right.
pub fn accuracy(net: &Net, data: &(Images, Vec<u8>)) -> f64 {
    correct(net, data, 0..data.0.count) as f64 / data.0.count as f64
}

/// The folder when none is given: the download cache (fetched into on first use) with the
/// `download` feature, else the shared data folder beside the checkout.
pub fn default_folder() -> Result<PathBuf, String> {
    #[cfg(feature = "download")]
    {
        backprop::data::download::fetch_mnist(None).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "download"))]
    {
        Ok(PathBuf::from("../shared/data/mnist"))
    }
}

/// The data: MNIST from `folder`, or from [`default_folder`] when none is given; synthetic data
/// (drawn from `rng`) when neither can be read, said in one line.
pub fn load(folder: Option<&String>, rng: &mut Rng) -> Data {
    let folder = match folder {
        Some(folder) => Ok(PathBuf::from(folder)),
        None => default_folder(),
    };
    match folder.and_then(|f| load_mnist(&f).map(|m| (f, m)).map_err(|e| e.to_string())) {
        Ok((folder, m)) => Data {
            train: (m.train_images, m.train_labels),
            test: (m.test_images, m.test_labels),
            source: format!("MNIST from {}", folder.display()),
        },
        Err(e) => {
            eprintln!("No MNIST data ({e}): training on synthetic data instead.");
            synthetic(rng)
        }
    }
}

/// A freshly initialised network (Xavier, drawn from `rng`).
pub fn new_net(rng: &mut Rng) -> Net {
    Net {
        l1: Dense::xavier(rng),
        l2: Dense::xavier(rng),
        l3: Dense::xavier(rng),
    }
}

/// The step size of epoch `epoch` (from 1): 3e-3 shrinking by 15% an epoch, fast progress
/// first, then the fine fitting that takes the test accuracy past 98% (a constant 1e-3 stalls
/// near 97.8%).
pub fn step_size(epoch: usize) -> f32 {
    3e-3 * 0.85_f32.powi(epoch as i32 - 1)
}
