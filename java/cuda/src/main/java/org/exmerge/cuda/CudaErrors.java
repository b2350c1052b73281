package org.exmerge.cuda;

import java.util.Map;

/**
 * CUresult codes to one-line messages. The names of the common codes are here so a message reads
 * the same whether or not JCuda's classes load (the emulator has none); others show their number.
 */
final class CudaErrors {
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
            Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
            Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(35, "CUDA_ERROR_INSUFFICIENT_DRIVER"),
            Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
            Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
            Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            Map.entry(218, "CUDA_ERROR_INVALID_PTX"),
            Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
            Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
            Map.entry(702, "CUDA_ERROR_LAUNCH_TIMEOUT"),
            Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"),
            Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    private CudaErrors() {}

    static String name(int result) {
        return NAMES.getOrDefault(result, "CUresult " + result);
    }

    /** Throws a {@link CudaException} naming {@code call} unless {@code result} is CUDA_SUCCESS (0). */
    static void check(int result, String call) {
        if (result != 0) {
            throw new CudaException(call + " failed: " + name(result) + " (" + result + ")" + hint(result), result, null);
        }
    }

    /** What a user can do about the common failures. */
    static String hint(int result) {
        return switch (result) {
            case 2 -> "; lower --memory or the thread count, or free the GPU";
            case 35 -> "; the NVIDIA driver is older than CUDA 12 needs";
            case 100 -> "; no CUDA device is visible (CUDA_VISIBLE_DEVICES?)";
            case 209, 222 -> "; the fatbin has no code for this GPU (sm_80 or newer needed) or the driver is too old for its PTX";
            default -> "";
        };
    }
}
