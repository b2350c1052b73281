package org.exmerge.format;

import java.util.Arrays;

/** Shape arithmetic shared by {@link TensorInfo}, {@link TensorSpec} and the header parser. */
final class Shapes {
    private Shapes() {
    }

    /**
     * Bytes a tensor of this shape occupies, or -1 when a dimension is negative or the size does not
     * fit in a long. The product of the non-zero dimensions times the element size must fit, even
     * when a zero dimension makes the true size 0: then every partial product that later code forms
     * (row lengths, strides) is representable too.
     */
    static long byteSizeOrMinusOne(long[] shape, DType dtype) {
        long product = dtype.size();
        boolean empty = false;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            if (d == 0) {
                empty = true;
                continue;
            }
            try {
                product = Math.multiplyExact(product, d);
            } catch (ArithmeticException overflow) {
                return -1;
            }
        }
        return empty ? 0 : product;
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
