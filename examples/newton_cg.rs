//! Newton's method with Hessian-vector products on real data.
//!
//! 1. **Multinomial logistic regression on MNIST** (pixels scaled to [0, 1], 784 inputs plus a
//!    bias, 10 classes), minimising the mean cross-entropy over the 60,000 training images plus
//!    `(1e-4 / 2) ||W||²` (bias not regularised), by Newton-CG: each Newton step solves
//!    `H p = -g` by conjugate gradients, every `H v` from [`hvp_at`](backprop::tangent::hvp_at)
//!    (forward-over-reverse, the forward pass shared by the step's CG iterations), then
//!    backtracks along `p`. scikit-learn 1.9.1's `LogisticRegression(solver="newton-cg",
//!    C=1/(1e-4*60000), tol=1e-10)` reaches 0.2592483 on this objective: 14 Newton steps and
//!    84.8 s of CPU on one thread here (`benches/newton_cg_sklearn.py`); this example, 9 steps
//!    and about 14 s to the same objective (0.2592482950 to ten digits).
//! 2. **The AR(9) model of `examples/sunspots.rs`** (yearly sunspots, 1700-1920), a least-squares
//!    problem: one Newton step from zero, with the Hessian from [`hessian`](backprop::hessian),
//!    lands on the normal equations' solution.
//!
//! ```sh
//! cargo run --release --example newton_cg -- ../shared/data/mnist ../shared/data/sunspots/sunspots.csv
//! cargo run --release --example newton_cg -- ../shared/data/mnist ../shared/data/sunspots/sunspots.csv --short
//! ```
//!
//! `--short` fits the first 2,000 training images only (for CI); `--tol=1e-6` (the default) is
//! the gradient norm at which Newton stops.
//!
//! The pixels are sparse (about 19% non-zero), so the data product `X W` is an operation of
//! this example's own ([`SparseRows`]): a [`UnaryOp`] with its [`UnaryTangent`] (it is linear
//! in `W`), which is how any crate's operation joins `hvp`. The CG iterations are
//! preconditioned by the Hessian's diagonal, computed here in closed form from the class
//! probabilities (`x_j² p_k (1 - p_k)` averaged over the samples, plus the penalty).

use std::time::Instant;

use backprop::data::{load_mnist, read_table, Images};
use backprop::ops::UnaryOp;
use backprop::prelude::*;
use backprop::tangent::{hvp_at, UnaryTangent};
use backprop::Dim;

/// Pixels per image, classes.
const D: usize = 784;
const K: usize = 10;
/// The penalty's weight: `(LAMBDA / 2) ||W||²`.
const LAMBDA: f64 = 1e-4;

type Weights = Matrix<f64, U784, U10>;
type Bias = Vector<f64, U10>;

/// Images as compressed sparse rows (pixel / 255), one row per image.
struct Csr {
    starts: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

impl Csr {
    fn new(images: &Images, n: usize) -> Csr {
        let mut csr = Csr {
            starts: vec![0],
            cols: vec![],
            vals: vec![],
        };
        for i in 0..n {
            for (j, &p) in images.image(i).iter().enumerate() {
                if p != 0 {
                    csr.cols.push(j as u32);
                    csr.vals.push(f64::from(p) / 255.0);
                }
            }
            csr.starts.push(csr.cols.len());
        }
        csr
    }
    fn rows(&self) -> usize {
        self.starts.len() - 1
    }
    /// The non-zero pixels of image `i`: (column, value).
    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.starts[i]..self.starts[i + 1];
        self.cols[r.clone()]
            .iter()
            .zip(&self.vals[r])
            .map(|(&j, &v)| (j as usize, v))
    }
    /// `z += X W` (rows x K).
    fn times(&self, w: &[f64], z: &mut [f64]) {
        simd::times(self, w.as_chunks().0, z.as_chunks_mut().0);
    }
    /// `g += Xᵀ dz`.
    fn transpose_times(&self, dz: &[f64], g: &mut [f64]) {
        simd::transpose_times(self, dz.as_chunks().0, g.as_chunks_mut().0);
    }
}

#[inline(always)]
fn times_body(x: &Csr, w: &[[f64; K]], z: &mut [[f64; K]]) {
    for (i, zi) in z.iter_mut().enumerate() {
        let mut acc = *zi;
        for (j, v) in x.row(i) {
            for (a, wk) in acc.iter_mut().zip(&w[j]) {
                *a += v * wk;
            }
        }
        *zi = acc;
    }
}

