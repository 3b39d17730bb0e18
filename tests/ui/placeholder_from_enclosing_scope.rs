use backprop::prelude::*;

fn main() {
    // `x` belongs to the outer closure: inside `.then` it must be bound, not captured,
    // or it would silently read the inner input.
    let _ = grad(|x| (x * x).then(|u| u * x), &2.0_f64);
}
