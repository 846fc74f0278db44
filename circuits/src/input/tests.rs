//! The Codex fixture input must pass the native check; every tampering must fail it.
use super::*;
use crate::sampler::sample_indices;

fn fixture() -> CircuitInputJson {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/codex/input.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("Codex fixture input.json")).unwrap()
}

fn parsed() -> CircuitInput {
    CircuitInput::try_from(&fixture()).unwrap()
}

#[test]
fn codex_fixture_passes_native_check() {
    let input = parsed();
    assert_eq!(
        (
            input.n_cells_per_slot,
            input.n_slots_per_dataset,
            input.slot_index
        ),
        (512, 11, 3)
    );
    input.check(&CircuitParams::codex(5)).unwrap();
    assert!(is_zero_padded(&input.slot_proof, path_depth(11)));
    for p in &input.merkle_paths {
        assert!(is_zero_padded(p, 5 + 4));
    }
}

#[test]
fn fixture_paths_walk_level_by_level() {
    // Each sampled cell's hash walks its path to slotRoot; slotRoot walks slotProof to the root;
    // the sampled indices are the leaf positions of the paths.
    let input = parsed();
    let idx = sample_indices(input.entropy, input.slot_root, 512, 5).unwrap();
    assert_eq!(idx, vec![287, 21, 307, 157, 508]);
    for (k, &cell) in idx.iter().enumerate() {
        let leaf = sponge_rate2(&input.cell_data[k]);
        let root = reconstruct_slot_root(leaf, cell, 512, &input.merkle_paths[k][..9]).unwrap();
        assert_eq!(root, input.slot_root);
        // Another index with the same path does not reach the root.
        let other =
            reconstruct_slot_root(leaf, cell ^ 1, 512, &input.merkle_paths[k][..9]).unwrap();
        assert_ne!(other, input.slot_root);
    }
    let r = reconstruct_root(input.slot_root, 3, 11, &input.slot_proof[..4]).unwrap();
    assert_eq!(r, input.dataset_root);
}

#[test]
fn json_round_trip_is_identical() {
    let j = fixture();
    let back = CircuitInputJson::from(&CircuitInput::try_from(&j).unwrap());
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&j).unwrap()
    );
}

#[test]
fn every_tampering_fails_the_check() {
    let p = CircuitParams::codex(5);
    let one = Fr::from(1u64);
    type Tamper = Box<dyn Fn(&mut CircuitInput)>;
    let tamperings: Vec<(&str, Tamper)> = vec![
        ("entropy", Box::new(move |i| i.entropy += one)),
        ("dataset root", Box::new(move |i| i.dataset_root += one)),
        ("slot index", Box::new(|i| i.slot_index = 4)),
        ("slot root", Box::new(move |i| i.slot_root += one)),
        ("slot proof", Box::new(move |i| i.slot_proof[2] += one)),
        // 11 → 12 slots keeps slot 3's path (and so the circuit accepts it too); 17 changes depth.
        ("slot count", Box::new(|i| i.n_slots_per_dataset = 17)),
        ("cell count", Box::new(|i| i.n_cells_per_slot = 1024)),
        ("cell element", Box::new(move |i| i.cell_data[2][40] += one)),
        ("path node", Box::new(move |i| i.merkle_paths[4][6] += one)),
        (
            "bottom path node",
            Box::new(move |i| i.merkle_paths[0][0] += one),
        ),
        (
            "missing sample",
            Box::new(|i| {
                i.cell_data.pop();
            }),
        ),
        (
            "short path",
            Box::new(|i| {
                i.merkle_paths[1].pop();
            }),
        ),
        ("slot index out of range", Box::new(|i| i.slot_index = 11)),
    ];
    for (what, f) in tamperings {
        let mut input = parsed();
        f(&mut input);
        assert!(input.check(&p).is_err(), "tampered {what} still passes");
    }
}

#[test]
fn json_field_errors_name_the_field() {
    let mut j = fixture();
    j.cell_data[1][3] =
        "21888242871839275222246405745257275088548364400416034343698204186575808495617".into();
    let e = CircuitInput::try_from(&j).unwrap_err();
    assert!(e.to_string().contains("cellData[1][3]"), "{e}");
    let mut j = fixture();
    j.slot_index = JsonCount::Text("x".into());
    assert!(CircuitInput::try_from(&j)
        .unwrap_err()
        .to_string()
        .contains("slotIndex"));
}
