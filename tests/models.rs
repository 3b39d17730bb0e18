//! The model vocabulary of `nn`: every model's value against the recurrence written out by
//! hand, its gradient against central differences (at ordinary points, saturated ones and an
//! empty sequence), and what forward keeps per step.

#[macro_use]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use backprop::nn::{
    ar, chain, lagged, recurrently, stateless, train_state, unroll, unroll_last, zero_state, Dense,
    Gru, Linear, Lstm, Rng, RnnCell,
};
use backprop::ops::map::{Identity, Tanh};
use backprop::prelude::*;

/// Tracks the bytes the current thread has live on the heap, and their peak.
struct Tracking;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counters are
// thread-local `Cell`s, which neither allocate nor panic (`try_with` ignores a thread that is
// being torn down).
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| {
            l.set(l.get() + layout.size() as isize);
            let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Tracking = Tracking;

/// The most bytes `f` had live on the heap at once, beyond what was live before it.
fn peak_bytes_of(f: impl FnOnce()) -> isize {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    f();
    PEAK.with(Cell::get) - before
}

/// Every scalar of `a` within `tol` (relative) of the matching one of `b`.
fn assert_close_scalars<V: Scalars<f64>>(a: &V, b: &V, tol: f64) {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    a.for_each_scalar(&mut |x| xs.push(x));
    b.for_each_scalar(&mut |y| ys.push(y));
    assert_eq!(xs.len(), ys.len());
    for (i, (x, y)) in xs.iter().zip(&ys).enumerate() {
        assert!(common::close(*x, *y, tol), "scalar {i}: {x} vs {y}");
    }
}

fn sine(n: usize, step: f64) -> Vec<Vector<f64, U1>> {
    (0..n)
        .map(|t| Vector::from([(t as f64 * step).sin()]))
        .collect()
}

fn rnn_cell<I: backprop::Dim, H: backprop::Dim>(seed: u64, scale: f64) -> RnnCell<f64, I, H> {
    RnnCell {
        wx: common::matrix(seed, -scale, scale),
        wh: common::matrix(seed + 1, -scale, scale),
        b: common::vector(seed + 2, -0.1, 0.1),
    }
}

/// `tanh(W_x x + W_h h + b)`, by hand.
fn rnn_step(c: &RnnCell<f64, U1, U3>, x: &Vector<f64, U1>, h: &Vector<f64, U3>) -> Vector<f64, U3> {
    Vector::from_fn(|i| {
        let mut z = c.wx[(i, 0)] * x[0] + c.b[i];
        for j in 0..3 {
            z += c.wh[(i, j)] * h[j];
        }
        z.tanh()
    })
}

#[test]
fn unroll_gives_every_state_of_the_recurrence_and_a_correct_gradient() {
    // ordinary weights, then weights large enough to saturate tanh
    for (seed, scale) in [(1, 0.5), (7, 3.0)] {
        let cell: RnnCell<f64, U1, U3> = rnn_cell(seed, scale);
        let xs = sine(12, 0.7);
        let states = eval(|p| unroll(p, zero_state()).run(constant(&xs)), &cell);
        let mut h = Vector::zeros();
        assert_eq!(states.len(), xs.len());
        for (x, got) in xs.iter().zip(&states) {
            h = rnn_step(&cell, x, &h);
            assert!(got.approx_eq(&h, 1e-14), "{got:?} vs {h:?}");
        }
        let loss = |p: Placeholders<RnnCell<f64, U1, U3>>| {
            unroll(p, zero_state())
                .run(constant(&xs))
                .map_items(|h| h.powi(2).sum())
                .sum_items()
        };
        assert_grad!(loss, &cell);
    }
}

#[test]
fn an_empty_sequence_reads_the_output_from_the_initial_state() {
    let cell: RnnCell<f64, U1, U3> = rnn_cell(3, 0.5);
    let (none, h0) = (
        Vec::<Vector<f64, U1>>::new(),
        Vector::<f64, U3>::from([0.1, 0.2, 0.3]),
    );
    let last = eval(
        |p| unroll_last(p, constant(&h0)).run(constant(&none)),
        &cell,
    );
    assert_eq!(last, h0);
    let all = eval(|p| unroll(p, constant(&h0)).run(constant(&none)), &cell);
    assert!(all.is_empty());
    // no step reads a weight: the gradient is zero, and the trained initial state gets the seed
    let (g, gh0) = grad(
        |(p, h0)| unroll_last(p, train_state(h0)).run(constant(&none)).sum(),
        &(cell, h0),
    );
    assert_eq!(g.wh, Matrix::zeros());
    assert_eq!(gh0, Vector::filled(1.0));
}

#[test]
fn unroll_last_of_an_lstm_is_the_fold_written_out() {
    let cell: Lstm<f64, U1, U4> = Lstm::xavier(&mut Rng::new(11));
    let xs = sine(25, 0.4);
    let zero = Vector::<f64, U4>::zeros();
    let model = |p: Placeholders<Lstm<f64, U1, U4>>| {
        unroll_last(p, zero_state())
            .run(constant(&xs))
            .powi(2)
            .sum()
    };
    let written = |p: Placeholders<Lstm<f64, U1, U4>>| {
        constant(&xs)
            .fold(tuple((constant(&zero), constant(&zero))), |((h, c), x)| {
                p.step(x, h, c)
            })
            .get_field(U0)
            .powi(2)
            .sum()
    };
    // the same computation; the state's gradient is summed in another order (one tuple of
    // `(h, c)` against two placeholders), so it agrees to rounding
    let ((a, ga), (b, gb)) = (value_and_grad(model, &cell), value_and_grad(written, &cell));
    assert_eq!(a, b);
    assert_close_scalars(&ga, &gb, 1e-13);
    assert_grad!(model, &cell);
}

#[test]
fn a_gru_unrolled_with_a_readout_layer_matches_central_differences() {
    type Net = (Gru<f64, U1, U3>, Dense<f64, U3, U1>);
    let mut rng = Rng::new(5);
    let net: Net = (Gru::xavier(&mut rng), Dense::xavier(&mut rng));
    let xs = sine(15, 0.9);
    let targets: Vec<Vector<f64, U1>> = xs.iter().map(|x| Vector::from([x[0] * 0.5])).collect();
    // every step's output through the readout, against its target
    let loss = |(cell, readout): Placeholders<Net>| {
        let per_step = unroll(chain(cell, readout), zero_state()).run(constant(&xs));
        (per_step
            .map_items(|y| y.sum())
            .fold(constant(&0.0), |(acc, y)| acc + y * y))
            + constant(&targets).map_items(|t| t.sum()).sum_items()
    };
    assert_grad!(loss, &net);
    // the readout's outputs are the dense layer applied to every state
    let outs = eval(
        |(cell, readout)| unroll(chain(cell, readout), zero_state()).run(constant(&xs)),
        &net,
    );
    let states = eval(
        |(cell, _)| unroll(cell, zero_state()).run(constant(&xs)),
        &net,
    );
    for (y, h) in outs.iter().zip(&states) {
        let by_hand = net.1.b[0] + (0..3).map(|j| net.1.w[(0, j)] * h[j]).sum::<f64>();
        assert!((y[0] - by_hand).abs() < 1e-14);
    }
}

#[test]
fn chained_stateless_models_are_the_layers_written_out() {
    type Mlp = (Dense<f64, U2, U4>, Dense<f64, U4, U1>);
    let mut rng = Rng::new(2);
    let net: Mlp = (Dense::xavier(&mut rng), Dense::xavier(&mut rng));
    for x in [[0.3, -0.7], [25.0, -40.0]] {
        let x = Vector::<f64, U2>::from(x);
        let model =
            |(a, b): Placeholders<Mlp>| chain(a.with(Tanh), b).run(constant(&x)).powi(2).sum();
        let written = |(a, b): Placeholders<Mlp>| {
            constant(&x)
                .dense(a.w, a.b, Tanh)
                .dense(b.w, b.b, Identity)
                .powi(2)
                .sum()
        };
        assert_eq!(value_and_grad(model, &net), value_and_grad(written, &net));
        assert_grad!(model, &net);
    }
}

#[test]
fn a_lifted_stateless_model_maps_over_the_sequence() {
    let layer: Dense<f64, U1, U2> = Dense::xavier(&mut Rng::new(8));
    let xs = sine(6, 1.1);
    let unrolled = eval(
        |l| unroll(stateless(l.with(Tanh)), zero_state()).run(constant(&xs)),
        &layer,
    );
    let mapped = eval(
        |l| constant(&xs).map_items(|x| x.dense(l.w, l.b, Tanh)),
        &layer,
    );
    assert_eq!(unrolled, mapped);
    let loss = |l: Placeholders<Dense<f64, U1, U2>>| {
        unroll_last(stateless(l.with(Tanh)), zero_state())
            .run(constant(&xs))
            .sum()
    };
    assert_grad!(loss, &layer);
}

#[test]
fn recurrently_is_an_rnn_cell_with_its_weights_side_by_side() {
    let cell: RnnCell<f64, U1, U3> = rnn_cell(21, 0.8);
    // [W_x W_h] as one dense layer on [x; h]
    let layer = Dense::<f64, U4, U3> {
        w: Matrix::from_fn(|i, j| {
            if j == 0 {
                cell.wx[(i, 0)]
            } else {
                cell.wh[(i, j - 1)]
            }
        }),
        b: cell.b.clone(),
    };
    let xs = sine(20, 0.5);
    let by_cell = eval(|p| unroll(p, zero_state()).run(constant(&xs)), &cell);
    let by_layer = eval(
        |l| unroll(recurrently(l.with(Tanh)), zero_state()).run(constant(&xs)),
        &layer,
    );
    for (a, b) in by_cell.iter().zip(&by_layer) {
        assert!(a.approx_eq(b, 1e-15));
    }
    let loss = |l: Placeholders<Dense<f64, U4, U3>>| {
        unroll_last(recurrently(l.with(Tanh)), zero_state())
            .run(constant(&xs))
            .sum()
    };
    assert_grad!(loss, &layer);
}

#[test]
fn ar_predicts_from_the_window_and_its_gradient_has_the_closed_form() {
    let series = common::values(4, 30, -2.0, 2.0);
    let m = Linear::<f64, U3> {
        w: Vector::from([0.2, -0.3, 0.9]),
        b: 0.1,
    };
    let w0 = Vector::<f64, U3>::from([series[0], series[1], series[2]]);
    let inputs = series[3..29].to_vec();
    let preds = eval(|p| unroll(ar(p), constant(&w0)).run(constant(&inputs)), &m);
    // the prediction after x_t is w . [x_{t-2}, x_{t-1}, x_t] + b
    for (k, p) in preds.iter().enumerate() {
        let t = k + 3;
        let by_hand = m.b + m.w[0] * series[t - 2] + m.w[1] * series[t - 1] + m.w[2] * series[t];
        assert!((p - by_hand).abs() < 1e-14);
    }
    // the sum of squared predictions: d/dw = 2 sum_t p_t window_t, d/db = 2 sum_t p_t
    let sse = |p: Placeholders<Linear<f64, U3>>| {
        unroll(ar(p), constant(&w0))
            .run(constant(&inputs))
            .map_items(|y| y * y)
            .sum_items()
    };
    let g = grad(sse, &m);
    let (mut gw, mut gb) = ([0.0; 3], 0.0);
    for (k, p) in preds.iter().enumerate() {
        let t = k + 3;
        let window = [series[t - 2], series[t - 1], series[t]];
        for i in 0..3 {
            gw[i] += 2.0 * p * window[i];
        }
        gb += 2.0 * p;
    }
    assert!(g.w.approx_eq(&Vector::from(gw), 1e-12) && common::close(g.b, gb, 1e-12));
    assert_grad!(sse, &m);
    // lagged works for any model of the window: a tanh layer over it
    let layer: Dense<f64, U3, U1> = Dense::xavier(&mut Rng::new(3));
    let nonlinear = |l: Placeholders<Dense<f64, U3, U1>>| {
        unroll_last(lagged(l.with(Tanh)), constant(&w0))
            .run(constant(&inputs))
            .sum()
    };
    assert_grad!(nonlinear, &layer);
}

#[test]
fn a_trained_initial_state_gets_the_gradient_of_the_first_state() {
    type P = (RnnCell<f64, U1, U3>, Vector<f64, U3>);
    let p: P = (rnn_cell(31, 0.6), Vector::from([0.3, -0.2, 0.5]));
    let xs = sine(10, 0.3);
    let trained = |(c, h0): Placeholders<P>| {
        unroll_last(c, train_state(h0))
            .run(constant(&xs))
            .powi(2)
            .sum()
    };
    let folded =
        |(c, h0): Placeholders<P>| constant(&xs).fold(h0, |(h, x)| c.step(x, h)).powi(2).sum();
    assert_eq!(grad(trained, &p), grad(folded, &p));
    assert_grad!(trained, &p);
}

#[test]
fn memory_per_step_does_not_grow_with_the_weights() {
    // A tanh RNN of hidden size 64: 33.8 KB of weights. Forward keeps, per step, the step's
    // input and the cell's intermediates; were the weights copied per step, each step would
    // cost at least 33 KB.
    let cell: RnnCell<f64, U1, U64> = rnn_cell(41, 0.1);
    let weights = std::mem::size_of::<f64>() * (64 + 64 * 64 + 64);
    let peak = |n: usize| {
        let xs = sine(n, 0.25);
        peak_bytes_of(|| {
            let g = grad(
                |p: Placeholders<RnnCell<f64, U1, U64>>| {
                    unroll_last(p, zero_state()).run(constant(&xs)).sum()
                },
                &cell,
            );
            std::hint::black_box(g);
        })
    };
    let (short, long) = (peak(100), peak(300));
    let per_step = (long - short) as f64 / 200.0;
    println!("unroll_last, RNN 64: {per_step:.0} bytes a step (weights: {weights} bytes)");
    assert!(
        per_step > 0.0 && per_step < weights as f64 / 8.0,
        "{per_step} bytes a step"
    );
}
