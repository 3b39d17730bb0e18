use backprop::prelude::*;

fn main() {
    // The closure destructures a pair, but the value passed is one scalar.
    let _ = grad(|(a, b)| a * b, &1.0_f64);
}
