//! `#[derive(Backprop)]` for the [`backprop`](https://docs.rs/backprop) crate. Use it through
//! `backprop`, which re-exports it: `use backprop::prelude::*;`.
//!
//! For a struct with named fields or a tuple struct (generic or not, fields of any type that is
//! itself `Backprop`), the derive writes:
//! - `Backprop` (`zero_like`, `accumulate`, `one_like`), field by field;
//! - `Scalars<S>` (a walk over every scalar), field by field;
//! - `HessianOf` (a Hessian as one record per scalar), of the first field's scalar type;
//! - `Add`, `Sub`, `Neg`, and `Mul` by an `f64` on either side (converted to the record's
//!   scalar type);
//! - `TupleField<Ui>` for each field `i`, so that a path can lead into the field;
//! - `Input`, whose placeholder is a generated struct `{Name}Placeholders<.., P>` with one
//!   placeholder per field, under the same field names: inside a closure, `net.l1.w` is the
//!   expression for that field.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{parse_macro_input, Data, DeriveInput, Fields, Ident, Index};

/// Derives `Backprop`, `Scalars` and `Input` (with field placeholders) for a struct.
#[proc_macro_derive(Backprop)]
pub fn derive_backprop(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let vis = &input.vis;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Backprop)] works on structs only (with named fields or tuple fields)",
        ));
    };
    let (named, fields): (bool, Vec<_>) = match &data.fields {
        Fields::Named(f) => (true, f.named.iter().collect()),
        Fields::Unnamed(f) => (false, f.unnamed.iter().collect()),
        Fields::Unit => (true, Vec::new()),
    };
    if fields.len() > 1024 {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Backprop)] supports up to 1024 fields",
        ));
    }
    // How each field is accessed and constructed.
    let access: Vec<TokenStream2> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match &f.ident {
            Some(id) => quote!(#id),
            None => {
                let idx = Index::from(i);
                quote!(#idx)
            }
        })
        .collect();
    let tys: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let idx_tys: Vec<Ident> = (0..fields.len()).map(|i| format_ident!("U{}", i)).collect();
    let build = |each: &dyn Fn(&TokenStream2) -> TokenStream2| -> TokenStream2 {
        let vals: Vec<_> = access.iter().map(each).collect();
        if named {
            quote!({ #(#access: #vals),* })
        } else {
            quote!(( #(#vals),* ))
        }
    };

    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    let preds = where_g.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });

    // Backprop
    let zero = build(&|a| quote!(::backprop::Backprop::zero_like(&self.#a)));
    let one = build(&|a| quote!(::backprop::Backprop::one_like(&self.#a)));
    let stale = build(&|a| quote!(::backprop::Backprop::stale_like(&self.#a)));
    let backprop_impl = quote! {
        impl #impl_g ::backprop::Backprop for #name #ty_g
        where #preds Self: ::core::clone::Clone, #(#tys: ::backprop::Backprop,)*
        {
            fn zero_like(&self) -> Self { #name #zero }
            fn accumulate(&mut self, other: &Self) {
                #(::backprop::Backprop::accumulate(&mut self.#access, &other.#access);)*
            }
            fn one_like(&self) -> Self { #name #one }
            fn same_shape(&self, other: &Self) -> bool {
                true #(&& ::backprop::Backprop::same_shape(&self.#access, &other.#access))*
            }
            fn conform_to(&mut self, like: &Self) {
                #(::backprop::Backprop::conform_to(&mut self.#access, &like.#access);)*
            }
            fn set_zero(&mut self) {
                #(::backprop::Backprop::set_zero(&mut self.#access);)*
            }
            fn stale_like(&self) -> Self { #name #stale }
        }
    };
    // The field names (or positions) as the checkpoint's structure records them.
    let labels: Vec<String> = access.iter().map(|a| a.to_string()).collect();

    // Scalars<S>
    let mut scalars_generics = input.generics.clone();
    scalars_generics.params.push(syn::parse_quote!(__S));
    let (s_impl_g, _, _) = scalars_generics.split_for_impl();
    let scalars_impl = quote! {
        impl #s_impl_g ::backprop::Scalars<__S> for #name #ty_g
        where #preds #(#tys: ::backprop::Scalars<__S>,)*
        {
            fn for_each_scalar(&self, f: &mut dyn FnMut(__S)) {
                #(::backprop::Scalars::for_each_scalar(&self.#access, f);)*
            }
            fn for_each_scalar_mut(&mut self, f: &mut dyn FnMut(&mut __S)) {
                #(::backprop::Scalars::for_each_scalar_mut(&mut self.#access, f);)*
            }
            fn for_each_slice(&self, f: &mut dyn FnMut(&[__S])) {
                #(::backprop::Scalars::for_each_slice(&self.#access, f);)*
            }
            fn for_each_slice_mut(&mut self, f: &mut dyn FnMut(&mut [__S])) {
                #(::backprop::Scalars::for_each_slice_mut(&mut self.#access, f);)*
            }
            fn axpy_matching(&mut self, a: __S, x: &Self)
            where
                __S: ::backprop::Scalar,
            {
                #(::backprop::Scalars::axpy_matching(&mut self.#access, a, &x.#access);)*
            }
            fn describe(&self, out: &mut ::std::string::String) {
                out.push('{');
                #(
                    if !out.ends_with('{') { out.push_str(", "); }
                    out.push_str(#labels);
                    out.push_str(": ");
                    ::backprop::Scalars::describe(&self.#access, out);
                )*
                out.push('}');
            }
        }
    };

    // TupleField<Ui>: paths into each field
    let field_impls = access.iter().zip(&tys).zip(&idx_tys).map(|((a, ty), ix)| {
        quote! {
            impl #impl_g ::backprop::expr::internal::TupleField<::backprop::dims::#ix> for #name #ty_g #where_g {
                type Item = #ty;
                #[inline(always)]
                fn field(&self) -> &#ty { &self.#a }
                #[inline(always)]
                fn field_mut(&mut self) -> &mut #ty { &mut self.#a }
            }
        }
    });

    // The placeholder struct and Input
    let ph_name = format_ident!("{}Placeholders", name);
    let mut ph_generics = input.generics.clone();
    ph_generics
        .params
        .push(syn::parse_quote!(__P: ::backprop::expr::internal::Path));
    let (ph_impl_g, ph_ty_g, _) = ph_generics.split_for_impl();
    let ph_ty = |ty: &syn::Type, ix: &Ident| quote!(<#ty as ::backprop::expr::Input>::Ph<::backprop::expr::internal::Field<::backprop::dims::#ix, __P>>);
    let ph_field_tys: Vec<_> = tys
        .iter()
        .zip(&idx_tys)
        .map(|(t, ix)| ph_ty(t, ix))
        .collect();
    let input_bounds = quote!(#(#tys: ::backprop::expr::Input,)*);
    let doc = format!(
        "The placeholders of a [`{name}`] inside a closure: one expression per field, under the \
         field's name. Generated by `#[derive(Backprop)]`."
    );
    let ph_fields = if named {
        let docs = access
            .iter()
            .map(|a| format!("The placeholder for field `{a}`."));
        quote!({ #( #[doc = #docs] pub #access: #ph_field_tys, )* __marker: ::core::marker::PhantomData<fn() -> (#name #ty_g, __P)> })
    } else {
        quote!(( #( pub #ph_field_tys, )* ::core::marker::PhantomData<fn() -> (#name #ty_g, __P)> );)
    };
    let ph_fields = if named {
        quote!(where #preds #input_bounds #ph_fields)
    } else {
        // tuple structs: fields first, then where
        let tuple = ph_fields;
        quote!(#tuple)
    };
    let ph_def = if named {
        quote! {
            #[doc = #doc]
            #[allow(non_camel_case_types, clippy::type_complexity)]
            #vis struct #ph_name #ph_impl_g #ph_fields
        }
    } else {
        let tys_t = &ph_field_tys;
        quote! {
            #[doc = #doc]
            #[allow(non_camel_case_types, clippy::type_complexity)]
            #vis struct #ph_name #ph_impl_g ( #( pub #tys_t, )* ::core::marker::PhantomData<fn() -> (#name #ty_g, __P)> )
            where #preds #input_bounds;
        }
    };
    let make = if named {
        let vals = tys.iter().zip(&idx_tys).map(|(t, ix)| {
            quote!(<#t as ::backprop::expr::Input>::placeholder::<::backprop::expr::internal::Field<::backprop::dims::#ix, __P>>())
        });
        quote!(#ph_name { #(#access: #vals,)* __marker: ::core::marker::PhantomData })
    } else {
        let vals = tys.iter().zip(&idx_tys).map(|(t, ix)| {
            quote!(<#t as ::backprop::expr::Input>::placeholder::<::backprop::expr::internal::Field<::backprop::dims::#ix, __P>>())
        });
        quote!(#ph_name ( #(#vals,)* ::core::marker::PhantomData ))
    };
    let whole_doc = format!(
        "The whole `{name}` as one expression, for `get_field`, `set_field` and `over_field`."
    );
    let input_impl = quote! {
        impl #ph_impl_g #ph_name #ph_ty_g where #preds #input_bounds {
            #[doc = #whole_doc]
            #[inline(always)]
            #vis fn whole(self) -> ::backprop::Ex<::backprop::expr::Placeholder<#name #ty_g, __P>> {
                ::backprop::Ex(::backprop::expr::Placeholder::new())
            }
        }
        impl #ph_impl_g ::core::clone::Clone for #ph_name #ph_ty_g where #preds #input_bounds {
            fn clone(&self) -> Self { *self }
        }
        impl #ph_impl_g ::core::marker::Copy for #ph_name #ph_ty_g where #preds #input_bounds {}
        impl #impl_g ::backprop::expr::Input for #name #ty_g
        where #preds Self: ::backprop::Backprop + 'static, #input_bounds
        {
            type Ph<__P: ::backprop::expr::internal::Path> = #ph_name #ph_ty_g;
            #[inline(always)]
            fn placeholder<__P: ::backprop::expr::internal::Path>() -> Self::Ph<__P> { #make }
            const LEDGER: bool = true #(&& <#tys as ::backprop::expr::Input>::LEDGER)*;
            fn zero_unwritten(&mut self, ledger: &::backprop::expr::internal::Ledger) {
                #(::backprop::expr::Input::zero_unwritten(&mut self.#access, ledger);)*
            }
        }
    };
    // Arithmetic, through the record's scalar walk: `a + b`, `a - b`, `-a`, and `a * s`, `s * a`
    // for `s` an f64, converted to the record's own scalar type (as `HessianOf` names it): one
    // number type only, so a literal `0.1` never needs an annotation, and f32 records scale too. The `for<'__b>` binder keeps a bound
    // that does not hold for a concrete record from being an error: the impl then does not apply.
    let scalar_impls = [quote!(f64)].map(|t| {
        quote! {
            impl #impl_g ::core::ops::Mul<#t> for #name #ty_g
            where #preds for<'__b> Self: ::backprop::tangent::HessianOf,
            {
                type Output = Self;
                fn mul(self, s: #t) -> Self { ::backprop::__private::scaled(self, f64::from(s)) }
            }
            impl #impl_g ::core::ops::Mul<#name #ty_g> for #t
            where #preds for<'__b> #name #ty_g: ::backprop::tangent::HessianOf,
            {
                type Output = #name #ty_g;
                fn mul(self, rhs: #name #ty_g) -> #name #ty_g {
                    ::backprop::__private::scaled(rhs, f64::from(self))
                }
            }
        }
    });
    let arith_impl = quote! {
        impl #impl_g ::core::ops::Add for #name #ty_g
        where #preds for<'__b> Self: ::backprop::Backprop,
        {
            type Output = Self;
            fn add(self, rhs: Self) -> Self { ::backprop::__private::sum(self, &rhs) }
        }
        impl #impl_g ::core::ops::Sub for #name #ty_g
        where #preds for<'__b> Self: ::backprop::tangent::HessianOf,
        {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self { ::backprop::__private::difference(self, rhs) }
        }
        impl #impl_g ::core::ops::Neg for #name #ty_g
        where #preds for<'__b> Self: ::backprop::tangent::HessianOf,
        {
            type Output = Self;
            fn neg(self) -> Self { ::backprop::__private::scaled(self, -1.0) }
        }
        #(#scalar_impls)*
    };
    // HessianOf: one row of the record per scalar, whose type is the first field's.
    let hessian_impl = tys.first().map(|first| {
        quote! {
            impl #impl_g ::backprop::tangent::HessianOf for #name #ty_g
            where #preds
                for<'__h> #first: ::backprop::tangent::HessianOf,
                for<'__h> Self: ::backprop::expr::Input
                    + ::backprop::Scalars<<#first as ::backprop::tangent::HessianOf>::Scalar>,
            {
                type Scalar = <#first as ::backprop::tangent::HessianOf>::Scalar;
                type Hessian = ::std::vec::Vec<Self>;
                fn from_rows(rows: ::std::vec::Vec<Self>) -> ::std::vec::Vec<Self> { rows }
            }
        }
    });
    Ok(quote! {
        #backprop_impl
        #scalars_impl
        #hessian_impl
        #arith_impl
        #(#field_impls)*
        #ph_def
        #input_impl
    })
}
