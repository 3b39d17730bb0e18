//! Heterogeneous parameters: one record holding a matrix, a vector, a scalar and a map of named
//! weights, all in one loss; the gradient comes back as the same record. Fits a small model to
//! synthetic data by gradient descent.
//!
//! Run: `cargo run --release --example hetero`

use std::collections::HashMap;

use backprop::prelude::*;

/// The model: `y = scale * tanh(W x + b) . 1 + named["offset"] + named["slope"] * x_0`.
#[derive(Backprop, Clone, Debug)]
struct Model {
    w: Matrix<f64, U3, U2>,
    b: Vector<f64, U3>,
    scale: f64,
    named: HashMap<String, f64>,
}

/// The names of the named weights, and the value a missing one reads as.
struct Keys {
    offset: String,
    slope: String,
    missing: f64,
}

/// The squared error on one sample, written once as a function of the model's placeholders.
fn sample_loss<'a>(
    m: backprop::entry::Placeholders<Model>,
    x: &'a Vector<f64, U2>,
    y: f64,
    k: &'a Keys,
) -> Ex<impl backprop::expr::Diff<Model, Out = f64> + 'a> {
    let hidden = (m.w.matvec(constant(x)) + m.b).tanh().sum() * m.scale;
    let pred = hidden
        + m.named.lookup_or(&k.offset, &k.missing)
        + m.named.lookup_or(&k.slope, &k.missing) * x[0];
    (pred - y).powi(2)
}

fn main() {
    let mut model = Model {
        w: Matrix::from([[0.1, -0.2], [0.3, 0.1], [-0.1, 0.2]]),
        b: Vector::zeros(),
        scale: 0.5,
        named: HashMap::from([("offset".to_string(), 0.0), ("slope".to_string(), 0.0)]),
    };
    // Synthetic data from a known function.
    let data: Vec<(Vector<f64, U2>, f64)> = (0..40)
        .map(|i| {
            let (a, b) = ((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos());
            (Vector::from([a, b]), 0.8 * (a - b).tanh() + 0.3 + 0.5 * a)
        })
        .collect();
    let keys = Keys {
        offset: "offset".into(),
        slope: "slope".into(),
        missing: 0.0,
    };

    for epoch in 0..=300 {
        let mut g = model.zero_like();
        let mut loss = 0.0;
        for (x, y) in &data {
            loss += value_and_grad_acc(|m| sample_loss(m, x, *y, &keys), &model, &mut g)
                .expect("the gradient buffer has the parameters' shape");
        }
        // Plain gradient descent, field by field: the gradient has the model's own type.
        let lr = 0.05 / data.len() as f64;
        model
            .w
            .iter_mut()
            .zip(g.w.iter())
            .for_each(|(w, d)| *w -= lr * d);
        model
            .b
            .iter_mut()
            .zip(g.b.iter())
            .for_each(|(b, d)| *b -= lr * d);
        model.scale -= lr * g.scale;
        for (k, v) in model.named.iter_mut() {
            *v -= lr * g.named[k];
        }
        if epoch % 100 == 0 {
            println!(
                "epoch {epoch:3}: mean squared error {:.5}",
                loss / data.len() as f64
            );
        }
    }
    println!("scale {:.3}, named weights {:?}", model.scale, model.named);

    // The gradient of the whole record, checked against central differences.
    let (x, y) = &data[3];
    let report = check_grad(|m| sample_loss(m, x, *y, &keys), &model, 1e-6);
    println!("gradient check over the record: {report}");
    assert!(report.passed(1e-6));
}
