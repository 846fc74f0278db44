// proofmesh GPU MSM kernels for BN254 G1 (over Fq) and G2 (over Fq2 = Fq[u]/(u^2 + 1)).
//
// Compiled at run time by NVRTC (no CUDA toolkit needed to build proofmesh). The host
// sorts every window's terms by bucket and plans segmented reductions (gpu/plan.rs) and
// launches these kernels (gpu/device.rs); they do the curve arithmetic:
//
//   acc_affine_*  one thread per segment of sorted (±base) entries -> one XYZZ partial sum
//   acc_xyzz_*    one thread per segment of partial sums          -> one XYZZ partial sum
//   chunks_*      one thread per chunk of a window's buckets      -> Σ (k+1)·B_k of the chunk
//
// (a window's chunk sums are then reduced to one point by acc_xyzz levels).
//
// Field elements are 4 little-endian 64-bit limbs in Montgomery form with R = 2^256,
// exactly arkworks' in-memory representation, so points travel without conversion.
// Points in buckets are XYZZ (x = X/ZZ, y = Y/ZZZ; ZZ = 0 is the identity): a mixed addition
// is 8M + 2S and needs no inversion. Every formula handles doubling and opposite points.
//
// The same source builds as plain C++ (PROOFMESH_MSM_HOST) so its arithmetic can be checked
// on a machine without a GPU.

typedef unsigned long long u64;
typedef unsigned int u32;

#if defined(PROOFMESH_MSM_HOST)
#define DEV static inline
#define KERNEL extern "C"
static u32 g_tid;
#define TID g_tid
static inline u64 mulhi(u64 a, u64 b) { return (u64)(((unsigned __int128)a * b) >> 64); }
#else
#define DEV __device__ __forceinline__
#define KERNEL extern "C" __global__
#define TID (blockIdx.x * blockDim.x + threadIdx.x)
DEV u64 mulhi(u64 a, u64 b) { return __umul64hi(a, b); }
#endif

// ---------------------------------------------------------------- Fq (BN254 base field)

#define P0 0x3c208c16d87cfd47ULL
#define P1 0x97816a916871ca8dULL
#define P2 0xb85045b68181585dULL
#define P3 0x30644e72e131a029ULL
// -p^-1 mod 2^64
#define PINV 0x87d20782e4866389ULL
// R mod p: one in Montgomery form
#define ONE0 0xd35d438dc58f0d9dULL
#define ONE1 0x0a78eb28f5c70b3dULL
#define ONE2 0x666ea36f7879462cULL
#define ONE3 0x0e0a77c19a07df2fULL

struct Fp {
  u64 v[4];
};

DEV Fp fp_zero() {
  Fp r;
  r.v[0] = 0; r.v[1] = 0; r.v[2] = 0; r.v[3] = 0;
  return r;
}

DEV Fp fp_one() {
  Fp r;
  r.v[0] = ONE0; r.v[1] = ONE1; r.v[2] = ONE2; r.v[3] = ONE3;
  return r;
}

DEV bool is_zero(const Fp &a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0; }

DEV bool eq(const Fp &a, const Fp &b) {
  return ((a.v[0] ^ b.v[0]) | (a.v[1] ^ b.v[1]) | (a.v[2] ^ b.v[2]) | (a.v[3] ^ b.v[3])) == 0;
}

// r = t - p if t >= p (t < 2p), limb-wise with borrows.
DEV Fp reduce_once(const Fp &t) {
  const u64 p[4] = {P0, P1, P2, P3};
  Fp s;
  u64 borrow = 0;
#pragma unroll
  for (int i = 0; i < 4; i++) {
    u64 d = t.v[i] - p[i];
    u64 b1 = t.v[i] < p[i];
    u64 d2 = d - borrow;
    u64 b2 = d < borrow;
    s.v[i] = d2;
    borrow = b1 | b2;
  }
  return borrow ? t : s;
}

DEV Fp add(const Fp &a, const Fp &b) {
  // p < 2^254: a + b < 2^255 never carries out of the top limb.
  Fp t;
  u64 carry = 0;
#pragma unroll
  for (int i = 0; i < 4; i++) {
    u64 s = a.v[i] + b.v[i];
    u64 c1 = s < a.v[i];
    u64 s2 = s + carry;
    u64 c2 = s2 < s;
    t.v[i] = s2;
    carry = c1 | c2;
  }
  return reduce_once(t);
}

