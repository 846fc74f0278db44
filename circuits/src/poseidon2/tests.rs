use super::*;
use crate::field::fr_from_decimal;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/codex/poseidon2_bn254_t3.json"
    );
    let text = std::fs::read_to_string(path).expect("Codex fixture poseidon2_bn254_t3.json");
    serde_json::from_str(&text).unwrap()
}

fn hex_fr(v: &Value) -> Fr {
    let s = v.as_str().unwrap().trim_start_matches("0x");
    let n = num_bigint::BigUint::parse_bytes(s.as_bytes(), 16).unwrap();
    fr_from_decimal(&n.to_str_radix(10)).unwrap()
}

#[test]
fn constants_match_codex_fixture() {
    let f = fixture();
    let rows = |key: &str| -> Vec<[Fr; 3]> {
        f[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let r = r.as_array().unwrap();
                [hex_fr(&r[0]), hex_fr(&r[1]), hex_fr(&r[2])]
            })
            .collect()
    };
    assert_eq!(
        rows("initial_external_round_constants"),
        INITIAL_EXTERNAL.to_vec()
    );
    assert_eq!(
        rows("final_external_round_constants"),
        FINAL_EXTERNAL.to_vec()
    );
    let internal: Vec<Fr> = f["internal_round_constants"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex_fr)
        .collect();
    assert_eq!(internal, INTERNAL.to_vec());
    let m = &f["internal_matrix"];
    assert_eq!(m, &serde_json::json!([[2, 1, 1], [1, 2, 1], [1, 1, 3]]));
}

#[test]
fn permutation_known_answer() {
    let f = fixture();
    let ka = &f["known_answer"];
    let input: Vec<Fr> = ka["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| fr_from_decimal(v.as_str().unwrap()).unwrap())
        .collect();
    let output: Vec<Fr> = ka["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| fr_from_decimal(v.as_str().unwrap()).unwrap())
        .collect();
    let mut s = [input[0], input[1], input[2]];
    permute(&mut s);
    assert_eq!(s.to_vec(), output);
}

#[test]
fn keyed_compression_known_answer() {
    // From shared/fixtures/codex/README.md.
    let want = fr_from_decimal(
        "19016777872907576614311050386253173408873004339574005400462870923562919648648",
    )
    .unwrap();
    assert_eq!(compress(Fr::from(1u64), Fr::from(2u64), 0), want);
    // Keys separate: the same pair under another key is another value.
    assert_ne!(compress(Fr::from(1u64), Fr::from(2u64), 1), want);
}

#[test]
fn linear_layers_match_matrices() {
    let s0 = [Fr::from(3u64), Fr::from(5u64), Fr::from(7u64)];
    let mut s = s0;
    internal_linear(&mut s);
    assert_eq!(
        s,
        [
            Fr::from(2 * 3 + 5 + 7u64),
            Fr::from(3 + 2 * 5 + 7u64),
            Fr::from(3 + 5 + 3 * 7u64)
        ]
    );
    let mut s = s0;
    external_linear(&mut s);
    assert_eq!(
        s,
        [
            Fr::from(2 * 3 + 5 + 7u64),
            Fr::from(3 + 2 * 5 + 7u64),
            Fr::from(3 + 5 + 2 * 7u64)
        ]
    );
}
