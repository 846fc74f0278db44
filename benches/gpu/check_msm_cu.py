#!/usr/bin/env python3
"""Checks the GPU MSM kernels' arithmetic on a machine without a GPU.

prover/src/groth16/gpu/msm.cu also builds as plain C++ (PROOFMESH_MSM_HOST). This script
compiles it into a shared library, then checks against Python integers:
  * Fq add / sub / Montgomery multiplication, Fq2 multiplication and squaring;
  * the acc_affine / acc_xyzz / chunks kernels, thread by thread, on G1 points
    and on points of a random a = 0 curve over Fq2 (the formulas do not use b), including
    repeated, opposite and negated points and empty buckets.

Usage: python3 benches/gpu/check_msm_cu.py   (needs g++)
"""
import ctypes
import os
import random
import subprocess
import sys
import tempfile

P = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
R = 1 << 256
RINV = pow(R, -1, P)
M64 = (1 << 64) - 1

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "prover", "src", "groth16", "gpu", "msm.cu")

U64 = ctypes.c_uint64
U32 = ctypes.c_uint32


def build():
    out = os.path.join(tempfile.mkdtemp(), "msmcu.so")
    subprocess.run(
        ["g++", "-O1", "-DPROOFMESH_MSM_HOST", "-x", "c++", "-shared", "-fPIC",
         "-Wno-unknown-pragmas", "-o", out, SRC],
        check=True,
    )
    return ctypes.CDLL(out)


def limbs(x, n=4):
    return [(x >> (64 * i)) & M64 for i in range(n)]


def unlimbs(ls):
    return sum(v << (64 * i) for i, v in enumerate(ls))


def mont(x):
    return (x * R) % P


def unmont(x):
    return (x * RINV) % P


# ------------------------------------------------------------------ Fq2 = Fq[u]/(u^2+1)

def f2(a, b):
    return (a % P, b % P)


def f2add(a, b):
    return f2(a[0] + b[0], a[1] + b[1])


def f2sub(a, b):
    return f2(a[0] - b[0], a[1] - b[1])


def f2mul(a, b):
    return f2(a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0])


def f2inv(a):
    d = pow(a[0] * a[0] + a[1] * a[1], -1, P)
    return f2(a[0] * d, -a[1] * d)


class Field:
    """Fq (n = 1) or Fq2 (n = 2) in Python, for curve reference arithmetic."""

    def __init__(self, n):
        self.n = n

    def add(self, a, b):
        return (a + b) % P if self.n == 1 else f2add(a, b)

    def sub(self, a, b):
        return (a - b) % P if self.n == 1 else f2sub(a, b)

    def mul(self, a, b):
        return (a * b) % P if self.n == 1 else f2mul(a, b)

    def inv(self, a):
        return pow(a, -1, P) if self.n == 1 else f2inv(a)

    def zero(self):
        return 0 if self.n == 1 else (0, 0)

    def rand(self):
        return random.randrange(P) if self.n == 1 else (random.randrange(P), random.randrange(P))

    def neg(self, a):
        return self.sub(self.zero(), a)

    def to_limbs(self, a):
        if self.n == 1:
            return limbs(mont(a))
        return limbs(mont(a[0])) + limbs(mont(a[1]))

    def from_limbs(self, ls):
        if self.n == 1:
            return unmont(unlimbs(ls[:4]))
        return (unmont(unlimbs(ls[:4])), unmont(unlimbs(ls[4:8])))


def padd(F, p, q):
    """Affine addition on y^2 = x^3 + b (None is the identity)."""
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0]:
        if F.add(p[1], q[1]) == F.zero():
            return None
        lam = F.mul(F.mul(3 if F.n == 1 else (3, 0), F.mul(p[0], p[0])), F.inv(F.add(p[1], p[1])))
    else:
        lam = F.mul(F.sub(q[1], p[1]), F.inv(F.sub(q[0], p[0])))
    x = F.sub(F.sub(F.mul(lam, lam), p[0]), q[0])
    y = F.sub(F.mul(lam, F.sub(p[0], x)), p[1])
    return (x, y)


def pneg(F, p):
    return None if p is None else (p[0], F.neg(p[1]))


def pmul(F, k, p):
    acc = None
    while k:
        if k & 1:
            acc = padd(F, acc, p)
        p = padd(F, p, p)
        k >>= 1
    return acc


def xyzz_to_affine(F, ls):
    n = 4 * F.n
    x, y, zz, zzz = (F.from_limbs(ls[i * n:(i + 1) * n]) for i in range(4))
    if zz == F.zero():
        return None
    return (F.mul(x, F.inv(zz)), F.mul(y, F.inv(zzz)))


def affine_to_xyzz(F, p):
    if p is None:
        return [0] * (16 * F.n)
    one = 1 if F.n == 1 else (1, 0)
    # A non-trivial Z so the kernels see general coordinates: Z = 5.
    z = 5 if F.n == 1 else (5, 0)
    zz = F.mul(z, z)
    zzz = F.mul(zz, z)
    del one
    return (F.to_limbs(F.mul(p[0], zz)) + F.to_limbs(F.mul(p[1], zzz))
            + F.to_limbs(zz) + F.to_limbs(zzz))


def arr(t, vals):
    return (t * len(vals))(*vals)


