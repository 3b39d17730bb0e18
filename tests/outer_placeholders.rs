//! Placeholders of enclosing closures used directly inside `fold`, `.then`, `map_items` and
//! `map_values` bodies: read in place, their gradient added straight into the caller's.

#[macro_use]
mod common;

use std::collections::BTreeMap;

use backprop::nn::Lstm;
use backprop::prelude::*;

#[derive(Backprop, Clone, Debug)]
struct Rnn {
    wx: Matrix<f64, U16, U1>,
    wh: Matrix<f64, U16, U16>,
    b: Vector<f64, U16>,
    wo: Matrix<f64, U1, U16>,
    bo: Vector<f64, U1>,
}

/// The snippet, as written.
#[test]
fn the_rnn_snippet_runs_as_written_with_a_correct_gradient() {
    let rnn = Rnn {
        wx: Matrix::filled(0.3),
        wh: Matrix::from_fn(|i, j| if i == j { 0.5 } else { 0.01 }),
        b: Vector::zeros(),
        wo: Matrix::filled(0.2),
        bo: Vector::zeros(),
    };
    let xs: Vec<Vector<f64, U1>> = (0..200)
        .map(|t| Vector::from([(t as f64 * 0.25).sin()]))
        .collect();
    let h0 = Vector::<f64, U16>::zeros();
    let target = Vector::<f64, U1>::from([0.5]);
    let (loss, g): (f64, Rnn) = value_and_grad(
        |p| {
            let h = constant(&xs).fold(constant(&h0), |(h, x)| {
                (p.wx.matvec(x) + p.wh.matvec(h) + p.b).tanh()
            });
            (p.wo.matvec(h) + p.bo - constant(&target)).powi(2).sum()
        },
        &rnn,
    );
    // The value against a plain loop.
    let mut h = h0.clone();
    for x in &xs {
        h = Vector::from_fn(|i| {
            let mut z = rnn.wx[(i, 0)] * x[0] + rnn.b[i];
            for j in 0..16 {
                z += rnn.wh[(i, j)] * h[j];
            }
            z.tanh()
        });
    }
    let out: f64 = (0..16).map(|j| rnn.wo[(0, j)] * h[j]).sum::<f64>() + rnn.bo[0];
    assert!((loss - (out - 0.5).powi(2)).abs() < 1e-12, "{loss}");
    // The gradient against central differences.
    let report = check_grad(
        |p| {
            let h = constant(&xs).fold(constant(&h0), |(h, x)| {
                (p.wx.matvec(x) + p.wh.matvec(h) + p.b).tanh()
            });
            (p.wo.matvec(h) + p.bo - constant(&target)).powi(2).sum()
        },
        &rnn,
        1e-6,
    );
    assert!(report.passed(1e-6), "{report}");
    assert!(g.wh.iter().any(|&v| v != 0.0));

    // A tuple input, with an outer placeholder inside `.then`.
    let g2 = grad(
        |(x, y)| (x * y).then(|u| u * u + u * y),
        &(1.5_f64, -0.5_f64),
    );
    let (x, y) = (1.5_f64, -0.5_f64);
    let u = x * y;
    assert!(
        (g2.0 - (2.0 * u + y) * y).abs() < 1e-12 && (g2.1 - ((2.0 * u + y) * x + u)).abs() < 1e-12
    );
    assert_grad!(
        |(x, y)| (x * y).then(|u| u * u + u * y),
        &(1.5_f64, -0.5_f64)
    );

    // The per-sample losses of a runtime-length batch, summed.
    let samples: Vec<Vector<f64, U3>> = vec![
        Vector::from([1.0, 2.0, 3.0]),
        Vector::from([0.5, -1.0, 0.0]),
    ];
    let w = Vector::<f64, U3>::from([0.1, 0.2, 0.3]);
    let gw = grad(
        |w| {
            constant(&samples)
                .map_items(|s| (w.dot(s) - 1.0).powi(2))
                .sum_items()
        },
        &w,
    );
    let mut expect = Vector::<f64, U3>::zeros();
    for s in &samples {
        let r = (0..3).map(|i| w[i] * s[i]).sum::<f64>() - 1.0;
        for i in 0..3 {
            expect[i] += 2.0 * r * s[i];
        }
    }
    assert!(gw.approx_eq(&expect, 1e-14), "{gw:?}");
}

