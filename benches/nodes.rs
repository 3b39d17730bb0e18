//! Per-node cost: a scalar computation of about 1,000 and about 100,000 nodes (three operations
//! a step: `h * a + sin(h)`), as a static `fold` and on the runtime tape. Report: nanoseconds
//! per node = median / nodes.
//!
//! Run: `cargo bench --bench nodes`, then `python3 benches/ratios.py`.

use backprop::prelude::*;
use backprop::tape::Tape;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// Steps of `h * a + sin(h)`: three nodes each.
fn coefficients(steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|i| 0.5 + 0.4 * ((i as f64) * 0.37).sin())
        .collect()
}

fn static_grad(a: &Vec<f64>, g: &mut Vec<f64>) -> f64 {
    value_and_grad_acc(|a| a.fold(constant(&0.3), |(h, a)| h * a + h.sin()), a, g)
        .expect("the gradient buffer has the parameters' shape")
}

fn tape_grad(tape: &mut Tape, a: &[f64], g: &mut [f64]) -> f64 {
    tape.clear();
    // The coefficients first, at positions 0..n (found again by position, not kept in a Vec).
    for &c in a {
        tape.var(c);
    }
    let mut h = tape.constant(0.3);
    for i in 0..a.len() {
        h = h * tape.at::<f64>(i) + h.sin();
    }
    let grads = tape.backward(h);
    for (i, gi) in g.iter_mut().enumerate() {
        grads.add_to(tape.at::<f64>(i), gi);
    }
    h.value()
}

fn nodes(c: &mut Criterion) {
    for (name, steps) in [("nodes-1000", 333), ("nodes-100000", 33_333)] {
        let a = coefficients(steps);
        let (mut gs, mut gt) = (vec![0.0; steps], vec![0.0; steps]);
        let mut tape = Tape::new();
        let ys = static_grad(&a, &mut gs);
        let yt = tape_grad(&mut tape, &a, &mut gt);
        assert!((ys - yt).abs() < 1e-12 && gs.iter().zip(&gt).all(|(x, y)| (x - y).abs() < 1e-9));
        let mut group = c.benchmark_group(name);
        group.bench_function("manual", |b| {
            // Hand-written: forward keeping h, backward through the recurrence.
            let mut hs = vec![0.0; steps + 1];
            b.iter(|| {
                hs[0] = 0.3;
                for (i, &ai) in a.iter().enumerate() {
                    hs[i + 1] = hs[i] * ai + hs[i].sin();
                }
                let mut dh = 1.0;
                for i in (0..steps).rev() {
                    gs[i] += dh * hs[i];
                    dh *= a[i] + hs[i].cos();
                }
                black_box(hs[steps])
            })
        });
        group.bench_function("static-fold", |b| {
            b.iter(|| static_grad(black_box(&a), &mut gs))
        });
        group.bench_function("tape", |b| {
            b.iter(|| tape_grad(&mut tape, black_box(&a), &mut gt))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = nodes
}
criterion_main!(benches);
