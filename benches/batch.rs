//! Mini-batch gradients of the 784-300-100-10 network (logistic hidden layers, softmax
//! cross-entropy), batches of 64 and 128 in f32 and f64: the crate's batched expression
//! (`matmul_t`, `add_row`, `softmax_cross_entropy_rows`) against hand-written batched code, and
//! one thread against two.
//!
//! - `manual`: forward and backward written by hand with `kernels::gemm` into preallocated
//!   buffers, every gradient written once (`beta = 0`), nothing allocated per call.
//! - `static`: the crate's batched expression, `value_and_grad_acc` into a kept buffer zeroed
//!   before each call (`Backprop::set_zero`), on one thread.
//! - `static-into`: the same through `value_and_grad_into` (each gradient written once).
//! - `static-2-threads`: the same through `nn::parallel_grad`, each of two threads taking half
//!   the batch into its own buffer; the two buffers are then added.
//! - `per-sample` (batch 128, f64): the one-sample expression summed over the batch, one thread.
//!
//! Inputs are matrices built once, outside the timed loop, for every variant.
//!
//! Run: `cargo bench --bench batch`, then `python3 benches/ratios.py`.

use backprop::kernels::{gemm, Transpose};
use backprop::nn::{parallel_grad, parallel_grad_into, Dense, Rng};
use backprop::ops::map::logistic;
use backprop::prelude::*;
use backprop::Scalar;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

type Net<T> = (
    Dense<T, U784, U300>,
    Dense<T, U300, U100>,
    Dense<T, U100, U10>,
);

/// A batch: one sample a row, inputs and one-hot targets.
struct Batch<T, B: Dim> {
    x: Matrix<T, B, U784>,
    t: Matrix<T, B, U10>,
}