#[test]
fn nested_bodies_read_every_enclosing_scope() {
    // A `.then` inside a `fold` body, reading the fold's step and the top-level weight.
    let xs = vec![0.5_f64, -1.0, 2.0];
    let f = |(w, c): Placeholders<(f64, f64)>| {
        constant(&xs).fold(c, |(h, x)| (h * w + x).then(|z| z.tanh() * w + h * 0.5))
    };
    assert_grad!(f, &(0.7_f64, 0.3_f64));
    // A map_items inside a fold body inside a .then: three scopes deep, each body reading the
    // placeholders of all the enclosing ones.
    let ys = vec![vec![1.0_f64, 2.0], vec![-0.5, 0.25, 3.0], vec![]];
    let g = |w: Placeholders<f64>| {
        (w * 2.0).then(|w2| {
            constant(&ys).fold(w2, |(h, row)| {
                h * 0.5 + row.map_items(|y| (y * w2 + h * w).sin()).sum_items()
            })
        })
    };
    assert_grad!(g, &0.4_f64);
    // Values match a plain computation.
    let v = eval(g, &0.4_f64);
    let (w, w2) = (0.4_f64, 0.8_f64);
    let mut h = w2;
    for row in &ys {
        h = h * 0.5 + row.iter().map(|y| (y * w2 + h * w).sin()).sum::<f64>();
    }
    assert!((v - h).abs() < 1e-14, "{v} vs {h}");
}

#[test]
fn map_values_bodies_read_outer_placeholders() {
    let m = BTreeMap::from([("a".to_string(), 1.0_f64), ("b".to_string(), -2.0)]);
    let (ka, kb, zero) = ("a".to_string(), "b".to_string(), 0.0);
    let f = |(m, s): Placeholders<(BTreeMap<String, f64>, f64)>| {
        let scaled = m.map_values(|v| v * s + s * s);
        scaled.lookup_or(&ka, &zero) * scaled.lookup_or(&kb, &zero)
    };
    assert_grad!(f, &(m.clone(), 1.5_f64));
}

#[test]
fn scan_keeps_every_step_and_its_gradient_matches_central_differences() {
    let xs: Vec<f64> = vec![0.5, -1.0, 0.25, 2.0];
    let targets: Vec<f64> = vec![0.1, -0.2, 0.3, 0.0];
    // A sequence-to-sequence loss: every step's output against its target.
    let f = |(w, u, h0): Placeholders<(f64, f64, f64)>| {
        constant(&xs)
            .scan(h0, |(h, x)| (h * w + x * u).tanh())
            .map_items(|h| h * h)
            .sum_items()
    };
    assert_grad!(f, &(0.8_f64, 0.3_f64, 0.1_f64));
    let seq = |(w, u, h0): Placeholders<(f64, f64, f64)>| {
        constant(&xs).scan(h0, |(h, x)| (h * w + x * u).tanh())
    };
    let hs = eval(seq, &(0.8, 0.3, 0.1));
    let mut h = 0.1_f64;
    for (x, got) in xs.iter().zip(&hs) {
        h = (h * 0.8 + x * 0.3).tanh();
        assert!((h - got).abs() < 1e-15);
    }
    assert_eq!(hs.len(), 4);
    // A per-step seed through vjp: the gradient of sum_t h_t c_t, against central differences.
    let (_, g) = vjp(seq, &(0.8, 0.3, 0.1), targets.clone()).unwrap();
    let fd = |p: (f64, f64, f64)| -> f64 {
        eval(seq, &p).iter().zip(&targets).map(|(h, t)| h * t).sum()
    };
    let e = 1e-6;
    let p = (0.8, 0.3, 0.1);
    let d0 = (fd((p.0 + e, p.1, p.2)) - fd((p.0 - e, p.1, p.2))) / (2.0 * e);
    let d1 = (fd((p.0, p.1 + e, p.2)) - fd((p.0, p.1 - e, p.2))) / (2.0 * e);
    let d2 = (fd((p.0, p.1, p.2 + e)) - fd((p.0, p.1, p.2 - e))) / (2.0 * e);
    assert!(
        (g.0 - d0).abs() < 1e-8 && (g.1 - d1).abs() < 1e-8 && (g.2 - d2).abs() < 1e-8,
        "{g:?} vs {:?}",
        (d0, d1, d2)
    );
    // An empty sequence: an empty Vec, and no gradient.
    let none: Vec<f64> = vec![];
    let (y, g) = vjp(
        |h0| constant(&none).scan(h0, |(h, x)| h + x),
        &1.0_f64,
        vec![],
    )
    .unwrap();
    assert_eq!((y, g), (vec![], 0.0));
}

