//! The 784-300-100-10 network (logistic hidden layers, softmax cross-entropy, one sample, f64)
//! and a 2-16-16-1 tanh network with squared error: the engine's variants against the fastest
//! hand-written code, measured side by side in one run.
//!
//! - `manual`: hand-written forward and backward over preallocated buffers, every gradient
//!   *written* once (outer products and transposed products that overwrite, never a zero-fill
//!   followed by accumulation), on the kernels of the CPU's best instruction set.
//! - `manual-sse2`: the same code on the portable kernels (x86-64 baseline, SSE2).
//! - `static`: `value_and_grad`, a fresh gradient per call (the previous one dropped).
//! - `static-into`: `value_and_grad_into`, overwriting a kept buffer (each gradient written once).
//! - `static-acc`: a kept buffer, zeroed, then `value_and_grad_acc` (how a training loop that
//!   keeps its buffer runs today); `static-fields` and `static-layers` run the same way.
//! - `tape`: the runtime tape with the parameters kept on it (truncated back to them each call);
//!   its gradients are moved into the kept buffer with `Gradients::take_into` (no copy).
//! - `hybrid`: the hidden layers written by hand (`op2` for the first, whose input is data, so
//!   no gradient is computed for it; `op3` for the second), the rest static, written into a kept
//!   buffer like `static-into`.
//!
//! Run: `cargo bench --bench mnist_net`. Ratios to `manual` are what matter; absolute times on a
//! shared 2-core machine are noisy.

