/*
 * In-place epilogue of y = x @ W.T, the NumPy twin's `y += b` then, when relu != 0, the forward rule
 * of relu.cu (needs prelude.cu and relu.cu in front):
 *   y[r, c] = relu ? relu(y[r, c] + b[c]) : y[r, c] + b[c]      one IEEE-rounded add per element
 *
 * Arguments: y a C-contiguous rows x cols matrix, b a contiguous vector of cols, relu as int.
 * The _vec kernels move 16-byte vectors (float4 / double2): cols must be a multiple of the lanes and
 * y and b 16-byte aligned; their column count is in elements, their x dimension walks vectors.
 * Launch: 2-D, x over columns (vectors for _vec), y over rows; each thread loads its bias once.
 */

XPT_KERNEL(xpt_bias_act_f32)(float* y, const float* b, long long rows, long long cols, int relu)
{
    XPT_FOR_COL(c, cols)
    {
        float bc = b[c];
        XPT_FOR_ROW(r, rows)
        {
            float v = __fadd_rn(y[r * cols + c], bc);
            y[r * cols + c] = relu ? xpt_relu_f32(v) : v;
        }
    }
}

XPT_KERNEL(xpt_bias_act_f64)(double* y, const double* b, long long rows, long long cols, int relu)
{
    XPT_FOR_COL(c, cols)
    {
        double bc = b[c];
        XPT_FOR_ROW(r, rows)
        {
            double v = __dadd_rn(y[r * cols + c], bc);
            y[r * cols + c] = relu ? xpt_relu_f64(v) : v;
        }
    }
}

XPT_KERNEL(xpt_bias_act_f32_vec)(float* y, const float* b, long long rows, long long cols, int relu)
{
    long long cv = cols / 4;
    float4* yv = (float4*)y;
    const float4* bv = (const float4*)b;
    XPT_FOR_COL(c, cv)
    {
        float4 bc = bv[c];
        XPT_FOR_ROW(r, rows)
        {
            float4 v = yv[r * cv + c];
            v.x = __fadd_rn(v.x, bc.x);
            v.y = __fadd_rn(v.y, bc.y);
            v.z = __fadd_rn(v.z, bc.z);
            v.w = __fadd_rn(v.w, bc.w);
            if (relu) {
                v.x = xpt_relu_f32(v.x);
                v.y = xpt_relu_f32(v.y);
                v.z = xpt_relu_f32(v.z);
                v.w = xpt_relu_f32(v.w);
            }
            yv[r * cv + c] = v;
        }
    }
}

XPT_KERNEL(xpt_bias_act_f64_vec)(double* y, const double* b, long long rows, long long cols, int relu)
{
    long long cv = cols / 2;
    double2* yv = (double2*)y;
    const double2* bv = (const double2*)b;
    XPT_FOR_COL(c, cv)
    {
        double2 bc = bv[c];
        XPT_FOR_ROW(r, rows)
        {
            double2 v = yv[r * cv + c];
            v.x = __dadd_rn(v.x, bc.x);
            v.y = __dadd_rn(v.y, bc.y);
            if (relu) {
                v.x = xpt_relu_f64(v.x);
                v.y = xpt_relu_f64(v.y);
            }
            yv[r * cv + c] = v;
        }
    }
}