/// An LSTM over a sequence on the static engine (weights read in place inside the fold body)
/// and on the tape: the same loss and the same gradient, and both match central differences.
#[test]
fn an_lstm_has_the_same_gradient_on_the_static_engine_and_the_tape() {
    use backprop::tape::Tape;
    let m = |s: u64| common::matrix::<U4, U1>(s, -0.5, 0.5);
    let u = |s: u64| common::matrix::<U4, U4>(s, -0.4, 0.4);
    let p = Lstm {
        wi: m(1),
        ui: u(2),
        bi: Vector::zeros(),
        wf: m(3),
        uf: u(4),
        bf: Vector::filled(1.0),
        wg: m(5),
        ug: u(6),
        bg: Vector::filled(0.1),
        wo: m(7),
        uo: u(8),
        bo: Vector::zeros(),
    };
    let xs: Vec<Vector<f64, U1>> = (0..30)
        .map(|t| Vector::from([(t as f64 * 0.4).sin()]))
        .collect();
    let zero = Vector::<f64, U4>::zeros();
    // nn::Lstm's step on the static engine, the same equations written out on the tape.
    let loss = |p: Placeholders<Lstm<f64, U1, U4>>| {
        constant(&xs)
            .fold(tuple((constant(&zero), constant(&zero))), |((h, c), x)| {
                p.step(x, h, c)
            })
            .get_field(U0)
            .powi(2)
            .sum()
    };
    let (ls, gs) = value_and_grad(loss, &p);
    assert_grad!(loss, &p);

    let tape = Tape::new();
    let v = |m: &Matrix<f64, U4, U1>| tape.var(m.clone());
    let (wi, wf, wg, wo) = (v(&p.wi), v(&p.wf), v(&p.wg), v(&p.wo));
    let w = |m: &Matrix<f64, U4, U4>| tape.var(m.clone());
    let (ui, uf, ug, uo) = (w(&p.ui), w(&p.uf), w(&p.ug), w(&p.uo));
    let b = |m: &Vector<f64, U4>| tape.var(m.clone());
    let (bi, bf, bg, bo) = (b(&p.bi), b(&p.bf), b(&p.bg), b(&p.bo));
    let mut h = tape.constant(zero.clone());
    let mut c = tape.constant(zero.clone());
    for x in &xs {
        let x = tape.constant(x.clone());
        let i = (wi.matvec(x) + ui.matvec(h) + bi).logistic();
        let f = (wf.matvec(x) + uf.matvec(h) + bf).logistic();
        let g = (wg.matvec(x) + ug.matvec(h) + bg).tanh();
        let o = (wo.matvec(x) + uo.matvec(h) + bo).logistic();
        c = f * c + i * g;
        h = o * c.tanh();
    }
    let lt = h.powi(2).sum();
    assert!((lt.value() - ls).abs() < 1e-14);
    let mut grads = tape.backward(lt);
    let close = |a: &Matrix<f64, U4, U4>, b: &Matrix<f64, U4, U4>| a.approx_eq(b, 1e-12);
    assert!(close(&grads.take(ui), &gs.ui) && close(&grads.take(uf), &gs.uf));
    assert!(close(&grads.take(ug), &gs.ug) && close(&grads.take(uo), &gs.uo));
    for (t, s) in [(wi, &gs.wi), (wf, &gs.wf), (wg, &gs.wg), (wo, &gs.wo)] {
        assert!(grads.take(t).approx_eq(s, 1e-12));
    }
    for (t, s) in [(bi, &gs.bi), (bf, &gs.bf), (bg, &gs.bg), (bo, &gs.bo)] {
        assert!(grads.take(t).approx_eq(s, 1e-12));
    }
}
