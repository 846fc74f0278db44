//! The CUDA half of the GPU MSM: kernels compiled by NVRTC when [`GpuMsm::new`] runs, bases
//! kept resident on the device ([`DeviceBases`], uploaded once per proving key), and one MSM
//! at a time on one stream.
//!
//! The CUDA driver and NVRTC are loaded at run time (`dlopen`), so a build with the `gpu`
//! feature runs anywhere: without a driver, [`GpuMsm::new`] is a typed error, and the caller
//! decides (the CLI and the node report it and stop; a `Prover` without `with_gpu` proves on
//! the CPU).

// Kernel launches are `unsafe` in cudarc: the argument list must match the kernel's
// signature. Each launch below passes exactly the parameters `msm.cu` declares.
#![allow(unsafe_code)]

use super::plan::{window_bits, Level, Plan, CHUNK, NEGATE};
use crate::groth16::msm::{MsmError, ScalarInt};
use ark_bn254::{g1, g2, Fq, Fq2};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use rayon::prelude::*;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// The kernels' source, compiled for the device at hand by NVRTC.
const SOURCE: &str = include_str!("msm.cu");

/// Threads per block: the G2 kernels hold two XYZZ points of Fq2 in registers.
const BLOCK: u32 = 128;

/// Why the GPU cannot be opened or cannot run an MSM.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No CUDA driver library on this machine.
    #[error("no CUDA driver (libcuda) found: the GPU prover needs an NVIDIA driver")]
    NoDriver,
    /// No NVRTC library to compile the kernels with.
    #[error("no NVRTC library (libnvrtc, CUDA's runtime compiler) found: install it, or add its directory to LD_LIBRARY_PATH")]
    NoNvrtc,
    /// A CUDA driver call failed (no device, out of memory, a failed launch).
    #[error("CUDA: {0}")]
    Driver(String),
    /// NVRTC refused the kernels.
    #[error("compiling the CUDA kernels: {0}")]
    Compile(String),
    /// The MSM's shape is wrong (lengths), as on the CPU.
    #[error(transparent)]
    Msm(#[from] MsmError),
    /// Entries carry a 31-bit base index.
    #[error("MSM with {0} bases: the GPU path takes at most 2^31 - 1")]
    TooMany(usize),
    /// The sorted entries (terms × windows) are indexed with 32 bits.
    #[error("MSM of {0} window entries: the GPU path indexes at most 2^32 - 1")]
    TooLarge(usize),
    /// A plan runs only over bases with the identity points it was made for.
    #[error("MSM plan made for other bases (identity points differ)")]
    PlanMismatch,
    /// The device's answer to a known MSM was wrong, or the driver lacks an entry point the
    /// bindings call (CUDA 13.0 API): the GPU is not used.
    #[error("the GPU failed its self-check ({0}): refusing to prove with it")]
    SelfCheck(String),
}

impl From<cudarc::driver::DriverError> for GpuError {
    fn from(e: cudarc::driver::DriverError) -> Self {
        Self::Driver(e.to_string())
    }
}

mod sealed {
    /// Only the curves `msm.cu` has kernels for.
    pub trait Sealed {}
    impl Sealed for ark_bn254::g1::Config {}
    impl Sealed for ark_bn254::g2::Config {}
}

/// A curve whose points the kernels take: BN254 G1 (over Fq) and G2 (over Fq2). Sealed: the
/// kernels are chosen by the limb count, so no other curve may claim it.
pub trait GpuCurve: SWCurveConfig + sealed::Sealed {
    /// 64-bit limbs per coordinate.
    const LIMBS: usize;
    /// Kernel name suffix.
    const SUFFIX: &'static str;
    /// Appends the affine point's `x, y` limbs (Montgomery form, as in memory).
    fn push_limbs(p: &Affine<Self>, out: &mut Vec<u64>);
    /// The point in XYZZ limbs `x, y, zz, zzz` (`zz = 0`: the identity).
    fn from_xyzz(limbs: &[u64]) -> Projective<Self>;
}

