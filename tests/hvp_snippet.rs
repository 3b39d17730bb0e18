use backprop::prelude::*;

#[test]
fn snippet() {
    let (y, dy) = jvp(|x| x.sin() * x, &0.5_f64, &1.0);
    println!("{y} {dy}");
    let x = Vector::<f64, U3>::from([1.0, 2.0, -1.0]);
    let v = Vector::<f64, U3>::from([0.0, 1.0, 0.0]);
    let (y, g, hv) = hvp(|x| x.dot(x) * x.sum() + x.exp().sum(), &x, &v);
    println!("{y} {g:?} {hv:?}");
    let h: Matrix<f64, U3, U3> = hessian(|x| x.dot(x) * x.sum() + x.exp().sum(), &x);
    println!("{h:?}");
    let (loss, (gw, gb), (hw, hb)) = hvp(
        |(w, b)| (w.dot(constant(&x)) + b).logistic(),
        &(x.clone(), 0.5),
        &(v.clone(), 1.0),
    );
    println!("{loss} {gw:?} {gb} {hw:?} {hb}");
}
