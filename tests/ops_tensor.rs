//! Vector and matrix operations: gradient against central differences for random-looking
//! inputs of several scales (including negative and large entries), value against closed forms.

mod common;
use backprop::prelude::*;
use common::{close, matrix, vector};

const SCALES: [(f64, f64); 3] = [(-1.0, 1.0), (-5.0, 0.5), (-100.0, 100.0)];

#[test]
fn broadcasting_arithmetic() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let s = seed as u64;
        let v = vector::<U4>(s, lo, hi);
        let w = vector::<U4>(s + 10, 1.0, 3.0); // kept away from 0 for division
        let m = matrix::<U2, U3>(s + 20, lo, hi);
        let a = 0.5 + s as f64;
        let x = (a, v.clone(), w.clone(), m.clone());
        assert_grad!(|(a, v, w, _m)| (a * v + v * w - w / a).sum(), &x);
        assert_grad!(|(a, v, w, _m)| (v / w + a - v).dot(w), &x);
        assert_grad!(|(a, _v, _w, m)| (m * a - a / (m * m + 1.0)).sum(), &x);
        assert_grad!(
            |(a, v, w, _m)| (v - 2.0 * w).powf(2.0).sum() + (w.powf(a)).sum(),
            &x
        );
        // values
        let y = eval(|(a, v, w, _m)| a * v + v * w, &x);
        for i in 0..4 {
            assert!(close(y[i], a * v[i] + v[i] * w[i], 1e-15));
        }
    }
}

#[test]
fn scaling_by_a_scalar_expression() {
    let v = vector::<U3>(1, -2.0, 2.0);
    let (y, (ds, dv)) = value_and_grad(|(s, v)| (s.exp() * v).sum(), &(0.3_f64, v.clone()));
    let sum: f64 = v.iter().sum();
    assert!(close(y, 0.3_f64.exp() * sum, 1e-15));
    assert!(close(ds, 0.3_f64.exp() * sum, 1e-15));
    assert_eq!(dv, Vector::filled(0.3_f64.exp()));
}

#[test]
fn linear_algebra() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let s = seed as u64 * 7;
        let m = matrix::<U3, U4>(s, lo, hi);
        let v = vector::<U4>(s + 1, lo, hi);
        let a = matrix::<U4, U2>(s + 2, lo, hi);
        let u = vector::<U3>(s + 3, lo, hi);
        let sq = matrix::<U3, U3>(s + 4, lo, hi);
        let x = (m.clone(), v.clone(), a.clone(), u.clone(), sq.clone());
        assert_grad!(|(m, v, _a, u, _q)| m.matvec(v).dot(u), &x);
        assert_grad!(|(m, _v, a, _u, q)| q.matmul(m).matmul(a).sum(), &x);
        assert_grad!(
            |(m, _v, a, _u, q)| q.matmul_t(m.transpose()).matmul_t(a.transpose()).norm(),
            &x
        );
        assert_grad!(|(m, _v, _a, u, _q)| m.transpose().matvec(u).norm(), &x);
        assert_grad!(|(_m, v, _a, u, _q)| u.outer(v).matvec(v).dot(u), &x);
        assert_grad!(
            |(_m, _v, _a, u, q)| (q.trace() * u).sum() + q.matvec(u).sum(),
            &x
        );

        // values against plain loops
        let mv = eval(|(m, v, _a, _u, _q)| m.matvec(v), &x);
        for r in 0..3 {
            let want: f64 = (0..4).map(|c| m[(r, c)] * v[c]).sum();
            assert!(close(mv[r], want, 1e-13));
        }
        let mm = eval(|(m, _v, a, _u, _q)| m.matmul(a), &x);
        for r in 0..3 {
            for c in 0..2 {
                let want: f64 = (0..4).map(|k| m[(r, k)] * a[(k, c)]).sum();
                assert!(close(mm[(r, c)], want, 1e-13));
            }
        }
        let mmt = eval(|(m, _v, a, _u, _q)| m.matmul_t(a.transpose()), &x);
        assert!(mmt.approx_eq(&mm, 1e-14));
        let mt = eval(|(m, _v, _a, _u, _q)| m.transpose(), &x);
        assert_eq!(mt, m.transpose());
        let o = eval(|(_m, v, _a, u, _q)| u.outer(v), &x);
        assert_eq!(o[(2, 3)], u[2] * v[3]);
        let tr = eval(|(_m, _v, _a, _u, q)| q.trace(), &x);
        assert_eq!(tr, sq[(0, 0)] + sq[(1, 1)] + sq[(2, 2)]);
        let d = eval(|(_m, v, _a, _u, _q)| v.dot(v), &x);
        assert!(close(d, v.iter().map(|t| t * t).sum(), 1e-14));
    }
}

