package org.exmerge.method.geometric;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.method.sparse.Thresholds;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.MagnitudeSource;
import org.exmerge.testing.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Bind-time passes cut into pieces on several threads (run here in reverse order, concurrently)
 * give exactly the single-pass result: tensors large enough for many pieces.
 */
class ParallelPassesTest {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(3);
    private static final int N = 3_000_017;

    /** Most pieces one pass asked for, so a test can check its pass really was cut. */
    private static final java.util.concurrent.atomic.AtomicInteger MOST_PIECES = new java.util.concurrent.atomic.AtomicInteger();
    /** Every pass's pieces, in call order. */
    private static final List<Integer> PIECES = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Runs the pieces concurrently, submitted last first, to shake out any order dependence. */
    private static final Parallel SHUFFLED = new Parallel() {
        @Override
        public void run(int pieces, java.util.function.IntConsumer piece) {
            MOST_PIECES.accumulateAndGet(pieces, Math::max);
            PIECES.add(pieces);
            List<Future<?>> fs = new ArrayList<>();
            for (int i = pieces - 1; i >= 0; i--) {
                int index = i;
                fs.add(POOL.submit(() -> piece.accept(index)));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        }

        @Override
        public int width() {
            return 3;
        }
    };

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    @Test
    void thresholdsEqualTheSerialSelect() {
        float[] xv = TestModels.random(41, N, 0.02f);
        float[] bv = TestModels.random(42, N, 0.02f);
        Operand x = new Operand(TestModels.encode(DType.BF16, xv), DType.BF16);
        Operand b = new Operand(TestModels.encode(DType.BF16, bv), DType.BF16);
        float[] tau = new float[N];
        for (int j = 0; j < N; j++) {
            tau[j] = TestModels.get(x.segment(), DType.BF16, j) - TestModels.get(b.segment(), DType.BF16, j);
        }
        long[] ks = {1, N / 10, N / 2, N - 1};
        JavaKernels k = new JavaKernels();
        PIECES.clear();
        long[] banded = Thresholds.kthLargestKeys(k, SHUFFLED, x, b, N, ks);
        // The sample in 4 pieces a thread, then one band read for every rank: a piece a thread, each
        // taking parts as they come.
        assertThat(PIECES).as("sample, then one band read").containsExactly(12, 3);
        MOST_PIECES.set(0);
        KeySelect.Pass pass = (start, len, high, hist) -> k.tauHistogram(x, b, start, len, high, hist);
        long[] counted = KeySelect.kthLargestOfAll(pass, SHUFFLED, N, ks);
        assertThat(MOST_PIECES.get()).as("histogram pieces: one per thread").isEqualTo(3);
        for (int r = 0; r < ks.length; r++) {
            long want = MagnitudeSelect.thresholdKey(MagnitudeSource.of(tau), ks[r]);
            assertThat(banded[r]).as("band, k=%d", ks[r]).isEqualTo(want);
            assertThat(counted[r]).as("histograms, k=%d", ks[r]).isEqualTo(want);
        }
    }

    @Test
    void slerpSumsEqualTheSerialReduction() {
        int n = 5_000_011;
        Operand x = new Operand(TestModels.encode(DType.F32, TestModels.random(43, n, 0.02f)), DType.F32);
        Operand y = new Operand(TestModels.encode(DType.BF16, TestModels.random(44, n, 0.02f)), DType.BF16);
        double[] serial = new double[3];
        BlockReduction.sumSquaresAndDot(x.segment(), x.type(), y.segment(), y.type(), n, serial);
        assertThat(Slerp.sums(new JavaKernels(), x, y, n, SHUFFLED)).containsExactly(serial);
    }
}
