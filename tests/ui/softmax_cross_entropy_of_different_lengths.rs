use backprop::prelude::*;

fn main() {
    let z = Vector::<f64, U10>::zeros();
    let t = Vector::<f64, U100>::zeros();
    let _ = grad(|z| softmax_cross_entropy(z, constant(&t)), &z);
}
