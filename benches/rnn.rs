//! A tanh RNN over 200 steps (hidden sizes 16 and 64, one sequence, f64), loss + gradient:
//! hand-written forward and backward passes, the static engine (weights read in place inside
//! the `fold` body; and the same network through the model vocabulary, `static-model`:
//! `chain(unroll_last(cell, zero_state()), readout)`), and the runtime tape; and an LSTM of hidden size 32 over 200 steps, static
//! engine against the tape (their losses agree before timing).
//!
//! The hand-written version keeps every buffer between calls, writes each gradient on the
//! first step of the backward pass (no zero-fill), and runs plain loops over slices.

use backprop::kernels;
use backprop::nn::{chain, unroll_last, zero_state, Dense, Lstm, RnnCell};
use backprop::prelude::*;
use backprop::tape::Tape;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const STEPS: usize = 200;

#[derive(Backprop, Clone)]
struct Rnn<H: Dim> {
    wx: Matrix<f64, H, U1>,
    wh: Matrix<f64, H, H>,
    b: Vector<f64, H>,
    wo: Matrix<f64, U1, H>,
    bo: Vector<f64, U1>,
}

fn rnn<H: Dim>() -> Rnn<H> {
    let n = H::USIZE as f64;
    Rnn {
        wx: Matrix::from_fn(|i, _| 0.3 * ((i as f64) * 0.7).sin()),
        wh: Matrix::from_fn(|i, j| {
            if i == j {
                0.5
            } else {
                0.2 * ((i * 7 + j * 3) as f64).cos() / n
            }
        }),
        b: Vector::from_fn(|i| 0.01 * i as f64),
        wo: Matrix::from_fn(|_, j| 0.2 * ((j as f64) * 0.3).cos()),
        bo: Vector::zeros(),
    }
}

fn inputs() -> Vec<Vector<f64, U1>> {
    (0..STEPS)
        .map(|t| Vector::from([(t as f64 * 0.25).sin()]))
        .collect()
}

/// `dz = dh (1 - h^2)`: the tanh derivative from its output.
#[inline(always)]
fn tanh_grad(dz: &mut [f64], dh: &[f64], h: &[f64]) {
    for ((z, &d), &h) in dz.iter_mut().zip(dh).zip(h) {
        *z = d * (1.0 - h * h);
    }
}

/// The hand-written pass: buffers kept between calls.
struct Manual {
    h: usize,
    hs: Vec<f64>,
    dh: Vec<f64>,
    dz: Vec<f64>,
}

impl Manual {
    fn new(h: usize) -> Self {
        Manual {
            h,
            hs: vec![0.0; h * (STEPS + 1)],
            dh: vec![0.0; h],
            dz: vec![0.0; h],
        }
    }

    /// Loss and gradient, written into `g` (wx, wh, b, wo, bo as flat slices).
    #[allow(clippy::too_many_arguments)]
    fn grad(
        &mut self,
        wx: &[f64],
        wh: &[f64],
        b: &[f64],
        wo: &[f64],
        bo: f64,
        xs: &[f64],
        target: f64,
        g: (&mut [f64], &mut [f64], &mut [f64], &mut [f64], &mut f64),
    ) -> f64 {
        let n = self.h;
        self.hs[..n].fill(0.0);
        for (t, &x) in xs.iter().enumerate() {
            let (prev, next) = self.hs.split_at_mut((t + 1) * n);
            let prev = &prev[t * n..];
            let next = &mut next[..n];
            // z = W_h h + w_x x + b, on the dispatched matrix-vector kernel.
            kernels::matvec(wh, n, n, prev, next);
            for i in 0..n {
                next[i] = (next[i] + wx[i] * x + b[i]).tanh();
            }
        }
        let last = &self.hs[STEPS * n..];
        let y: f64 = wo.iter().zip(last).map(|(w, h)| w * h).sum::<f64>() + bo;
        let r = y - target;
        let (gwx, gwh, gb, gwo, gbo) = g;
        *gbo = 2.0 * r;
        for j in 0..n {
            gwo[j] = 2.0 * r * last[j];
            self.dh[j] = 2.0 * r * wo[j];
        }
        for t in (0..STEPS).rev() {
            let h_next = &self.hs[(t + 1) * n..(t + 2) * n];
            let h_prev = &self.hs[t * n..(t + 1) * n];
            tanh_grad(&mut self.dz, &self.dh, h_next);
            // The first backward step writes the weight gradients, later ones add.
            if t == STEPS - 1 {
                kernels::outer(gwh, &self.dz, h_prev);
                for i in 0..n {
                    gwx[i] = self.dz[i] * xs[t];
                    gb[i] = self.dz[i];
                }
            } else {
                kernels::rank1_acc(gwh, &self.dz, h_prev);
                for i in 0..n {
                    gwx[i] += self.dz[i] * xs[t];
                    gb[i] += self.dz[i];
                }
            }
            // dh = wh^T dz
            kernels::matvec_t(wh, n, n, &self.dz, &mut self.dh);
        }
        r * r
    }
}