#[test]
fn reductions() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let s = seed as u64 * 3 + 100;
        let v = vector::<U5>(s, lo, hi);
        let m = matrix::<U3, U4>(s + 1, lo, hi);
        let x = (v.clone(), m.clone());
        assert_grad!(|(v, m)| v.sum() * m.mean(), &x);
        assert_grad!(|(v, m)| v.norm() + m.norm(), &x);
        assert_grad!(|(v, m)| m.row_sums().dot(m.row_sums()) + v.sum(), &x);
        assert_grad!(|(_v, m)| m.col_sums().powi(2).sum(), &x);
        let sum: f64 = v.iter().sum();
        assert!(close(eval(|(v, _m)| v.sum(), &x), sum, 1e-14));
        assert!(close(eval(|(v, _m)| v.mean(), &x), sum / 5.0, 1e-14));
        let norm = v.iter().map(|t| t * t).sum::<f64>().sqrt();
        assert!(close(eval(|(v, _m)| v.norm(), &x), norm, 1e-14));
        let rs = eval(|(_v, m)| m.row_sums(), &x);
        let cs = eval(|(_v, m)| m.col_sums(), &x);
        for r in 0..3 {
            assert!(close(rs[r], m.row(r).iter().sum(), 1e-14));
        }
        for c in 0..4 {
            assert!(close(cs[c], (0..3).map(|r| m[(r, c)]).sum(), 1e-14));
        }
    }
    // The norm's gradient at zero is taken as zero, not NaN.
    assert_eq!(
        grad(|v| v.norm(), &Vector::<f64, U3>::zeros()),
        Vector::zeros()
    );
}

#[test]
fn adding_a_vector_to_every_row() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let m = matrix::<U3, U2>(seed as u64 + 40, lo, hi);
        let v = vector::<U2>(seed as u64 + 41, lo, hi);
        let x = (m.clone(), v.clone());
        assert_grad!(|(m, v)| m.add_row(v).powi(2).sum(), &x);
        let y = eval(|(m, v)| m.add_row(v), &x);
        for r in 0..3 {
            for c in 0..2 {
                assert_eq!(y[(r, c)], m[(r, c)] + v[c]);
            }
        }
    }
}

#[test]
fn softmax_family() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let z = vector::<U4>(seed as u64 + 60, lo, hi);
        let w = vector::<U4>(seed as u64 + 61, -1.0, 1.0);
        let x = (z.clone(), w.clone());
        assert_grad!(|(z, w)| z.softmax().dot(w), &x);
        assert_grad!(|(z, w)| z.log_softmax().dot(w), &x);
        assert_grad!(|(z, w)| z.logsumexp() * w.sum(), &x);
        let m = z.iter().copied().fold(f64::MIN, f64::max);
        let total: f64 = z.iter().map(|t| (t - m).exp()).sum();
        let sm = eval(|(z, _w)| z.softmax(), &x);
        let lsm = eval(|(z, _w)| z.log_softmax(), &x);
        for i in 0..4 {
            assert!(close(sm[i], (z[i] - m).exp() / total, 1e-14));
            assert!(close(lsm[i], z[i] - m - total.ln(), 1e-14));
        }
        assert!(close(
            eval(|(z, _w)| z.logsumexp(), &x),
            m + total.ln(),
            1e-14
        ));
    }
}

