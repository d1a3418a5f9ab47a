/*
 * xptorch random streams: Philox4x64-10, bit-identical to src/xptorch/_random.py.
 *
 * Stream (see the _random.py docstring for the full definition):
 *   key      (key0, key1) = (seed, 0)
 *   block b  Philox4x64-10 of the 256-bit counter ctr0 + b = ((ctr0 + b) mod 2^64, carry, 0, 0)
 *   word k   word k % 4 of block k / 4
 *   float32  element i: half i % 2 (low first) of word i / 2, u = (h >> 8) * 2^-24
 *   float64  element i: word i, u = (w >> 11) * 2^-53
 *   uniform  x = u * span + lo with span = T((double)hi - (double)lo); x >= hi -> lo
 *   masked   uniform(-a, a) then x * (|x| >= threshold ? 1 : 0), so dropped negatives are -0
 *   normal   float32: pair p: u1, u2 = float32 uniforms of word p (low half, high half),
 *            r = sqrtf(-2 * logf(1 - u1)), t = u2 * float(2pi), z = (r cosf t, r sinf t),
 *            x = z * std + mean (mean added only when nonzero), every step rounded to float;
 *            float64: pair p: u1 = word 2p, u2 = word 2p + 1 as float64 uniforms,
 *            r = sqrt(-2 * log(1 - u1)), t = u2 * 2pi, z = (r cos t, r sin t), x = z * std + mean
 *   randint  low + mulhi64(w, range) with range = high - low (0 encodes 2^64)
 *   bernoulli float32 u < p ? 1 : 0
 *
 * Every kernel loops over Philox blocks with a grid-stride loop: launch any grid, ideally one
 * thread per block.  Blocks per fill: float32 outputs ceil(n / 8) (normal included), everything
 * else ceil(n / 4).
 * (key0, key1, ctr0) come from Generator._reserve(stream_words(kind, n, dtype)).
 * From CuPy pass n as numpy.int64, key0/key1/ctr0 (and randint's range) as numpy.uint64 and
 * each floating argument as the exact numpy type of its parameter (float32 or float64).
 * Compile without --use_fast_math / -ftz=true: denormals and IEEE rounding must be kept.
 *
 * The same source builds as C for testing the arithmetic on the host:
 *   gcc -x c -DXPT_PHILOX_HOST -O2 -ffp-contract=off -shared -fPIC philox.cu -o libphilox.so -lm
 * where each kernel NAME becomes void NAME_host(...) running the block loop serially.
 */

#if defined(__CUDACC__)

#define XPT_FN static __device__ __forceinline__
#define XPT_KERNEL(name) extern "C" __global__ void name
#define XPT_FOR_BLOCKS(b, nb) \
    for (long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x; b < (nb); b += (long long)gridDim.x * blockDim.x)
#define XPT_MULHI64(a, b) __umul64hi((a), (b))

#elif defined(XPT_PHILOX_HOST)

#define XPT_FN static inline
#define XPT_KERNEL(name) void name##_host
#define XPT_FOR_BLOCKS(b, nb) for (long long b = 0; b < (nb); ++b)
__extension__ typedef unsigned __int128 xpt_u128;
#define XPT_MULHI64(a, b) ((unsigned long long)(((xpt_u128)(a) * (xpt_u128)(b)) >> 64))
/* Build with -ffp-contract=off so these stay separately rounded, as the CUDA intrinsics are. */
#define __fmul_rn(a, b) ((float)(a) * (float)(b))
#define __fadd_rn(a, b) ((float)(a) + (float)(b))
#define __dmul_rn(a, b) ((double)(a) * (double)(b))
#define __dadd_rn(a, b) ((double)(a) + (double)(b))
double log(double);
double sqrt(double);
double sin(double);
double cos(double);
float logf(float);
float sqrtf(float);
float sinf(float);
float cosf(float);
double fabs(double);
float fabsf(float);

#else
#error "philox.cu: compile with a CUDA compiler, or define XPT_PHILOX_HOST to build the C reference"
#endif

typedef unsigned long long xpt_u64;

