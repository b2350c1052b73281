package org.exmerge.format;

import java.util.Arrays;

/** Shape arithmetic shared by {@link TensorInfo}, {@link TensorSpec} and the header parser. */
final class Shapes {
    private Shapes() {
    }

    /**
     * Bytes a tensor of this shape occupies, or -1 when a dimension is negative or a non-empty
     * tensor's size does not fit in a long. A zero dimension makes the size 0 whatever the others
     * are: a tensor with no elements has no bytes, and torch and the safetensors reference both
     * accept {@code [0, 2^61]}.
     */
    static long byteSizeOrMinusOne(long[] shape, DType dtype) {
        boolean empty = false;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0;
        }
        long product = dtype.size();
        for (long d : shape) {
            try {
                product = Math.multiplyExact(product, d);
            } catch (ArithmeticException overflow) {
                return -1;
            }
        }
        return product;
    }

    /** Validated byte size for in-memory specs, where a bad shape is a programming error. */
    static long byteSize(long[] shape, DType dtype) {
        long size = byteSizeOrMinusOne(shape, dtype);
        if (size < 0) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype
                    + " has a negative dimension or a byte size beyond 2^63-1");
        }
        return size;
    }
}
