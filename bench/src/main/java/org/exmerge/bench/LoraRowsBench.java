package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LoraKernels;
import org.exmerge.kernel.Operand;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * numerics §12's LoRA delta ({@code Kernels.loraRows}) on one adapted weight of {@code rows × columns}
 * in {@code type}, one thread, in calls of {@code rowsPerCall} rows as the engine's 4 MB jobs make them
 * (1,024 rows of 2,048 bf16 columns), the factors widened once outside the timing: Java spec vs C, in
 * multiply-adds per second ({@code rows · columns · rank} per tensor; the widening, scaling and narrowing
 * of each element are in the time).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class LoraRowsBench {
    @Param({"5632"})
    int rows;

    @Param({"2048"})
    int columns;

    @Param({"16"})
    int rank;

    @Param({"1024"})
    int rowsPerCall;

    @Param({"BF16"})
    DType type;

    @Param({"java", "native"})
    String backend;

    private Arena arena;
    private Operand w;
    private Operand out;
    private MemorySegment left;
    private MemorySegment right;
    private Kernels kernels;


    @Setup
    public void setup() {
        arena = Arena.ofShared();
        w = WeightData.gaussian(arena, type, (long) rows * columns, 1);
        out = new Operand(arena.allocate((long) rows * columns * type.size(), 64), type);
        left = factor(rows * rank, 2);
        right = factor(rank * columns, 3);
        kernels = Backends.select(backend);
    }

    /** Factors as a bf16 adapter's widen: Gaussian, σ = 0.01, rounded to float32. */
    private MemorySegment factor(long n, int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(n * 8, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(LoraKernels.FACTOR, i, (float) (r.nextGaussian() * 0.01));
        }
        return s;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void loraRows(MultiplyAdds c) {
        for (int first = 0; first < rows; first += rowsPerCall) {
            int n = Math.min(rowsPerCall, rows - first);
            long at = (long) first * columns;
            kernels.loraRows(w.skip(at), left.asSlice((long) first * rank * 8), right, rank, columns, n, 0.5, out.skip(at));
        }
        c.multiplyAdds += (long) rows * columns * rank;
    }
}
