package org.exmerge.cuda;

/**
 * A failed CUDA driver call, named: the driver function, its CUresult code and name, and once the
 * backend rethrows it, the kernel op and the call's shape ({@link #during}).
 */
public final class CudaException extends RuntimeException {
    private final int result;

    CudaException(String message, int result, Throwable cause) {
        super(message, cause);
        this.result = result;
    }

    /** The CUresult code, or -1 when the failure was not a driver status. */
    public int result() {
        return result;
    }

    /** This failure as it happened in op {@code op} on {@code what}. */
    CudaException during(String op, String what) {
        return new CudaException("cuda " + op + " (" + what + "): " + getMessage(), result, this);
    }
}
