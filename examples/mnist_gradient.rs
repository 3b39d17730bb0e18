//! The 784-300-100-10 network of the MNIST benchmark (logistic hidden layers, softmax
//! cross-entropy), on one synthetic sample: a few steps of gradient descent, written with the
//! closure API. Also the program whose build time and debug size the crate tracks.
//!
//! Run: `cargo run --release --example mnist_gradient`

use std::time::Instant;

use backprop::nn::{Dense, Optimizer, Rng, Sgd};
use backprop::prelude::*;

type Params = (
    Matrix<f64, U300, U784>,
    Vector<f64, U300>,
    Matrix<f64, U100, U300>,
    Vector<f64, U100>,
    Matrix<f64, U10, U100>,
    Vector<f64, U10>,
);

fn main() {
    let mut rng = Rng::new(1);
    let l1: Dense<f64, U784, U300> = Dense::xavier(&mut rng);
    let l2: Dense<f64, U300, U100> = Dense::xavier(&mut rng);
    let l3: Dense<f64, U100, U10> = Dense::xavier(&mut rng);
    let mut p: Params = (l1.w, l1.b, l2.w, l2.b, l3.w, l3.b);
    let x = Vector::<f64, U784>::from_fn(|_| rng.uniform(0.0, 1.0));
    let t = Vector::<f64, U10>::from_fn(|i| if i == 7 { 1.0 } else { 0.0 });
    let loss = |(w1, b1, w2, b2, w3, b3): backprop::entry::Placeholders<Params>| {
        let h1 = (w1.matvec(constant(&x)) + b1).logistic();
        let h2 = (w2.matvec(h1) + b2).logistic();
        softmax_cross_entropy(w3.matvec(h2) + b3, constant(&t))
    };
    let mut g = p.zero_like();
    let mut sgd = Sgd::new(0.1);
    let start = Instant::now();
    let steps = 20;
    // Each part of the gradient is written once over the kept buffer: no zeroing, no allocation.
    assert!(backprop::entry::writes_once(loss, &p));
    for step in 0..steps {
        let y = value_and_grad_into(loss, &p, &mut g)
            .expect("the gradient buffer has the parameters' shape");
        sgd.step(&mut p, &g)
            .expect("a gradient shaped like the parameters");
        if step % 5 == 0 {
            println!("step {step:2}: loss {y:.6}");
        }
    }
    println!(
        "{steps} steps in {:.1} ms; final loss {:.6}",
        start.elapsed().as_secs_f64() * 1e3,
        eval(loss, &p)
    );
}