#[test]
fn losses() {
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let s = seed as u64 + 80;
        let a = vector::<U3>(s, lo, hi);
        let b = vector::<U3>(s + 1, lo, hi);
        let p = vector::<U3>(s + 2, 0.05, 1.0);
        let t = vector::<U3>(s + 3, 0.0, 1.0);
        let x = (a.clone(), b.clone(), p.clone(), t.clone());
        assert_grad!(|(a, b, _p, _t)| squared_error(a, b), &x);
        assert_grad!(|(_a, _b, p, t)| cross_entropy(p, t), &x);
        assert_grad!(|(a, _b, _p, t)| softmax_cross_entropy(a, t), &x);
        let se: f64 = (0..3).map(|i| (a[i] - b[i]).powi(2)).sum();
        assert!(close(
            eval(|(a, b, _p, _t)| squared_error(a, b), &x),
            se,
            1e-14
        ));
        let ce: f64 = -(0..3).map(|i| t[i] * p[i].ln()).sum::<f64>();
        assert!(close(
            eval(|(_a, _b, p, t)| cross_entropy(p, t), &x),
            ce,
            1e-14
        ));
        // Fused softmax cross-entropy equals the unfused formula where that is finite.
        let unfused = eval(|(a, _b, _p, t)| -(a.log_softmax() * t).sum(), &x);
        let fused = eval(|(a, _b, _p, t)| softmax_cross_entropy(a, t), &x);
        assert!(close(fused, unfused, 1e-13));
    }
    // Squared error works on matrices too.
    let m = matrix::<U2, U2>(5, -3.0, 3.0);
    assert_grad!(|m| squared_error(m, m.transpose()), &m);
}

#[test]
fn stable_near_plus_minus_1000() {
    let z = Vector::<f64, U3>::from([1000.0, -1000.0, 999.0]);
    let t = Vector::<f64, U3>::from([0.0, 0.0, 1.0]);
    let w = Vector::<f64, U3>::from([1.0, 2.0, 3.0]);
    // softmax
    let (y, g) = value_and_grad(|z| z.softmax().dot(constant(&w)), &z);
    let e = (-1.0_f64).exp();
    let (p0, p2) = (1.0 / (1.0 + e), e / (1.0 + e));
    assert!(close(y, p0 * 1.0 + p2 * 3.0, 1e-14));
    assert!(g.iter().all(|v| v.is_finite()));
    assert!(close(g[0], p0 * (1.0 - y), 1e-14) && close(g[2], p2 * (3.0 - y), 1e-14));
    assert_eq!(g[1], 0.0);
    // log_softmax
    let (y, g) = value_and_grad(|z| z.log_softmax().dot(constant(&t)), &z);
    assert!(close(y, -(1.0 + e).ln() - 1.0, 1e-14));
    assert!(close(g[0], -p0, 1e-14) && close(g[2], 1.0 - p2, 1e-14) && g[1] == 0.0);
    // logsumexp
    let (y, g) = value_and_grad(|z| z.logsumexp(), &z);
    assert!(close(y, 1000.0 + (1.0 + e).ln(), 1e-14));
    assert!(close(g[0], p0, 1e-14) && close(g[2], p2, 1e-14) && g[1] == 0.0);
    // softmax cross-entropy: loss = lse(z) - z_2 = 1 + ln(1 + e^-1)
    let (y, (gz, gt)) = value_and_grad(
        |(z, t)| softmax_cross_entropy(z, t),
        &(z.clone(), t.clone()),
    );
    assert!(close(y, 1.0 + (1.0 + e).ln(), 1e-14));
    assert!(close(gz[0], p0, 1e-14) && close(gz[2], p2 - 1.0, 1e-14) && gz[1] == 0.0);
    assert!(gt.iter().all(|v| v.is_finite()));
    assert!(close(gt[1], 2000.0 + (1.0 + e).ln(), 1e-14));
    // all negative near -1000
    let zn = Vector::<f64, U3>::from([-1000.0, -1001.0, -999.5]);
    let report = check_grad(
        |z| softmax_cross_entropy(z, constant(&t)) + z.logsumexp(),
        &zn,
        1e-6,
    );
    assert!(report.passed(1e-6), "{report}");
    // cross-entropy of probabilities that underflowed is +inf, never NaN, with a finite target gradient only where p > 0
    let p = Vector::<f64, U3>::from([0.5, 0.5, 0.0]);
    let y = eval(|p| cross_entropy(p, constant(&t)), &p);
    assert_eq!(y, f64::INFINITY);
}

