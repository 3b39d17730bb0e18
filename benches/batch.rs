//! Mini-batch gradients of the 784-300-100-10 network, batch of 128: as matrix-matrix products
//! (`matrixmultiply`) versus per-sample passes, on one thread versus two (data-parallel, each
//! thread summing its half into its own buffer).
//!
//! Run: `cargo bench --bench batch`, then `python3 benches/ratios.py`.

use backprop::nn::{parallel_grad, Dense, Rng};
use backprop::prelude::*;
use backprop::Scalar;
use criterion::{criterion_group, criterion_main, Criterion};

type Net<T> = (
    Dense<T, U784, U300>,
    Dense<T, U300, U100>,
    Dense<T, U100, U10>,
);
type Params = Net<f64>;
type SampleOf<T> = (Vector<T, U784>, Vector<T, U10>);
type Sample = SampleOf<f64>;

/// The gradient of a whole chunk of `B` samples as one batch: matrix-matrix products.
fn batch_grad<B: Dim, T: Scalar>(p: &Net<T>, chunk: &[SampleOf<T>], g: &mut Net<T>) -> T {
    let x = Matrix::<T, B, U784>::from_fn(|r, c| chunk[r].0[c]);
    let t = Matrix::<T, B, U10>::from_fn(|r, c| chunk[r].1[c]);
    value_and_grad_acc(
        |(l1, l2, l3)| {
            let h1 = constant(&x).matmul_t(l1.w).add_row(l1.b).logistic();
            let h2 = h1.matmul_t(l2.w).add_row(l2.b).logistic();
            softmax_cross_entropy_rows(h2.matmul_t(l3.w).add_row(l3.b), constant(&t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The same gradient, one sample at a time.
fn sample_grad(p: &Params, chunk: &[Sample], g: &mut Params) -> f64 {
    chunk
        .iter()
        .map(|(x, t)| {
            value_and_grad_acc(
                |(l1, l2, l3)| {
                    let h1 = constant(x).dense(l1.w, l1.b, backprop::ops::map::Logistic);
                    let h2 = h1.dense(l2.w, l2.b, backprop::ops::map::Logistic);
                    softmax_cross_entropy(l3.w.matvec(h2) + l3.b, constant(t))
                },
                p,
                g,
            )
            .expect("the gradient buffer has the parameters' shape")
        })
        .sum()
}

fn batch(c: &mut Criterion) {
    let mut rng = Rng::new(5);
    let p: Params = (
        Dense::xavier(&mut rng),
        Dense::xavier(&mut rng),
        Dense::xavier(&mut rng),
    );
    let samples: Vec<Sample> = (0..128)
        .map(|i| {
            let x = Vector::from_fn(|_| rng.uniform(0.0, 1.0));
            (x, Vector::from_fn(|k| if k == i % 10 { 1.0 } else { 0.0 }))
        })
        .collect();
    let mut one = [p.zero_like()];
    let mut two = [p.zero_like(), p.zero_like()];
    // All four compute the same gradient.
    let reference =
        parallel_grad(&p, &samples, &mut one, sample_grad).expect("at least one buffer");
    let l =
        parallel_grad(&p, &samples, &mut two, batch_grad::<U64, f64>).expect("at least one buffer");
    assert!((l - reference).abs() < 1e-9 && two[0].0.w.approx_eq(&one[0].0.w, 1e-9));

    let mut group = c.benchmark_group("batch-128-gradient");
    group.bench_function("manual", |b| {
        // The per-sample loop on one thread is the baseline the ratios are taken against.
        b.iter(|| parallel_grad(&p, &samples, &mut one, sample_grad).expect("at least one buffer"))
    });
    group.bench_function("per-sample-2-threads", |b| {
        b.iter(|| parallel_grad(&p, &samples, &mut two, sample_grad).expect("at least one buffer"))
    });
    group.bench_function("matmul-1-thread", |b| {
        b.iter(|| {
            parallel_grad(&p, &samples, &mut one, batch_grad::<U128, f64>)
                .expect("at least one buffer")
        })
    });
    group.bench_function("matmul-2-threads", |b| {
        b.iter(|| {
            parallel_grad(&p, &samples, &mut two, batch_grad::<U64, f64>)
                .expect("at least one buffer")
        })
    });
    group.finish();

    // A batch of 64 in f64 and in f32, matrix products on one thread.
    let p32: Net<f32> = (to_f32(&p.0), to_f32(&p.1), to_f32(&p.2));
    let s32: Vec<SampleOf<f32>> = samples[..64]
        .iter()
        .map(|(x, t)| {
            (
                Vector::from_fn(|i| x[i] as f32),
                Vector::from_fn(|i| t[i] as f32),
            )
        })
        .collect();
    let mut g32 = [p32.zero_like()];
    let mut group = c.benchmark_group("batch-64-gradient");
    group.bench_function("manual", |b| {
        b.iter(|| {
            parallel_grad(&p, &samples[..64], &mut one, sample_grad).expect("at least one buffer")
        })
    });
    group.bench_function("matmul-f64", |b| {
        b.iter(|| {
            parallel_grad(&p, &samples[..64], &mut one, batch_grad::<U64, f64>)
                .expect("at least one buffer")
        })
    });
    group.bench_function("matmul-f32", |b| {
        b.iter(|| {
            parallel_grad(&p32, &s32, &mut g32, |p, c, g| {
                f64::from(batch_grad::<U64, f32>(p, c, g))
            })
            .expect("at least one buffer")
        })
    });
    group.finish();
}

fn to_f32<I: Dim, O: Dim>(l: &Dense<f64, I, O>) -> Dense<f32, I, O> {
    Dense {
        w: Matrix::from_fn(|r, c| l.w[(r, c)] as f32),
        b: Vector::from_fn(|i| l.b[i] as f32),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = batch
}
criterion_main!(benches);
