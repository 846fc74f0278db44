//! `proofmesh prove`: a Groth16 storage proof for one slot, from the dataset's slot files.

use super::parse_fr;
use crate::output;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use proofmesh_circuits::field::fr_to_decimal;
use proofmesh_circuits::Fr;
use proofmesh_prover::dataset::open_slots;
use proofmesh_prover::groth16::{load_prover, proof_to_bytes, read_header};
use proofmesh_prover::{prove_slot, Progress, ProveRequest, Stage};
use proofmesh_verifier::snarkjs::{proof_to_json, public_inputs_to_json};
use rand::rngs::OsRng;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Prove that the slot files hold slot I of the dataset, for one period's entropy.
///
/// The slot files, in order, are slots 0..n-1 of the dataset (as for `proofmesh commit`).
/// The prover hashes them into the dataset's commitment, samples the cells the entropy
/// selects in slot I, checks everything natively (the root on record, the circuit input,
/// then every constraint) and only then runs Groth16; the proof is verified before it is
/// written. Writes into PROOF_DIR:
///   proof.json    the proof, snarkjs format
///   public.json   its public inputs: [entropy, dataSetRoot, slotIndex]
///   proof.bin     the same proof, 128 bytes (arkworks compressed)
/// Check it with: proofmesh verify --vk DIR/verification_key.json --proof PROOF_DIR/proof.json
///   --public PROOF_DIR/public.json   (snarkjs groth16 verify accepts the same files)
///
/// --dataset-root is the commitment on record (e.g. from `proofmesh commit` when the data was
/// stored): if the files do not reproduce it, nothing is proven or written (exit 2). Keys
/// come from `proofmesh setup`; both key files must come from the same setup.
///
/// Example:
///   proofmesh prove --keys keys/ --slot-index 1 --entropy 0x12d687 --out proof/ slot0.bin slot1.bin
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct Args {
    /// Directory with proving.key and verifying.key (from `proofmesh setup`).
    #[arg(long, value_name = "DIR")]
    keys: PathBuf,
    /// Which slot to prove (0-based, in the order of the files).
    #[arg(long, value_name = "I")]
    slot_index: u64,
    /// The period's entropy (decimal, or hex with 0x).
    #[arg(long, value_parser = parse_fr)]
    entropy: Fr,
    /// The dataset root on record (decimal, or hex with 0x): the files must reproduce it.
    #[arg(long, value_name = "ROOT", value_parser = parse_fr)]
    dataset_root: Option<Fr>,
    /// Refuse keys made for another sample count.
    #[arg(long, value_name = "K")]
    samples: Option<usize>,
    /// Run Groth16's multi-scalar multiplications on an NVIDIA GPU (device 0). Needs a
    /// build with `--features gpu`, an NVIDIA driver and NVRTC (libnvrtc); without them,
    /// exit 2: nothing is proven on the CPU in its place. The proof is the same either way.
    #[arg(long)]
    gpu: bool,
    /// Directory for proof.json, public.json and proof.bin (created if missing).
    #[arg(long, value_name = "PROOF_DIR")]
    out: PathBuf,
    /// Slot files, in slot order.
    #[arg(value_name = "SLOT_FILE", required = true)]
    slots: Vec<PathBuf>,
}

pub(crate) fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (pk_path, vk_path) = (a.keys.join("proving.key"), a.keys.join("verifying.key"));
    let header = read_header(&pk_path)?;
    if let Some(k) = a.samples {
        anyhow::ensure!(
            k == header.params.n_samples,
            "{}: keys are for {} samples, --samples says {k}",
            pk_path.display(),
            header.params.n_samples
        );
    }
    let slots = open_slots(&a.slots)?;
    let bars = Bars::new();
    bars.spin("loading keys".into());
    let prover = load_prover(&pk_path, &vk_path, Some(&header.params))?;
    let prover = if a.gpu {
        bars.spin("uploading the key to the GPU".into());
        proofmesh_node::gpu::prover_on_gpu(prover)?
    } else {
        prover
    };
    let request = ProveRequest {
        slot_index: a.slot_index,
        entropy: a.entropy,
    };
    let result = prove_slot(&prover, &slots, &request, a.dataset_root, &bars, &mut OsRng);
    bars.clear();
    let p = result?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let write = |name: &str, bytes: &[u8]| -> anyhow::Result<PathBuf> {
        let path = a.out.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        Ok(path)
    };
    let proof = write(
        "proof.json",
        (serde_json::to_string_pretty(&proof_to_json(&p.proof))? + "\n").as_bytes(),
    )?;
    let public = write(
        "public.json",
        (serde_json::to_string_pretty(&public_inputs_to_json(&p.public_inputs))? + "\n").as_bytes(),
    )?;
    write("proof.bin", &proof_to_bytes(&p.proof))?;
    output::line(&format!(
        "proved slot {} of {} (dataset root {}) for circuit {}: wrote {}, {}, {}",
        a.slot_index,
        slots.len(),
        fr_to_decimal(&p.public_inputs[1]),
        prover.circuit_id(),
        proof.display(),
        public.display(),
        a.out.join("proof.bin").display(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Progress on stderr while it is a terminal (a bar while hashing blocks, a spinner naming
/// the stage otherwise); nothing at all when stderr is a file or a pipe.
pub(crate) struct Bars {
    bar: Option<ProgressBar>,
}

impl Bars {
    pub(crate) fn new() -> Self {
        Self {
            bar: std::io::stderr().is_terminal().then(|| {
                let b = ProgressBar::new_spinner();
                b.enable_steady_tick(Duration::from_millis(120));
                b
            }),
        }
    }

    /// A spinner with `msg` and the elapsed time.
    pub(crate) fn spin(&self, msg: String) {
        if let Some(b) = &self.bar {
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                b.set_style(style);
            }
            b.set_message(msg);
        }
    }

    fn blocks(&self, total: u64) {
        if let Some(b) = &self.bar {
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} blocks ({elapsed}, eta {eta})",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            b.set_length(total);
            b.set_position(0);
            b.set_message("hashing slot files");
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn stage(&self, stage: Stage) {
        match stage {
            Stage::Commit { blocks } => self.blocks(blocks),
            Stage::Input => self.spin("opening sampled cells, native check".into()),
            Stage::Witness => self.spin("witness and constraint check".into()),
            Stage::Groth16 => self.spin("Groth16 proving".into()),
        }
    }

    fn blocks_hashed(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }
}
