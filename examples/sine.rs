//! Two sequence models on synthetic data, after Justin Le's "purely functional typed models"
//! series:
//!
//! 1. AR(2) learning a sine wave of period 25: `y_t = a1 y_(t-1) + a2 y_(t-2)` fits it exactly
//!    with `a1 = 2 cos(2 pi / 25) = 1.9372` and `a2 = -1`, and gradient descent finds them.
//! 2. An LSTM (hidden size 8) reading a noisy sine one value at a time and predicting the next
//!    clean value, trained on the whole sequence at once: a `fold` over the inputs carries the
//!    state `(h, c)` and the sum of every step's squared error. The weights (`nn::Lstm` and a
//!    `Dense` readout) are read in place inside the fold's body.
//!
//! ```sh
//! cargo run --release --example sine
//! ```

use backprop::nn::{Adam, Dense, Lstm, Optimizer, Rng};
use backprop::ops::map::Identity;
use backprop::prelude::*;

type Lags2 = Vector<f64, U2>;

/// AR(2) by gradient descent with Nesterov momentum on the mean squared one-step error.
fn ar2(series: &[f64], steps: usize) -> (f64, f64, f64) {
    let samples: Vec<(Lags2, f64)> = (2..series.len())
        .map(|t| (Vector::from([series[t - 1], series[t - 2]]), series[t]))
        .collect();
    let n = samples.len() as f64;
    let (mut a, mut v) = (Lags2::zeros(), Lags2::zeros());
    let mut loss = 0.0;
    // The Hessian is 2/n X^T X; its largest eigenvalue is below 2 tr(X^T X)/n.
    let trace: f64 = samples
        .iter()
        .map(|(x, _)| x.iter().map(|z| z * z).sum::<f64>())
        .sum();
    let step = 1.0 / (2.0 * trace / n);
    for _ in 0..steps {
        let look: Lags2 = Vector::from_fn(|k| a[k] + 0.9 * v[k]);
        let (l, g) = value_and_grad(
            |a| {
                constant(&samples)
                    .map_items(|(x, y)| (a.dot(x) - y).powi(2))
                    .sum_items()
                    * (1.0 / n)
            },
            &look,
        );
        loss = l;
        for k in 0..2 {
            v[k] = 0.9 * v[k] - step * g[k];
            a[k] += v[k];
        }
    }
    (a[0], a[1], loss)
}

/// An LSTM cell and a linear readout of its hidden state.
#[derive(Backprop, Clone, Debug)]
struct Model {
    cell: Lstm<f64, U1, U8>,
    out: Dense<f64, U8, U1>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. AR(2) on a clean sine of period 25.
    let omega = 2.0 * std::f64::consts::PI / 25.0;
    let sine: Vec<f64> = (0..200).map(|t| (omega * t as f64).sin()).collect();
    let (a1, a2, loss) = ar2(&sine, 3000);
    println!("AR(2) on a sine of period 25, 3000 descent steps:");
    println!(
        "  a1 = {a1:.4} (2 cos(2 pi / 25) = {:.4}), a2 = {a2:.4} (-1), loss {loss:.2e}",
        2.0 * omega.cos()
    );

    // 2. An LSTM on a noisy sine: input the noisy value, predict the next clean one.
    let mut rng = Rng::new(5);
    let steps = 100;
    let clean: Vec<f64> = (0..=steps).map(|t| (omega * t as f64).sin()).collect();
    // (noisy input, next clean value) pairs.
    let data: Vec<(Vector<f64, U1>, Vector<f64, U1>)> = (0..steps)
        .map(|t| {
            let noisy = clean[t] + 0.1 * rng.uniform(-1.0, 1.0);
            (Vector::from([noisy]), Vector::from([clean[t + 1]]))
        })
        .collect();
    let zero = Vector::<f64, U8>::zeros();
    let mut lstm = Model {
        cell: Lstm::xavier(&mut rng),
        out: Dense::xavier(&mut rng),
    };
    let mut adam = Adam::new(1e-2);
    let epochs: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(300);
    // The loss of the whole sequence: a fold carrying the hidden state, the cell state and the
    // sum of the squared errors so far.
    let sequence_loss = |p: Placeholders<Model>| {
        let (h0, c0) = (constant(&zero), constant(&zero));
        constant(&data)
            .fold(
                tuple((h0, c0, constant(&0.0))),
                |((h, c, loss), (x, target))| {
                    p.cell.step(x, h, c).then(|(h, c)| {
                        let err = squared_error(h.dense(p.out.w, p.out.b, Identity), target);
                        tuple((h, c, loss + err))
                    })
                },
            )
            .get_field(U2)
            * (1.0 / steps as f64)
    };
    let mut losses = Vec::new();
    for _ in 0..epochs {
        let (loss, g) = value_and_grad(sequence_loss, &lstm);
        losses.push(loss);
        adam.step(&mut lstm, &g)?;
    }
    // The noise alone (predicting the next clean value from the noisy current one is at best a
    // smoothed estimate), for scale: the error of predicting y_(t+1) by the noisy x_t.
    let naive: f64 = data.iter().map(|(x, t)| (x[0] - t[0]).powi(2)).sum::<f64>() / steps as f64;
    println!("\nLSTM (hidden 8) on a noisy sine, {epochs} epochs of Adam over the {steps}-step sequence:");
    for e in [0, epochs / 10, epochs / 2, epochs - 1] {
        println!("  epoch {e:4}: mean squared error {:.4}", losses[e]);
    }
    println!("  (predicting the next value by the current noisy one: {naive:.4})");
    Ok(())
}
