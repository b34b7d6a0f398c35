/* instantiate.h - one ISA's kernels for the four float dtypes: template.h once per dtype */

/*
 * The including file defines LK_ISA, its primitives (see template.h), and two unroll
 * tokens: LK_U_F for the dtypes computed in float vectors (float32, bfloat16, float16)
 * and LK_U_D for float64.  The 16-bit dtypes use the bf / hf conversion families.
 */

#define LK_T f32
#define LK_KT KT_F32
#define LK_U LK_U_F
#define LK_E float
#define LK_C f
#define LK_S f
#define LK_SLOPE s32
#include "template.h"

#define LK_T f64
#define LK_KT KT_F64
#define LK_U LK_U_D
#define LK_E double
#define LK_C d
#define LK_S d
#define LK_SLOPE s64
#include "template.h"

#define LK_T bf16
#define LK_KT KT_BF16
#define LK_U LK_U_F
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV bf
#define LK_SLOPE s32
#include "template.h"

#define LK_T f16
#define LK_KT KT_F16
#define LK_U LK_U_F
#define LK_E uint16_t
#define LK_C f
#define LK_S h
#define LK_CV hf
#define LK_SLOPE s32
#include "template.h"

#undef LK_U_F
#undef LK_U_D
