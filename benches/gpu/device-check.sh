#!/usr/bin/env bash
# The GPU checks, as one run on a machine with an NVIDIA GPU and no Rust toolchain: binaries
# built elsewhere (see benches/gpu/README.md) in $1 (default .devcarry), logs to $OUT or /tmp.
#   1. the ignored GPU tests (GPU MSM = arkworks in G1/G2; GPU proofs = arkworks proofs);
#   2. the MSM bench (arkworks vs our CPU MSM vs our GPU MSM, same run);
#   3. the codex_r1cs bench (ark-groth16 on Codex's R1CS vs Prover::prove, CPU and GPU).
set -u
D=${1:-.devcarry}
LOG=${OUT:-/tmp}
export CRITERION_HOME=/tmp/criterion PROOFMESH_GPU_CACHE=/tmp/pm-gpu-cache
# libcuda and libnvrtc: the driver's and the toolkit's directories, wherever they are.
for d in /usr/local/nvidia/lib64 /usr/local/cuda/lib64 $(dirname $(find /usr /opt -name 'libnvrtc.so*' 2>/dev/null | head -1) 2>/dev/null); do
  [ -d "$d" ] && export LD_LIBRARY_PATH=$d:${LD_LIBRARY_PATH:-}
done
nvidia-smi -L; nproc
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
t0=$(date +%s)
"$D/gpu_test" --include-ignored --test-threads 1 2>&1 | tee "$LOG/gpu_test.log"
echo "tests: $(( $(date +%s) - t0 )) s"
"$D/msm" --bench 2>&1 | grep -E "time:|ratio|gpu" | tee "$LOG/msm.log"
if [ -f "$D/codex5.r1cs.gz" ]; then
  gunzip -c "$D/codex5.r1cs.gz" > /tmp/codex5.r1cs
  PROOFMESH_CODEX_R1CS=/tmp/codex5.r1cs PROOFMESH_CODEX_WTNS="$D/codex5.wtns" \
    PROOFMESH_BENCH_SECS=${PROOFMESH_BENCH_SECS:-8} \
    "$D/codex_r1cs" --bench 2>&1 | grep -E "time:|ratio|gpu|panicked|error" | tee "$LOG/codex_r1cs.log"
fi
echo "total: $(( $(date +%s) - t0 )) s"