use backprop::kernels::{self, Simd};
use backprop::nn::Dense;
use backprop::prelude::*;
use backprop::tape::Tape;
use backprop::Dim;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts heap allocations, to report allocations per gradient call for each variant.
struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations made by one call of `f`, after a warm-up call (steady state).
fn allocations(mut f: impl FnMut()) -> usize {
    f();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// Measures the allocations of one call of `f` and appends `case variant count` to
/// `target/criterion/allocations.txt`, read by benches/ratios.py.
fn record_allocations(case: &str, variant: &str, f: impl FnMut()) {
    let count = allocations(f);
    use std::io::Write;
    let _ = std::fs::create_dir_all("target/criterion");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("target/criterion/allocations.txt")
    {
        let _ = writeln!(f, "{case} {variant} {count}");
    }
}

type P<I, H1, H2, O> = (
    Matrix<f64, H1, I>,
    Vector<f64, H1>,
    Matrix<f64, H2, H1>,
    Vector<f64, H2>,
    Matrix<f64, O, H2>,
    Vector<f64, O>,
);

fn values(seed: u64, n: usize, scale: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn mat<R: Dim, C: Dim>(seed: u64) -> Matrix<f64, R, C> {
    let scale = (1.0 / C::USIZE as f64).sqrt();
    Matrix::try_from_vec(values(seed, R::USIZE * C::USIZE, scale)).unwrap()
}

fn vec_<N: Dim>(seed: u64, scale: f64) -> Vector<f64, N> {
    Vector::try_from_vec(values(seed, N::USIZE, scale)).unwrap()
}

fn params<I: Dim, H1: Dim, H2: Dim, O: Dim>() -> P<I, H1, H2, O> {
    (
        mat(1),
        vec_(2, 0.1),
        mat(3),
        vec_(4, 0.1),
        mat(5),
        vec_(6, 0.1),
    )
}

/// Hand-written forward and backward passes over preallocated buffers: each gradient is written
/// once, never zeroed and accumulated.
struct Manual {
    z1: Vec<f64>,
    z2: Vec<f64>,
    z3: Vec<f64>,
    d1: Vec<f64>,
    d2: Vec<f64>,
    d3: Vec<f64>,
}

impl Manual {
    fn new(h1: usize, h2: usize, o: usize) -> Self {
        let z = |n| vec![0.0; n];
        Manual {
            z1: z(h1),
            z2: z(h2),
            z3: z(o),
            d1: z(h1),
            d2: z(h2),
            d3: z(o),
        }
    }

    /// Layer: `z = W x + b`, then the activation in place.
    fn layer(w: &[f64], b: &[f64], x: &[f64], z: &mut [f64], act: impl Fn(f64) -> f64) {
        kernels::matvec(w, z.len(), x.len(), x, z);
        for (zi, &bi) in z.iter_mut().zip(b) {
            *zi = act(*zi + bi);
        }
    }

    /// Forward through the three layers: `act` on the hidden ones, none on the output, which is
    /// left in `z3`.
    fn forward<I: Dim, H1: Dim, H2: Dim, O: Dim>(
        &mut self,
        p: &P<I, H1, H2, O>,
        x: &[f64],
        act: impl Fn(f64) -> f64 + Copy,
    ) {
        Self::layer(p.0.as_slice(), p.1.as_slice(), x, &mut self.z1, act);
        Self::layer(p.2.as_slice(), p.3.as_slice(), &self.z1, &mut self.z2, act);
        Self::layer(
            p.4.as_slice(),
            p.5.as_slice(),
            &self.z2,
            &mut self.z3,
            |v| v,
        );
    }

    /// Backward from the output gradient in `d3`; `dact(h)` is the activation's derivative
    /// written in terms of its output.
    fn backward<I: Dim, H1: Dim, H2: Dim, O: Dim>(
        &mut self,
        p: &P<I, H1, H2, O>,
        x: &[f64],
        g: &mut P<I, H1, H2, O>,
        dact: impl Fn(f64) -> f64,
    ) {
        let (h1, h2, o) = (H1::USIZE, H2::USIZE, O::USIZE);
        kernels::outer(g.4.as_mut_slice(), &self.d3, &self.z2);
        g.5.as_mut_slice().copy_from_slice(&self.d3);
        // dz2 = (W3^T dz3) * act'(z2)
        kernels::matvec_t(p.4.as_slice(), o, h2, &self.d3, &mut self.d2);
        for (d, &h) in self.d2.iter_mut().zip(&self.z2) {
            *d *= dact(h);
        }
        kernels::outer(g.2.as_mut_slice(), &self.d2, &self.z1);
        g.3.as_mut_slice().copy_from_slice(&self.d2);
        // dz1 = (W2^T dz2) * act'(z1)
        kernels::matvec_t(p.2.as_slice(), h2, h1, &self.d2, &mut self.d1);
        for (d, &h) in self.d1.iter_mut().zip(&self.z1) {
            *d *= dact(h);
        }
        kernels::outer(g.0.as_mut_slice(), &self.d1, x);
        g.1.as_mut_slice().copy_from_slice(&self.d1);
    }

    /// MNIST network: logistic, logistic, softmax cross-entropy. Returns the loss.
    fn mnist_forward<I: Dim, H1: Dim, H2: Dim, O: Dim>(
        &mut self,
        p: &P<I, H1, H2, O>,
        x: &[f64],
        t: &[f64],
    ) -> f64 {
        self.forward(p, x, backprop::ops::map::logistic::<f64>);
        let lse = backprop::ops::softmax::logsumexp(&self.z3);
        self.z3.iter().zip(t).map(|(&z, &ti)| ti * (lse - z)).sum()
    }

    fn mnist_grad<I: Dim, H1: Dim, H2: Dim, O: Dim>(
        &mut self,
        p: &P<I, H1, H2, O>,
        x: &[f64],
        t: &[f64],
        g: &mut P<I, H1, H2, O>,
    ) -> f64 {
        let loss = self.mnist_forward(p, x, t);
        // dz3 = softmax(z3) sum(t) - t
        let (m, total) = (
            self.z3.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b)),
            t.iter().sum::<f64>(),
        );
        let mut norm = 0.0;
        for (d, &z) in self.d3.iter_mut().zip(&self.z3) {
            *d = (z - m).exp();
            norm += *d;
        }
        for (d, &ti) in self.d3.iter_mut().zip(t) {
            *d = *d / norm * total - ti;
        }
        self.backward(p, x, g, |h| h * (1.0 - h));
        loss
    }

    /// Small network: tanh, tanh, squared error. Returns the loss.
    fn small_grad<I: Dim, H1: Dim, H2: Dim, O: Dim>(
        &mut self,
        p: &P<I, H1, H2, O>,
        x: &[f64],
        t: &[f64],
        g: &mut P<I, H1, H2, O>,
    ) -> f64 {
        self.forward(p, x, f64::tanh);
        let mut loss = 0.0;
        for ((d, &z), &ti) in self.d3.iter_mut().zip(&self.z3).zip(t) {
            loss += (z - ti) * (z - ti);
            *d = 2.0 * (z - ti);
        }
        self.backward(p, x, g, |h| 1.0 - h * h);
        loss
    }
}