fn static_grad<H: Dim>(
    p: &Rnn<H>,
    xs: &Vec<Vector<f64, U1>>,
    target: &Vector<f64, U1>,
    g: &mut Rnn<H>,
) -> f64 {
    let h0 = Vector::<f64, H>::zeros();
    value_and_grad_acc(
        |p| {
            let h = constant(xs).fold(constant(&h0), |(h, x)| {
                (p.wx.matvec(x) + p.wh.matvec(h) + p.b).tanh()
            });
            (p.wo.matvec(h) + p.bo - constant(target)).powi(2).sum()
        },
        p,
        g,
    )
    .expect("a gradient buffer shaped like the parameters")
}

/// The same RNN through the model vocabulary: an `nn::RnnCell` unrolled, a linear readout.
type RnnModel<H> = (RnnCell<f64, U1, H>, Dense<f64, H, U1>);

fn as_model<H: Dim>(p: &Rnn<H>) -> RnnModel<H> {
    (
        RnnCell {
            wx: p.wx.clone(),
            wh: p.wh.clone(),
            b: p.b.clone(),
        },
        Dense {
            w: p.wo.clone(),
            b: p.bo.clone(),
        },
    )
}

fn model_grad<H: Dim>(
    p: &RnnModel<H>,
    xs: &Vec<Vector<f64, U1>>,
    target: &Vector<f64, U1>,
    g: &mut RnnModel<H>,
) -> f64 {
    value_and_grad_acc(
        |(cell, readout)| {
            let model = chain(unroll_last(cell, zero_state()), readout);
            (model.run(constant(xs)) - constant(target)).powi(2).sum()
        },
        p,
        g,
    )
    .expect("a gradient buffer shaped like the parameters")
}

fn tape_grad<H: Dim>(tape: &mut Tape, xs: &[Vector<f64, U1>], target: &Vector<f64, U1>) -> f64 {
    tape.truncate(5);
    let (wx, wh, b, wo, bo) = (
        tape.at::<Matrix<f64, H, U1>>(0),
        tape.at::<Matrix<f64, H, H>>(1),
        tape.at::<Vector<f64, H>>(2),
        tape.at::<Matrix<f64, U1, H>>(3),
        tape.at::<Vector<f64, U1>>(4),
    );
    let mut h = tape.constant(Vector::<f64, H>::zeros());
    for x in xs {
        let x = tape.constant(x.clone());
        h = (wx.matvec(x) + wh.matvec(h) + b).tanh();
    }
    let r = wo.matvec(h) + bo - tape.constant(target.clone());
    let loss = r.powi(2).sum();
    let mut grads = tape.backward(loss);
    black_box((
        grads.take(wx),
        grads.take(wh),
        grads.take(b),
        grads.take(wo),
        grads.take(bo),
    ));
    loss.value()
}

