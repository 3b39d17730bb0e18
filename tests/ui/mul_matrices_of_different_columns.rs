use backprop::prelude::*;

fn main() {
    let a = Matrix::<f64, U300, U784>::zeros();
    let b = Matrix::<f64, U300, U785>::zeros();
    let _ = grad(|(a, b)| (a * b).sum(), &(a, b));
}
