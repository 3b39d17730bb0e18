use backprop::prelude::*;

fn main() {
    let v = Vector::<f64, U3>::zeros();
    let _ = grad(|v| v.matvec(v).sum(), &v);
}