/// The crate's batched expression, adding the batch's gradient into `g`.
fn static_grad<T: Scalar, B: Dim>(p: &Net<T>, batch: &Batch<T, B>, g: &mut Net<T>) -> T {
    value_and_grad_acc(
        |(l1, l2, l3)| {
            let h1 = constant(&batch.x).matmul_t(l1.w).add_row(l1.b).logistic();
            let h2 = h1.matmul_t(l2.w).add_row(l2.b).logistic();
            softmax_cross_entropy_rows(h2.matmul_t(l3.w).add_row(l3.b), constant(&batch.t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The crate's batched expression, writing the batch's gradient over `g`.
fn static_into<T: Scalar, B: Dim>(p: &Net<T>, batch: &Batch<T, B>, g: &mut Net<T>) -> T {
    value_and_grad_into(
        |(l1, l2, l3)| {
            let h1 = constant(&batch.x).matmul_t(l1.w).add_row(l1.b).logistic();
            let h2 = h1.matmul_t(l2.w).add_row(l2.b).logistic();
            softmax_cross_entropy_rows(h2.matmul_t(l3.w).add_row(l3.b), constant(&batch.t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The one-sample expression, summed over the rows of the batch.
fn per_sample_grad<T: Scalar, B: Dim>(p: &Net<T>, batch: &Batch<T, B>, g: &mut Net<T>) -> T {
    let mut loss = T::zero();
    for r in 0..B::USIZE {
        let x = Vector::<T, U784>::try_from_slice(batch.x.row(r)).expect("a row of 784");
        let t = Vector::<T, U10>::try_from_slice(batch.t.row(r)).expect("a row of 10");
        loss += value_and_grad_acc(
            |(l1, l2, l3)| {
                let h1 = constant(&x).dense(l1.w, l1.b, backprop::ops::map::Logistic);
                let h2 = h1.dense(l2.w, l2.b, backprop::ops::map::Logistic);
                softmax_cross_entropy(l3.w.matvec(h2) + l3.b, constant(&t))
            },
            p,
            g,
        )
        .expect("the gradient buffer has the parameters' shape");
    }
    loss
}

/// Hand-written batched forward and backward over buffers kept between calls.
struct Manual<T> {
    rows: usize,
    h1: Vec<T>,
    h2: Vec<T>,
    z3: Vec<T>,
    d1: Vec<T>,
    d2: Vec<T>,
    d3: Vec<T>,
}

impl<T: Scalar> Manual<T> {
    fn new(rows: usize) -> Self {
        let z = |n: usize| vec![T::zero(); rows * n];
        Manual {
            rows,
            h1: z(300),
            h2: z(100),
            z3: z(10),
            d1: z(300),
            d2: z(100),
            d3: z(10),
        }
    }

    /// `out = act(x W^T + 1 b^T)` for `x` of `rows x k`, `W` of `n x k`.
    fn layer(rows: usize, x: &[T], l: (&[T], &[T]), out: &mut [T], act: impl Fn(T) -> T) {
        let n = l.1.len();
        gemm(
            rows,
            x.len() / rows,
            n,
            x,
            l.0,
            T::zero(),
            out,
            Transpose::B,
        );
        for row in out.chunks_exact_mut(n) {
            for (v, &b) in row.iter_mut().zip(l.1) {
                *v = act(*v + b);
            }
        }
    }

    /// `gw = d^T h` and `gb = column sums of d`, written (not added).
    fn weight_grads(&self, d: &[T], h: &[T], gw: &mut [T], gb: &mut [T]) {
        let (n, k) = (gb.len(), h.len() / self.rows);
        gemm(n, self.rows, k, d, h, T::zero(), gw, Transpose::A);
        gb.copy_from_slice(&d[..n]);
        for row in d.chunks_exact(n).skip(1) {
            backprop::kernels::add_assign(gb, row);
        }
    }

    /// `d_prev = (d W) * h (1 - h)`, for the logistic layer whose output is `h`.
    fn back_through(&self, d: &[T], w: &[T], h: &[T], d_prev: &mut [T]) {
        let (n, k) = (d.len() / self.rows, h.len() / self.rows);
        gemm(self.rows, n, k, d, w, T::zero(), d_prev, Transpose::None);
        for (dv, &hv) in d_prev.iter_mut().zip(h) {
            *dv *= hv * (T::one() - hv);
        }
    }

    fn grad<B: Dim>(&mut self, p: &Net<T>, batch: &Batch<T, B>, g: &mut Net<T>) -> T {
        let rows = self.rows;
        let (x, t) = (batch.x.as_slice(), batch.t.as_slice());
        let l1 = (p.0.w.as_slice(), p.0.b.as_slice());
        let l2 = (p.1.w.as_slice(), p.1.b.as_slice());
        let l3 = (p.2.w.as_slice(), p.2.b.as_slice());
        Self::layer(rows, x, l1, &mut self.h1, logistic);
        Self::layer(rows, &self.h1, l2, &mut self.h2, logistic);
        Self::layer(rows, &self.h2, l3, &mut self.z3, |v| v);
        // Loss and dz3 = softmax(z3) sum(t) - t, row by row (stable: shifted by the row max).
        let mut loss = T::zero();
        for ((z, tr), d) in self
            .z3
            .chunks_exact(10)
            .zip(t.chunks_exact(10))
            .zip(self.d3.chunks_exact_mut(10))
        {
            let m = z.iter().fold(T::neg_infinity(), |a, &b| a.max(b));
            let mut total = T::zero();
            for (dv, &zv) in d.iter_mut().zip(z) {
                *dv = (zv - m).exp();
                total += *dv;
            }
            let lse = m + total.ln();
            let tsum = tr.iter().fold(T::zero(), |a, &b| a + b);
            for ((dv, &zv), &tv) in d.iter_mut().zip(z).zip(tr) {
                loss += tv * (lse - zv);
                *dv = *dv / total * tsum - tv;
            }
        }
        let (g1, g2, g3) = (&mut g.0, &mut g.1, &mut g.2);
        self.weight_grads(&self.d3, &self.h2, g3.w.as_mut_slice(), g3.b.as_mut_slice());
        let mut d2 = std::mem::take(&mut self.d2);
        self.back_through(&self.d3, l3.0, &self.h2, &mut d2);
        self.weight_grads(&d2, &self.h1, g2.w.as_mut_slice(), g2.b.as_mut_slice());
        let mut d1 = std::mem::take(&mut self.d1);
        self.back_through(&d2, l2.0, &self.h1, &mut d1);
        self.weight_grads(&d1, x, g1.w.as_mut_slice(), g1.b.as_mut_slice());
        self.d1 = d1;
        self.d2 = d2;
        loss
    }
}

/// A batch of `B` samples drawn from `rng`, in type `T`.
fn batch_of<T: Scalar, B: Dim>(rng: &mut Rng) -> Batch<T, B> {
    Batch {
        x: Matrix::from_fn(|_, _| T::from_f64(rng.uniform(0.0, 1.0))),
        t: Matrix::from_fn(|r, c| if c == r % 10 { T::one() } else { T::zero() }),
    }
}

fn close<T: Scalar>(a: &Net<T>, b: &Net<T>, tol: f64) -> bool {
    let t = T::from_f64(tol);
    a.0.w.approx_eq(&b.0.w, t)
        && a.0.b.approx_eq(&b.0.b, t)
        && a.1.w.approx_eq(&b.1.w, t)
        && a.1.b.approx_eq(&b.1.b, t)
        && a.2.w.approx_eq(&b.2.w, t)
        && a.2.b.approx_eq(&b.2.b, t)
}

/// One case: the variants agree, then each is timed as `batch-{B}-{name}-gradient/variant`.
fn case<T: Scalar, B: Dim, H: Dim>(c: &mut Criterion, name: &str, per_sample: bool)
where
    Batch<T, H>: Sync,
{
    let mut rng = Rng::new(5);
    let p: Net<T> = (
        Dense::xavier(&mut rng),
        Dense::xavier(&mut rng),
        Dense::xavier(&mut rng),
    );
    let whole: Batch<T, B> = batch_of(&mut rng);
    // The same batch as two halves of `H` rows, for two threads.
    let halves: [Batch<T, H>; 2] = core::array::from_fn(|k| Batch {
        x: Matrix::from_fn(|r, c| whole.x[(k * H::USIZE + r, c)]),
        t: Matrix::from_fn(|r, c| whole.t[(k * H::USIZE + r, c)]),
    });
    let tol = if core::mem::size_of::<T>() == 4 {
        1e-4
    } else {
        1e-10
    };

    let mut manual = Manual::<T>::new(B::USIZE);
    let (mut gm, mut gs) = (p.zero_like(), p.zero_like());
    let lm = manual.grad(&p, &whole, &mut gm);
    let ls = static_grad(&p, &whole, &mut gs);
    assert!((lm - ls).abs() <= T::from_f64(tol) * lm.abs().max(T::one()));
    assert!(close(&gm, &gs, tol), "static and manual gradients differ");
    let mut two = [p.zero_like(), p.zero_like()];
    let l2 = parallel_grad(&p, &halves, &mut two, |p, half, g| {
        static_grad(p, &half[0], g).to_f64()
    })
    .expect("two buffers");
    assert!((T::from_f64(l2) - lm).abs() <= T::from_f64(tol) * lm.abs().max(T::one()));
    assert!(close(&two[0], &gm, tol), "two threads and one differ");

    let mut group = c.benchmark_group(format!("batch-{}-{name}-gradient", B::USIZE));
    group.bench_function("manual", |b| {
        b.iter(|| manual.grad(&p, black_box(&whole), &mut gm))
    });
    group.bench_function("static", |b| {
        b.iter(|| {
            gs.set_zero();
            static_grad(&p, black_box(&whole), &mut gs)
        })
    });
    let mut gi = p.zero_like();
    let li = static_into(&p, &whole, &mut gi);
    assert!((li - lm).abs() <= T::from_f64(tol) * lm.abs().max(T::one()));
    assert!(
        close(&gi, &gm, tol),
        "static-into and manual gradients differ"
    );
    group.bench_function("static-into", |b| {
        b.iter(|| static_into(&p, black_box(&whole), &mut gi))
    });
    group.bench_function("static-2-threads", |b| {
        b.iter(|| {
            parallel_grad(&p, black_box(&halves), &mut two, |p, half, g| {
                static_grad(p, &half[0], g).to_f64()
            })
            .expect("two buffers")
        })
    });
    let mut two_into = [p.zero_like(), p.zero_like()];
    let l2 = parallel_grad_into(&p, &halves, &mut two_into, |p, half, g| {
        static_into(p, &half[0], g).to_f64()
    })
    .expect("two buffers");
    assert!((T::from_f64(l2) - lm).abs() <= T::from_f64(tol) * lm.abs().max(T::one()));
    assert!(
        close(&two_into[0], &gm, tol),
        "two-thread and manual gradients differ"
    );
    group.bench_function("static-2-threads-into", |b| {
        b.iter(|| {
            parallel_grad_into(&p, black_box(&halves), &mut two_into, |p, half, g| {
                static_into(p, &half[0], g).to_f64()
            })
            .expect("two buffers")
        })
    });
    if per_sample {
        let mut g = p.zero_like();
        let l = per_sample_grad(&p, &whole, &mut g);
        assert!((l - lm).abs() <= T::from_f64(tol) * lm.abs().max(T::one()));
        assert!(
            close(&g, &gm, tol),
            "per-sample and batched gradients differ"
        );
        group.bench_function("per-sample", |b| {
            b.iter(|| {
                g.set_zero();
                per_sample_grad(&p, black_box(&whole), &mut g)
            })
        });
    }
    group.finish();
}

fn batch(c: &mut Criterion) {
    case::<f64, U128, U64>(c, "f64", true);
    case::<f32, U128, U64>(c, "f32", false);
    case::<f64, U64, U32>(c, "f64", false);
    case::<f32, U64, U32>(c, "f32", false);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = batch
}
criterion_main!(benches);