#define XPT_PHILOX_M0 0xD2E7470EE14C6C93ULL
#define XPT_PHILOX_M1 0xCA5A826395121157ULL
#define XPT_PHILOX_W0 0x9E3779B97F4A7C15ULL
#define XPT_PHILOX_W1 0xBB67AE8584CAA73BULL

/* 2^-24 and 2^-53 written exactly; hex float literals are not valid C++ before C++17. */
#define XPT_TWO_M24 5.9604644775390625e-08f
#define XPT_TWO_M53 1.1102230246251565404236316680908203125e-16
#define XPT_TWO_PI 6.283185307179586
#define XPT_TWO_PI_F 6.28318548202514648f

XPT_FN void xpt_philox4x64_10(const xpt_u64 ctr[4], xpt_u64 k0, xpt_u64 k1, xpt_u64 out[4])
{
    xpt_u64 c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
#if defined(__CUDACC__)
#pragma unroll
#endif
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += XPT_PHILOX_W0;
            k1 += XPT_PHILOX_W1;
        }
        xpt_u64 hi0 = XPT_MULHI64(XPT_PHILOX_M0, c0), lo0 = XPT_PHILOX_M0 * c0;
        xpt_u64 hi1 = XPT_MULHI64(XPT_PHILOX_M1, c2), lo1 = XPT_PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Block b of a fill starting at ctr0; the carry keeps the counter 256-bit like numpy's. */
XPT_FN void xpt_stream_block(xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, long long b, xpt_u64 w[4])
{
    xpt_u64 c[4];
    c[0] = ctr0 + (xpt_u64)b;
    c[1] = c[0] < ctr0 ? 1ULL : 0ULL;
    c[2] = 0;
    c[3] = 0;
    xpt_philox4x64_10(c, key0, key1, w);
}

XPT_FN float xpt_u01_f32(unsigned int h)
{
    return __fmul_rn((float)(h >> 8), XPT_TWO_M24);
}

XPT_FN double xpt_u01_f64(xpt_u64 w)
{
    return __dmul_rn((double)(w >> 11), XPT_TWO_M53);
}

/* Element j (0..7) of a block as a float32 unit uniform: low half of each word first. */
XPT_FN float xpt_u01_f32_at(const xpt_u64 w[4], int j)
{
    xpt_u64 word = w[j >> 1];
    return xpt_u01_f32((unsigned int)((j & 1) ? (word >> 32) : (word & 0xFFFFFFFFULL)));
}

XPT_FN float xpt_affine_f32(float u, float lo, float span, float hi)
{
    float x = __fadd_rn(__fmul_rn(u, span), lo);
    return x >= hi ? lo : x;
}

XPT_FN double xpt_affine_f64(double u, double lo, double span, double hi)
{
    double x = __dadd_rn(__dmul_rn(u, span), lo);
    return x >= hi ? lo : x;
}

/* Both Box-Muller outputs of one pair of words, before the mean/std affine step. */
XPT_FN void xpt_box_muller(xpt_u64 w1, xpt_u64 w2, double* z0, double* z1)
{
    double u1 = xpt_u01_f64(w1), u2 = xpt_u01_f64(w2);
    double r = sqrt(__dmul_rn(log(__dadd_rn(1.0, -u1)), -2.0));
    double t = __dmul_rn(u2, XPT_TWO_PI);
    *z0 = __dmul_rn(r, cos(t));
    *z1 = __dmul_rn(r, sin(t));
}

XPT_KERNEL(xpt_random_raw)(xpt_u64* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0)
{
    long long nb = (n + 3) / 4;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 4; ++j) {
            long long i = b * 4 + j;
            if (i < n)
                out[i] = w[j];
        }
    }
}

XPT_KERNEL(xpt_uniform_f32)(float* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, float low, float high)
{
    float span = (float)((double)high - (double)low);
    long long nb = (n + 7) / 8;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 8; ++j) {
            long long i = b * 8 + j;
            if (i < n)
                out[i] = xpt_affine_f32(xpt_u01_f32_at(w, j), low, span, high);
        }
    }
}

