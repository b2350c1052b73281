package org.exmerge.cuda;

/**
 * How one kernel call's elements are cut into sub-chunks that fit a lane half's device buffer
 * (and its pinned twin): each sub-chunk holds every operand's slice at a {@value #ALIGN}-byte
 * aligned offset, plus any fixed extra (a histogram, DELLA's rank scratch). Ranked sparse calls
 * cut at row boundaries, since a row is ranked whole.
 *
 * @param chunk elements per sub-chunk (a multiple of {@code unit})
 * @param unit the granularity: 1, or the row length
 */
record ChunkPlan(long chunk, long unit) {
    static final long ALIGN = 256;

    /**
     * The plan for operands of {@code bytesPerElement} bytes in all (inputs, base, output, ranks),
     * {@code operands} of them, in {@code capacity} bytes with {@code fixed} bytes set aside.
     *
     * @throws IllegalStateException when not even one unit fits
     */
    static ChunkPlan of(long capacity, long fixed, long bytesPerElement, int operands, long unit) {
        long room = capacity - fixed - (long) operands * ALIGN;
        long perUnit = bytesPerElement * unit;
        if (perUnit <= 0 || room < perUnit) {
            throw new IllegalStateException("a sub-chunk of " + unit + " elements needs " + (perUnit + fixed
                    + (long) operands * ALIGN) + " bytes, the lane has " + capacity);
        }
        return new ChunkPlan(room / perUnit * unit, unit);
    }

    /** Bytes a lane half needs to take {@code units} units at once. */
    static long bytesFor(long units, long unit, long fixed, long bytesPerElement, int operands) {
        return units * unit * bytesPerElement + fixed + (long) operands * ALIGN;
    }

    /** Sub-chunks for {@code n} elements. */
    long count(long n) {
        return n == 0 ? 0 : (n + chunk - 1) / chunk;
    }

    /** The first element (relative) of sub-chunk {@code k}. */
    long from(long k) {
        return k * chunk;
    }

    /** The length of sub-chunk {@code k} of {@code n} elements. */
    long length(long k, long n) {
        return Math.min(chunk, n - k * chunk);
    }

    static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
}
