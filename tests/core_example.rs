//! The core issue's example, compiled and run exactly as written, with its results checked
//! against values derived by hand.

use backprop::prelude::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn the_example_compiles_and_matches_hand_derived_values() {
    let (y, dx) = value_and_grad(|x| x.sin() * x + x.exp(), &0.5_f64);
    // y = x sin x + e^x, y' = sin x + x cos x + e^x
    let x = 0.5_f64;
    assert!(close(y, x * x.sin() + x.exp()));
    assert!(close(dx, x.sin() + x * x.cos() + x.exp()));

    // heterogeneous inputs: a scalar, a vector and a matrix, as a tuple
    let s = 2.0_f64;
    let v: Vector<f64, U3> = Vector::from([1.0, 2.0, 3.0]);
    let m: Matrix<f64, U2, U3> = Matrix::from([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]]);
    let input = (s, v.clone(), m.clone());
    let (y, (ds, dv, dm)) = value_and_grad(
        |(s, v, m)| m.matvec(v).tanh().sum() * s + s * v.dot(v),
        &input,
    );
    let y_only: f64 = eval(|(s, v, m)| m.matvec(v).sum() * s, &input); // no backward work at all
    let dx: f64 = grad(|x| x.powi(3), &2.0_f64);

    // By hand: m v = [1 + 6, 0.5 + 2] = [7, 2.5]; v.v = 14.
    let (z0, z1) = (7.0_f64, 2.5_f64);
    let (t0, t1) = (z0.tanh(), z1.tanh());
    assert!(close(y, (t0 + t1) * 2.0 + 2.0 * 14.0));
    // dy/ds = sum tanh(mv) + v.v
    assert!(close(ds, t0 + t1 + 14.0));
    // dy/dz_r = s (1 - tanh^2 z_r); dy/dv = m^T dz + 2 s v; dy/dm = dz v^T
    let (d0, d1) = (2.0 * (1.0 - t0 * t0), 2.0 * (1.0 - t1 * t1));
    let dv_hand = [d0 + 0.5 * d1 + 4.0, d1 + 8.0, 2.0 * d0 + 12.0];
    for i in 0..3 {
        assert!(
            close(dv[i], dv_hand[i]),
            "dv[{i}] = {} vs {}",
            dv[i],
            dv_hand[i]
        );
    }
    let vs = [1.0, 2.0, 3.0];
    for c in 0..3 {
        assert!(close(dm[(0, c)], d0 * vs[c]));
        assert!(close(dm[(1, c)], d1 * vs[c]));
    }
    assert_eq!(y_only, (7.0 + 2.5) * 2.0);
    assert_eq!(dx, 12.0);

    // data that is not differentiated: borrowed constants
    let target = Vector::<f64, U2>::from([0.0, 1.0]);
    let dm: Matrix<f64, U2, U3> = grad(
        |w| (w.matvec(constant(&v)) - constant(&target)).powi(2).sum(),
        &m,
    );
    // residual r = m v - t = [7, 1.5]; d/dm = 2 r v^T
    let r = [7.0, 1.5];
    for row in 0..2 {
        for c in 0..3 {
            assert!(close(dm[(row, c)], 2.0 * r[row] * vs[c]));
        }
    }

    // an intermediate used several times, computed once: bind it
    let g = grad(
        |(x, y)| (x * y, y).then(|(u, y)| u * u + u * y + u.exp()),
        &(1.5_f64, -0.5_f64),
    );
    // f = u^2 + u y + e^u with u = x y: df/dx = (2u + y + e^u) y, df/dy = (2u + y + e^u) x + u
    let (x, yv) = (1.5_f64, -0.5_f64);
    let u = x * yv;
    let du = 2.0 * u + yv + u.exp();
    assert!(close(g.0, du * yv));
    assert!(close(g.1, du * x + u));
}
