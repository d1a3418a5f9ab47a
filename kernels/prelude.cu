/*
 * Prelude of the elementwise kernels (relu.cu, linear_epilogue.cu).  xptorch.backend.kernel_source
 * concatenates it in front of them; nothing here is #included, so NVRTC needs no header and its cache
 * key always covers the whole program text.
 *
 * CUDA: 1-D kernels are grid-stride loops (launch any grid); 2-D kernels walk columns with x and rows
 * with y, looping over rows so gridDim.y can stay under its 65535 limit.
 * Compile with --fmad=false -ftz=false: every result must be the IEEE-rounded one the NumPy twins give.
 *
 * The same text builds as C to check the arithmetic on the host:
 *   gcc -x c -DXPT_HOST -O2 -ffp-contract=off -fno-strict-aliasing -shared -fPIC prelude.cu relu.cu ...
 * (the files concatenated), where each kernel NAME becomes void NAME_host(...) running its loops serially.
 */
#ifndef XPT_PRELUDE
#define XPT_PRELUDE

#if defined(__CUDACC__)

#define XPT_FN static __device__ __forceinline__
#define XPT_KERNEL(name) extern "C" __global__ void name
#define XPT_FOR(i, start, end) \
    for (long long i = (start) + (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (end); i += (long long)gridDim.x * blockDim.x)
#define XPT_FOR_COL(c, cols) \
    for (long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x; c < (cols); c += (long long)gridDim.x * blockDim.x)
#define XPT_FOR_ROW(r, rows) \
    for (long long r = (long long)blockIdx.y * blockDim.y + threadIdx.y; r < (rows); r += (long long)gridDim.y * blockDim.y)

#elif defined(XPT_HOST)

#define XPT_FN static inline
#define XPT_KERNEL(name) void name##_host
#define XPT_FOR(i, start, end) for (long long i = (start); i < (end); ++i)
#define XPT_FOR_COL(c, cols) for (long long c = 0; c < (cols); ++c)
#define XPT_FOR_ROW(r, rows) for (long long r = 0; r < (rows); ++r)
/* Host stand-ins for CUDA's 16-byte vector types; build with -fno-strict-aliasing. */
typedef struct { float x, y, z, w; } float4;
typedef struct { double x, y; } double2;
/* With -ffp-contract=off these round once each, as the CUDA intrinsics do. */
#define __fadd_rn(a, b) ((float)(a) + (float)(b))
#define __dadd_rn(a, b) ((double)(a) + (double)(b))
/* CUDA's bit reinterpretations. */
static inline unsigned int __float_as_uint(float v) { union { float f; unsigned int u; } c; c.f = v; return c.u; }
static inline long long __double_as_longlong(double v) { union { double d; long long l; } c; c.d = v; return c.l; }

#else
#error "prelude.cu: compile with a CUDA compiler, or define XPT_HOST to build the C reference"
#endif

#endif