type Mnist = P<U784, U300, U100, U10>;

/// The same parameters as a record of layer records, read by field inside the closure.
#[derive(Backprop, Clone)]
struct MnistNet {
    l1: Dense<f64, U784, U300>,
    l2: Dense<f64, U300, U100>,
    l3: Dense<f64, U100, U10>,
}

fn record(p: &Mnist) -> MnistNet {
    MnistNet {
        l1: Dense {
            w: p.0.clone(),
            b: p.1.clone(),
        },
        l2: Dense {
            w: p.2.clone(),
            b: p.3.clone(),
        },
        l3: Dense {
            w: p.4.clone(),
            b: p.5.clone(),
        },
    }
}

fn static_fields_grad(
    net: &MnistNet,
    x: &Vector<f64, U784>,
    t: &Vector<f64, U10>,
    g: &mut MnistNet,
) -> f64 {
    value_and_grad_acc(
        |net| {
            let h1 = (net.l1.w.matvec(constant(x)) + net.l1.b).logistic();
            let h2 = (net.l2.w.matvec(h1) + net.l2.b).logistic();
            softmax_cross_entropy(net.l3.w.matvec(h2) + net.l3.b, constant(t))
        },
        net,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}
type Small = P<U2, U16, U16, U1>;

fn static_mnist_grad(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>, g: &mut Mnist) -> f64 {
    value_and_grad_acc(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).logistic();
            let h2 = (w2.matvec(h1) + b2).logistic();
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The same network with `dense` layers (one node a layer).
fn static_layers_grad(
    p: &Mnist,
    x: &Vector<f64, U784>,
    t: &Vector<f64, U10>,
    g: &mut Mnist,
) -> f64 {
    use backprop::ops::map::Logistic;
    value_and_grad_acc(
        |(w1, b1, w2, b2, w3, b3)| {
            let h2 = constant(x).dense(w1, b1, Logistic).dense(w2, b2, Logistic);
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// A logistic layer with its gradient written by hand (with the same kernels), for `op3`.
#[allow(clippy::type_complexity)]
fn handwritten_layer<I: Dim, O: Dim>(
    w: &Matrix<f64, O, I>,
    b: &Vector<f64, O>,
    h: &Vector<f64, I>,
) -> (
    Vector<f64, O>,
    impl Fn(
        &Vector<f64, O>,
        &Matrix<f64, O, I>,
        &Vector<f64, O>,
        &Vector<f64, I>,
    ) -> (Matrix<f64, O, I>, Vector<f64, O>, Vector<f64, I>),
) {
    let mut z = Vector::<f64, O>::zeros();
    kernels::matvec(
        w.as_slice(),
        O::USIZE,
        I::USIZE,
        h.as_slice(),
        z.as_mut_slice(),
    );
    kernels::add_assign(z.as_mut_slice(), b.as_slice());
    let out = z.map(backprop::ops::map::logistic);
    let o = out.clone();
    (
        out,
        move |dy: &Vector<f64, O>,
              w: &Matrix<f64, O, I>,
              _: &Vector<f64, O>,
              h: &Vector<f64, I>| {
            let dz = Vector::<f64, O>::from_fn(|r| dy[r] * o[r] * (1.0 - o[r]));
            let dw = Matrix::from_writer(|m| kernels::outer(m, dz.as_slice(), h.as_slice()));
            let dh = Vector::from_writer(|v| {
                kernels::matvec_t(w.as_slice(), O::USIZE, I::USIZE, dz.as_slice(), v)
            });
            (dw, dz, dh)
        },
    )
}

/// The first layer written by hand, for `op2` over `(W, b)` with the input (data) captured: no
/// gradient is computed for the input, which `op3`'s closure, not knowing the input is a
/// constant, would compute with an extra pass over W1.
#[allow(clippy::type_complexity)]
fn handwritten_input_layer<'x, I: Dim, O: Dim>(
    w: &Matrix<f64, O, I>,
    b: &Vector<f64, O>,
    x: &'x Vector<f64, I>,
) -> (
    Vector<f64, O>,
    impl Fn(
            &Vector<f64, O>,
            &Matrix<f64, O, I>,
            &Vector<f64, O>,
        ) -> (Matrix<f64, O, I>, Vector<f64, O>)
        + 'x,
) {
    let mut z = Vector::<f64, O>::zeros();
    kernels::matvec(
        w.as_slice(),
        O::USIZE,
        I::USIZE,
        x.as_slice(),
        z.as_mut_slice(),
    );
    kernels::add_assign(z.as_mut_slice(), b.as_slice());
    let out = z.map(backprop::ops::map::logistic);
    let o = out.clone();
    (
        out,
        move |dy: &Vector<f64, O>, _: &Matrix<f64, O, I>, _: &Vector<f64, O>| {
            let dz = Vector::<f64, O>::from_fn(|r| dy[r] * o[r] * (1.0 - o[r]));
            let dw = Matrix::from_writer(|m| kernels::outer(m, dz.as_slice(), x.as_slice()));
            (dw, dz)
        },
    )
}

/// Hybrid: each hidden layer one hand-written op, chained by the static engine; the gradient
/// written over `g` (the layers' owned weight gradients are moved into it).
fn hybrid_grad(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>, g: &mut Mnist) -> f64 {
    value_and_grad_into(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = op2(w1, b1, |w, b| handwritten_input_layer(w, b, x));
            let h2 = op3(w2, b2, h1, handwritten_layer);
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// A variant under test: writes the gradient at the parameters into the second argument
/// (whatever it held before) and returns the loss.
type Variant<'a, Q> = (&'static str, Box<dyn FnMut(&Q, &mut Q) -> f64 + 'a>);

/// `g = 0`, in place: what a kept buffer costs before each accumulating call.
fn zero<I: Dim, H1: Dim, H2: Dim, O: Dim>(g: &mut P<I, H1, H2, O>) {
    g.0.as_mut_slice().fill(0.0);
    g.1.as_mut_slice().fill(0.0);
    g.2.as_mut_slice().fill(0.0);
    g.3.as_mut_slice().fill(0.0);
    g.4.as_mut_slice().fill(0.0);
    g.5.as_mut_slice().fill(0.0);
}

/// `p -= rate g`: one step of descent.
fn sgd_step<I: Dim, H1: Dim, H2: Dim, O: Dim>(
    p: &mut P<I, H1, H2, O>,
    g: &P<I, H1, H2, O>,
    rate: f64,
) {
    kernels::axpy(p.0.as_mut_slice(), -rate, g.0.as_slice());
    kernels::axpy(p.1.as_mut_slice(), -rate, g.1.as_slice());
    kernels::axpy(p.2.as_mut_slice(), -rate, g.2.as_slice());
    kernels::axpy(p.3.as_mut_slice(), -rate, g.3.as_slice());
    kernels::axpy(p.4.as_mut_slice(), -rate, g.4.as_slice());
    kernels::axpy(p.5.as_mut_slice(), -rate, g.5.as_slice());
}

/// Checks that every variant gives the first one's loss and gradient, then benchmarks each as
/// `group/variant`, records its allocations per call, and (for those in `descent`) benchmarks a
/// gradient and a step of descent on its own copy of the parameters.
fn compare<I: Dim, H1: Dim, H2: Dim, O: Dim>(
    c: &mut Criterion,
    case: &str,
    p: &P<I, H1, H2, O>,
    mut variants: Vec<Variant<'_, P<I, H1, H2, O>>>,
    descent: &[&str],
) {
    let mut want = p.zero_like();
    let lw = (variants[0].1)(p, &mut want);
    for (name, f) in &mut variants[1..] {
        let mut g = p.zero_like();
        let l = f(p, &mut g);
        assert!((l - lw).abs() < 1e-12, "{name}: loss {l} vs {lw}");
        assert_same(&g, &want);
    }
    let mut group = c.benchmark_group(format!("{case}/gradient"));
    for (name, f) in &mut variants {
        let mut g = p.zero_like();
        group.bench_function(*name, |b| b.iter(|| f(p, black_box(&mut g))));
    }
    group.finish();
    for (name, f) in &mut variants {
        let mut g = p.zero_like();
        record_allocations(&format!("{case}_gradient"), name, || {
            f(p, &mut g);
        });
    }
    let mut group = c.benchmark_group(format!("{case}/descent"));
    for (name, f) in variants.iter_mut().filter(|(n, _)| descent.contains(n)) {
        let (mut q, mut g) = (p.clone(), p.zero_like());
        group.bench_function(*name, |b| {
            b.iter(|| {
                let l = f(&q, black_box(&mut g));
                sgd_step(&mut q, &g, 0.02);
                l
            })
        });
    }
    group.finish();
}

fn static_mnist_run(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> f64 {
    eval(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).logistic();
            let h2 = (w2.matvec(h1) + b2).logistic();
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

/// Forward only through a derived record.
fn static_fields_run(net: &MnistNet, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> f64 {
    eval(
        |net| {
            let h1 = (net.l1.w.matvec(constant(x)) + net.l1.b).logistic();
            let h2 = (net.l2.w.matvec(h1) + net.l2.b).logistic();
            softmax_cross_entropy(net.l3.w.matvec(h2) + net.l3.b, constant(t))
        },
        net,
    )
}

/// Forward only with `dense` layers.
fn static_layers_run(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> f64 {
    use backprop::ops::map::Logistic;
    eval(
        |(w1, b1, w2, b2, w3, b3)| {
            let h2 = constant(x).dense(w1, b1, Logistic).dense(w2, b2, Logistic);
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

/// Forward only with the hand-written layers.
fn hybrid_run(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> f64 {
    eval(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = op2(w1, b1, |w, b| handwritten_input_layer(w, b, x));
            let h2 = op3(w2, b2, h1, handwritten_layer);
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

/// Forward only on the tape.
fn tape_run<I: Dim, H1: Dim, H2: Dim, O: Dim>(
    tape: &mut Tape,
    x: &Vector<f64, I>,
    t: &Vector<f64, O>,
) -> f64 {
    tape.truncate(6);
    let (w1, b1) = (
        tape.at::<Matrix<f64, H1, I>>(0),
        tape.at::<Vector<f64, H1>>(1),
    );
    let (w2, b2) = (
        tape.at::<Matrix<f64, H2, H1>>(2),
        tape.at::<Vector<f64, H2>>(3),
    );
    let (w3, b3) = (
        tape.at::<Matrix<f64, O, H2>>(4),
        tape.at::<Vector<f64, O>>(5),
    );
    let (x, t) = (tape.constant(x.clone()), tape.constant(t.clone()));
    let h1 = (w1.matvec(x) + b1).logistic();
    let h2 = (w2.matvec(h1) + b2).logistic();
    (w3.matvec(h2) + b3).softmax_cross_entropy(t).value()
}

fn static_small_grad(p: &Small, x: &Vector<f64, U2>, t: &Vector<f64, U1>, g: &mut Small) -> f64 {
    value_and_grad_acc(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).tanh();
            let h2 = (w2.matvec(h1) + b2).tanh();
            squared_error(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The same network on the runtime tape: parameters stay on the tape (positions 0-5), each call
/// records the sample's computation after them and runs it backward.
fn tape_grad<I: Dim, H1: Dim, H2: Dim, O: Dim>(
    tape: &mut Tape,
    x: &Vector<f64, I>,
    t: &Vector<f64, O>,
    logistic: bool,
    g: &mut P<I, H1, H2, O>,
) -> f64 {
    tape.truncate(6);
    let (w1, b1) = (
        tape.at::<Matrix<f64, H1, I>>(0),
        tape.at::<Vector<f64, H1>>(1),
    );
    let (w2, b2) = (
        tape.at::<Matrix<f64, H2, H1>>(2),
        tape.at::<Vector<f64, H2>>(3),
    );
    let (w3, b3) = (
        tape.at::<Matrix<f64, O, H2>>(4),
        tape.at::<Vector<f64, O>>(5),
    );
    let (x, t) = (tape.constant(x.clone()), tape.constant(t.clone()));
    let h1 = activate(w1.matvec(x) + b1, logistic);
    let h2 = activate(w2.matvec(h1) + b2, logistic);
    let out = w3.matvec(h2) + b3;
    let loss = if logistic {
        out.softmax_cross_entropy(t)
    } else {
        let d = out - t;
        d.dot(d)
    };
    let mut grads = tape.backward(loss);
    grads.take_into(w1, &mut g.0);
    grads.take_into(b1, &mut g.1);
    grads.take_into(w2, &mut g.2);
    grads.take_into(b2, &mut g.3);
    grads.take_into(w3, &mut g.4);
    grads.take_into(b3, &mut g.5);
    loss.value()
}

fn activate<X: backprop::Tensor + 'static>(
    v: backprop::tape::Var<'_, X>,
    logistic: bool,
) -> backprop::tape::Var<'_, X> {
    if logistic {
        v.logistic()
    } else {
        v.tanh()
    }
}

fn put_on_tape<I: Dim, H1: Dim, H2: Dim, O: Dim>(p: &P<I, H1, H2, O>) -> Tape {
    let tape = Tape::new();
    tape.var(p.0.clone());
    tape.var(p.1.clone());
    tape.var(p.2.clone());
    tape.var(p.3.clone());
    tape.var(p.4.clone());
    tape.var(p.5.clone());
    tape
}

fn assert_same<I: Dim, H1: Dim, H2: Dim, O: Dim>(a: &P<I, H1, H2, O>, b: &P<I, H1, H2, O>) {
    assert!(a.0.approx_eq(&b.0, 1e-12) && a.1.approx_eq(&b.1, 1e-12));
    assert!(a.2.approx_eq(&b.2, 1e-12) && a.3.approx_eq(&b.3, 1e-12));
    assert!(a.4.approx_eq(&b.4, 1e-12) && a.5.approx_eq(&b.5, 1e-12));
}

/// The MNIST gradient through `value_and_grad_into`: written over a kept buffer.
fn static_mnist_into(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>, g: &mut Mnist) -> f64 {
    value_and_grad_into(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).logistic();
            let h2 = (w2.matvec(h1) + b2).logistic();
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The MNIST gradient through `value_and_grad`: a fresh gradient per call.
fn static_mnist_fresh(p: &Mnist, x: &Vector<f64, U784>, t: &Vector<f64, U10>) -> (f64, Mnist) {
    value_and_grad(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).logistic();
            let h2 = (w2.matvec(h1) + b2).logistic();
            softmax_cross_entropy(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

fn mnist(c: &mut Criterion) {
    let p: Mnist = params();
    let x: Vector<f64, U784> =
        Vector::try_from_vec(values(7, 784, 0.5).iter().map(|v| v + 0.5).collect()).unwrap();
    let t = Vector::<f64, U10>::from_fn(|i| if i == 3 { 1.0 } else { 0.0 });
    let (x, t) = (&x, &t);
    let (mut manual, mut manual_sse2) = (Manual::new(300, 100, 10), Manual::new(300, 100, 10));
    let net = record(&p);
    let mut gr = net.zero_like();
    let mut tape = put_on_tape(&p);
    let variants: Vec<Variant<'_, Mnist>> = vec![
        (
            "manual",
            Box::new(|q, g| manual.mnist_grad(q, x.as_slice(), t.as_slice(), g)),
        ),
        (
            "manual-sse2",
            Box::new(|q, g| {
                Simd::Portable
                    .run(|| manual_sse2.mnist_grad(q, x.as_slice(), t.as_slice(), g))
                    .expect("portable kernels run everywhere")
            }),
        ),
        (
            "static",
            Box::new(|q, g| {
                let (l, fresh) = static_mnist_fresh(q, x, t);
                *g = fresh;
                l
            }),
        ),
        (
            "static-into",
            Box::new(|q, g| static_mnist_into(q, x, t, g)),
        ),
        (
            "static-acc",
            Box::new(|q, g| {
                zero(g);
                static_mnist_grad(q, x, t, g)
            }),
        ),
        (
            "static-layers",
            Box::new(|q, g| {
                zero(g);
                static_layers_grad(q, x, t, g)
            }),
        ),
        ("hybrid", Box::new(|q, g| hybrid_grad(q, x, t, g))),
        (
            "tape",
            // Parameters stay on the tape between calls; in the descent group each step puts
            // the changed parameters on a fresh tape.
            Box::new(|q, g| {
                if tape_params_changed(&tape, q) {
                    tape = put_on_tape(q);
                }
                tape_grad(&mut tape, x, t, true, g)
            }),
        ),
    ];
    compare(
        c,
        "mnist-784-300-100-10",
        &p,
        variants,
        &[
            "manual",
            "manual-sse2",
            "static",
            "static-acc",
            "static-layers",
            "hybrid",
            "tape",
        ],
    );
    // Through a derived record of the same parameters: its own gradient record, zeroed and
    // accumulated into like `static-acc`.
    let mut want = p.zero_like();
    let lm = manual.mnist_grad(&p, x.as_slice(), t.as_slice(), &mut want);
    let lr = static_fields_grad(&net, x, t, &mut gr);
    assert!((lr - lm).abs() < 1e-12);
    assert!(gr.l1.w.approx_eq(&want.0, 1e-12) && gr.l3.b.approx_eq(&want.5, 1e-12));
    let zero_record = |g: &mut MnistNet| {
        for layer in [
            &mut g.l1.w.as_mut_slice(),
            &mut g.l2.w.as_mut_slice(),
            &mut g.l3.w.as_mut_slice(),
        ] {
            layer.fill(0.0);
        }
        g.l1.b.as_mut_slice().fill(0.0);
        g.l2.b.as_mut_slice().fill(0.0);
        g.l3.b.as_mut_slice().fill(0.0);
    };
    let mut group = c.benchmark_group("mnist-784-300-100-10/gradient");
    group.bench_function("static-fields", |b| {
        b.iter(|| {
            zero_record(&mut gr);
            static_fields_grad(&net, black_box(x), t, &mut gr)
        })
    });
    group.finish();
    record_allocations("mnist-784-300-100-10_gradient", "static-fields", || {
        zero_record(&mut gr);
        static_fields_grad(&net, x, t, &mut gr);
    });

    let mut group = c.benchmark_group("mnist-784-300-100-10/run");
    group.bench_function("manual", |b| {
        b.iter(|| manual.mnist_forward(&p, black_box(x.as_slice()), t.as_slice()))
    });
    group.bench_function("manual-sse2", |b| {
        b.iter(|| {
            Simd::Portable
                .run(|| manual.mnist_forward(&p, black_box(x.as_slice()), t.as_slice()))
                .expect("portable kernels run everywhere")
        })
    });
    group.bench_function("static", |b| {
        b.iter(|| static_mnist_run(&p, black_box(x), t))
    });
    let lr = manual.mnist_forward(&p, x.as_slice(), t.as_slice());
    let mut tape = put_on_tape(&p);
    for y in [
        static_mnist_run(&p, x, t),
        static_fields_run(&net, x, t),
        static_layers_run(&p, x, t),
        hybrid_run(&p, x, t),
        tape_run::<U784, U300, U100, U10>(&mut tape, x, t),
    ] {
        assert!((y - lr).abs() < 1e-12);
    }
    group.bench_function("static-fields", |b| {
        b.iter(|| static_fields_run(&net, black_box(x), t))
    });
    group.bench_function("static-layers", |b| {
        b.iter(|| static_layers_run(&p, black_box(x), t))
    });
    group.bench_function("hybrid", |b| b.iter(|| hybrid_run(&p, black_box(x), t)));
    group.bench_function("tape", |b| {
        b.iter(|| tape_run::<U784, U300, U100, U10>(&mut tape, black_box(x), t))
    });
    group.finish();
}

/// Whether the parameters on `tape` (positions 0-5) differ from `q`: the descent group changes
/// them every step.
fn tape_params_changed<I: Dim, H1: Dim, H2: Dim, O: Dim>(tape: &Tape, q: &P<I, H1, H2, O>) -> bool {
    tape.at::<Vector<f64, H1>>(1).value() != q.1 || tape.at::<Vector<f64, O>>(5).value() != q.5
}

/// The small network through `value_and_grad_into`: written over a kept buffer.
fn static_small_into(p: &Small, x: &Vector<f64, U2>, t: &Vector<f64, U1>, g: &mut Small) -> f64 {
    value_and_grad_into(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).tanh();
            let h2 = (w2.matvec(h1) + b2).tanh();
            squared_error(w3.matvec(h2) + b3, constant(t))
        },
        p,
        g,
    )
    .expect("the gradient buffer has the parameters' shape")
}

/// The small network through `value_and_grad`: a fresh gradient per call.
fn static_small_fresh(p: &Small, x: &Vector<f64, U2>, t: &Vector<f64, U1>) -> (f64, Small) {
    value_and_grad(
        |(w1, b1, w2, b2, w3, b3)| {
            let h1 = (w1.matvec(constant(x)) + b1).tanh();
            let h2 = (w2.matvec(h1) + b2).tanh();
            squared_error(w3.matvec(h2) + b3, constant(t))
        },
        p,
    )
}

fn small(c: &mut Criterion) {
    let p: Small = params();
    let x = Vector::<f64, U2>::from([0.3, -0.7]);
    let t = Vector::<f64, U1>::from([0.2]);
    let (x, t) = (&x, &t);
    let (mut manual, mut manual_sse2) = (Manual::new(16, 16, 1), Manual::new(16, 16, 1));
    let mut tape = put_on_tape(&p);
    let variants: Vec<Variant<'_, Small>> = vec![
        (
            "manual",
            Box::new(|q, g| manual.small_grad(q, x.as_slice(), t.as_slice(), g)),
        ),
        (
            "manual-sse2",
            Box::new(|q, g| {
                Simd::Portable
                    .run(|| manual_sse2.small_grad(q, x.as_slice(), t.as_slice(), g))
                    .expect("portable kernels run everywhere")
            }),
        ),
        (
            "static",
            Box::new(|q, g| {
                let (l, fresh) = static_small_fresh(q, x, t);
                *g = fresh;
                l
            }),
        ),
        (
            "static-into",
            Box::new(|q, g| static_small_into(q, x, t, g)),
        ),
        (
            "static-acc",
            Box::new(|q, g| {
                zero(g);
                static_small_grad(q, x, t, g)
            }),
        ),
        (
            "tape",
            Box::new(|q, g| {
                if tape_params_changed(&tape, q) {
                    tape = put_on_tape(q);
                }
                tape_grad(&mut tape, x, t, false, g)
            }),
        ),
    ];
    compare(
        c,
        "tanh-2-16-16-1",
        &p,
        variants,
        &["manual", "static", "static-into", "static-acc"],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40).measurement_time(std::time::Duration::from_secs(4));
    targets = mnist, small
}
criterion_main!(benches);
