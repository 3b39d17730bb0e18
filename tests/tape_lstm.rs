//! A recurrent network whose length is known only at run time, on the tape: an LSTM of hidden
//! size 32 over 1,000 steps. Its gradient equals the static engine's (a `fold` over the same
//! sequence), and the tape grows linearly with the length.

use backprop::nn::{Lstm, Rng};
use backprop::prelude::*;
use backprop::tape::{Tape, Var};

type H = U32;
type Cell = Lstm<f64, U1, H>;
type Readout = Matrix<f64, U1, H>;

fn sequence(n: usize) -> Vec<Vector<f64, U1>> {
    (0..n)
        .map(|t| Vector::from([(t as f64 * 0.05).sin() + 0.1 * (t as f64 * 0.31).cos()]))
        .collect()
}

/// The loss `(out . h_n - target)^2` and its gradient, by the static engine.
fn static_gradient(
    cell: &Cell,
    out: &Readout,
    xs: &Vec<Vector<f64, U1>>,
    target: f64,
) -> (f64, (Cell, Readout)) {
    let zero = Vector::<f64, H>::zeros();
    let t = Vector::<f64, U1>::from([target]);
    value_and_grad(
        |(p, out)| {
            let hc = constant(xs).fold(tuple((constant(&zero), constant(&zero))), |((h, c), x)| {
                p.step(x, h, c)
            });
            (out.matvec(hc.get_field(U0)) - constant(&t)).powi(2).sum()
        },
        &(cell.clone(), out.clone()),
    )
}

/// The parameters on a tape, in the order of the cell's fields, then the readout.
struct OnTape<'t> {
    w: [Var<'t, Matrix<f64, H, U1>>; 4],
    u: [Var<'t, Matrix<f64, H, H>>; 4],
    b: [Var<'t, Vector<f64, H>>; 4],
    out: Var<'t, Readout>,
}

fn put_on_tape<'t>(tape: &'t Tape, cell: &Cell, out: &Readout) -> OnTape<'t> {
    OnTape {
        w: [&cell.wi, &cell.wf, &cell.wg, &cell.wo].map(|w| tape.var(w.clone())),
        u: [&cell.ui, &cell.uf, &cell.ug, &cell.uo].map(|u| tape.var(u.clone())),
        b: [&cell.bi, &cell.bf, &cell.bg, &cell.bo].map(|b| tape.var(b.clone())),
        out: tape.var(out.clone()),
    }
}

/// The same loss on the tape, with a loop whose length is the data's.
fn tape_loss<'t>(
    tape: &'t Tape,
    p: &OnTape<'t>,
    xs: &[Vector<f64, U1>],
    target: f64,
) -> Var<'t, f64> {
    let mut h = tape.constant(Vector::<f64, H>::zeros());
    let mut c = tape.constant(Vector::<f64, H>::zeros());
    let gate = |k: usize, x, h| p.w[k].matvec(x) + p.u[k].matvec(h) + p.b[k];
    for x in xs {
        let x = tape.constant(x.clone());
        let i = gate(0, x, h).logistic();
        let f = gate(1, x, h).logistic();
        let g = gate(2, x, h).tanh();
        let o = gate(3, x, h).logistic();
        c = f * c + i * g;
        h = o * c.tanh();
    }
    let t = tape.constant(Vector::<f64, U1>::from([target]));
    (p.out.matvec(h) - t).powi(2).sum()
}

#[test]
fn an_lstm_of_run_time_length_on_the_tape_matches_the_static_engine() {
    let cell: Cell = Lstm::xavier(&mut Rng::new(11));
    let out = Readout::from_fn(|_, j| 0.2 * ((j as f64) * 0.3).cos());
    // The length comes from the data, as it would from a file.
    let n: usize = "1000".parse().expect("a length");
    let xs = sequence(n);
    let (ls, (gc, gout)) = static_gradient(&cell, &out, &xs, 0.5);

    let tape = Tape::new();
    let p = put_on_tape(&tape, &cell, &out);
    let loss = tape_loss(&tape, &p, &xs, 0.5);
    assert!(
        (loss.value() - ls).abs() < 1e-12,
        "{} vs {ls}",
        loss.value()
    );
    let mut g = tape.backward(loss);
    let close = |a: &[f64], b: &[f64]| {
        let scale = b.iter().fold(1e-300_f64, |m, x| m.max(x.abs()));
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * scale)
    };
    let ws = [&gc.wi, &gc.wf, &gc.wg, &gc.wo];
    let us = [&gc.ui, &gc.uf, &gc.ug, &gc.uo];
    let bs = [&gc.bi, &gc.bf, &gc.bg, &gc.bo];
    for k in 0..4 {
        assert!(close(g.take(p.w[k]).as_slice(), ws[k].as_slice()), "W[{k}]");
        assert!(close(g.take(p.u[k]).as_slice(), us[k].as_slice()), "U[{k}]");
        assert!(close(g.take(p.b[k]).as_slice(), bs[k].as_slice()), "b[{k}]");
    }
    assert!(close(g.take(p.out).as_slice(), gout.as_slice()));
    // The gradient is not trivially zero: the last steps reach every parameter.
    assert!(gc.uf.iter().any(|&x| x.abs() > 1e-8));
}

#[test]
fn the_tape_grows_linearly_with_the_sequence() {
    let cell: Cell = Lstm::xavier(&mut Rng::new(12));
    let out = Readout::filled(0.1);
    let len = |n: usize| {
        let tape = Tape::new();
        let p = put_on_tape(&tape, &cell, &out);
        let loss = tape_loss(&tape, &p, &sequence(n), 0.0);
        let _ = tape.backward(loss);
        tape.len()
    };
    let (l0, l1, l2) = (len(0), len(100), len(300));
    assert_eq!(
        l2 - l0,
        3 * (l1 - l0),
        "values per step differ with the length"
    );
    // 26 values a step: the input, 4 gates of 5 (two products, two sums, the squashing), and
    // the state update (3 for c, 2 for h).
    assert_eq!((l1 - l0) / 100, 26);
}