fn bench_size<H: Dim>(c: &mut Criterion) {
    let p = rnn::<H>();
    let xs = inputs();
    let target = Vector::<f64, U1>::from([0.5]);
    let n = H::USIZE;
    let mut group = c.benchmark_group(format!("rnn-tanh-{n}x{STEPS}_gradient"));

    let mut manual = Manual::new(n);
    let xs_flat: Vec<f64> = xs.iter().map(|x| x[0]).collect();
    let mut g = p.zero_like();
    // The three variants agree before they are timed.
    let mut gm = p.zero_like();
    let lm = {
        let (a, rest) = (&mut gm.wx, (&mut gm.wh, &mut gm.b, &mut gm.wo, &mut gm.bo));
        manual.grad(
            p.wx.as_slice(),
            p.wh.as_slice(),
            p.b.as_slice(),
            p.wo.as_slice(),
            p.bo[0],
            &xs_flat,
            0.5,
            (
                a.as_mut_slice(),
                rest.0.as_mut_slice(),
                rest.1.as_mut_slice(),
                rest.2.as_mut_slice(),
                &mut rest.3.as_mut_slice()[0],
            ),
        )
    };
    let ls = static_grad(&p, &xs, &target, &mut g);
    assert!(
        (lm - ls).abs() < 1e-12 && gm.wh.approx_eq(&g.wh, 1e-10),
        "manual and static disagree"
    );

    let pm = as_model(&p);
    let mut gmodel = pm.zero_like();
    let lmodel = model_grad(&pm, &xs, &target, &mut gmodel);
    assert!(
        lmodel == ls && gmodel.0.wh.approx_eq(&g.wh, 1e-10),
        "the model vocabulary and the fold disagree"
    );
    group.bench_function("manual", |bch| {
        bch.iter(|| {
            let Rnn { wx, wh, b, wo, bo } = &mut gm;
            manual.grad(
                p.wx.as_slice(),
                p.wh.as_slice(),
                p.b.as_slice(),
                p.wo.as_slice(),
                p.bo[0],
                black_box(&xs_flat),
                0.5,
                (
                    wx.as_mut_slice(),
                    wh.as_mut_slice(),
                    b.as_mut_slice(),
                    wo.as_mut_slice(),
                    &mut bo.as_mut_slice()[0],
                ),
            )
        })
    });
    group.bench_function("static", |bch| {
        bch.iter(|| static_grad(&p, black_box(&xs), &target, &mut g))
    });
    group.bench_function("static-model", |bch| {
        bch.iter(|| model_grad(&pm, black_box(&xs), &target, &mut gmodel))
    });
    let mut tape = Tape::new();
    tape.var(p.wx.clone());
    tape.var(p.wh.clone());
    tape.var(p.b.clone());
    tape.var(p.wo.clone());
    tape.var(p.bo.clone());
    let lt = tape_grad::<H>(&mut tape, &xs, &target);
    assert!((lt - ls).abs() < 1e-12, "tape and static disagree");
    group.bench_function("tape", |bch| {
        bch.iter(|| tape_grad::<H>(&mut tape, black_box(&xs), &target))
    });
    group.finish();
}

/// An LSTM cell (`nn::Lstm`) and a linear readout.
#[derive(Backprop, Clone)]
struct LstmNet<H: Dim> {
    cell: Lstm<f64, U1, H>,
    out: Matrix<f64, U1, H>,
}

fn lstm<H: Dim>() -> LstmNet<H> {
    let n = H::USIZE as f64;
    let w = |k: f64| Matrix::from_fn(|i, _| 0.3 * ((i as f64) * 0.7 + k).sin());
    let u = |k: f64| Matrix::from_fn(|i, j| 0.5 * ((i * 7 + j * 3) as f64 + k).cos() / n);
    let cell = Lstm {
        wi: w(0.1),
        ui: u(0.1),
        bi: Vector::zeros(),
        wf: w(0.2),
        uf: u(0.2),
        bf: Vector::filled(1.0),
        wg: w(0.3),
        ug: u(0.3),
        bg: Vector::zeros(),
        wo: w(0.4),
        uo: u(0.4),
        bo: Vector::zeros(),
    };
    LstmNet {
        cell,
        out: Matrix::from_fn(|_, j| 0.2 * ((j as f64) * 0.3).cos()),
    }
}