def check_field(lib):
    edge = [0, 1, 2, P - 1, P - 2, (P - 1) // 2, random.randrange(P)]
    vals = edge + [random.randrange(P) for _ in range(300)]
    r = (U64 * 8)()
    for a in vals:
        b = random.choice(vals)
        for name, want in (("host_fp_mul", a * b % P), ("host_fp_add", (a + b) % P),
                           ("host_fp_sub", (a - b) % P)):
            getattr(lib, name)(arr(U64, limbs(mont(a))), arr(U64, limbs(mont(b))), r)
            got = unmont(unlimbs(list(r)[:4]))
            assert unlimbs(list(r)[:4]) < P, (name, a, b)
            assert got == want, (name, a, b, got, want)
    F = Field(2)
    for _ in range(200):
        a, b = F.rand(), F.rand()
        lib.host_fp2_mul(arr(U64, F.to_limbs(a)), arr(U64, F.to_limbs(b)), r)
        assert F.from_limbs(list(r)) == f2mul(a, b)
        lib.host_fp2_sqr(arr(U64, F.to_limbs(a)), r)
        assert F.from_limbs(list(r)) == f2mul(a, a)
    print("field: ok")


def curve(F):
    """A generator of an a = 0 curve over F: G1's (1, 2), or a random Fq2 point."""
    if F.n == 1:
        return (1, 2)
    return (F.rand(), F.rand())


def check_kernels(lib, F, suffix):
    n = 4 * F.n
    g = curve(F)
    bases = [pmul(F, random.randrange(1, 1 << 40), g) for _ in range(12)]
    bases[3] = bases[1]                  # a repeated base
    bases[4] = pneg(F, bases[2])         # an opposite base
    flat = []
    for b in bases:
        flat += F.to_limbs(b[0]) + F.to_limbs(b[1])
    # Segments over sign-tagged entries, including doubling (same entry twice), cancelling
    # (entry and its negation), an empty segment and a single entry.
    segs = [[1, 3], [2, 4 | (1 << 31)], [5, 5, 5], [], [6], [0, 7 | (1 << 31), 8, 9, 10, 11],
            [2, 4], [1 | (1 << 31), 3 | (1 << 31), 1]]
    entries, off = [], [0]
    for s in segs:
        entries += s
        off.append(len(entries))
    out_idx = list(reversed(range(len(segs))))
    expect = []
    for s in segs:
        acc = None
        for e in s:
            p = bases[e & 0x7FFFFFFF]
            acc = padd(F, acc, pneg(F, p) if e >> 31 else p)
        expect.append(acc)
    out = (U64 * (len(segs) * 4 * n))()
    fn = getattr(lib, "acc_affine_" + suffix)
    for use_idx in (0, 1):
        for t in range(len(segs) + 2):   # two threads past the end must do nothing
            lib.host_set_tid(t)
            fn(arr(U64, flat), arr(U32, entries), arr(U32, off), arr(U32, out_idx), U32(use_idx),
               out, U32(len(segs)))
        for s in range(len(segs)):
            o = out_idx[s] if use_idx else s
            got = xyzz_to_affine(F, list(out)[o * 4 * n:(o + 1) * 4 * n])
            assert got == expect[s], ("acc_affine", suffix, use_idx, s)
    # acc_xyzz over the partial sums just made (out is in out_idx order).
    partial = list(out)
    segs2 = [[0, 1, 2], [3], [4, 5, 6, 7], [0, 0]]
    order = []
    off2 = [0]
    pts = []
    for s in segs2:
        for i in s:
            pts += partial[i * 4 * n:(i + 1) * 4 * n]
            order.append(i)
        off2.append(len(order))
    # Input i of acc_xyzz is partial out slot order[i] = expect[out_idx^-1 ...]: slot o holds
    # segment s with out_idx[s] = o.
    slot_to_seg = {out_idx[s]: s for s in range(len(segs))}
    out2 = (U64 * (len(segs2) * 4 * n))()
    fn = getattr(lib, "acc_xyzz_" + suffix)
    for t in range(len(segs2)):
        lib.host_set_tid(t)
        fn(arr(U64, pts), arr(U32, off2), arr(U32, [0]), U32(0), out2, U32(len(segs2)))
    for k, s in enumerate(segs2):
        acc = None
        for i in s:
            acc = padd(F, acc, expect[slot_to_seg[i]])
        got = xyzz_to_affine(F, list(out2)[k * 4 * n:(k + 1) * 4 * n])
        assert got == acc, ("acc_xyzz", suffix, k)
    # chunks + windows: 2 windows of 11 buckets, chunks of 4, some buckets empty.
    nb, chunk, nwin = 11, 4, 2
    per_window = (nb + chunk - 1) // chunk
    bucket_pts = []
    flatb = []
    for w in range(nwin):
        for k in range(nb):
            p = None if (k * 7 + w) % 5 == 0 else pmul(F, random.randrange(1, 1 << 30), g)
            bucket_pts.append(p)
            flatb += affine_to_xyzz(F, p)
    csum = (U64 * (nwin * per_window * 4 * n))()
    fn = getattr(lib, "chunks_" + suffix)
    for t in range(nwin * per_window + 1):
        lib.host_set_tid(t)
        fn(arr(U64, flatb), U32(nb), U32(chunk), U32(per_window), csum, U32(nwin * per_window))
    for w in range(nwin):
        acc = None
        for k in range(nb):
            acc = padd(F, acc, pmul(F, k + 1, bucket_pts[w * nb + k]) if bucket_pts[w * nb + k] else None)
        got = None
        for j in range(per_window):
            t = w * per_window + j
            got = padd(F, got, xyzz_to_affine(F, list(csum)[t * 4 * n:(t + 1) * 4 * n]))
        assert got == acc, ("chunks", suffix, w)
    print(f"kernels {suffix}: ok")


def main():
    random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    lib = build()
    check_field(lib)
    check_kernels(lib, Field(1), "g1")
    check_kernels(lib, Field(2), "g2")


if __name__ == "__main__":
    main()
