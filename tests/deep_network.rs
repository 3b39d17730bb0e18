//! Deep networks: 100 and 200 identical layers as a `fold` over a `Vec` of layers. The
//! expression's type does not depend on the depth, so both compile with the default recursion
//! limit, fast, with small debug symbols. (`examples/deep_chain.rs` writes 100 layers out one by
//! one instead; CI builds it.)

use backprop::ops::map::Tanh;
use backprop::prelude::*;

type Layer = (Matrix<f64, U8, U8>, Vector<f64, U8>);

fn layers(n: usize) -> Vec<Layer> {
    (0..n)
        .map(|k| {
            let v = |i: usize| (((k * 131 + i * 71) % 97) as f64 / 97.0 - 0.5) * 1.2;
            (
                Matrix::from_fn(|r, c| v(r * 8 + c)),
                Vector::from_fn(|i| v(100 + i) * 0.2),
            )
        })
        .collect()
}

/// The network as plain loops, for the value.
fn forward_by_hand(layers: &[Layer], x: &[f64; 8]) -> [f64; 8] {
    let mut h = *x;
    for (w, b) in layers {
        h = core::array::from_fn(|r| (b[r] + (0..8).map(|c| w[(r, c)] * h[c]).sum::<f64>()).tanh());
    }
    h
}

fn check_depth(n: usize) {
    let net = layers(n);
    let xs = [0.5, -0.3, 0.8, 0.1, -0.9, 0.4, 0.0, 0.7];
    let x = Vector::<f64, U8>::from(xs);
    let t = Vector::<f64, U8>::filled(0.1);
    let loss = |ls: Placeholders<Vec<Layer>>| {
        let out = ls.fold(constant(&x), |(h, (w, b))| h.dense(w, b, Tanh));
        squared_error(out, constant(&t))
    };
    let (y, g) = value_and_grad(loss, &net);
    let out = forward_by_hand(&net, &xs);
    let want: f64 = out.iter().map(|o| (o - 0.1) * (o - 0.1)).sum();
    assert!((y - want).abs() < 1e-12, "{y} vs {want}");
    assert_eq!(g.len(), n);
    // The gradient reached the first layer through all the others.
    assert!(g[0].0.iter().any(|&v| v != 0.0));
    let report = check_grad(loss, &net, 1e-6);
    assert!(report.passed(1e-6), "{n} layers: {report}");
    assert_eq!(report.checked, n * (64 + 8));
}

#[test]
fn a_100_layer_network() {
    check_depth(100);
}

#[test]
fn a_200_layer_network() {
    check_depth(200);
}

#[test]
fn fold_over_an_empty_sequence_is_its_initial_value() {
    let x = Vector::<f64, U8>::filled(0.5);
    let (y, g) = value_and_grad(
        |(ls, h0)| ls.fold(h0, |(h, (w, b))| h.dense(w, b, Tanh)).sum(),
        &(Vec::<Layer>::new(), x),
    );
    assert_eq!((y, g.1), (4.0, Vector::filled(1.0)));
    assert!(g.0.is_empty());
}
