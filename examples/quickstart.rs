//! A first tour: gradients of scalar, heterogeneous and bound expressions, then a small network
//! trained by gradient descent on XOR.
//!
//! Run: `cargo run --release --example quickstart`

use backprop::nn::{Optimizer, Sgd};
use backprop::prelude::*;

fn main() {
    // 1. The gradient of a scalar function.
    let (y, dy) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f64);
    println!("f(0.5) = {y:.6}, f'(0.5) = {dy:.6}");

    // 2. A scalar, a vector and a matrix in one computation; the gradient has the same types.
    let s = 2.0_f64;
    let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
    let m: Matrix<f64, U2, U3> = Matrix::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
    let input = (s, v, m);
    let (y, (ds, dv, dm)) = value_and_grad(
        |(s, v, m)| m.matvec(v).tanh().sum() * s + s * v.dot(v),
        &input,
    );
    println!("g = {y:.6}\n  dg/ds = {ds:.6}\n  dg/dv = {dv:.6}\n  dg/dm = {dm:.6}");

    // 3. Check it against central differences, as a user would for a custom op.
    let report = check_grad(
        |(s, v, m)| m.matvec(v).tanh().sum() * s + s * v.dot(v),
        &input,
        1e-6,
    );
    println!("gradient check: {report}");
    assert!(report.passed(1e-6));

    // 4. Train a 2-4-1 network on XOR with plain gradient descent.
    type Params = (
        Matrix<f64, U4, U2>,
        Vector<f64, U4>,
        Matrix<f64, U1, U4>,
        Vector<f64, U1>,
    );
    let mut p: Params = (
        Matrix::from([[0.5, -0.4], [-0.3, 0.8], [0.9, 0.7], [-0.6, -0.5]]),
        Vector::from([0.1, -0.1, 0.0, 0.2]),
        Matrix::from([[0.7, -0.5, 0.6, -0.8]]),
        Vector::from([0.0]),
    );
    let data: Vec<(Vector<f64, U2>, Vector<f64, U1>)> = [
        ([0., 0.], 0.),
        ([0., 1.], 1.),
        ([1., 0.], 1.),
        ([1., 1.], 0.),
    ]
    .iter()
    .map(|&(x, t)| (Vector::from(x), Vector::from([t])))
    .collect();
    let mut g = p.zero_like();
    let mut sgd = Sgd::new(0.5);
    for epoch in 0..=2000 {
        g = g.zero_like();
        let mut loss = 0.0;
        for (x, t) in &data {
            loss += value_and_grad_acc(
                |(w1, b1, w2, b2)| {
                    let h = (w1.matvec(constant(x)) + b1).tanh();
                    squared_error((w2.matvec(h) + b2).logistic(), constant(t))
                },
                &p,
                &mut g,
            )
            .expect("the gradient buffer has the parameters' shape");
        }
        // p -= 0.5 g, on every scalar of the parameter tuple
        sgd.step(&mut p, &g)
            .expect("a gradient shaped like the parameters");
        if epoch % 500 == 0 {
            println!("epoch {epoch:4}: loss {loss:.5}");
        }
    }
    for (x, t) in &data {
        let y = eval(
            |(w1, b1, w2, b2)| (w2.matvec((w1.matvec(constant(x)) + b1).tanh()) + b2).logistic(),
            &p,
        );
        println!("xor({}, {}) = {:.3} (target {})", x[0], x[1], y[0], t[0]);
        assert!((y[0] - t[0]).abs() < 0.2, "the network did not learn XOR");
    }
}