fn lstm_static<H: Dim>(
    p: &LstmNet<H>,
    xs: &Vec<Vector<f64, U1>>,
    target: &Vector<f64, U1>,
    g: &mut LstmNet<H>,
) -> f64 {
    let zero = Vector::<f64, H>::zeros();
    value_and_grad_acc(
        |p| {
            let hc = constant(xs).fold(tuple((constant(&zero), constant(&zero))), |((h, c), x)| {
                p.cell.step(x, h, c)
            });
            (p.out.matvec(hc.get_field(U0)) - constant(target))
                .powi(2)
                .sum()
        },
        p,
        g,
    )
    .expect("a gradient buffer shaped like the parameters")
}

fn lstm_tape<H: Dim>(tape: &mut Tape, xs: &[Vector<f64, U1>], target: &Vector<f64, U1>) -> f64 {
    tape.truncate(13);
    let m = |i| tape.at::<Matrix<f64, H, U1>>(i);
    let u = |i| tape.at::<Matrix<f64, H, H>>(i);
    let b = |i| tape.at::<Vector<f64, H>>(i);
    let (wi, ui, bi, wf, uf, bf) = (m(0), u(1), b(2), m(3), u(4), b(5));
    let (wg, ug, bg, wo, uo, bo) = (m(6), u(7), b(8), m(9), u(10), b(11));
    let out = tape.at::<Matrix<f64, U1, H>>(12);
    let mut h = tape.constant(Vector::<f64, H>::zeros());
    let mut c = tape.constant(Vector::<f64, H>::zeros());
    for x in xs {
        let x = tape.constant(x.clone());
        let i = (wi.matvec(x) + ui.matvec(h) + bi).logistic();
        let f = (wf.matvec(x) + uf.matvec(h) + bf).logistic();
        let gg = (wg.matvec(x) + ug.matvec(h) + bg).tanh();
        let o = (wo.matvec(x) + uo.matvec(h) + bo).logistic();
        c = f * c + i * gg;
        h = o * c.tanh();
    }
    let loss = (out.matvec(h) - tape.constant(target.clone()))
        .powi(2)
        .sum();
    let mut grads = tape.backward(loss);
    black_box((
        grads.take(wi),
        grads.take(ui),
        grads.take(uf),
        grads.take(ug),
        grads.take(uo),
        grads.take(out),
    ));
    loss.value()
}

fn bench_lstm<H: Dim>(c: &mut Criterion) {
    let p = lstm::<H>();
    let xs = inputs();
    let target = Vector::<f64, U1>::from([0.5]);
    let mut g = p.zero_like();
    let ls = lstm_static(&p, &xs, &target, &mut g);
    let mut tape = Tape::new();
    let cell = &p.cell;
    for ((w, u), b) in [&cell.wi, &cell.wf, &cell.wg, &cell.wo]
        .into_iter()
        .zip([&cell.ui, &cell.uf, &cell.ug, &cell.uo])
        .zip([&cell.bi, &cell.bf, &cell.bg, &cell.bo])
    {
        tape.var(w.clone());
        tape.var(u.clone());
        tape.var(b.clone());
    }
    tape.var(p.out.clone());
    let lt = lstm_tape::<H>(&mut tape, &xs, &target);
    assert!(
        (lt - ls).abs() < 1e-12,
        "tape and static LSTM disagree: {lt} vs {ls}"
    );
    let mut group = c.benchmark_group(format!("lstm-{}x{STEPS}_gradient", H::USIZE));
    group.bench_function("static", |bch| {
        bch.iter(|| lstm_static(&p, black_box(&xs), &target, &mut g))
    });
    group.bench_function("tape", |bch| {
        bch.iter(|| lstm_tape::<H>(&mut tape, black_box(&xs), &target))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_size::<U16>(c);
    bench_size::<U64>(c);
    bench_lstm::<U32>(c);
}

criterion_group! {
    name = rnn_benches;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(rnn_benches);
