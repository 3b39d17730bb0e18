use backprop::prelude::*;

fn main() {
    // A loss written for vectors of 3, applied to a vector of 4.
    let weights = Vector::<f64, U3>::filled(0.5);
    let loss = |v: Placeholders<Vector<f64, U3>>| v.dot(constant(&weights));
    let _ = grad(loss, &Vector::<f64, U4>::zeros());
}