#[inline(always)]
fn transpose_times_body(x: &Csr, dz: &[[f64; K]], g: &mut [[f64; K]]) {
    for (i, di) in dz.iter().enumerate() {
        for (j, v) in x.row(i) {
            for (gk, dk) in g[j].iter_mut().zip(di) {
                *gk += v * dk;
            }
        }
    }
}

/// The sparse products compiled for the widest vector unit the CPU has (found at run time):
/// each row of `W` is 10 numbers, one AVX-512 register and a bit.
mod simd {
    use super::{times_body, transpose_times_body, Csr, K};

    /// `pub fn $name(args)`: runs `$body(args)` compiled for AVX-512, AVX2 or the baseline.
    macro_rules! multiversion {
        ($(fn $name:ident($($a:ident: $t:ty),*) => $body:ident;)+) => {$(
            pub fn $name($($a: $t),*) {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx512f")]
                    unsafe fn avx512($($a: $t),*) {
                        $body($($a),*)
                    }
                    #[target_feature(enable = "avx2")]
                    unsafe fn avx2($($a: $t),*) {
                        $body($($a),*)
                    }
                    if std::arch::is_x86_feature_detected!("avx512f") {
                        // SAFETY: the CPU has AVX-512F (checked just above).
                        return unsafe { avx512($($a),*) };
                    }
                    if std::arch::is_x86_feature_detected!("avx2") {
                        // SAFETY: the CPU has AVX2 (checked just above).
                        return unsafe { avx2($($a),*) };
                    }
                }
                $body($($a),*)
            }
        )+};
    }
    multiversion! {
        fn times(x: &Csr, w: &[[f64; K]], z: &mut [[f64; K]]) => times_body;
        fn transpose_times(x: &Csr, dz: &[[f64; K]], g: &mut [[f64; K]]) => transpose_times_body;
    }
}

/// The data product `W -> X W` for `N` images: an operation of this example's own.
#[derive(Clone, Copy)]
struct SparseRows<'a, N> {
    x: &'a Csr,
    n: std::marker::PhantomData<N>,
}

impl<N: Dim> UnaryOp<Weights> for SparseRows<'_, N> {
    type Out = Matrix<f64, N, U10>;
    fn forward(&self, w: &Weights) -> Self::Out {
        let mut z = Matrix::zeros();
        self.x.times(w.as_slice(), z.as_mut_slice());
        z
    }
    fn backward(&self, _: &Weights, _: &Self::Out, dz: &Self::Out, gw: &mut Weights) {
        self.x.transpose_times(dz.as_slice(), gw.as_mut_slice());
    }
}

/// Linear in `W`: the tangent is the product of the tangent, and there is no curvature.
impl<N: Dim> UnaryTangent<Weights> for SparseRows<'_, N> {
    fn tangent(&self, _: &Weights, _: &Self::Out, wt: &Weights) -> Self::Out {
        self.forward(wt)
    }
    fn curvature(
        &self,
        _: &Weights,
        _: &Self::Out,
        _: &Weights,
        _: &Self::Out,
        _: &Self::Out,
        _: &mut Weights,
    ) {
    }
}

type Params = (Weights, Bias);

fn dot(a: &Params, b: &Params) -> f64 {
    backprop::kernels::dot(a.0.as_slice(), b.0.as_slice())
        + backprop::kernels::dot(a.1.as_slice(), b.1.as_slice())
}

/// `a + s b`.
fn axpy(a: &Params, s: f64, b: &Params) -> Params {
    (
        <Weights as backprop::Tensor>::from_flat_fn(|i| a.0.as_slice()[i] + s * b.0.as_slice()[i]),
        Vector::from_fn(|i| a.1[i] + s * b.1[i]),
    )
}

