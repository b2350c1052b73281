package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.exmerge.numeric.Philox4x32;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** numerics §5 in C: the Philox block and the uniforms (those sparseMerge's random drops use) against numeric.Philox4x32. */
class NativePhiloxTest {
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    @Test
    void blocksMatchOverManyKeysAndCounters() throws Throwable {
        SplittableRandom r = new SplittableRandom(42);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_INT, 2);
            MemorySegment ctr = arena.allocate(ValueLayout.JAVA_INT, 4);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, 4);
            int[] want = new int[4];
            for (int i = 0; i < 20_000; i++) {
                int[] k = {r.nextInt(), r.nextInt()};
                int[] c = {r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()};
                if (i < 4) { // the all-zero and all-ones corners too
                    k = i % 2 == 0 ? new int[2] : new int[] {-1, -1};
                    c = i < 2 ? new int[4] : new int[] {-1, -1, -1, -1};
                }
                MemorySegment.copy(k, 0, key, ValueLayout.JAVA_INT, 0, 2);
                MemorySegment.copy(c, 0, ctr, ValueLayout.JAVA_INT, 0, 4);
                int status = (int) ExmergeNative.Philox4x32.mk_philox4x32_10.invokeExact(key, ctr, out);
                assertThat(status).isZero();
                Philox4x32.block(k[0], k[1], c[0], c[1], c[2], c[3], want);
                assertThat(out.toArray(ValueLayout.JAVA_INT)).as("draw %d (seed 42)", i).containsExactly(want);
            }
        }
    }

    @Test
    void uniformsMatchOnEveryIsaIncludingAcrossThe32BitCounterCarry() throws Exception {
        // lengths that end in every kind of step (64 at a time, 16 or 8 at a time, the tail), and the
        // carry inside a one-chain step and inside a four-chain one
        long[][] ranges = {{0, 1}, {0, 17}, {5, 1000}, {(1L << 32) - 13, 40}, {(1L << 33) + 3, 33}, {123_456_789, 4099},
            {0, 64}, {(1L << 32) - 37, 200}, {(3L << 32) - 1, 129}};
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                SplittableRandom r = new SplittableRandom(7 + isa);
                for (long[] range : ranges) {
                    long seed = r.nextLong();
                    int tensor = r.nextInt();
                    int model = r.nextInt(4);
                    long first = range[0];
                    int n = (int) range[1];
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment u = arena.allocate(4L * n + 4, 4);
                        nat.uniforms(seed, tensor, model, first, n, u);
                        for (int j = 0; j < n; j++) {
                            float want = Philox4x32.uniform(seed, first + j, tensor, model);
                            String at = String.format("isa %s seed %d tensor %d model %d element %d", CpuFeatures.isaName(isa),
                                    seed, tensor, model, first + j);
                            assertThat(u.getAtIndex(ValueLayout.JAVA_FLOAT, j)).as(at).isEqualTo(want);
                        }
                        assertThat(u.getAtIndex(ValueLayout.JAVA_FLOAT, n)).as("nothing written past n").isZero();
                    }
                }
            });
        }
    }
}
