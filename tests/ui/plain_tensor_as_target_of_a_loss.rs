use backprop::prelude::*;

fn main() {
    let t = Vector::<f64, U3>::zeros();
    // Data that gets no gradient must be wrapped: `constant(&t)`.
    let _ = grad(|p| squared_error(p, &t), &Vector::<f64, U3>::zeros());
}
