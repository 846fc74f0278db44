#!/usr/bin/env bash
# proofmesh prove vs snarkjs on Codex's own circuit, same machine, same run, same slot data.
#
# Baseline: Codex's circom circuit SampleAndProve(32, 8, 5, 67, K) compiled with circom2
# (--O2, as Codex builds it), Groth16 keys from snarkjs (a fresh 2^17 powers of tau, one
# contribution: speed does not depend on who contributed), then per proof
# `snarkjs wtns calculate` (WASM witness) + `snarkjs groth16 prove`. Candidate: `proofmesh
# prove` on the same slot files and entropy with keys for proofmesh's circuit (same statement).
# Both are timed as whole CLI runs (key loading included), alternating, RUNS times each.
#
# Usage: benches/snarkjs/compare.sh CODEX_CIRCUITS_DIR [WORK_DIR]
#   CODEX_CIRCUITS_DIR: a checkout of github.com/codex-storage/codex-storage-proofs-circuits
#   WORK_DIR (default target/snarkjs-compare): artefacts, kept between runs (setup is slow:
#   ~10 min for the powers of tau and the zkey on 2 cores).
# Env: SAMPLES (5), RUNS (3), PROOFMESH (default: cargo build --release, target/release/proofmesh).
# Needs node and npm (circom2 0.2.23 and snarkjs 0.7.6 are installed into WORK_DIR).
set -euo pipefail
[[ $# -ge 1 && -d $1/circuit ]] || { sed -n 2,17p "$0" >&2; exit 2; }
src=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mkdir -p "${2:-$repo/target/snarkjs-compare}" && cd "${2:-$repo/target/snarkjs-compare}" && pwd)
samples=${SAMPLES:-5}
runs=${RUNS:-3}
cd "$work"

if [[ ! -x node_modules/.bin/snarkjs || ! -x node_modules/.bin/circom2 ]]; then
  npm install --silent --no-audit --no-fund --prefix "$work" circom2@0.2.23 snarkjs@0.7.6
fi
snarkjs() { NODE_OPTIONS=--max-old-space-size=8192 node "$work/node_modules/snarkjs/build/cli.cjs" "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

main=proof_main_$samples
if [[ ! -f $main.zkey ]]; then
  mkdir -p circuit && cp "$src"/circuit/*/*.circom circuit/   # circom2 (WASI) sees only the cwd tree
  cat > circuit/$main.circom <<CIRCOM
pragma circom 2.0.0;
include "sample_cells.circom";
component main {public [entropy,dataSetRoot,slotIndex]} = SampleAndProve(32, 8, 5, 67, $samples);
CIRCOM
  (cd circuit && "$work/node_modules/.bin/circom2" --r1cs --wasm --O2 $main.circom)
  power=$(( samples <= 5 ? 17 : samples <= 11 ? 18 : samples <= 23 ? 19 : samples <= 47 ? 20 : 21 ))
  if [[ ! -f pot$power.ptau ]]; then
    snarkjs powersoftau new bn128 $power pot_0.ptau
    snarkjs powersoftau contribute pot_0.ptau pot_1.ptau --name=bench -e="proofmesh bench $RANDOM$RANDOM"
    snarkjs powersoftau prepare phase2 pot_1.ptau pot$power.ptau
    rm -f pot_0.ptau pot_1.ptau
  fi
  snarkjs groth16 setup circuit/$main.r1cs pot$power.ptau $main.zkey
fi

proofmesh=${PROOFMESH:-}
if [[ -z $proofmesh ]]; then
  (cd "$repo" && cargo build --release -q -p proofmesh-node --bin proofmesh)
  proofmesh=$repo/target/release/proofmesh
fi
if [[ ! -f keys$samples/proving.key ]]; then
  "$proofmesh" setup --samples "$samples" --out keys$samples
fi
for i in 0 1 2 3; do
  [[ -f slot$i.bin ]] || head -c $((16 * 65536)) /dev/urandom > slot$i.bin
done
"$proofmesh" input --slot-index 1 --entropy 1234567 --samples "$samples" --out input.json slot?.bin

ours=() theirs=()
for r in $(seq "$runs"); do
  t0=$(now)
  snarkjs wtns calculate circuit/${main}_js/$main.wasm input.json witness.wtns
  snarkjs groth16 prove $main.zkey witness.wtns sj_proof.json sj_public.json
  t1=$(now)
  "$proofmesh" prove --keys keys$samples --slot-index 1 --entropy 1234567 --out pm_proof slot?.bin >/dev/null
  t2=$(now)
  theirs+=("$(secs "$t0" "$t1")") ours+=("$(secs "$t1" "$t2")")
  echo "run $r: snarkjs (wtns + prove) ${theirs[-1]} s, proofmesh prove ${ours[-1]} s"
done
snarkjs zkey export verificationkey $main.zkey sj_vk.json
snarkjs groth16 verify sj_vk.json sj_public.json sj_proof.json
"$proofmesh" verify --vk keys$samples/verification_key.json --proof pm_proof/proof.json --public pm_proof/public.json
best() { printf '%s\n' "$@" | sort -n | head -1; }
b_theirs=$(best "${theirs[@]}") b_ours=$(best "${ours[@]}")
echo "best of $runs: snarkjs $b_theirs s, proofmesh $b_ours s, ratio $(awk -v a="$b_theirs" -v b="$b_ours" 'BEGIN { printf "%.2f", a / b }')x"
