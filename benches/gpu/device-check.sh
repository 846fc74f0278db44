#!/usr/bin/env bash
# The GPU checks, as one run on a machine with an NVIDIA GPU and no Rust toolchain: binaries
# built elsewhere (see benches/gpu/README.md) in $1 (default .devcarry), logs to $OUT or /tmp.
#   0. the first start on this machine: NVRTC + the driver's JIT, timed;
#   1. with $D/proofmesh: setup, prove --gpu, prove (CPU), verify, end to end;
#   2. the GPU tests, ignored ones included (GPU MSM = arkworks in G1/G2; GPU proofs =
#      arkworks proofs), with the GPU mandatory (PROOFMESH_EXPECT_GPU=1);
#   3. with $D/msm: the MSM bench (arkworks vs our CPU MSM vs our GPU MSM, same run);
#   4. with $D/codex_r1cs and $D/codex5.*: ark-groth16 on Codex's R1CS vs Prover::prove,
#      CPU and GPU;
#   5. with $D/prove: ark-groth16 vs Prover::prove (CPU, GPU) on proofmesh's circuit at
#      PROOFMESH_BENCH_SAMPLES samples (default 100; setup alone takes a minute or more).
set -u
D=${1:-.devcarry}
LOG=${OUT:-/tmp}
export CRITERION_HOME=/tmp/criterion PROOFMESH_GPU_CACHE=/tmp/pm-gpu-cache
# libcuda and libnvrtc: the driver's and the toolkit's directories, wherever they are.
for d in /usr/local/nvidia/lib64 /usr/local/cuda/lib64 $(dirname $(find /usr /opt -name 'libnvrtc.so*' 2>/dev/null | head -1) 2>/dev/null); do
  [ -d "$d" ] && export LD_LIBRARY_PATH=$d:${LD_LIBRARY_PATH:-}
done
nvidia-smi -L; nproc
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
export PROOFMESH_EXPECT_GPU=1
t0=$(date +%s)
echo "== first start (compile + JIT, empty caches)"
rm -rf "$PROOFMESH_GPU_CACHE"
time "$D/gpu_test" opening --nocapture 2>&1 | grep -E "kernels|test result" | tee "$LOG/gpu_open.log"
if [ -x "$D/proofmesh" ]; then
  echo "== CLI end to end: setup, prove --gpu, prove, verify"
  W=/tmp/pm-cli; rm -rf $W; mkdir -p $W
  for i in 0 1 2 3; do head -c $((16 * 65536)) /dev/urandom > $W/slot$i.bin; done
  { time "$D/proofmesh" setup --samples 5 --out $W/keys; } 2>&1 | tail -5
  for mode in gpu cpu; do
    flag=""; [ $mode = gpu ] && flag=--gpu
    { time "$D/proofmesh" prove $flag --keys $W/keys --slot-index 1 --entropy 1234567 \
        --out $W/$mode $W/slot0.bin $W/slot1.bin $W/slot2.bin $W/slot3.bin; } 2>&1 | tail -5
    "$D/proofmesh" verify --vk $W/keys/verification_key.json --proof $W/$mode/proof.json \
      --public $W/$mode/public.json
  done 2>&1 | tee "$LOG/cli.log"
fi
echo "== GPU tests"
"$D/gpu_test" --include-ignored --test-threads 1 2>&1 | tee "$LOG/gpu_test.log"
echo "tests: $(( $(date +%s) - t0 )) s"
if [ -x "$D/msm" ]; then
  "$D/msm" --bench 2>&1 | grep -E "time:|ratio|gpu" | tee "$LOG/msm.log"
fi
if [ -f "$D/codex5.r1cs.gz" ] && [ -x "$D/codex_r1cs" ]; then
  gunzip -c "$D/codex5.r1cs.gz" > /tmp/codex5.r1cs
  PROOFMESH_CODEX_R1CS=/tmp/codex5.r1cs PROOFMESH_CODEX_WTNS="$D/codex5.wtns" \
    PROOFMESH_BENCH_SECS=${PROOFMESH_BENCH_SECS:-8} \
    "$D/codex_r1cs" --bench 2>&1 | grep -E "time:|ratio|gpu|panicked|error" | tee "$LOG/codex_r1cs.log"
fi
if [ -x "$D/prove" ]; then
  PROOFMESH_BENCH_FULL=1 PROOFMESH_BENCH_SAMPLES=${PROOFMESH_BENCH_SAMPLES:-100} \
    PROOFMESH_BENCH_SECS=${PROOFMESH_BENCH_SECS:-8} \
    "$D/prove" --bench 2>&1 | grep -E "time:|ratio|gpu|panicked|error" | tee "$LOG/prove.log"
fi
echo "total: $(( $(date +%s) - t0 )) s"