fn fq_limbs(x: &Fq) -> [u64; 4] {
    x.0 .0
}

fn fq_from(limbs: &[u64]) -> Fq {
    let mut l = [0u64; 4];
    l.copy_from_slice(&limbs[..4]);
    Fq::new_unchecked(BigInt::new(l))
}

fn fq2_from(limbs: &[u64]) -> Fq2 {
    Fq2::new(fq_from(&limbs[..4]), fq_from(&limbs[4..8]))
}

/// `(X/ZZ, Y/ZZZ)` as a projective point (one inversion: only window sums come back).
fn xyzz_to_projective<P: SWCurveConfig>(
    x: P::BaseField,
    y: P::BaseField,
    zz: P::BaseField,
    zzz: P::BaseField,
) -> Projective<P> {
    match (zz.inverse(), zzz.inverse()) {
        (Some(izz), Some(izzz)) => Affine::<P>::new_unchecked(x * izz, y * izzz).into(),
        _ => Projective::<P>::zero(),
    }
}

impl GpuCurve for g1::Config {
    const LIMBS: usize = 4;
    const SUFFIX: &'static str = "g1";
    fn push_limbs(p: &Affine<Self>, out: &mut Vec<u64>) {
        out.extend_from_slice(&fq_limbs(&p.x));
        out.extend_from_slice(&fq_limbs(&p.y));
    }
    fn from_xyzz(l: &[u64]) -> Projective<Self> {
        xyzz_to_projective::<Self>(
            fq_from(&l[0..]),
            fq_from(&l[4..]),
            fq_from(&l[8..]),
            fq_from(&l[12..]),
        )
    }
}

impl GpuCurve for g2::Config {
    const LIMBS: usize = 8;
    const SUFFIX: &'static str = "g2";
    fn push_limbs(p: &Affine<Self>, out: &mut Vec<u64>) {
        for c in [&p.x.c0, &p.x.c1, &p.y.c0, &p.y.c1] {
            out.extend_from_slice(&fq_limbs(c));
        }
    }
    fn from_xyzz(l: &[u64]) -> Projective<Self> {
        xyzz_to_projective::<Self>(
            fq2_from(&l[0..]),
            fq2_from(&l[8..]),
            fq2_from(&l[16..]),
            fq2_from(&l[24..]),
        )
    }
}

/// Bases resident on the device (a proving-key query), with which of them are the identity
/// (those never enter a bucket).
pub struct DeviceBases<P: GpuCurve> {
    points: CudaSlice<u64>,
    identity: Vec<bool>,
    /// SHA-256 of `identity` (first 8 bytes): plans carry it, [`GpuMsm::execute`] checks it.
    identity_digest: u64,
    _curve: PhantomData<P>,
}

impl<P: GpuCurve> std::fmt::Debug for DeviceBases<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceBases")
            .field("len", &self.identity.len())
            .finish()
    }
}

impl<P: GpuCurve> DeviceBases<P> {
    /// Number of bases.
    pub fn len(&self) -> usize {
        self.identity.len()
    }

    /// Whether there are no bases.
    pub fn is_empty(&self) -> bool {
        self.identity.is_empty()
    }

    /// Whether `other` has its identity points where these bases have theirs (then a plan
    /// made for one serves the other).
    pub fn same_identities<Q: GpuCurve>(&self, other: &DeviceBases<Q>) -> bool {
        self.identity == other.identity
    }
}

struct Kernels {
    acc_affine: CudaFunction,
    acc_xyzz: CudaFunction,
    chunks: CudaFunction,
}

/// A CUDA device ready to run MSMs over BN254 G1 and G2.
pub struct GpuMsm {
    stream: Arc<CudaStream>,
    g1: Kernels,
    g2: Kernels,
    name: String,
    /// How long NVRTC took, or `None` when the kernels came from the cache.
    compile_time: Option<std::time::Duration>,
    /// One MSM at a time: the device is saturated by one, and the stream is shared.
    busy: Mutex<()>,
}

