//! Every Codex / snarkjs fixture proof verifies with its key; wrong inputs and every
//! single-value tampering are rejected, as `invalid` or as a parse error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proofmesh_verifier::snarkjs::{
    parse_proof, parse_public_inputs, parse_verifying_key, proof_to_json, public_inputs_to_json,
    verifying_key_to_json,
};
use proofmesh_verifier::{PreparedKey, SnarkjsError, VerifyError};
use serde_json::Value;

fn fixture(rel: &str) -> String {
    let path = format!(
        "{}/../../shared/fixtures/codex/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct Set {
    vk: String,
    proof: String,
    public: String,
}

fn set(dir: &str) -> Set {
    Set {
        vk: fixture(&format!("{dir}/verification_key.json")),
        proof: fixture(&format!("{dir}/proof.json")),
        public: fixture(&format!("{dir}/public.json")),
    }
}

/// `Ok(true)` valid, `Ok(false)` invalid, `Err` a parse / count error.
fn outcome(vk: &str, proof: &str, public: &str) -> Result<bool, String> {
    let vk = parse_verifying_key(vk).map_err(|e| e.to_string())?;
    let proof = parse_proof(proof).map_err(|e| e.to_string())?;
    let inputs = parse_public_inputs(public).map_err(|e| e.to_string())?;
    PreparedKey::new(&vk)
        .verify(&proof, &inputs)
        .map_err(|e| e.to_string())
}

#[test]
fn fixture_proofs_verify() {
    for dir in ["hardhat", "snarkjs"] {
        let s = set(dir);
        assert_eq!(outcome(&s.vk, &s.proof, &s.public), Ok(true), "{dir}");
    }
}

#[test]
fn hardhat_proof_with_other_public_inputs_is_invalid() {
    let s = set("hardhat");
    assert_eq!(outcome(&s.vk, &s.proof, r#"["1","2","3"]"#), Ok(false));
    // The snarkjs fixture's proof under Codex's key: invalid.
    let other = set("snarkjs");
    assert_eq!(outcome(&s.vk, &other.proof, &other.public), Ok(false));
}

#[test]
fn deployed_network_keys_parse() {
    for net in ["codex_testnet", "codex_devnet", "linea_testnet"] {
        let vk = parse_verifying_key(&fixture(&format!("networks/{net}/verification_key.json")))
            .unwrap();
        assert_eq!(vk.gamma_abc_g1.len(), 4, "{net}");
    }
}

#[test]
fn public_input_count_is_enforced() {
    let s = set("hardhat");
    let vk = PreparedKey::new(&parse_verifying_key(&s.vk).unwrap());
    let proof = parse_proof(&s.proof).unwrap();
    let mut inputs = parse_public_inputs(&s.public).unwrap();
    inputs.push(inputs[0]);
    assert_eq!(
        vk.verify(&proof, &inputs),
        Err(VerifyError::PublicInputCount { got: 4, want: 3 })
    );
    assert!(vk.verify(&proof, &inputs[..2]).is_err());
}

#[test]
fn json_export_round_trips() {
    for dir in ["hardhat", "snarkjs"] {
        let s = set(dir);
        let vk = parse_verifying_key(&s.vk).unwrap();
        let proof = parse_proof(&s.proof).unwrap();
        let inputs = parse_public_inputs(&s.public).unwrap();
        // Our export equals the original document value for value (vk_alphabeta_12 included).
        let orig: Value = serde_json::from_str(&s.vk).unwrap();
        assert_eq!(verifying_key_to_json(&vk), orig, "{dir} vk");
        let orig: Value = serde_json::from_str(&s.proof).unwrap();
        assert_eq!(proof_to_json(&proof), orig, "{dir} proof");
        let orig: Value = serde_json::from_str(&s.public).unwrap();
        assert_eq!(public_inputs_to_json(&inputs), orig, "{dir} public");
    }
}

/// Every string leaf of a JSON document with its path.
fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::String(_) | Value::Number(_) => out.push(path.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Value::from(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.push(Value::from(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        Value::Number(n) => &mut v[n.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// Changes one value: numbers (as decimal strings) are incremented, names are altered.
fn tamper(doc: &str, path: &[Value]) -> String {
    let mut v: Value = serde_json::from_str(doc).unwrap();
    let leaf = at(&mut v, path);
    *leaf = match leaf.clone() {
        Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
            let n = num_bigint::BigUint::parse_bytes(s.as_bytes(), 10).unwrap() + 1u32;
            Value::String(n.to_string())
        }
        Value::String(s) => Value::String(format!("{s}x")),
        Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
        other => other,
    };
    v.to_string()
}

#[test]
fn every_single_value_tampering_is_rejected() {
    for dir in ["hardhat", "snarkjs"] {
        let s = set(dir);
        for (which, doc) in [("vk", &s.vk), ("proof", &s.proof), ("public", &s.public)] {
            let mut paths = Vec::new();
            leaves(
                &serde_json::from_str(doc).unwrap(),
                &mut Vec::new(),
                &mut paths,
            );
            assert!(!paths.is_empty());
            for path in paths {
                let bad = tamper(doc, &path);
                let result = match which {
                    "vk" => outcome(&bad, &s.proof, &s.public),
                    "proof" => outcome(&s.vk, &bad, &s.public),
                    _ => outcome(&s.vk, &s.proof, &bad),
                };
                assert_ne!(
                    result,
                    Ok(true),
                    "{dir} {which} {path:?} tampered, still valid"
                );
            }
        }
    }
}

#[test]
fn malformed_documents_give_typed_errors() {
    let s = set("hardhat");
    let q = "21888242871839275222246405745257275088696311157297823662689037894645226208583";
    type Check = fn(&SnarkjsError) -> bool;
    let cases: Vec<(String, Check)> = vec![
        (s.proof[..s.proof.len() / 2].to_owned(), |e| {
            matches!(e, SnarkjsError::Json(_))
        }),
        ("not json".into(), |e| matches!(e, SnarkjsError::Json(_))),
        (s.proof.replace("bn128", "bls12381"), |e| {
            matches!(e, SnarkjsError::Curve(_))
        }),
        (s.proof.replace("groth16", "plonk"), |e| {
            matches!(e, SnarkjsError::Protocol(_))
        }),
        // x = q (not canonical)
        (
            s.proof.replacen(
                "6534256117371673392078914918983405561950705741555607896616281548993166767050",
                q,
                1,
            ),
            |e| matches!(e, SnarkjsError::Field { .. }),
        ),
        // (1, 3) is not on y^2 = x^3 + 3
        (
            s.proof.replacen(
                "6534256117371673392078914918983405561950705741555607896616281548993166767050",
                "1",
                1,
            ),
            |e| matches!(e, SnarkjsError::NotOnCurve { .. }),
        ),
    ];
    for (doc, check) in cases {
        let e = parse_proof(&doc).unwrap_err();
        assert!(check(&e), "unexpected error {e:?}");
    }
    // A proof element at infinity.
    let mut v: Value = serde_json::from_str(&s.proof).unwrap();
    v["pi_c"] = serde_json::json!(["0", "1", "0"]);
    assert!(matches!(
        parse_proof(&v.to_string()),
        Err(SnarkjsError::Infinity { .. })
    ));
    // Wrong point length.
    let mut v: Value = serde_json::from_str(&s.proof).unwrap();
    v["pi_a"] = serde_json::json!(["1", "2"]);
    assert!(matches!(
        parse_proof(&v.to_string()),
        Err(SnarkjsError::Encoding { .. })
    ));
    // Key with an IC point dropped.
    let mut v: Value = serde_json::from_str(&s.vk).unwrap();
    v["IC"].as_array_mut().unwrap().pop();
    assert!(matches!(
        parse_verifying_key(&v.to_string()),
        Err(SnarkjsError::Count { .. })
    ));
    // Public input out of range.
    assert!(matches!(
        parse_public_inputs(
            r#"["21888242871839275222246405745257275088548364400416034343698204186575808495617"]"#
        ),
        Err(SnarkjsError::Field { .. })
    ));
}

#[test]
fn g2_point_off_subgroup_is_rejected() {
    // A point on the twist curve but outside the prime-order subgroup: found by the test
    // itself by trying x = 1, 2, … (the cofactor is large, so any such point almost surely is).
    use ark_bn254::{Fq, Fq2, G2Affine};
    let s = set("hardhat");
    let mut found = None;
    for i in 1u64..100 {
        let x = Fq2::new(Fq::from(i), Fq::from(0u64));
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                found = Some(p);
                break;
            }
        }
    }
    let p = found.expect("a non-subgroup twist point");
    let mut v: Value = serde_json::from_str(&s.proof).unwrap();
    let d = |f: &Fq| proofmesh_circuits::field::to_decimal(f);
    v["pi_b"] = serde_json::json!([
        [d(&p.x.c0), d(&p.x.c1)],
        [d(&p.y.c0), d(&p.y.c1)],
        ["1", "0"]
    ]);
    assert!(matches!(
        parse_proof(&v.to_string()),
        Err(SnarkjsError::NotInSubgroup { .. })
    ));
}

#[test]
fn circuit_ids_are_pinned_and_distinct() {
    use proofmesh_verifier::circuit_id_of;
    let id = |rel: &str| circuit_id_of(&parse_verifying_key(&fixture(rel)).unwrap()).to_hex();
    let hardhat = id("hardhat/verification_key.json");
    // Pinned: a change of serialization or tag changes every id on the network.
    assert_eq!(
        hardhat,
        "c9b0df73c7d6a86002969c8b17f09b68011f8538bbccc0653e32e315e5cd6119"
    );
    let ids = [
        hardhat.clone(),
        id("snarkjs/verification_key.json"),
        id("networks/codex_testnet/verification_key.json"),
        id("networks/codex_devnet/verification_key.json"),
        id("networks/linea_testnet/verification_key.json"),
    ];
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            assert_ne!(a, b);
        }
    }
    // The id does not depend on the JSON text, only on the key.
    let v: Value = serde_json::from_str(&fixture("hardhat/verification_key.json")).unwrap();
    assert_eq!(
        circuit_id_of(&parse_verifying_key(&v.to_string()).unwrap()).to_hex(),
        hardhat
    );
}
