use backprop::prelude::*;

fn main() {
    let m = Matrix::<f64, U2, U3>::zeros();
    let _ = grad(|m| m.trace(), &m);
}