/// Fits the model to the first `N` training images; returns the parameters and the objective.
fn fit<N: Dim>(
    x: &Csr,
    labels: &[u8],
    test: &Csr,
    test_labels: &[u8],
    tol_g: f64,
) -> (Params, f64) {
    let n = N::USIZE;
    let y = Matrix::<f64, N, U10>::from_fn(|i, k| if labels[i] as usize == k { 1.0 } else { 0.0 });
    let data = SparseRows::<N> {
        x,
        n: std::marker::PhantomData,
    };
    let objective = |(w, b): Placeholders<Params>| {
        softmax_cross_entropy_rows(w.apply(data).add_row(b), constant(&y)) * (1.0 / n as f64)
            + (w * w).sum() * (LAMBDA / 2.0)
    };
    let mut p: Params = (Matrix::zeros(), Vector::zeros());
    let start = Instant::now();
    let a_factor = Kronecker::data_factor(x);
    println!(
        "data factor of the preconditioner: {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let mut hvps = 0;
    println!("  it   objective        |g|       H v so far  test acc   time");
    for it in 0..50 {
        let (f, g) = value_and_grad(objective, &p);
        let gnorm = dot(&g, &g).sqrt();
        println!(
            "{it:4}   {f:.10}   {gnorm:.3e}  {hvps:>6}     {:.2}%   {:.2} s",
            100.0 * accuracy(&p, test, test_labels),
            start.elapsed().as_secs_f64()
        );
        if gnorm < tol_g {
            return (p, f);
        }
        let precond = Kronecker::new::<N>(&p, x, &a_factor);
        // Preconditioned CG on H s = -g, to |r| <= eta |g| (eta = min(0.5, sqrt |g|)).
        let h = hvp_at(objective, &p);
        let tol = gnorm * gnorm.sqrt().min(0.5);
        let mut s: Params = (Matrix::zeros(), Vector::zeros());
        let mut r = axpy(&(Matrix::zeros(), Vector::zeros()), -1.0, &g);
        let mut z = precond.apply(&r);
        let mut d = z.clone();
        let mut rz = dot(&r, &z);
        let mut cg = 0;
        while cg < 250 {
            let hd = h.apply(&d);
            hvps += 1;
            cg += 1;
            let dhd = dot(&d, &hd);
            let alpha = rz / dhd;
            s = axpy(&s, alpha, &d);
            r = axpy(&r, -alpha, &hd);
            if dot(&r, &r).sqrt() <= tol {
                break;
            }
            z = precond.apply(&r);
            let rz_new = dot(&r, &z);
            d = axpy(&z, rz_new / rz, &d);
            rz = rz_new;
        }
        drop(h);
        // Backtracking (Armijo) from the full Newton step.
        let slope = dot(&g, &s);
        let mut step = 1.0;
        loop {
            let trial = axpy(&p, step, &s);
            let ft = eval(objective, &trial);
            if ft <= f + 1e-4 * step * slope || step < 1e-10 {
                p = trial;
                break;
            }
            step *= 0.5;
        }
    }
    let f = eval(objective, &p);
    (p, f)
}

/// The preconditioner, Kronecker-factored (as K-FAC does): the Hessian's data term
/// `mean_i (x_i x_iᵀ) ⊗ Q_i` (with `x_i` the pixels and a 1 for the bias, `Q_i = diag p_i -
/// p_i p_iᵀ`) is approximated by `A ⊗ B` with `A = mean x xᵀ` (785 x 785, from the data once)
/// and `B = mean Q_i` (10 x 10, at each Newton step), damped to `(A + γ I) ⊗ (B + γ I)`,
/// `γ = sqrt(LAMBDA)`. It captures what a diagonal cannot: neighbouring pixels are strongly
/// correlated, and softmax is unchanged by adding one number to every class.
struct Kronecker {
    /// Cholesky factor (lower, row-major) of `A + γ I`.
    a: Vec<f64>,
    /// Cholesky factor of `B + γ I`.
    b: [[f64; K]; K],
}

const A_DIM: usize = D + 1;

impl Kronecker {
    /// `A + γ I` factored, from the training images.
    fn data_factor(x: &Csr) -> Vec<f64> {
        let n = x.rows();
        let mut a = vec![0.0; A_DIM * A_DIM];
        let mut row: Vec<(usize, f64)> = Vec::with_capacity(A_DIM);
        for i in 0..n {
            row.clear();
            row.extend(x.row(i));
            row.push((D, 1.0));
            for (ia, &(ja, va)) in row.iter().enumerate() {
                let ar = &mut a[ja * A_DIM..ja * A_DIM + A_DIM];
                for &(jb, vb) in &row[..=ia] {
                    ar[jb] += va * vb;
                }
            }
        }
        let gamma = LAMBDA.sqrt();
        for r in 0..A_DIM {
            for c in 0..=r {
                a[r * A_DIM + c] /= n as f64;
            }
            a[r * A_DIM + r] += gamma;
        }
        // In-place Cholesky (lower triangle).
        for j in 0..A_DIM {
            let (done, rest) = a.split_at_mut(j * A_DIM);
            let rj = &mut rest[..A_DIM];
            for k in 0..j {
                let rk = &done[k * A_DIM..k * A_DIM + A_DIM];
                let s: f64 = (0..k).map(|m| rj[m] * rk[m]).sum();
                rj[k] = (rj[k] - s) / rk[k];
            }
            let s: f64 = (0..j).map(|m| rj[m] * rj[m]).sum();
            rj[j] = (rj[j] - s).max(1e-300).sqrt();
        }
        a
    }

    /// The class factor at `p`, with the data factor computed once.
    fn new<N: Dim>(p: &Params, x: &Csr, a: &[f64]) -> Kronecker {
        let n = N::USIZE;
        let mut z = vec![0.0; n * K];
        x.times(p.0.as_slice(), &mut z);
        let mut b = [[0.0; K]; K];
        for zi in z.chunks_exact_mut(K) {
            for (zk, bk) in zi.iter_mut().zip(p.1.iter()) {
                *zk += bk;
            }
            let m = zi.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = zi.iter().map(|v| (v - m).exp()).sum();
            let q: [f64; K] = core::array::from_fn(|k| (zi[k] - m).exp() / s);
            for r in 0..K {
                for c in 0..K {
                    b[r][c] += if r == c { q[r] } else { 0.0 } - q[r] * q[c];
                }
            }
        }
        let gamma = LAMBDA.sqrt();
        let b: [[f64; K]; K] = core::array::from_fn(|r| {
            core::array::from_fn(|c| b[r][c] / n as f64 + if r == c { gamma } else { 0.0 })
        });
        Kronecker {
            a: a.to_vec(),
            b: cholesky(&b),
        }
    }

    /// `M⁻¹ r = (A + γI)⁻¹ R (B + γI)⁻¹`, with `R` the 785 x 10 stack of `W` and `b`.
    fn apply(&self, r: &Params) -> Params {
        let mut y = vec![[0.0; K]; A_DIM];
        for (j, yj) in y.iter_mut().enumerate().take(D) {
            yj.copy_from_slice(&r.0.as_slice()[j * K..j * K + K]);
        }
        y[D] = core::array::from_fn(|k| r.1[k]);
        // Forward then backward substitution with L, ten columns at once.
        for i in 0..A_DIM {
            let li = &self.a[i * A_DIM..i * A_DIM + A_DIM];
            let mut acc = y[i];
            for (m, ym) in y[..i].iter().enumerate() {
                for k in 0..K {
                    acc[k] -= li[m] * ym[k];
                }
            }
            y[i] = acc.map(|v| v / li[i]);
        }
        for i in (0..A_DIM).rev() {
            let yi = y[i].map(|v| v / self.a[i * A_DIM + i]);
            y[i] = yi;
            let li = &self.a[i * A_DIM..i * A_DIM + i];
            for (ym, &l) in y[..i].iter_mut().zip(li) {
                for (v, w) in ym.iter_mut().zip(&yi) {
                    *v -= l * w;
                }
            }
        }
        for yj in y.iter_mut() {
            solve(&self.b, yj);
        }
        (
            <Weights as backprop::Tensor>::from_flat_fn(|i| y[i / K][i % K]),
            Vector::from(y[D]),
        )
    }
}

/// The lower Cholesky factor of a symmetric positive definite matrix.
fn cholesky(a: &[[f64; K]; K]) -> [[f64; K]; K] {
    let mut l = [[0.0; K]; K];
    for i in 0..K {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            l[i][j] = if i == j {
                (a[i][i] - s).max(1e-300).sqrt()
            } else {
                (a[i][j] - s) / l[j][j]
            };
        }
    }
    l
}

