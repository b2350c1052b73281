package org.exmerge.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor as a safetensors header describes it. {@code begin} and {@code end} are byte offsets
 * relative to the start of the data section (after the 8-byte length and the header), exactly as the
 * header's {@code data_offsets} holds them.
 *
 * <p>Instances made by {@link SafetensorsHeader#parse} are validated: {@code end - begin} equals the
 * shape's element count times the dtype size, and that product never overflows.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone(); // records expose fields; a shared array would make the record mutable
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("bad span [" + begin + ", " + end + "] for " + name);
        }
        if (Shapes.byteSizeOrMinusOne(shape, dtype) != end - begin) {
            throw new IllegalArgumentException("span [" + begin + ", " + end + "] of " + name
                    + " does not match shape " + Arrays.toString(shape) + " of " + dtype);
        }
    }

    /** A copy: callers may not change the shape under the record. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}, without copying the shape. */
    public long dim(int i) {
        return shape[i];
    }

    /** Product of the dimensions; 1 for a scalar, 0 when any dimension is 0. */
    public long elementCount() {
        return byteSize() / dtype.size();
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
