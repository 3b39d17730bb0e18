use backprop::prelude::*;

fn main() {
    let a = Vector::<f64, U1000>::zeros();
    let b = Vector::<f64, U100>::zeros();
    let _ = grad(|(a, b)| a.concat(b).sum(), &(a, b));
}
