package org.exmerge.numeric;

/**
 * The values a magnitude select ranks, read by index and possibly computed on the fly (a task
 * vector {@code x − b} widened from two memory-mapped tensors, say). The select reads every index
 * once per pass, in increasing order, and needs {@code get(i)} to return the same value each time.
 */
public interface MagnitudeSource {
    /** The number of values. */
    long size();

    /** Value {@code i}, for {@code 0 ≤ i < size()}. */
    float get(long i);

    /** A source over a whole array (no copy: later writes to the array are seen). */
    static MagnitudeSource of(float[] values) {
        return new MagnitudeSource() {
            @Override
            public long size() {
                return values.length;
            }

            @Override
            public float get(long i) {
                return values[(int) i];
            }
        };
    }
}
