package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.method.KeySelect;
import org.exmerge.method.Parallel;
import org.exmerge.method.sparse.Thresholds;
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
 * A TIES threshold (density 0.2) of one BF16 fine-tune against its base, on one thread, both ways
 * the engine can find it: {@code Thresholds} (a sample, then one band read) and the two histogram
 * passes it falls back to, in bytes/s of input read per threshold (4 bytes an element: x and base),
 * so the two compare directly. Both must give the same key (checked at setup).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class ThresholdBench {
    @Param({"16777213"})
    int elements;

    @Param({"native"})
    String backend;

    private Arena arena;
    private Operand x;
    private Operand b;
    private Kernels kernels;
    private long rank;

    @Setup
    public void setup() {
        arena = Arena.ofShared();
        b = WeightData.gaussian(arena, DType.BF16, elements, 1);
        x = WeightData.fineTune(arena, b, 2);
        kernels = Backends.select(backend);
        rank = elements / 5;
        if (byBand(new TrafficCounter()) != byHistograms(new TrafficCounter())) {
            throw new IllegalStateException(backend + ": the band read and the histogram passes disagree");
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public long byBand(TrafficCounter c) {
        c.bytes += 4L * elements;
        return Thresholds.kthLargestKeys(kernels, Parallel.SERIAL, x, b, elements, rank)[0];
    }

    @Benchmark
    public long byHistograms(TrafficCounter c) {
        c.bytes += 4L * elements;
        KeySelect.Pass pass = (start, len, high, hist) -> kernels.tauHistogram(x, b, start, len, high, hist);
        return KeySelect.kthLargestOfAll(pass, Parallel.SERIAL, elements, rank)[0];
    }
}