#[test]
fn dense_layers_match_their_three_node_form() {
    use backprop::ops::map::{Identity, Logistic, Relu, Tanh};
    for (seed, &(lo, hi)) in SCALES.iter().enumerate() {
        let s = seed as u64 * 5 + 200;
        let w = matrix::<U3, U4>(s, lo, hi);
        let b = vector::<U3>(s + 1, lo, hi);
        let h = vector::<U4>(s + 2, lo, hi);
        let x = (w.clone(), b.clone(), h.clone());
        assert_grad!(|(w, b, h)| h.dense(w, b, Tanh).sum(), &x);
        assert_grad!(|(w, b, h)| h.dense(w, b, Logistic).dot(b), &x);
        assert_grad!(|(w, b, h)| h.dense(w, b, Identity).powi(2).sum(), &x);
        assert_grad!(|(w, b, h)| h.dense(w, b, Relu).sum(), &x);
        let fused = eval(|(w, b, h)| h.dense(w, b, Tanh), &x);
        for r in 0..3 {
            let z: f64 = b[r] + (0..4).map(|c| w[(r, c)] * h[c]).sum::<f64>();
            assert!(close(fused[r], z.tanh(), 1e-14));
        }
        // Same gradient as the three-node form, in every input.
        let g1 = grad(|(w, b, h)| h.dense(w, b, Logistic).sum(), &x);
        let g2 = grad(|(w, b, h)| (w.matvec(h) + b).logistic().sum(), &x);
        assert!(g1.0.approx_eq(&g2.0, 1e-14) && g1.1.approx_eq(&g2.1, 1e-14));
        assert!(g1.2.approx_eq(&g2.2, 1e-14));
    }
}

#[test]
fn concatenation_and_stacking() {
    let a = vector::<U3>(1, -2.0, 2.0);
    let b = vector::<U2>(2, -2.0, 2.0);
    let w = vector::<U5>(3, -1.0, 1.0);
    let x = (a.clone(), b.clone());
    let y: Vector<f64, U5> = eval(|(a, b)| a.concat(b), &x);
    assert_eq!(y.as_slice(), &[a[0], a[1], a[2], b[0], b[1]]);
    assert_grad!(|(a, b)| a.concat(b).tanh().dot(constant(&w)), &x);
    let m = matrix::<U2, U3>(4, -1.0, 1.0);
    let n = matrix::<U1, U3>(5, -1.0, 1.0);
    let s: Matrix<f64, U3, U3> = eval(|(m, n)| m.stack_rows(n), &(m.clone(), n.clone()));
    assert_eq!(s.row(2), n.row(0));
    assert_eq!(s.row(1), m.row(1));
    let mn = (m, n);
    assert_grad!(
        |(m, n)| m.stack_rows(n).trace() + m.stack_rows(n).norm(),
        &mn
    );
    // Beyond the named dimensions the length is a typenum number, and everything still works.
    let long = Vector::<f64, U1000>::filled(1.0);
    let more = Vector::<f64, U100>::filled(2.0);
    let (total, g) = value_and_grad(|(l, m)| l.concat(m).sum(), &(long, more));
    assert_eq!(total, 1200.0);
    assert_eq!((g.0, g.1), (Vector::filled(1.0), Vector::filled(1.0)));
    let joined = eval(
        |(l, m)| l.concat(m),
        &(Vector::<f64, U1000>::zeros(), Vector::<f64, U100>::zeros()),
    );
    assert_eq!(joined.len(), 1100);
}
