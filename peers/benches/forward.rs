//! The 784-300-100-10 forward pass (logistic hidden layers, softmax cross-entropy, one sample,
//! f64), side by side: backprop's static engine and candle (the fastest peer on this workload
//! when issue 11 was filed). The hand-written baselines are in the crate's own
//! `benches/mnist_net.rs`.
//!
//! Run with `cd peers && cargo bench --bench forward` (candle's GEMM may use a second thread;
//! `RAYON_NUM_THREADS=1` pins it to one).

use backprop::prelude::*;
use candle_core::{Device, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

type Params = (
    Matrix<f64, U300, U784>,
    Vector<f64, U300>,
    Matrix<f64, U100, U300>,
    Vector<f64, U100>,
    Matrix<f64, U10, U100>,
    Vector<f64, U10>,
);

fn weight(i: usize, salt: usize) -> f64 {
    let h = (i.wrapping_mul(2654435761) ^ salt.wrapping_mul(40503)) % 1000;
    (h as f64 / 1000.0 - 0.5) * 0.1
}

fn params() -> Params {
    (
        Matrix::from_fn(|r, c| weight(r * 784 + c, 1)),
        Vector::from_fn(|i| weight(i, 2)),
        Matrix::from_fn(|r, c| weight(r * 300 + c, 3)),
        Vector::from_fn(|i| weight(i, 4)),
        Matrix::from_fn(|r, c| weight(r * 100 + c, 5)),
        Vector::from_fn(|i| weight(i, 6)),
    )
}

fn static_run(p: &Params, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> f64 {
    eval(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).logistic();
            let h2 = (w2.matvec(h1) + b2).logistic();
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

struct CandleNet {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
    w3: Tensor,
    b3: Tensor,
}

impl CandleNet {
    fn new(p: &Params) -> candle_core::Result<Self> {
        let d = Device::Cpu;
        // Weights transposed once, so the forward pass is x (1 x n) times W^T (n x m).
        let t = |m: &[f64], r: usize, c: usize| -> candle_core::Result<Tensor> {
            Tensor::from_slice(m, (r, c), &d)?.t()?.contiguous()
        };
        Ok(CandleNet {
            w1: t(p.0.as_slice(), 300, 784)?,
            b1: Tensor::from_slice(p.1.as_slice(), (1, 300), &d)?,
            w2: t(p.2.as_slice(), 100, 300)?,
            b2: Tensor::from_slice(p.3.as_slice(), (1, 100), &d)?,
            w3: t(p.4.as_slice(), 10, 100)?,
            b3: Tensor::from_slice(p.5.as_slice(), (1, 10), &d)?,
        })
    }

    fn run(&self, x: &Tensor, t: &Tensor) -> candle_core::Result<f64> {
        let sigmoid = |z: Tensor| -> candle_core::Result<Tensor> {
            (z.neg()?.exp()? + 1.0)?.recip()
        };
        let h1 = sigmoid(x.matmul(&self.w1)?.broadcast_add(&self.b1)?)?;
        let h2 = sigmoid(h1.matmul(&self.w2)?.broadcast_add(&self.b2)?)?;
        let z = h2.matmul(&self.w3)?.broadcast_add(&self.b3)?;
        let m = z.max_keepdim(1)?;
        let lse = (z.broadcast_sub(&m)?.exp()?.sum_keepdim(1)?.log()? + &m)?;
        lse.broadcast_sub(&z)?.mul(t)?.sum_all()?.to_scalar::<f64>()
    }
}

fn forward(c: &mut Criterion) {
    let p = params();
    let x = Vector::<f64, U784>::from_fn(|i| (i % 17) as f64 / 17.0);
    let t = Vector::<f64, U10>::from_fn(|i| if i == 3 { 1.0 } else { 0.0 });
    let candle = CandleNet::new(&p).expect("candle builds the network");
    let xc = Tensor::from_slice(x.as_slice(), (1, 784), &Device::Cpu).expect("x");
    let tc = Tensor::from_slice(t.as_slice(), (1, 10), &Device::Cpu).expect("t");

    let y = static_run(&p, &x, &t);
    let yc = candle.run(&xc, &tc).expect("candle runs");
    assert!((y - yc).abs() < 1e-9, "{y} {yc}");

    let mut group = c.benchmark_group("mnist-784-300-100-10/forward");
    group.bench_function("static", |b| b.iter(|| static_run(&p, black_box(&x), &t)));
    group.bench_function("candle", |b| {
        b.iter(|| candle.run(black_box(&xc), &tc).expect("candle runs"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(4));
    targets = forward
}
criterion_main!(benches);
