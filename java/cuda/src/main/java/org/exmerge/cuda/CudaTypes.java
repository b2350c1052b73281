package org.exmerge.cuda;

import org.exmerge.format.DType;

/** The dtype codes of cuda/include/mkcu_base.cuh. */
final class CudaTypes {
    static final int F32 = 1;
    static final int F16 = 2;
    static final int BF16 = 3;
    static final int F64 = 4;
    static final int F8_E4M3 = 5;
    static final int F8_E5M2 = 6;

    private CudaTypes() {}

    /** The kernels' code for a float type; 0 for the integer types, which are never computed on. */
    static int code(DType t) {
        return switch (t) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case F64 -> F64;
            case F8_E4M3 -> F8_E4M3;
            case F8_E5M2 -> F8_E5M2;
            default -> 0;
        };
    }
}