DEV Fp sub(const Fp &a, const Fp &b) {
  const u64 p[4] = {P0, P1, P2, P3};
  Fp t;
  u64 borrow = 0;
#pragma unroll
  for (int i = 0; i < 4; i++) {
    u64 d = a.v[i] - b.v[i];
    u64 b1 = a.v[i] < b.v[i];
    u64 d2 = d - borrow;
    u64 b2 = d < borrow;
    t.v[i] = d2;
    borrow = b1 | b2;
  }
  if (borrow) {
    u64 carry = 0;
#pragma unroll
    for (int i = 0; i < 4; i++) {
      u64 s = t.v[i] + p[i];
      u64 c1 = s < t.v[i];
      u64 s2 = s + carry;
      u64 c2 = s2 < s;
      t.v[i] = s2;
      carry = c1 | c2;
    }
  }
  return t;
}

DEV Fp neg(const Fp &a) { return is_zero(a) ? a : sub(fp_zero(), a); }

DEV Fp dbl(const Fp &a) { return add(a, a); }

// (hi, lo) = a + b * c + carry; the result fits in 128 bits.
DEV u64 mac(u64 a, u64 b, u64 c, u64 &carry) {
  u64 lo = b * c;
  u64 hi = mulhi(b, c);
  lo += a;
  hi += lo < a;
  lo += carry;
  hi += lo < carry;
  carry = hi;
  return lo;
}

// Montgomery multiplication, CIOS with the "no final carry" shortcut that moduli with a
// spare top bit allow (p < 2^254).
DEV Fp mul(const Fp &a, const Fp &b) {
  const u64 p[4] = {P0, P1, P2, P3};
  u64 t[4] = {0, 0, 0, 0};
#pragma unroll
  for (int i = 0; i < 4; i++) {
    u64 A = 0;
    t[0] = mac(t[0], a.v[0], b.v[i], A);
    u64 m = t[0] * PINV;
    u64 C = 0;
    mac(t[0], m, p[0], C);
#pragma unroll
    for (int j = 1; j < 4; j++) {
      t[j] = mac(t[j], a.v[j], b.v[i], A);
      t[j - 1] = mac(t[j], m, p[j], C);
    }
    t[3] = C + A;
  }
  Fp r;
  r.v[0] = t[0]; r.v[1] = t[1]; r.v[2] = t[2]; r.v[3] = t[3];
  return reduce_once(r);
}

DEV Fp sqr(const Fp &a) { return mul(a, a); }

// ---------------------------------------------------------------- Fq2 = Fq[u] / (u^2 + 1)

struct Fp2 {
  Fp c0, c1;
};

DEV Fp2 fp2_make(const Fp &c0, const Fp &c1) {
  Fp2 r;
  r.c0 = c0;
  r.c1 = c1;
  return r;
}
DEV bool is_zero(const Fp2 &a) { return is_zero(a.c0) && is_zero(a.c1); }
DEV bool eq(const Fp2 &a, const Fp2 &b) { return eq(a.c0, b.c0) && eq(a.c1, b.c1); }
DEV Fp2 add(const Fp2 &a, const Fp2 &b) { return fp2_make(add(a.c0, b.c0), add(a.c1, b.c1)); }
DEV Fp2 sub(const Fp2 &a, const Fp2 &b) { return fp2_make(sub(a.c0, b.c0), sub(a.c1, b.c1)); }
DEV Fp2 neg(const Fp2 &a) { return fp2_make(neg(a.c0), neg(a.c1)); }
DEV Fp2 dbl(const Fp2 &a) { return add(a, a); }
DEV Fp2 mul(const Fp2 &a, const Fp2 &b) {
  Fp v0 = mul(a.c0, b.c0);
  Fp v1 = mul(a.c1, b.c1);
  Fp s = mul(add(a.c0, a.c1), add(b.c0, b.c1));
  return fp2_make(sub(v0, v1), sub(sub(s, v0), v1));
}
DEV Fp2 sqr(const Fp2 &a) {
  Fp t = mul(a.c0, a.c1);
  return fp2_make(mul(add(a.c0, a.c1), sub(a.c0, a.c1)), add(t, t));
}

DEV void set_one(Fp &a) { a = fp_one(); }
DEV void set_one(Fp2 &a) { a = fp2_make(fp_one(), fp_zero()); }

// ---------------------------------------------------------------- points (a = 0 curves)

template <typename F> struct Affine {
  F x, y;
};

template <typename F> struct Xyzz {
  F x, y, zz, zzz;
};

DEV void set_zero(Fp &a) { a = fp_zero(); }
DEV void set_zero(Fp2 &a) { a = fp2_make(fp_zero(), fp_zero()); }

template <typename F> DEV void set_identity(Xyzz<F> &p) {
  set_zero(p.x);
  set_zero(p.y);
  set_zero(p.zz);
  set_zero(p.zzz);
}

template <typename F> DEV bool is_identity(const Xyzz<F> &p) { return is_zero(p.zz); }

