use backprop::prelude::*;

fn main() {
    let a = Matrix::<f64, U2, U3>::zeros();
    let b = Matrix::<f64, U4, U3>::zeros();
    let _ = grad(|(a, b)| (a - b).sum(), &(a, b));
}
