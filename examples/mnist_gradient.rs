//! The 784-300-100-10 network of the MNIST benchmark (logistic hidden layers, softmax
//! cross-entropy), on one synthetic sample: a few steps of gradient descent, written with the
//! closure API. Also the program whose build time and debug size the crate tracks.
//!
//! Run: `cargo run --release --example mnist_gradient`

use std::time::Instant;

use backprop::prelude::*;

type Params = (
    Matrix<f64, U300, U784>,
    Vector<f64, U300>,
    Matrix<f64, U100, U300>,
    Vector<f64, U100>,
    Matrix<f64, U10, U100>,
    Vector<f64, U10>,
);

/// Deterministic values in [-scale, scale).
fn values(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn main() -> Result<(), backprop::ShapeError> {
    let mut p: Params = (
        Matrix::try_from_vec(values(1, 300 * 784, 0.036))?,
        Vector::zeros(),
        Matrix::try_from_vec(values(2, 100 * 300, 0.058))?,
        Vector::zeros(),
        Matrix::try_from_vec(values(3, 10 * 100, 0.1))?,
        Vector::zeros(),
    );
    let x =
        Vector::<f64, U784>::try_from_vec(values(4, 784, 0.5).iter().map(|v| v + 0.5).collect())?;
    let t = Vector::<f64, U10>::from_fn(|i| if i == 7 { 1.0 } else { 0.0 });
    let loss = |(w1, b1, w2, b2, w3, b3): backprop::entry::Placeholders<Params>| {
        let h1 = (w1.matvec(constant(&x)) + b1).logistic();
        let h2 = (w2.matvec(h1) + b2).logistic();
        softmax_cross_entropy(w3.matvec(h2) + b3, constant(&t))
    };
    let mut g = p.zero_like();
    let start = Instant::now();
    let steps = 20;
    for step in 0..steps {
        g = g.zero_like();
        let y = value_and_grad_acc(loss, &p, &mut g);
        // p -= 0.1 g, walking both in the same order
        let mut grads = Vec::with_capacity(300 * 784);
        g.for_each_scalar(&mut |v| grads.push(v));
        let mut i = 0;
        p.for_each_scalar_mut(&mut |w| {
            *w -= 0.1 * grads[i];
            i += 1;
        });
        if step % 5 == 0 {
            println!("step {step:2}: loss {y:.6}");
        }
    }
    println!(
        "{steps} steps in {:.1} ms; final loss {:.6}",
        start.elapsed().as_secs_f64() * 1e3,
        eval(loss, &p)
    );
    Ok(())
}
