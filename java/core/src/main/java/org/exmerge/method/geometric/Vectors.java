package org.exmerge.method.geometric;

/**
 * How a geometric method cuts a tensor of {@code count · length} elements into the vectors it
 * measures (norms, angles) and interpolates one by one.
 *
 * <ul>
 *   <li>contiguous ({@code strided == false}): vector {@code p} is elements
 *       {@code [p·length, (p+1)·length)}: the whole tensor ({@code count == 1}), or the runs along the
 *       last dimension (a 2-D {@code [out, in]} weight's rows);</li>
 *   <li>strided: element {@code k} of vector {@code p} is element {@code k·count + p}: the vectors
 *       along dimension 0 (a 2-D weight's columns), one per position of the other dimensions.</li>
 * </ul>
 */
public record Vectors(long count, long length, boolean strided) {

    public Vectors {
        if (count < 1 || length < 0) {
            throw new IllegalArgumentException("vectors: count " + count + ", length " + length);
        }
    }

    /** The whole tensor as one vector. */
    public static Vectors whole(long elements) {
        return new Vectors(1, elements, false);
    }

    /** One vector per run along the last dimension; rank ≤ 1 (or no elements) is one vector. */
    public static Vectors lastDim(long[] shape) {
        long n = elements(shape);
        if (shape.length <= 1 || n == 0) {
            return whole(n);
        }
        long len = shape[shape.length - 1];
        return new Vectors(n / len, len, false);
    }

    /** One vector along dimension 0 per position of the other dimensions; rank ≤ 1 (or no elements) is one vector. */
    public static Vectors firstDim(long[] shape) {
        long n = elements(shape);
        if (shape.length <= 1 || n == 0) {
            return whole(n);
        }
        long len = shape[0];
        return new Vectors(n / len, len, true);
    }

    /** The index in the tensor of element {@code k} of vector {@code p}. */
    public long element(long p, long k) {
        return strided ? k * count + p : p * length + k;
    }

    /** The vector that tensor element {@code e} belongs to. */
    public long vectorOf(long e) {
        return strided ? e % count : e / length;
    }

    /** The vector count as an int (the per-vector coefficient arrays are Java arrays). */
    public int countInt() {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many vectors in one tensor: " + count);
        }
        return (int) count;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
