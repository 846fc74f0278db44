//! snarkjs JSON (`verification_key.json`, `proof.json`, `public.json`) ↔ arkworks types.
//!
//! This is where untrusted key and proof files become curve points, so every value is checked:
//! JSON shape, protocol and curve names, canonical field elements, on-curve, prime-order
//! subgroup, counts, and the redundant `vk_alphabeta_12` against e(α, β). Points are affine
//! decimal triples `[x, y, "1"]` (G1) and `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` (G2);
//! snarkjs writes the point at infinity with z = 0.

use crate::error::SnarkjsError;
use ark_bn254::{Bn254, Fq, Fq12, Fq2, Fq6, Fr, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::AffineRepr;
use ark_ff::{One, Zero};
use ark_groth16::{Proof, VerifyingKey};
use proofmesh_circuits::field::{from_decimal, to_decimal};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct RawKey {
    protocol: String,
    curve: String,
    #[serde(rename = "nPublic")]
    n_public: usize,
    vk_alpha_1: Vec<String>,
    vk_beta_2: Vec<Vec<String>>,
    vk_gamma_2: Vec<Vec<String>>,
    vk_delta_2: Vec<Vec<String>>,
    #[serde(default)]
    vk_alphabeta_12: Option<Vec<Vec<Vec<String>>>>,
    #[serde(rename = "IC")]
    ic: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct RawProof {
    pi_a: Vec<String>,
    pi_b: Vec<Vec<String>>,
    pi_c: Vec<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    curve: Option<String>,
}

fn json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, SnarkjsError> {
    serde_json::from_str(text).map_err(|e| SnarkjsError::Json(e.to_string()))
}

fn check_names(protocol: Option<&str>, curve: Option<&str>) -> Result<(), SnarkjsError> {
    if let Some(p) = protocol.filter(|p| *p != "groth16") {
        return Err(SnarkjsError::Protocol(p.to_owned()));
    }
    if let Some(c) = curve.filter(|c| {
        !matches!(
            c.to_ascii_lowercase().as_str(),
            "bn128" | "bn254" | "altbn128"
        )
    }) {
        return Err(SnarkjsError::Curve(c.to_owned()));
    }
    Ok(())
}

fn fq(at: &str, s: &str) -> Result<Fq, SnarkjsError> {
    from_decimal(s).map_err(|source| SnarkjsError::Field {
        at: at.to_owned(),
        source,
    })
}

fn encoding(at: &str, why: impl Into<String>) -> SnarkjsError {
    SnarkjsError::Encoding {
        at: at.to_owned(),
        why: why.into(),
    }
}

fn g1(at: &str, v: &[String]) -> Result<G1Affine, SnarkjsError> {
    let [x, y, z] = v else {
        return Err(encoding(
            at,
            format!("a G1 point has 3 coordinates, got {}", v.len()),
        ));
    };
    let (x, y, z) = (
        fq(&format!("{at}[0]"), x)?,
        fq(&format!("{at}[1]"), y)?,
        fq(&format!("{at}[2]"), z)?,
    );
    if z.is_zero() {
        return Ok(G1Affine::identity());
    }
    if !z.is_one() {
        return Err(encoding(at, "z must be 1 (affine) or 0 (infinity)"));
    }
    checked(at, G1Affine::new_unchecked(x, y))
}

fn fq2(at: &str, v: &[String]) -> Result<Fq2, SnarkjsError> {
    let [c0, c1] = v else {
        return Err(encoding(
            at,
            format!("an Fq2 element has 2 parts, got {}", v.len()),
        ));
    };
    Ok(Fq2::new(
        fq(&format!("{at}[0]"), c0)?,
        fq(&format!("{at}[1]"), c1)?,
    ))
}

fn g2(at: &str, v: &[Vec<String>]) -> Result<G2Affine, SnarkjsError> {
    let [x, y, z] = v else {
        return Err(encoding(
            at,
            format!("a G2 point has 3 coordinates, got {}", v.len()),
        ));
    };
    let (x, y, z) = (
        fq2(&format!("{at}[0]"), x)?,
        fq2(&format!("{at}[1]"), y)?,
        fq2(&format!("{at}[2]"), z)?,
    );
    if z.is_zero() {
        return Ok(G2Affine::identity());
    }
    if !z.is_one() {
        return Err(encoding(
            at,
            "z must be [1, 0] (affine) or [0, 0] (infinity)",
        ));
    }
    checked(at, G2Affine::new_unchecked(x, y))
}

fn checked<P: ark_ec::short_weierstrass::SWCurveConfig>(
    at: &str,
    p: ark_ec::short_weierstrass::Affine<P>,
) -> Result<ark_ec::short_weierstrass::Affine<P>, SnarkjsError> {
    if !p.is_on_curve() {
        return Err(SnarkjsError::NotOnCurve { at: at.to_owned() });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(SnarkjsError::NotInSubgroup { at: at.to_owned() });
    }
    Ok(p)
}

fn not_infinity<A: AffineRepr>(at: &str, p: A) -> Result<A, SnarkjsError> {
    if p.is_zero() {
        Err(SnarkjsError::Infinity { at: at.to_owned() })
    } else {
        Ok(p)
    }
}

fn fq12(v: &[Vec<Vec<String>>]) -> Result<Fq12, SnarkjsError> {
    let at = "vk_alphabeta_12";
    let fq6 = |i: usize, w: &[Vec<String>]| -> Result<Fq6, SnarkjsError> {
        let [a, b, c] = w else {
            return Err(encoding(at, "an Fq6 element has 3 parts"));
        };
        let p = |j: usize, x: &[String]| fq2(&format!("{at}[{i}][{j}]"), x);
        Ok(Fq6::new(p(0, a)?, p(1, b)?, p(2, c)?))
    };
    let [c0, c1] = v else {
        return Err(encoding(at, "an Fq12 element has 2 parts"));
    };
    Ok(Fq12::new(fq6(0, c0)?, fq6(1, c1)?))
}

/// Parses and validates a snarkjs `verification_key.json`.
pub fn parse_verifying_key(text: &str) -> Result<VerifyingKey<Bn254>, SnarkjsError> {
    let raw: RawKey = json(text)?;
    check_names(Some(&raw.protocol), Some(&raw.curve))?;
    if raw.ic.len() != raw.n_public + 1 {
        return Err(SnarkjsError::Count {
            what: "IC points (nPublic + 1)".into(),
            got: raw.ic.len(),
            want: raw.n_public + 1,
        });
    }
    let gamma_abc_g1 = raw
        .ic
        .iter()
        .enumerate()
        .map(|(i, p)| g1(&format!("IC[{i}]"), p))
        .collect::<Result<Vec<_>, _>>()?;
    let vk = VerifyingKey {
        alpha_g1: not_infinity("vk_alpha_1", g1("vk_alpha_1", &raw.vk_alpha_1)?)?,
        beta_g2: not_infinity("vk_beta_2", g2("vk_beta_2", &raw.vk_beta_2)?)?,
        gamma_g2: not_infinity("vk_gamma_2", g2("vk_gamma_2", &raw.vk_gamma_2)?)?,
        delta_g2: not_infinity("vk_delta_2", g2("vk_delta_2", &raw.vk_delta_2)?)?,
        gamma_abc_g1,
    };
    if let Some(ab) = &raw.vk_alphabeta_12 {
        if fq12(ab)? != alpha_beta(&vk) {
            return Err(SnarkjsError::InconsistentAlphaBeta);
        }
    }
    Ok(vk)
}

fn alpha_beta(vk: &VerifyingKey<Bn254>) -> Fq12 {
    Bn254::pairing(vk.alpha_g1, vk.beta_g2).0
}

/// Parses and validates a snarkjs `proof.json`.
pub fn parse_proof(text: &str) -> Result<Proof<Bn254>, SnarkjsError> {
    let raw: RawProof = json(text)?;
    check_names(raw.protocol.as_deref(), raw.curve.as_deref())?;
    Ok(Proof {
        a: not_infinity("pi_a", g1("pi_a", &raw.pi_a)?)?,
        b: not_infinity("pi_b", g2("pi_b", &raw.pi_b)?)?,
        c: not_infinity("pi_c", g1("pi_c", &raw.pi_c)?)?,
    })
}

/// Parses `public.json`: the public inputs as canonical decimal strings, in circuit order.
pub fn parse_public_inputs(text: &str) -> Result<Vec<Fr>, SnarkjsError> {
    let raw: Vec<String> = json(text)?;
    raw.iter()
        .enumerate()
        .map(|(i, s)| {
            from_decimal(s).map_err(|source| SnarkjsError::Field {
                at: format!("public[{i}]"),
                source,
            })
        })
        .collect()
}

fn g1_json(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([to_decimal(&x), to_decimal(&y), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn fq2_json(x: &Fq2) -> Value {
    json!([to_decimal(&x.c0), to_decimal(&x.c1)])
}

fn g2_json(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([fq2_json(&x), fq2_json(&y), ["1", "0"]]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

/// A verifying key as snarkjs writes it (so snarkjs itself can verify our proofs).
pub fn verifying_key_to_json(vk: &VerifyingKey<Bn254>) -> Value {
    let ab = alpha_beta(vk);
    let fq6 = |x: &Fq6| json!([fq2_json(&x.c0), fq2_json(&x.c1), fq2_json(&x.c2)]);
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len() - 1,
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "vk_alphabeta_12": [fq6(&ab.c0), fq6(&ab.c1)],
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

/// A proof as snarkjs writes it.
pub fn proof_to_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1_json(&proof.a),
        "pi_b": g2_json(&proof.b),
        "pi_c": g1_json(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// Public inputs as snarkjs writes them.
pub fn public_inputs_to_json(inputs: &[Fr]) -> Value {
    Value::Array(
        inputs
            .iter()
            .map(|x| Value::String(to_decimal(x)))
            .collect(),
    )
}