// p = 2·p (dbl-2008-s-1).
template <typename F> DEV void double_in_place(Xyzz<F> &p) {
  if (is_identity(p)) return;
  F u = dbl(p.y);
  F v = sqr(u);
  F w = mul(u, v);
  F s = mul(p.x, v);
  F x2 = sqr(p.x);
  F m = add(dbl(x2), x2);
  F x3 = sub(sub(sqr(m), s), s);
  p.y = sub(mul(m, sub(s, x3)), mul(w, p.y));
  p.x = x3;
  p.zz = mul(p.zz, v);
  p.zzz = mul(p.zzz, w);
}

// p += q for an affine q (madd-2008-s).
template <typename F> DEV void add_affine(Xyzz<F> &p, const Affine<F> &q) {
  if (is_identity(p)) {
    p.x = q.x;
    p.y = q.y;
    set_one(p.zz);
    set_one(p.zzz);
    return;
  }
  F u2 = mul(q.x, p.zz);
  F s2 = mul(q.y, p.zzz);
  F pp_ = sub(u2, p.x);
  F r = sub(s2, p.y);
  if (is_zero(pp_)) {
    if (is_zero(r)) {
      // p == q: double q in XYZZ (rare: the same point twice in one bucket).
      p.x = q.x;
      p.y = q.y;
      set_one(p.zz);
      set_one(p.zzz);
      double_in_place(p);
    } else {
      set_identity(p);
    }
    return;
  }
  F pp = sqr(pp_);
  F ppp = mul(pp_, pp);
  F q_ = mul(p.x, pp);
  F x3 = sub(sub(sub(sqr(r), ppp), q_), q_);
  p.y = sub(mul(r, sub(q_, x3)), mul(p.y, ppp));
  p.x = x3;
  p.zz = mul(p.zz, pp);
  p.zzz = mul(p.zzz, ppp);
}

// p += q (add-2008-s).
template <typename F> DEV void add_xyzz(Xyzz<F> &p, const Xyzz<F> &q) {
  if (is_identity(q)) return;
  if (is_identity(p)) {
    p = q;
    return;
  }
  F u1 = mul(p.x, q.zz);
  F u2 = mul(q.x, p.zz);
  F s1 = mul(p.y, q.zzz);
  F s2 = mul(q.y, p.zzz);
  F pp_ = sub(u2, u1);
  F r = sub(s2, s1);
  if (is_zero(pp_)) {
    if (is_zero(r)) {
      double_in_place(p);
    } else {
      set_identity(p);
    }
    return;
  }
  F pp = sqr(pp_);
  F ppp = mul(pp_, pp);
  F q_ = mul(u1, pp);
  F x3 = sub(sub(sub(sqr(r), ppp), q_), q_);
  p.y = sub(mul(r, sub(q_, x3)), mul(s1, ppp));
  p.x = x3;
  p.zz = mul(mul(p.zz, q.zz), pp);
  p.zzz = mul(mul(p.zzz, q.zzz), ppp);
}

// ---------------------------------------------------------------- memory layout

// Number of u64 limbs of a field element.
template <typename F> struct Limbs;
template <> struct Limbs<Fp> { static const int N = 4; };
template <> struct Limbs<Fp2> { static const int N = 8; };

DEV void load(Fp &a, const u64 *src) {
#pragma unroll
  for (int i = 0; i < 4; i++) a.v[i] = src[i];
}
DEV void load(Fp2 &a, const u64 *src) {
  load(a.c0, src);
  load(a.c1, src + 4);
}
DEV void store(u64 *dst, const Fp &a) {
#pragma unroll
  for (int i = 0; i < 4; i++) dst[i] = a.v[i];
}
DEV void store(u64 *dst, const Fp2 &a) {
  store(dst, a.c0);
  store(dst + 4, a.c1);
}

template <typename F> DEV void load_xyzz(Xyzz<F> &p, const u64 *src) {
  const int n = Limbs<F>::N;
  load(p.x, src);
  load(p.y, src + n);
  load(p.zz, src + 2 * n);
  load(p.zzz, src + 3 * n);
}

template <typename F> DEV void store_xyzz(u64 *dst, const Xyzz<F> &p) {
  const int n = Limbs<F>::N;
  store(dst, p.x);
  store(dst + n, p.y);
  store(dst + 2 * n, p.zz);
  store(dst + 3 * n, p.zzz);
}

// ---------------------------------------------------------------- kernel bodies

