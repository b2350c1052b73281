package org.exmerge.synth;

import java.util.stream.IntStream;

/**
 * Synth's random values: many independent streams of uniform values with mean 0 and variance 1,
 * each a pure function of (seed, tensor, stream, element), so any chunking or thread count gives the
 * same values. An element's value is a 32-bit integer hash (Wellons' "lowbias32" shape, with a
 * per-stream key mixed in before each round) of the element's low 32 bits; the key comes from
 * splitmix64 over (seed, tensor, stream, the element's high 32 bits). Only 32-bit multiplies, shifts
 * and xors per element, over arrays, so HotSpot vectorises the loop: a 64-bit hash per element (the
 * generator before) could not be, and made synth several times slower than the disk.
 */
final class UniformStreams {
    /** Elements per block: the float arrays a block fills stay in the L1 cache. */
    static final int BLOCK = 4096;
    /** 0, 1, … BLOCK−1: adding the block's start to a loaded index keeps the hash loop vectorisable. */
    private static final int[] IOTA = IntStream.range(0, BLOCK).toArray();
    /** Maps the odd integers in (−2^24, 2^24) onto (−√3, √3): uniform, mean 0, variance 1 − 2^−48. */
    private static final float UNIT = (float) (Math.sqrt(12.0) * 0x1p-25);

    private UniformStreams() {}

    /** The key of one stream over the 2^32 elements whose high 32 bits are {@code high}. */
    static long key(long seed, int tensor, int stream, int high) {
        long z = seed * 0x9E3779B97F4A7C15L + ((long) tensor << 32 ^ (stream & 0xFFFFFFFFL)) * 0xBF58476D1CE4E5B9L
                + (high & 0xFFFFFFFFL) * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Adds {@code scale} times the stream's values at elements {@code low … low + len − 1} (low 32
     * bits; the caller keeps a block from crossing a multiple of 2^32) to {@code acc[0 … len − 1]}.
     */
    static void add(long key, int low, float scale, float[] acc, int len) {
        int k0 = (int) key;
        int k1 = (int) (key >>> 32);
        float step = scale * UNIT;
        int[] iota = IOTA;
        for (int j = 0; j < len; j++) {
            int x = (iota[j] + low) ^ k0;
            x ^= x >>> 16;
            x *= 0x21F0AAAD;
            x ^= k1;
            x ^= x >>> 15;
            x *= 0xD35A2D97;
            x ^= x >>> 15;
            acc[j] += step * (float) (((x >>> 7) | 1) - (1 << 24));
        }
    }

    /** One stream's value at {@code element}, unscaled (tests and spot checks; the generator uses {@link #add}). */
    static float centred(long seed, int tensor, int stream, long element) {
        float[] one = new float[1];
        add(key(seed, tensor, stream, (int) (element >>> 32)), (int) element, 1.0f, one, 1);
        return one[0];
    }
}