impl std::fmt::Debug for GpuMsm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuMsm")
            .field("device", &self.name)
            .finish()
    }
}

impl GpuMsm {
    /// Opens device `ordinal`, compiles the kernels for it and checks one MSM in G1 and one
    /// in G2 against the CPU, so a device that cannot prove is refused here, not mid-proof.
    pub fn new(ordinal: usize) -> Result<Self, GpuError> {
        // cudarc resolves driver entry points lazily and panics on a missing one (a driver
        // older than the bindings' API level); the self-check calls every one an MSM uses.
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let gpu = Self::open(ordinal)?;
            gpu.self_check()?;
            Ok(gpu)
        }));
        opened.unwrap_or_else(|_| {
            Err(GpuError::SelfCheck(
                "the CUDA driver lacks an entry point of the CUDA 13.0 API".into(),
            ))
        })
    }

    /// `3·P − 5·Q` for P, Q = G and 2G of each group, against the CPU's answer.
    fn self_check(&self) -> Result<(), GpuError> {
        fn check<P: GpuCurve>(gpu: &GpuMsm) -> Result<(), GpuError> {
            let g = Projective::<P>::generator();
            let bases = [g.into_affine(), g.double().into_affine()];
            let scalars = [P::ScalarField::from(3u64), -P::ScalarField::from(5u64)];
            let want: Projective<P> = bases.iter().zip(&scalars).map(|(b, s)| *b * s).sum();
            let on_device = gpu.upload(&[&bases])?;
            let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
            if gpu.msm(&on_device, &ints)? != want {
                return Err(GpuError::SelfCheck(format!(
                    "a {} MSM came out wrong",
                    P::SUFFIX
                )));
            }
            Ok(())
        }
        check::<g1::Config>(self)?;
        check::<g2::Config>(self)
    }

    fn open(ordinal: usize) -> Result<Self, GpuError> {
        // SAFETY: these only try to dlopen the libraries, so a missing one is an error here
        // rather than a panic inside cudarc.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuError::NoDriver);
        }
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(GpuError::NoNvrtc);
        }
        let ctx = CudaContext::new(ordinal)?;
        let (major, minor) = ctx.compute_capability()?;
        let arch = format!("compute_{major}{minor}");
        let options = vec![format!("--gpu-architecture={arch}")];
        let cache = ptx_cache_path(&options);
        // A cached PTX for this source and architecture skips NVRTC (seconds per start);
        // one that fails to load is recompiled.
        let cached = cache
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            // A torn file (zeros after a crash) must be recompiled, not handed to the driver.
            .filter(|src| !src.is_empty() && !src.contains('\0'))
            .and_then(|src| ctx.load_module(Ptx::from_src(src)).ok());
        let started = std::time::Instant::now();
        let mut compile_time = None;
        let module = match cached {
            Some(module) => module,
            None => {
                let opts = cudarc::nvrtc::CompileOptions {
                    options: options.clone(),
                    name: Some("proofmesh_msm.cu".into()),
                    ..Default::default()
                };
                let ptx = cudarc::nvrtc::compile_ptx_with_opts(SOURCE, opts)
                    .map_err(|e| GpuError::Compile(e.to_string()))?;
                let src = ptx.to_src();
                let module = ctx.load_module(Ptx::from_src(src.clone()))?;
                if let Some(path) = &cache {
                    store_ptx(path, &src);
                }
                compile_time = Some(started.elapsed());
                module
            }
        };
        let kernels = |suffix: &str| -> Result<Kernels, GpuError> {
            Ok(Kernels {
                acc_affine: module.load_function(&format!("acc_affine_{suffix}"))?,
                acc_xyzz: module.load_function(&format!("acc_xyzz_{suffix}"))?,
                chunks: module.load_function(&format!("chunks_{suffix}"))?,
            })
        };
        let name = ctx.name()?;
        Ok(Self {
            stream: ctx.default_stream(),
            g1: kernels("g1")?,
            g2: kernels("g2")?,
            name,
            compile_time,
            busy: Mutex::new(()),
        })
    }

    /// The device's name, for logs.
    pub fn device_name(&self) -> &str {
        &self.name
    }

    /// How long compiling and loading the kernels took at [`GpuMsm::new`] (`None`: the PTX
    /// came from proofmesh's cache; the driver may still spend minutes turning it into machine
    /// code when its own cache, `~/.nv/ComputeCache`, is cold).
    pub fn compile_time(&self) -> Option<std::time::Duration> {
        self.compile_time
    }

    /// Uploads the concatenation of `parts` (a proving-key query, or `L ‖ H`).
    pub fn upload<P: GpuCurve>(&self, parts: &[&[Affine<P>]]) -> Result<DeviceBases<P>, GpuError> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        if n >= NEGATE as usize {
            return Err(GpuError::TooMany(n));
        }
        let all: Vec<&Affine<P>> = parts.iter().flat_map(|p| p.iter()).collect();
        let limbs: Vec<u64> = all
            .par_chunks(4096)
            .flat_map_iter(|chunk| {
                let mut out = Vec::with_capacity(chunk.len() * 2 * P::LIMBS);
                for p in chunk {
                    P::push_limbs(p, &mut out);
                }
                out
            })
            .collect();
        let identity: Vec<bool> = all.par_iter().map(|p| p.is_zero()).collect();
        let points = self.stream.clone_htod(&limbs_or_one(limbs))?;
        Ok(DeviceBases {
            points,
            identity_digest: digest_of(&identity),
            identity,
            _curve: PhantomData,
        })
    }

    /// `Σ scalars[i] · bases[i]` on the device.
    pub fn msm<P: GpuCurve>(
        &self,
        bases: &DeviceBases<P>,
        scalars: &[ScalarInt<P>],
    ) -> Result<Projective<P>, GpuError> {
        let plan = self.plan(bases, scalars)?;
        self.execute(&plan, bases)
    }

    /// The host half of an MSM (digits, the sort by bucket, the reduction levels) for
    /// `scalars` over `bases`. A plan serves every query with the same identity bases as
    /// `bases` (Groth16's `B` in G1 and G2).
    pub fn plan<P: GpuCurve>(
        &self,
        bases: &DeviceBases<P>,
        scalars: &[ScalarInt<P>],
    ) -> Result<GpuPlan, GpuError> {
        if bases.len() != scalars.len() {
            return Err(MsmError::Length {
                bases: bases.len(),
                scalars: scalars.len(),
            }
            .into());
        }
        let active: Vec<u32> = (0..scalars.len())
            .into_par_iter()
            .with_min_len(4096)
            .filter(|&i| !scalars[i].is_zero() && !bases.identity[i])
            .map(|i| i as u32)
            .collect();
        let bits = <P::ScalarField as PrimeField>::MODULUS_BIT_SIZE as usize;
        // Every window of every active term may hold an entry: 32-bit offsets must reach.
        let entries = active.len() * (bits / window_bits(active.len()) + 1);
        if u32::try_from(entries).is_err() {
            return Err(GpuError::TooLarge(entries));
        }
        Ok(GpuPlan {
            plan: Plan::new(scalars, &active, bits),
            terms: scalars.len(),
            identity_digest: bases.identity_digest,
        })
    }

    /// The device half: runs `plan` over `bases` (of the same length as the plan's scalars).
    pub fn execute<P: GpuCurve>(
        &self,
        plan: &GpuPlan,
        bases: &DeviceBases<P>,
    ) -> Result<Projective<P>, GpuError> {
        if bases.len() != plan.terms {
            return Err(MsmError::Length {
                bases: bases.len(),
                scalars: plan.terms,
            }
            .into());
        }
        if bases.identity_digest != plan.identity_digest {
            return Err(GpuError::PlanMismatch);
        }
        let Some(plan) = &plan.plan else {
            return Ok(Projective::<P>::zero());
        };
        let kernels = if P::LIMBS == 4 { &self.g1 } else { &self.g2 };
        let windows = {
            let _one_at_a_time = self.busy.lock().unwrap_or_else(|e| e.into_inner());
            self.run(plan, &bases.points, kernels, P::LIMBS)?
        };
        // Horner from the top window: Σ 2^(c·w) · W_w.
        let point = 4 * P::LIMBS;
        let mut total = Projective::<P>::zero();
        for w in (0..plan.windows).rev() {
            for _ in 0..plan.c {
                total.double_in_place();
            }
            total += P::from_xyzz(&windows[w * point..(w + 1) * point]);
        }
        Ok(total)
    }

    /// Runs the plan's kernels; returns the windows' sums as XYZZ limbs.
    fn run(
        &self,
        plan: &Plan,
        bases: &CudaSlice<u64>,
        k: &Kernels,
        limbs: usize,
    ) -> Result<Vec<u64>, GpuError> {
        let s = &self.stream;
        let point = 4 * limbs;
        let entries = s.clone_htod(&plan.entries)?;
        let mut dense = s.alloc_zeros::<u64>(plan.windows * plan.buckets * point)?;
        // Buckets: sorted entries → partial sums → one point per bucket, in `dense`.
        self.reduce(
            &plan.levels,
            Input::Affine {
                bases,
                entries: &entries,
            },
            &mut dense,
            k,
            point,
        )?;
        drop(entries);
        // Chunks of buckets: Σ (k + 1)·B_k per chunk.
        let per_window = plan.buckets.div_ceil(CHUNK);
        let total = plan.windows * per_window;
        let mut chunk_sums = s.alloc_zeros::<u64>(total * point)?;
        let (nb, chunk, pw, total32) = (
            plan.buckets as u32,
            CHUNK as u32,
            per_window as u32,
            total as u32,
        );
        let mut b = s.launch_builder(&k.chunks);
        b.arg(&dense)
            .arg(&nb)
            .arg(&chunk)
            .arg(&pw)
            .arg(&mut chunk_sums)
            .arg(&total32);
        // SAFETY: matches chunks_*(buckets, nb, chunk, per_window, out, total).
        unsafe { b.launch(grid(total32)) }?;
        drop(dense);
        // Windows: the chunk sums of each window, reduced like buckets.
        let mut sums = s.alloc_zeros::<u64>(plan.windows * point)?;
        self.reduce(
            &plan.window_levels,
            Input::Xyzz(&chunk_sums),
            &mut sums,
            k,
            point,
        )?;
        Ok(s.clone_dtoh(&sums)?)
    }

    /// Runs segmented reduction `levels` from `input`; the last level writes into `out`.
    fn reduce(
        &self,
        levels: &[Level],
        input: Input<'_>,
        out: &mut CudaSlice<u64>,
        k: &Kernels,
        point: usize,
    ) -> Result<(), GpuError> {
        let s = &self.stream;
        let none = s.alloc_zeros::<u32>(1)?;
        let mut previous: Option<CudaSlice<u64>> = None;
        for (i, level) in levels.iter().enumerate() {
            let nseg =
                u32::try_from(level.segments()).map_err(|_| GpuError::TooMany(level.segments()))?;
            let seg_off = s.clone_htod(&level.seg_off)?;
            let (out_idx, use_idx) = match &level.out_idx {
                Some(idx) => (Some(s.clone_htod(idx)?), 1u32),
                None => (None, 0u32),
            };
            let idx = out_idx.as_ref().unwrap_or(&none);
            let mut compact = match level.out_idx {
                Some(_) => None,
                None => Some(s.alloc_zeros::<u64>(level.segments() * point)?),
            };
            let dst = match compact.as_mut() {
                Some(c) => c,
                None => &mut *out,
            };
            let cfg = grid(nseg);
            let xyzz_source = match (i, &input) {
                (0, Input::Xyzz(first)) => Some(*first),
                (0, Input::Affine { .. }) => None,
                _ => previous.as_ref(),
            };
            match (i, &input, xyzz_source) {
                (0, Input::Affine { bases, entries }, _) => {
                    let mut b = s.launch_builder(&k.acc_affine);
                    b.arg(*bases)
                        .arg(*entries)
                        .arg(&seg_off)
                        .arg(idx)
                        .arg(&use_idx)
                        .arg(dst)
                        .arg(&nseg);
                    // SAFETY: matches acc_affine_*(bases, entries, seg_off, out_idx, use_idx,
                    // out, nseg).
                    unsafe { b.launch(cfg) }?;
                }
                (_, _, Some(first)) => {
                    let mut b = s.launch_builder(&k.acc_xyzz);
                    b.arg(first)
                        .arg(&seg_off)
                        .arg(idx)
                        .arg(&use_idx)
                        .arg(dst)
                        .arg(&nseg);
                    // SAFETY: matches acc_xyzz_*(in, seg_off, out_idx, use_idx, out, nseg).
                    unsafe { b.launch(cfg) }?;
                }
                _ => return Err(GpuError::Driver("a reduction level lost its input".into())),
            }
            if compact.is_some() {
                previous = compact;
            }
        }
        Ok(())
    }
}

