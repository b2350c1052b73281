package org.exmerge.method.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.ffm.NativeKernels;
import org.exmerge.kernel.ffm.NativeSupport;
import org.exmerge.kernel.ffm.NativeTestSupport;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.api.Test;

/**
 * The band read gives the histogram passes' threshold for every rank, on the tensors it serves and
 * whatever its sample says: the oracle is {@link KeySelect#kthLargestOfAll} over
 * {@link Kernels#tauHistogram}, and the data are what fine-tunes look like (few distinct deltas,
 * many unchanged weights) and what a sample can misjudge.
 */
class BandSelectTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int N = (int) BandSelect.FROM + 4_099;
    private static final Parallel THREE = new Parallel() {
        @Override
        public void run(int pieces, IntConsumer piece) {
            IntStream.range(0, pieces).parallel().forEach(piece);
        }

        @Override
        public int width() {
            return 3;
        }
    };

    /** A bf16 base and a fine-tune a few ulps from it, {@code unchanged} of the weights not moved at all. */
    private static Operand[] fineTune(Arena arena, long seed, double unchanged) {
        return fineTunes(arena, seed, unchanged);
    }

    /** Fine-tunes of one bf16 base, model i leaving {@code unchanged[i]} of the weights as they were; the base last. */
    private static Operand[] fineTunes(Arena arena, long seed, double... unchanged) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment b = arena.allocate(2L * N);
        MemorySegment[] xs = new MemorySegment[unchanged.length];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = arena.allocate(2L * N);
        }
        for (int j = 0; j < N; j++) {
            short bits = Bf16.fromFloat((float) (r.nextGaussian() * 0.02));
            b.setAtIndex(I16, j, bits);
            for (int i = 0; i < xs.length; i++) {
                int ulps = r.nextDouble() < unchanged[i] ? 0 : r.nextInt(-3, 4);
                xs[i].setAtIndex(I16, j, (short) (bits + ulps));
            }
        }
        Operand[] out = new Operand[xs.length + 1];
        for (int i = 0; i < xs.length; i++) {
            out[i] = new Operand(xs[i], DType.BF16);
        }
        out[xs.length] = new Operand(b, DType.BF16);
        return out;
    }

    /**
     * Where the sample runs start, the fine-tune now moves by a lot: a sample sees large deltas that
     * the tensor barely has, and brackets its ranks far too high.
     */
    private static void misjudge(Operand x) {
        for (int r = 0; r < 4096; r++) {
            long at = r * (long) (N - 4) / 4095;
            for (int j = 0; j < 4; j++) {
                x.segment().setAtIndex(I16, at + j, Bf16.fromFloat(1000.0f + r));
            }
        }
    }

    private static long[] histogramKeys(Kernels k, Operand x, Operand b, long... ks) {
        KeySelect.Pass pass = (start, len, high, hist) -> k.tauHistogram(x, b, start, len, high, hist);
        return KeySelect.kthLargestOfAll(pass, Parallel.SERIAL, N, ks);
    }

    /** One model's sample. */
    private static int[] sampleOf(Kernels k, Parallel p, Operand x, Operand b) {
        return BandSelect.sample(k, p, new Operand[] {x}, b, N)[0];
    }

    /** One model's one rank through the band read. */
    private static long kthLargest(Kernels k, Parallel p, Operand x, Operand b, long n, long rank, int[] sample,
                                   boolean release) {
        return BandSelect.kthLargest(k, p, new Operand[] {x}, b, n, new int[] {0}, new long[] {rank},
                new int[][] {sample}, release)[0];
    }

    private static long[] ranks() {
        return new long[] {0, 1, 2, N / 100, N / 5, N / 2, (long) (N * 0.9), N - 1, N, N + 1L};
    }

    /** Thresholds' keys are the histograms'; with {@code hits}, the band read itself found each (no fallback). */
    private static void sameAsHistograms(Kernels k, Operand x, Operand b, boolean hits) {
        long[] ks = ranks();
        long[] want = histogramKeys(k, x, b, ks);
        int[] sample = sampleOf(new JavaKernels(), Parallel.SERIAL, x, b);
        assertThat(sampleOf(k, THREE, x, b)).as(k.name() + ": the sample in pieces").containsExactly(sample);
        for (int r = 0; hits && r < ks.length; r++) {
            if (ks[r] >= 1 && ks[r] <= N) {
                assertThat(kthLargest(k, THREE, x, b, N, ks[r], sample, false)).as("rank " + ks[r]).isEqualTo(want[r]);
            }
        }
        for (Parallel p : new Parallel[] {Parallel.SERIAL, THREE}) {
            assertThat(Thresholds.kthLargestKeys(k, p, x, b, N, ks)).as(k.name() + " width " + p.width()).containsExactly(want);
        }
        // breadcrumbs asks two ranks at once, in either order
        assertThat(Thresholds.kthLargestKeys(k, THREE, x, b, N, N / 3, N / 20)).containsExactly(histogramKeys(k, x, b, N / 3, N / 20));
    }

    @Test
    void fineTunesGetTheHistogramsThresholdOnTheJavaSpec() {
        try (Arena arena = Arena.ofShared()) {
            Operand[] d = fineTune(arena, 1, 0.0);
            sameAsHistograms(new JavaKernels(), d[0], d[1], true);
            Operand[] still = fineTune(arena, 2, 0.7); // most weights unchanged: the 0.9 rank's key is 0
            sameAsHistograms(new JavaKernels(), still[0], still[1], true);
        }
    }

    @Test
    void fineTunesGetTheHistogramsThresholdOnTheNativeBackend() {
        NativeTestSupport.requireNative();
        try (Arena arena = Arena.ofShared()) {
            Operand[] d = fineTune(arena, 3, 0.3);
            sameAsHistograms(NativeKernels.instance(), d[0], d[1], true);
        }
    }

    @Test
    void aSampleThatMisjudgesTheTensorFallsBackToTheHistograms() {
        try (Arena arena = Arena.ofShared()) {
            Operand[] d = fineTune(arena, 4, 0.0);
            int[] sample = sampleOf(new JavaKernels(), THREE, d[0], d[1]);
            misjudge(d[0]);
            Kernels k = new JavaKernels();
            long rank = N / 5;
            assertThat(kthLargest(k, Parallel.SERIAL, d[0], d[1], N, rank,
                    sampleOf(k, Parallel.SERIAL, d[0], d[1]), false)).isEqualTo(BandSelect.MISS);
            sameAsHistograms(k, d[0], d[1], false);
            // The earlier sample brackets the rank well, yet releasing or not changes nothing.
            long want = histogramKeys(k, d[0], d[1], rank)[0];
            assertThat(kthLargest(k, THREE, d[0], d[1], N, rank, sample, true)).isEqualTo(want);
        }
    }

    /**
     * Several models of one tensor in one read: each gets its own histogram thresholds, whatever the
     * others ask (no rank, ranks the count answers, two ranks) and whether or not their own sample
     * misjudged (that model alone falls back).
     */
    @Test
    void modelsSelectedTogetherGetEachTheirOwnHistogramThresholds() {
        try (Arena arena = Arena.ofShared()) {
            Operand[] d = fineTunes(arena, 6, 0.0, 0.7, 0.2, 0.0);
            Operand b = d[4];
            Operand[] xs = Arrays.copyOf(d, 4);
            misjudge(xs[2]);
            long[][] ks = {{N / 5}, {}, {N / 3, N / 20}, {0, N / 2, N + 1L, 1}};
            List<Kernels> backends = new ArrayList<>(List.of(new JavaKernels()));
            if (NativeSupport.isAvailable()) {
                backends.add(NativeKernels.instance());
            }
            for (Kernels k : backends) {
                for (Parallel p : new Parallel[] {Parallel.SERIAL, THREE}) {
                    long[][] got = Thresholds.kthLargestKeys(k, p, xs, b, N, ks);
                    for (int i = 0; i < xs.length; i++) {
                        assertThat(got[i]).as("%s width %d model %d", k.name(), p.width(), i)
                                .containsExactly(histogramKeys(k, xs[i], b, ks[i]));
                    }
                }
            }
            // the read itself finds the ranks of models whose samples were fair, in one pass
            Kernels k = new JavaKernels();
            int[][] samples = BandSelect.sample(k, THREE, new Operand[] {xs[0], xs[3]}, b, N);
            long[] found = BandSelect.kthLargest(k, THREE, new Operand[] {xs[0], xs[3]}, b, N, new int[] {1, 0, 1},
                    new long[] {N / 2, N / 5, 1}, samples, true);
            assertThat(found).containsExactly(histogramKeys(k, xs[3], b, N / 2)[0], histogramKeys(k, xs[0], b, N / 5)[0],
                    histogramKeys(k, xs[3], b, 1)[0]);
        }
    }

    @Test
    void anF64TensorGetsTheSparseKernelsRefusalNotASample() {
        try (Arena arena = Arena.ofShared()) {
            Operand x = new Operand(arena.allocate(8L * N), DType.F64);
            Operand b = new Operand(arena.allocate(8L * N), DType.F64);
            assertThatThrownBy(() -> Thresholds.kthLargestKeys(new JavaKernels(), Parallel.SERIAL, x, b, N, N / 5))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F64 inputs are not supported");
        }
    }

    @Test
    void aBracketTooWideForItsPartsIsAMissNotATruncatedAnswer() {
        try (Arena arena = Arena.ofShared()) {
            Operand[] d = fineTune(arena, 5, 0.0);
            Kernels k = new JavaKernels();
            // A sample of zero keys brackets every rank at [0, 0], where the rank is not: it lies above.
            int[] zeros = new int[4096 * 4];
            assertThat(kthLargest(k, Parallel.SERIAL, d[0], d[1], N, N / 5, zeros, false))
                    .isEqualTo(BandSelect.MISS);
            // Half the sample at the smallest non-zero key, half far above the data: the median's
            // bracket is [1, that key], and every non-zero key falls strictly between, far more than
            // a part's band holds.
            int[] spread = new int[4096 * 4];
            Arrays.fill(spread, 0, spread.length / 2, 1);
            Arrays.fill(spread, spread.length / 2, spread.length, MagnitudeSelect.key(1e30f));
            assertThat(kthLargest(k, Parallel.SERIAL, d[0], d[1], N, N / 2, spread, false))
                    .isEqualTo(BandSelect.MISS);
        }
    }
}
