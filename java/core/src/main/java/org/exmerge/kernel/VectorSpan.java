package org.exmerge.kernel;

/**
 * Which elements one {@link Kernels#pairSums} call reduces: {@code vectors} vectors of {@code length}
 * elements each, element {@code k} of vector {@code v} being tensor element
 * {@code first + k·elementStride + v·vectorStride}, and of each vector only the numerics §4 blocks
 * {@code firstBlock .. firstBlock + blocks − 1} (block {@code b} holds the vector's elements
 * {@code k ∈ [b·65,536, min((b+1)·65,536, length))}).
 *
 * <p>A tensor's rows are {@code (p·length, 1, length)}, its columns {@code (p, count, 1)}. The blocks
 * of a span are independent of each other, so a caller may cut a tensor into spans any way it likes
 * (and run them on any threads) and still add each vector's block values in block order.
 *
 * @param first the tensor element of element 0 of vector 0
 * @param elementStride tensor elements between neighbours in one vector (at least 1)
 * @param vectorStride tensor elements between element 0 of neighbouring vectors (at least 0)
 * @param vectors how many vectors (at least 1)
 * @param length elements per vector (at least 1)
 * @param firstBlock the first block of every vector the span covers
 * @param blocks how many blocks of every vector (at least 1, all inside the vector)
 */
public record VectorSpan(long first, long elementStride, long vectorStride, int vectors, long length,
                         long firstBlock, int blocks) {
    /** Elements per numerics §4 block. */
    public static final int BLOCK = 65_536;
    /** Lanes per numerics §4 block. */
    public static final int LANES = 64;

    /**
     * Checks that the span is well formed.
     *
     * @throws IllegalArgumentException naming the field that is out of range
     */
    public VectorSpan {
        if (first < 0 || elementStride < 1 || vectorStride < 0 || vectors < 1 || length < 1 || firstBlock < 0
                || blocks < 1 || firstBlock + blocks > blockCount(length)) {
            throw new IllegalArgumentException("vector span: first " + first + ", strides " + elementStride + "/"
                    + vectorStride + ", " + vectors + " vectors of " + length + ", blocks " + firstBlock + " + " + blocks);
        }
        lastElement(first, elementStride, vectorStride, vectors, Math.min(length, (firstBlock + blocks) * BLOCK));
    }

    /** Numerics §4 blocks of a vector of {@code length} elements. */
    public static long blockCount(long length) {
        return (length + BLOCK - 1) / BLOCK;
    }

    /** The tensor index of element {@code k} of vector {@code v}. */
    public long element(int v, long k) {
        return first + k * elementStride + v * vectorStride;
    }

    /** The first element index {@code k} (inside each vector) of the span's block {@code b} (0-based in the span). */
    public long blockStart(int b) {
        return (firstBlock + b) * BLOCK;
    }

    /** One past the last element index {@code k} of the span's block {@code b}. */
    public long blockEnd(int b) {
        return Math.min(length, (firstBlock + b + 1) * BLOCK);
    }

    /** The lowest tensor element the span reads. */
    public long lowestElement() {
        return element(0, blockStart(0));
    }

    /** The highest tensor element the span reads. */
    public long highestElement() {
        return lastElement(first, elementStride, vectorStride, vectors, blockEnd(blocks - 1));
    }

    /** Doubles {@link Kernels#pairSums} writes for {@code pairs} pairs: one per vector, block and pair. */
    public int outputs(int pairs) {
        return Math.multiplyExact(Math.multiplyExact(vectors, blocks), pairs);
    }

    /**
     * Checks the other arguments of a {@link Kernels#pairSums} call over this span, as every backend
     * must before reading anything.
     *
     * @throws IllegalArgumentException for a pair naming no input, or an {@code out} too short
     */
    public void check(Operand[] xs, Operand base, int[][] pairs, double[] out) {
        for (int[] p : pairs) {
            if (p.length != 2 || p[0] < 0 || p[1] < 0 || p[0] >= xs.length || p[1] >= xs.length) {
                throw new IllegalArgumentException("pair " + java.util.Arrays.toString(p) + " of " + xs.length + " inputs");
            }
        }
        if (out.length < outputs(pairs.length)) {
            throw new IllegalArgumentException("pair sums: " + outputs(pairs.length) + " outputs needed, " + out.length
                    + " given");
        }
    }

    private static long lastElement(long first, long es, long vs, int vectors, long end) {
        return Math.addExact(first, Math.addExact(Math.multiplyExact(end - 1, es), Math.multiplyExact(vectors - 1L, vs)));
    }
}
