use backprop::prelude::*;

fn main() {
    let a = Vector::<f64, U3>::zeros();
    let b = Vector::<f64, U2>::zeros();
    let _ = grad(|(a, b)| a.powf(b).sum(), &(a, b));
}
