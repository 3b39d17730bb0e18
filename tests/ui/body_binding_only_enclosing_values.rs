use backprop::prelude::*;

fn main() {
    let xs = vec![1.0_f64, 2.0];
    let ys = vec![0.5_f64, -0.5];
    // Inside the outer fold's body, a fold over constants only: its body's placeholders would
    // be indistinguishable from the outer body's. Bind something of the outer body (here `h`)
    // or move the inner fold out of the body.
    let _ = grad(
        |w| {
            constant(&xs).fold(w, |(h, x)| {
                constant(&ys).fold(constant(&0.0), |(g, y)| g + y * x) + h
            })
        },
        &1.0_f64,
    );
}
