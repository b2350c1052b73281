package org.exmerge.numeric;

/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC
 * 2011), bit-compatible with Random123's {@code philox4x32_R(10, ctr, key)}.
 *
 * <p>All words are unsigned 32-bit. One round maps counter {@code (c0, c1, c2, c3)} and key
 * {@code (k0, k1)} to
 * <pre>
 *   p0 = 0xD2511F53 · c0 (64-bit product),  p1 = 0xCD9E8D57 · c2 (64-bit product)
 *   (hi(p1) ^ c1 ^ k0,  lo(p1),  hi(p0) ^ c3 ^ k1,  lo(p0))
 * </pre>
 * and between rounds the key is bumped: {@code k0 += 0x9E3779B9, k1 += 0xBB67AE85} (mod 2^32). Ten
 * rounds, bumping before rounds 2..10; the output is the final counter.
 *
 * <p>numerics §5 draw for element {@code j} of model {@code i} in tensor {@code id} with 64-bit
 * {@code seed}: key = (low 32 bits of seed, high 32 bits), counter = (low 32 bits of j, high 32
 * bits of j, id, i); {@code r} = output word 0; {@code u = (r >>> 8) · 2^-24}, a float32 in [0, 1)
 * (exact: a 24-bit integer times a power of two).
 */
public final class Philox4x32 {
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;
    static final int ROUNDS = 10;

    private Philox4x32() {}

    /** One Philox4x32-10 block: writes the four output words to {@code out4[0..3]}. */
    public static void block(int k0, int k1, int c0, int c1, int c2, int c3, int[] out4) {
        blockRounds(ROUNDS, k0, k1, c0, c1, c2, c3, out4);
    }

    /** Philox4x32 with any round count; exists so tests can check Random123's 7-round vectors too. */
    static void blockRounds(int rounds, int k0, int k1, int c0, int c1, int c2, int c3, int[] out4) {
        for (int r = 0; r < rounds; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFF_FFFFL) * (c0 & 0xFFFF_FFFFL);
            long p1 = (M1 & 0xFFFF_FFFFL) * (c2 & 0xFFFF_FFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        out4[0] = c0;
        out4[1] = c1;
        out4[2] = c2;
        out4[3] = c3;
    }

    /**
     * Output word 0 of the numerics §5 block for one element. Allocation-free twin of {@link #block}:
     * the same rounds, written out so a hot loop needs no output array.
     */
    public static int firstWord(long seed, long elementIndex, int tensorId, int modelIndex) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c0 = (int) elementIndex;
        int c1 = (int) (elementIndex >>> 32);
        int c2 = tensorId;
        int c3 = modelIndex;
        for (int r = 0; r < ROUNDS; r++) {
            if (r > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFF_FFFFL) * (c0 & 0xFFFF_FFFFL);
            long p1 = (M1 & 0xFFFF_FFFFL) * (c2 & 0xFFFF_FFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        return c0;
    }

    /** numerics §5's uniform in [0, 1): {@code (firstWord >>> 8) · 2^-24}. */
    public static float uniform(long seed, long elementIndex, int tensorId, int modelIndex) {
        return toUniform(firstWord(seed, elementIndex, tensorId, modelIndex));
    }

    /** The uniform for an output word {@code r}: its top 24 bits times 2^-24, exact in float32. */
    public static float toUniform(int r) {
        return (r >>> 8) * 0x1p-24f;
    }
}