/// What the first level of a reduction reads.
enum Input<'a> {
    /// Bases gathered (and negated) through sorted entries.
    Affine {
        bases: &'a CudaSlice<u64>,
        entries: &'a CudaSlice<u32>,
    },
    /// XYZZ points, in order.
    Xyzz(&'a CudaSlice<u64>),
}

/// The host half of one MSM ([`GpuMsm::plan`]), to run with [`GpuMsm::execute`].
#[derive(Debug)]
pub struct GpuPlan {
    plan: Option<Plan>,
    terms: usize,
    identity_digest: u64,
}

/// The first 8 bytes of SHA-256 over the identity flags.
fn digest_of(identity: &[bool]) -> u64 {
    use sha2::{Digest, Sha256};
    let bytes: Vec<u8> = identity.iter().map(|&b| u8::from(b)).collect();
    let d = Sha256::digest(&bytes);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Where the kernels compiled with NVRTC `options` are kept: `$PROOFMESH_GPU_CACHE`, else
/// `$XDG_CACHE_HOME/proofmesh` or `~/.cache/proofmesh`; named by a hash of the source and the
/// options, so a new build never loads old kernels.
fn ptx_cache_path(options: &[String]) -> Option<std::path::PathBuf> {
    use sha2::{Digest, Sha256};
    let dir = std::env::var_os("PROOFMESH_GPU_CACHE")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| std::path::Path::new(&d).join("proofmesh"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache/proofmesh"))
        })?;
    let digest = Sha256::digest([SOURCE.as_bytes(), options.join(" ").as_bytes()].concat());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Some(dir.join(format!("msm-{name}.ptx")))
}

/// Best effort: a cache that cannot be written only costs a compile next time.
fn store_ptx(path: &std::path::Path, src: &str) {
    let Some(dir) = path.parent() else { return };
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let ok = std::fs::create_dir_all(dir).is_ok()
        && std::fs::write(&tmp, src).is_ok()
        && std::fs::rename(&tmp, path).is_ok();
    if !ok {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// One thread per item, [`BLOCK`] per block.
fn grid(items: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (items.div_ceil(BLOCK).max(1), 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// Device allocations of zero bytes are refused: an empty query uploads one unused limb.
fn limbs_or_one(mut limbs: Vec<u64>) -> Vec<u64> {
    if limbs.is_empty() {
        limbs.push(0);
    }
    limbs
}
