use backprop::prelude::*;

fn main() {
    let w = Matrix::<f64, U10, U100>::zeros();
    let x = Vector::<f64, U100>::zeros();
    let target = Vector::<f64, U9>::zeros();
    let _ = grad(|w| (w.matvec(constant(&x)) - constant(&target)).powi(2).sum(), &w);
}
