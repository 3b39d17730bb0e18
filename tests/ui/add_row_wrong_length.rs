use backprop::prelude::*;

fn main() {
    let m = Matrix::<f64, U64, U784>::zeros();
    let b = Vector::<f64, U300>::zeros();
    let _ = grad(|(m, b)| m.add_row(b).sum(), &(m, b));
}