// Entry: bit 31 = negate, bits 0..30 = base index. Segment s covers entries
// [seg_off[s], seg_off[s + 1]) and writes its sum to out[use_idx ? out_idx[s] : s].
template <typename F>
DEV void acc_affine(const u64 *bases, const u32 *entries, const u32 *seg_off,
                    const u32 *out_idx, u32 use_idx, u64 *out, u32 nseg) {
  u32 s = TID;
  if (s >= nseg) return;
  const int n = Limbs<F>::N;
  Xyzz<F> acc;
  set_identity(acc);
  for (u32 e = seg_off[s]; e < seg_off[s + 1]; e++) {
    u32 entry = entries[e];
    const u64 *b = bases + (u64)(entry & 0x7fffffffu) * (2 * n);
    Affine<F> q;
    load(q.x, b);
    load(q.y, b + n);
    if (entry >> 31) q.y = neg(q.y);
    add_affine(acc, q);
  }
  u32 o = use_idx ? out_idx[s] : s;
  store_xyzz(out + (u64)o * (4 * n), acc);
}

template <typename F>
DEV void acc_xyzz(const u64 *in, const u32 *seg_off, const u32 *out_idx, u32 use_idx,
                  u64 *out, u32 nseg) {
  u32 s = TID;
  if (s >= nseg) return;
  const int n = Limbs<F>::N;
  Xyzz<F> acc;
  set_identity(acc);
  for (u32 e = seg_off[s]; e < seg_off[s + 1]; e++) {
    Xyzz<F> q;
    load_xyzz(q, in + (u64)e * (4 * n));
    add_xyzz(acc, q);
  }
  u32 o = use_idx ? out_idx[s] : s;
  store_xyzz(out + (u64)o * (4 * n), acc);
}

// Thread t = (window w, chunk j) sums Σ (k + 1)·B_k over the chunk's buckets
// k ∈ [j·chunk, min((j+1)·chunk, nb)) of window w.
template <typename F>
DEV void chunks(const u64 *buckets, u32 nb, u32 chunk, u32 per_window, u64 *out, u32 total) {
  u32 t = TID;
  if (t >= total) return;
  const int n = Limbs<F>::N;
  u32 w = t / per_window;
  u32 j = t % per_window;
  u32 start = j * chunk;
  u32 end = start + chunk < nb ? start + chunk : nb;
  Xyzz<F> run, acc;
  set_identity(run);
  set_identity(acc);
  for (u32 k = end; k > start; k--) {
    Xyzz<F> b;
    load_xyzz(b, buckets + ((u64)w * nb + (k - 1)) * (4 * n));
    add_xyzz(run, b);
    add_xyzz(acc, run);
  }
  // acc = Σ (k − start + 1)·B_k; add start · Σ B_k by double-and-add.
  if (start != 0) {
    Xyzz<F> m;
    set_identity(m);
    for (int bit = 31; bit >= 0; bit--) {
      double_in_place(m);
      if ((start >> bit) & 1) add_xyzz(m, run);
    }
    add_xyzz(acc, m);
  }
  store_xyzz(out + (u64)t * (4 * n), acc);
}

// ---------------------------------------------------------------- entry points

#define MSM_KERNELS(SUFFIX, F)                                                              \
  KERNEL void acc_affine_##SUFFIX(const u64 *bases, const u32 *entries, const u32 *seg_off, \
                                  const u32 *out_idx, u32 use_idx, u64 *out, u32 nseg) {    \
    acc_affine<F>(bases, entries, seg_off, out_idx, use_idx, out, nseg);                    \
  }                                                                                         \
  KERNEL void acc_xyzz_##SUFFIX(const u64 *in, const u32 *seg_off, const u32 *out_idx,      \
                                u32 use_idx, u64 *out, u32 nseg) {                          \
    acc_xyzz<F>(in, seg_off, out_idx, use_idx, out, nseg);                                  \
  }                                                                                         \
  KERNEL void chunks_##SUFFIX(const u64 *buckets, u32 nb, u32 chunk, u32 per_window,        \
                              u64 *out, u32 total) {                                        \
    chunks<F>(buckets, nb, chunk, per_window, out, total);                                  \
  }

MSM_KERNELS(g1, Fp)
MSM_KERNELS(g2, Fp2)

#if defined(PROOFMESH_MSM_HOST)
// Host-only hooks for the arithmetic check (benches/gpu/check_msm_cu.py).
#define HOST_BINARY(NAME, F, OP)                                  \
  extern "C" void NAME(const u64 *a, const u64 *b, u64 *r) {      \
    F x, y;                                                       \
    load(x, a);                                                   \
    load(y, b);                                                   \
    store(r, OP(x, y));                                           \
  }
HOST_BINARY(host_fp_mul, Fp, mul)
HOST_BINARY(host_fp_add, Fp, add)
HOST_BINARY(host_fp_sub, Fp, sub)
HOST_BINARY(host_fp2_mul, Fp2, mul)
extern "C" void host_fp2_sqr(const u64 *a, u64 *r) {
  Fp2 x;
  load(x, a);
  store(r, sqr(x));
}
extern "C" void host_set_tid(u32 t) { g_tid = t; }
#endif
