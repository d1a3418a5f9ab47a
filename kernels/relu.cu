/*
 * ReLU forward and backward, element for element the NumPy twins in xptorch/backend/kernels.py
 * (needs prelude.cu in front):
 *   forward   y  = x < 0 ? +0 : x       NaN and -0.0 pass through unchanged, as in torch's relu
 *   backward  gx = out <= 0 ? +0 : g    a NaN output passes the gradient, as torch's threshold_backward
 *
 * Arguments: contiguous arrays of n elements sharing one memory order (C or Fortran), n as long long.
 * The _vec kernels move 16-byte vectors (float4 / double2): every pointer must be 16-byte aligned; the
 * elements past the last whole vector are done one by one in the same launch.
 * Launch: 1-D, any grid; for _vec size it by n / lanes.
 */

/* v < 0 ? +0 : v decided on the bits: negative and nonzero, NaN excluded, lies strictly between the
 * patterns of -0.0 and of the first negative NaN. Written as a float comparison, NVRTC emitted a max
 * instruction for the scalar path on an H200, and max(-0.0, +0.0) gave +0.0 where the twin keeps -0.0. */
XPT_FN float xpt_relu_f32(float v)
{
    unsigned int b = __float_as_uint(v);
    return (b > 0x80000000u && b <= 0xff800000u) ? 0.0f : v;
}

XPT_FN double xpt_relu_f64(double v)
{
    unsigned long long b = (unsigned long long)__double_as_longlong(v);
    return (b > 0x8000000000000000ull && b <= 0xfff0000000000000ull) ? 0.0 : v;
}

XPT_FN float xpt_relu_grad_f32(float g, float out)
{
    return out <= 0.0f ? 0.0f : g;
}

XPT_FN double xpt_relu_grad_f64(double g, double out)
{
    return out <= 0.0 ? 0.0 : g;
}

XPT_KERNEL(xpt_relu_fwd_f32)(const float* x, float* y, long long n)
{
    XPT_FOR(i, 0, n)
    y[i] = xpt_relu_f32(x[i]);
}

XPT_KERNEL(xpt_relu_fwd_f64)(const double* x, double* y, long long n)
{
    XPT_FOR(i, 0, n)
    y[i] = xpt_relu_f64(x[i]);
}

XPT_KERNEL(xpt_relu_fwd_f32_vec)(const float* x, float* y, long long n)
{
    long long nv = n / 4;
    const float4* xv = (const float4*)x;
    float4* yv = (float4*)y;
    XPT_FOR(i, 0, nv)
    {
        float4 v = xv[i];
        v.x = xpt_relu_f32(v.x);
        v.y = xpt_relu_f32(v.y);
        v.z = xpt_relu_f32(v.z);
        v.w = xpt_relu_f32(v.w);
        yv[i] = v;
    }
    XPT_FOR(i, nv * 4, n)
    y[i] = xpt_relu_f32(x[i]);
}

XPT_KERNEL(xpt_relu_fwd_f64_vec)(const double* x, double* y, long long n)
{
    long long nv = n / 2;
    const double2* xv = (const double2*)x;
    double2* yv = (double2*)y;
    XPT_FOR(i, 0, nv)
    {
        double2 v = xv[i];
        v.x = xpt_relu_f64(v.x);
        v.y = xpt_relu_f64(v.y);
        yv[i] = v;
    }
    XPT_FOR(i, nv * 2, n)
    y[i] = xpt_relu_f64(x[i]);
}

XPT_KERNEL(xpt_relu_bwd_f32)(const float* g, const float* out, float* gx, long long n)
{
    XPT_FOR(i, 0, n)
    gx[i] = xpt_relu_grad_f32(g[i], out[i]);
}

XPT_KERNEL(xpt_relu_bwd_f64)(const double* g, const double* out, double* gx, long long n)
{
    XPT_FOR(i, 0, n)
    gx[i] = xpt_relu_grad_f64(g[i], out[i]);
}

XPT_KERNEL(xpt_relu_bwd_f32_vec)(const float* g, const float* out, float* gx, long long n)
{
    long long nv = n / 4;
    const float4* gv = (const float4*)g;
    const float4* ov = (const float4*)out;
    float4* rv = (float4*)gx;
    XPT_FOR(i, 0, nv)
    {
        float4 a = gv[i];
        float4 o = ov[i];
        a.x = xpt_relu_grad_f32(a.x, o.x);
        a.y = xpt_relu_grad_f32(a.y, o.y);
        a.z = xpt_relu_grad_f32(a.z, o.z);
        a.w = xpt_relu_grad_f32(a.w, o.w);
        rv[i] = a;
    }
    XPT_FOR(i, nv * 4, n)
    gx[i] = xpt_relu_grad_f32(g[i], out[i]);
}

XPT_KERNEL(xpt_relu_bwd_f64_vec)(const double* g, const double* out, double* gx, long long n)
{
    long long nv = n / 2;
    const double2* gv = (const double2*)g;
    const double2* ov = (const double2*)out;
    double2* rv = (double2*)gx;
    XPT_FOR(i, 0, nv)
    {
        double2 a = gv[i];
        double2 o = ov[i];
        a.x = xpt_relu_grad_f64(a.x, o.x);
        a.y = xpt_relu_grad_f64(a.y, o.y);
        rv[i] = a;
    }
    XPT_FOR(i, nv * 2, n)
    gx[i] = xpt_relu_grad_f64(g[i], out[i]);
}
