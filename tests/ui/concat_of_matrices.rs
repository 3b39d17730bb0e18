use backprop::prelude::*;

fn main() {
    let a = Matrix::<f64, U2, U3>::zeros();
    let b = Vector::<f64, U2>::zeros();
    let _ = grad(|(a, b)| a.concat(b).sum(), &(a, b));
}
