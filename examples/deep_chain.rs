//! A 100-layer network written out layer by layer (8 wide, tanh, squared error): it compiles
//! with the default recursion limit, and its gradient is right. `dense` makes each layer one
//! node, so the expression nests 100 deep; written as `(w.matvec(h) + b).tanh()` (three nodes a
//! layer) the default limit (128) is reached near 40 layers. Beyond about 120 nested layers, raise
//! it: `#![recursion_limit = "256"]` at the top of the crate builds 200.
//!
//! For deep stacks of identical layers, `fold` (see `tests/deep_network.rs`) is the better tool:
//! its type does not grow with depth, so it compiles in a fraction of the time and its debug
//! symbols stay small.
//!
//! Run: `cargo run --release --example deep_chain`

use backprop::ops::map::Tanh;
use backprop::prelude::*;

type Layer = (Matrix<f64, U8, U8>, Vector<f64, U8>);
type Group = (Layer, Layer, Layer, Layer, Layer);
type Block = (Group, Group, Group, Group, Group);
/// 4 blocks x 5 groups x 5 layers.
type Net = (Block, Block, Block, Block);

/// Five dense layers from the five layers of a group.
macro_rules! group {
    ($h:ident, $g:expr) => {
        let $h = $h.dense($g.0 .0, $g.0 .1, Tanh);
        let $h = $h.dense($g.1 .0, $g.1 .1, Tanh);
        let $h = $h.dense($g.2 .0, $g.2 .1, Tanh);
        let $h = $h.dense($g.3 .0, $g.3 .1, Tanh);
        let $h = $h.dense($g.4 .0, $g.4 .1, Tanh);
    };
}

/// Twenty-five layers from a block.
macro_rules! block {
    ($h:ident, $b:expr) => {
        group!($h, $b.0);
        group!($h, $b.1);
        group!($h, $b.2);
        group!($h, $b.3);
        group!($h, $b.4);
    };
}

fn layer(seed: usize) -> Layer {
    let v = |i: usize| (((seed * 131 + i * 71) % 97) as f64 / 97.0 - 0.5) * 1.2;
    (
        Matrix::from_fn(|r, c| v(r * 8 + c)),
        Vector::from_fn(|i| v(100 + i) * 0.2),
    )
}

fn net() -> Net {
    let mut k = 0;
    let mut l = || {
        k += 1;
        layer(k)
    };
    let mut g = || (l(), l(), l(), l(), l());
    let mut b = || (g(), g(), g(), g(), g());
    (b(), b(), b(), b())
}

/// The same network as plain loops over the layers, for the value.
fn forward_by_hand(p: &Net, x: &[f64; 8]) -> [f64; 8] {
    let mut layers = Vec::new();
    for b in [&p.0, &p.1, &p.2, &p.3] {
        for g in [&b.0, &b.1, &b.2, &b.3, &b.4] {
            layers.extend([&g.0, &g.1, &g.2, &g.3, &g.4]);
        }
    }
    let mut h = *x;
    for (w, bias) in layers {
        h = core::array::from_fn(|r| {
            (bias[r] + (0..8).map(|c| w[(r, c)] * h[c]).sum::<f64>()).tanh()
        });
    }
    h
}

fn main() {
    let p = net();
    let xs = [0.5, -0.3, 0.8, 0.1, -0.9, 0.4, 0.0, 0.7];
    let x = Vector::<f64, U8>::from(xs);
    let t = Vector::<f64, U8>::filled(0.1);
    let loss = |(b0, b1, b2, b3): backprop::entry::Placeholders<Net>| {
        let h = constant(&x);
        block!(h, b0);
        block!(h, b1);
        block!(h, b2);
        block!(h, b3);
        squared_error(h, constant(&t))
    };
    let (y, g) = value_and_grad(loss, &p);
    let out = forward_by_hand(&p, &xs);
    let want: f64 = out.iter().map(|o| (o - 0.1) * (o - 0.1)).sum();
    assert!((y - want).abs() < 1e-12, "{y} vs {want}");
    // The first layer's gradient is non-zero: it flowed back through all 100 layers.
    assert!(g.0 .0 .0 .1.iter().any(|&v| v != 0.0));
    let report = check_grad(loss, &p, 1e-6);
    assert!(report.passed(1e-6), "{report}");
    assert_eq!(report.checked, 100 * (64 + 8));
    println!("100 nested dense layers: loss {y:.6}, gradient check: {report}");
}
