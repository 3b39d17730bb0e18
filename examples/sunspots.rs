//! The yearly sunspot numbers (1700-2008): an AR(9) model with a constant, fitted on 1700-1920 by
//! gradient descent through the static engine, and its one-step-ahead test MSE on 1921-1955 and
//! 1921-1987 (each year predicted from the true years before it, as in the literature).
//!
//! ```sh
//! cargo run --release --example sunspots -- ../shared/data/sunspots/sunspots.csv
//! ```
//!
//! The least-squares optimum is also solved exactly (normal equations) to show how close the
//! descent got; statsmodels' `AutoReg(9)` with a constant gives test MSEs of 189.2 and 305.2 on
//! this file.

use backprop::data::read_table;
use backprop::prelude::*;

/// Lags of the model.
type Lags = Vector<f64, U9>;
const P: usize = 9;
/// The series is fitted in hundreds (sunspot numbers reach about 200), for a well-conditioned
/// problem; errors are reported in the original units.
const SCALE: f64 = 100.0;

/// (the 9 previous values, newest first; the value) for every target index in `targets`.
fn samples(series: &[f64], targets: std::ops::Range<usize>) -> Vec<(Lags, f64)> {
    targets
        .map(|t| (Vector::from_fn(|k| series[t - 1 - k]), series[t]))
        .collect()
}

fn predict((w, c): &(Lags, f64), x: &Lags) -> f64 {
    w.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() + c
}

/// Mean squared one-step error, in the original units.
fn mse(model: &(Lags, f64), data: &[(Lags, f64)]) -> f64 {
    let s: f64 = data
        .iter()
        .map(|(x, y)| (predict(model, x) - y).powi(2))
        .sum();
    s / data.len() as f64 * SCALE * SCALE
}

/// The exact least-squares fit, from the normal equations (Cholesky of a 10 x 10 matrix).
fn least_squares(data: &[(Lags, f64)]) -> (Lags, f64) {
    const N: usize = P + 1;
    let row = |x: &Lags| -> [f64; N] { core::array::from_fn(|i| if i < P { x[i] } else { 1.0 }) };
    let mut a = [[0.0; N]; N];
    let mut b = [0.0; N];
    for (x, y) in data {
        let r = row(x);
        for i in 0..N {
            b[i] += r[i] * y;
            for j in 0..N {
                a[i][j] += r[i] * r[j];
            }
        }
    }
    // Cholesky: a = l l^T, then two triangular solves.
    let mut l = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            l[i][j] = if i == j {
                (a[i][i] - s).sqrt()
            } else {
                (a[i][j] - s) / l[j][j]
            };
        }
    }
    let mut z = [0.0; N];
    for i in 0..N {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut beta = [0.0; N];
    for i in (0..N).rev() {
        beta[i] = (z[i] - (i + 1..N).map(|k| l[k][i] * beta[k]).sum::<f64>()) / l[i][i];
    }
    (Vector::from_fn(|i| beta[i]), beta[P])
}

/// The largest eigenvalue of the loss's Hessian (twice the Gram matrix of the regressors over
/// `n`), by power iteration: it sets the descent's step size.
fn curvature(data: &[(Lags, f64)]) -> f64 {
    let mut v = (Lags::filled(1.0), 1.0);
    let mut lambda = 0.0;
    for _ in 0..200 {
        // H v = 2/n sum_i r_i (r_i . v), with r_i = [x_i; 1]
        let mut hv = (Lags::zeros(), 0.0);
        for (x, _) in data {
            let d = predict(&v, x);
            for k in 0..P {
                hv.0[k] += 2.0 * d * x[k] / data.len() as f64;
            }
            hv.1 += 2.0 * d / data.len() as f64;
        }
        let norm = (hv.0.iter().map(|a| a * a).sum::<f64>() + hv.1 * hv.1).sqrt();
        lambda = norm / (v.0.iter().map(|a| a * a).sum::<f64>() + v.1 * v.1).sqrt();
        v = (Vector::from_fn(|k| hv.0[k] / norm), hv.1 / norm);
    }
    lambda
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/sunspots/sunspots.csv".into());
    let steps: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5_000);
    let table = read_table(&path)?;
    let years = table.column(0);
    let series: Vec<f64> = table.column(1).iter().map(|v| v / SCALE).collect();
    let index = |year: f64| {
        years
            .iter()
            .position(|&y| y == year)
            .ok_or_else(|| format!("{path}: no year {year}"))
    };
    let (first_test, end_short, end_long) =
        (index(1921.0)?, index(1955.0)? + 1, index(1987.0)? + 1);
    let train = samples(&series, P..first_test);
    let test_short = samples(&series, first_test..end_short);
    let test_long = samples(&series, first_test..end_long);

    // Gradient descent with Nesterov momentum on the mean squared error; the loss and its
    // gradient come from the static engine, the weights read in place inside `map_items`.
    let n = train.len() as f64;
    let step = 1.0 / curvature(&train);
    let mut model = (Lags::zeros(), 0.0);
    let mut velocity = model.zero_like();
    let mut loss = 0.0;
    for _ in 0..steps {
        let look: (Lags, f64) = (
            Vector::from_fn(|k| model.0[k] + 0.9 * velocity.0[k]),
            model.1 + 0.9 * velocity.1,
        );
        let (l, g) = value_and_grad(
            |(w, c)| {
                constant(&train)
                    .map_items(|(x, y)| (w.dot(x) + c - y).powi(2))
                    .sum_items()
                    * (1.0 / n)
            },
            &look,
        );
        loss = l;
        for k in 0..P {
            velocity.0[k] = 0.9 * velocity.0[k] - step * g.0[k];
            model.0[k] += velocity.0[k];
        }
        velocity.1 = 0.9 * velocity.1 - step * g.1;
        model.1 += velocity.1;
    }
    let exact = least_squares(&train);

    println!("AR(9) with a constant on the yearly sunspot numbers, fitted on 1700-1920\n");
    println!("| model | train MSE | test MSE 1921-1955 | test MSE 1921-1987 |");
    println!("|---|---:|---:|---:|");
    for (name, m) in [
        ("AR(9), gradient descent", &model),
        ("AR(9), exact least squares", &exact),
    ] {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            mse(m, &train),
            mse(m, &test_short),
            mse(m, &test_long)
        );
    }
    println!("| statsmodels AutoReg(9), for reference | | 189.2 | 305.2 |");
    println!(
        "\n{steps} descent steps; final training loss {:.4} (in hundreds squared); descent vs exact: \
         test MSEs within {:.3}% and {:.3}%",
        loss,
        100.0 * (mse(&model, &test_short) / mse(&exact, &test_short) - 1.0).abs(),
        100.0 * (mse(&model, &test_long) / mse(&exact, &test_long) - 1.0).abs()
    );
    Ok(())
}