XPT_KERNEL(xpt_uniform_f64)(double* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, double low, double high)
{
    double span = __dadd_rn(high, -low);
    long long nb = (n + 3) / 4;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 4; ++j) {
            long long i = b * 4 + j;
            if (i < n)
                out[i] = xpt_affine_f64(xpt_u01_f64(w[j]), low, span, high);
        }
    }
}

XPT_KERNEL(xpt_masked_uniform_f32)(float* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, float a, float threshold)
{
    float low = -a;
    float span = (float)((double)a - (double)low);
    long long nb = (n + 7) / 8;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 8; ++j) {
            long long i = b * 8 + j;
            if (i < n) {
                float x = xpt_affine_f32(xpt_u01_f32_at(w, j), low, span, a);
                out[i] = __fmul_rn(x, fabsf(x) >= threshold ? 1.0f : 0.0f);
            }
        }
    }
}

XPT_KERNEL(xpt_masked_uniform_f64)(double* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, double a, double threshold)
{
    double low = -a;
    double span = __dadd_rn(a, -low);
    long long nb = (n + 3) / 4;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 4; ++j) {
            long long i = b * 4 + j;
            if (i < n) {
                double x = xpt_affine_f64(xpt_u01_f64(w[j]), low, span, a);
                out[i] = __dmul_rn(x, fabs(x) >= threshold ? 1.0 : 0.0);
            }
        }
    }
}

XPT_KERNEL(xpt_normal_f32)(float* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, float mean, float std)
{
    long long nb = (n + 7) / 8;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int p = 0; p < 4; ++p) {
            float u1 = xpt_u01_f32_at(w, 2 * p), u2 = xpt_u01_f32_at(w, 2 * p + 1);
            float r = sqrtf(__fmul_rn(logf(__fadd_rn(1.0f, -u1)), -2.0f));
            float t = __fmul_rn(u2, XPT_TWO_PI_F);
            float z[2];
            z[0] = __fmul_rn(r, cosf(t));
            z[1] = __fmul_rn(r, sinf(t));
            for (int q = 0; q < 2; ++q) {
                long long i = b * 8 + 2 * p + q;
                if (i < n)
                    out[i] = mean != 0.0f ? __fadd_rn(__fmul_rn(z[q], std), mean) : __fmul_rn(z[q], std);
            }
        }
    }
}

XPT_KERNEL(xpt_normal_f64)(double* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, double mean, double std)
{
    long long nb = (n + 3) / 4;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int p = 0; p < 2; ++p) {
            double z[2];
            xpt_box_muller(w[2 * p], w[2 * p + 1], &z[0], &z[1]);
            for (int q = 0; q < 2; ++q) {
                long long i = b * 4 + 2 * p + q;
                if (i < n)
                    out[i] = __dadd_rn(__dmul_rn(z[q], std), mean);
            }
        }
    }
}

XPT_KERNEL(xpt_randint_i64)(long long* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, long long low, xpt_u64 range)
{
    long long nb = (n + 3) / 4;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 4; ++j) {
            long long i = b * 4 + j;
            if (i < n) {
                xpt_u64 v = range ? XPT_MULHI64(w[j], range) : w[j];
                out[i] = (long long)((xpt_u64)low + v);
            }
        }
    }
}

XPT_KERNEL(xpt_bernoulli_f32)(float* out, long long n, xpt_u64 key0, xpt_u64 key1, xpt_u64 ctr0, float p)
{
    long long nb = (n + 7) / 8;
    XPT_FOR_BLOCKS(b, nb)
    {
        xpt_u64 w[4];
        xpt_stream_block(key0, key1, ctr0, b, w);
        for (int j = 0; j < 8; ++j) {
            long long i = b * 8 + j;
            if (i < n)
                out[i] = xpt_u01_f32_at(w, j) < p ? 1.0f : 0.0f;
        }
    }
}

#if !defined(__CUDACC__)
/* Bare Philox4x64-10 on an arbitrary 256-bit counter, for known-answer tests. */
void xpt_philox4x64_10_host(const xpt_u64* ctr, const xpt_u64* key, xpt_u64* out)
{
    xpt_philox4x64_10(ctr, key[0], key[1], out);
}
#endif