/// Solves `l lᵀ x = b` in place.
fn solve(l: &[[f64; K]; K], b: &mut [f64; K]) {
    for i in 0..K {
        b[i] = (b[i] - (0..i).map(|k| l[i][k] * b[k]).sum::<f64>()) / l[i][i];
    }
    for i in (0..K).rev() {
        b[i] = (b[i] - (i + 1..K).map(|k| l[k][i] * b[k]).sum::<f64>()) / l[i][i];
    }
}

fn accuracy(p: &Params, x: &Csr, labels: &[u8]) -> f64 {
    let mut z = vec![0.0; x.rows() * K];
    x.times(p.0.as_slice(), &mut z);
    let right = z
        .chunks_exact(K)
        .zip(labels)
        .filter(|(zi, &l)| {
            let best = (0..K)
                .max_by(|&a, &b| (zi[a] + p.1[a]).total_cmp(&(zi[b] + p.1[b])))
                .unwrap_or(0);
            best == l as usize
        })
        .count();
    right as f64 / labels.len() as f64
}

/// AR(9) with a constant on 1700-1920, in hundreds, by one Newton step from zero.
fn sunspots(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let table = read_table(path)?;
    let series: Vec<f64> = table.column(1).iter().map(|v| v / 100.0).collect();
    let data: Vec<(Vector<f64, U9>, f64)> = (9..221)
        .map(|t| (Vector::from_fn(|k| series[t - 1 - k]), series[t]))
        .collect();
    type Ar = (Vector<f64, U9>, f64);
    // The Hessian of the mean squared error is constant: one Newton step from zero solves it.
    let xs = Matrix::<f64, U212, U9>::from_fn(|i, k| data[i].0[k]);
    let ys = Vector::<f64, U212>::from_fn(|i| data[i].1);
    let loss = |(w, c): Placeholders<Ar>| {
        let r = constant(&xs).matvec(w) + c - constant(&ys);
        r.dot(r) * (1.0 / 212.0)
    };
    let zero: Ar = (Vector::zeros(), 0.0);
    let (f0, g) = value_and_grad(loss, &zero);
    let rows = hessian(loss, &zero); // 10 rows, one per parameter
                                     // Solve H s = -g (10 x 10, Gaussian elimination with partial pivoting).
    let flat = |p: &Ar| -> Vec<f64> { p.0.iter().cloned().chain([p.1]).collect() };
    let mut a: Vec<Vec<f64>> = rows.iter().map(flat).collect();
    let mut b: Vec<f64> = flat(&g).iter().map(|v| -v).collect();
    let n = b.len();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, below) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (r, row) in below.iter_mut().enumerate() {
            let m = row[col] / pivot_row[col];
            for (v, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= m * p;
            }
            b[col + 1 + r] -= m * b[col];
        }
    }
    let mut s = vec![0.0; n];
    for r in (0..n).rev() {
        s[r] = (b[r] - (r + 1..n).map(|c| a[r][c] * s[c]).sum::<f64>()) / a[r][r];
    }
    let fit: Ar = (Vector::from_fn(|k| s[k]), s[9]);
    let (f1, g1) = value_and_grad(loss, &fit);
    let gnorm = (g1.0.iter().map(|v| v * v).sum::<f64>() + g1.1 * g1.1).sqrt();
    println!(
        "AR(9) on 1700-1920: one Newton step, training MSE {:.4} -> {:.6} (original units: {:.2}), |g| after: {gnorm:.1e}",
        f0,
        f1,
        f1 * 1e4
    );
    println!(
        "  coefficients (lags 1-9): {:?}, constant {:.4}",
        fit.0
            .as_slice()
            .iter()
            .map(|v| (v * 1e4).round() / 1e4)
            .collect::<Vec<_>>(),
        fit.1 * 100.0
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let short = args.iter().any(|a| a == "--short");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let mnist_dir = paths.first().map_or("../shared/data/mnist", |s| s.as_str());
    let sun = paths
        .get(1)
        .map_or("../shared/data/sunspots/sunspots.csv", |s| s.as_str());

    let tol_g = args
        .iter()
        .find_map(|a| a.strip_prefix("--tol="))
        .map_or(Ok(1e-6), str::parse)?;
    let m = load_mnist(mnist_dir)?;
    let test = Csr::new(&m.test_images, m.test_labels.len());
    let t = Instant::now();
    let (_, f) = if short {
        let x = Csr::new(&m.train_images, 2000);
        fit::<typenum::Prod<typenum::U20, typenum::U100>>(
            &x,
            &m.train_labels,
            &test,
            &m.test_labels,
            tol_g,
        )
    } else {
        let x = Csr::new(&m.train_images, 60_000);
        fit::<typenum::Prod<typenum::U600, typenum::U100>>(
            &x,
            &m.train_labels,
            &test,
            &m.test_labels,
            tol_g,
        )
    };
    println!(
        "final objective {f:.10} in {:.1} s on one thread",
        t.elapsed().as_secs_f64()
    );
    if !short {
        // scikit-learn 1.9.1, newton-cg, tol 1e-10: 0.2592483 in 63 s of CPU.
        println!(
            "scikit-learn's optimum 0.2592483: relative difference {:.1e}",
            (f - 0.2592483) / 0.2592483
        );
    }
    sunspots(sun)?;
    Ok(())
}
