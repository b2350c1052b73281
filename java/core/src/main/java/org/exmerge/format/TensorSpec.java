package org.exmerge.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor a writer will produce: its name, type and shape, without a position. Positions are decided
 * by {@link SafetensorsHeader#encode} and {@link ShardWriter#layout}. The constructor rejects shapes
 * whose byte size overflows, so {@link #byteSize()} never fails later in the middle of a write.
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        Shapes.byteSize(shape, dtype); // throws IllegalArgumentException on a negative dim or overflow
    }

    /** The spec of an existing tensor (same name, type and shape). */
    public static TensorSpec of(TensorInfo info) {
        return new TensorSpec(info.name(), info.dtype(), info.shape());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return byteSize() / dtype.size();
    }

    public long byteSize() {
        return Shapes.byteSize(shape, dtype);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
