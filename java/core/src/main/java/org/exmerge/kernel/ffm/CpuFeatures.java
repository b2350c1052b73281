package org.exmerge.kernel.ffm;

import java.util.ArrayList;
import java.util.List;

/** Names for mk_cpu_features() bits and MK_ISA_* codes, for {@code exmerge doctor} and logs. */
public final class CpuFeatures {
    private CpuFeatures() {}

    private static final Object[][] NAMES = {
        {ExmergeNative.MK_CPU_SSE2, "sse2"}, {ExmergeNative.MK_CPU_AVX, "avx"}, {ExmergeNative.MK_CPU_AVX2, "avx2"},
        {ExmergeNative.MK_CPU_FMA, "fma"}, {ExmergeNative.MK_CPU_F16C, "f16c"},
        {ExmergeNative.MK_CPU_AVX512F, "avx512f"}, {ExmergeNative.MK_CPU_AVX512BW, "avx512bw"},
        {ExmergeNative.MK_CPU_AVX512DQ, "avx512dq"}, {ExmergeNative.MK_CPU_AVX512VL, "avx512vl"},
        {ExmergeNative.MK_CPU_AVX512BF16, "avx512_bf16"},
        {ExmergeNative.MK_CPU_OS_YMM, "os-saves-ymm"}, {ExmergeNative.MK_CPU_OS_ZMM, "os-saves-zmm"},
    };

    /** The names of the bits set in {@code features}, in bit order. */
    public static List<String> names(long features) {
        List<String> out = new ArrayList<>();
        for (Object[] n : NAMES) {
            if ((features & (Long) n[0]) != 0) {
                out.add((String) n[1]);
            }
        }
        return out;
    }

    /** scalar, avx2 or avx512 for an MK_ISA_* code. */
    public static String isaName(int isa) {
        return switch (isa) {
            case ExmergeNative.MK_ISA_SCALAR -> "scalar";
            case ExmergeNative.MK_ISA_AVX2 -> "avx2";
            case ExmergeNative.MK_ISA_AVX512 -> "avx512";
            default -> "isa#" + isa;
        };
    }

    /** The MK_ISA_* code for a name (scalar, avx2, avx512; auto for MK_ISA_AUTO). */
    public static int isaCode(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> ExmergeNative.MK_ISA_AUTO;
            case "scalar", "generic" -> ExmergeNative.MK_ISA_SCALAR;
            case "avx2" -> ExmergeNative.MK_ISA_AVX2;
            case "avx512", "avx-512" -> ExmergeNative.MK_ISA_AVX512;
            default -> throw new IllegalArgumentException("unknown ISA '" + name + "' (auto, scalar, avx2 or avx512)");
        };
    }
}
