package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
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
 * The fused ExMe kernel (base + two fine-tunes → one output) on one chunk, next to a
 * MemorySegment.copy of the same number of bytes (read + written) in the same run. The
 * {@code bytes} counter turns ops/s into bytes/s: divide its rate by 1e9 for GB/s.
 *
 * <p>Sizes: 4,097 elements (L1/L2: call overhead and tails), 1,048,573 (about one engine chunk of
 * BF16, in L3) and 16,777,213 (32 MiB per BF16 operand: DRAM-bound, the figure to hold against the
 * copy rate). Every size is odd so the vector tails run. Setup checks that the backend writes the
 * Java spec's bytes before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class LinearKernelBench {
    @Param({"BF16", "F32"})
    String dtype;

    @Param({"4097", "1048573", "16777213"})
    int elements;

    @Param({"java", "native"})
    String backend;

    private Arena arena;
    private Operand base;
    private Operand[] inputs;
    private Operand out;
    private MemorySegment copySrc;
    private MemorySegment copyDst;
    private Kernels kernels;
    private final LinearOp op = new LinearOp(new double[] {0.1 * 1.5, 0.9 * 1.1}, true, false, 1, 1);


    @Setup
    public void setup() {
        DType t = DType.valueOf(dtype);
        arena = Arena.ofShared();
        long size = (long) elements * t.size();
        base = fill(t, 1);
        inputs = new Operand[] {fill(t, 2), fill(t, 3)};
        out = new Operand(arena.allocate(size, 64), t);
        copySrc = arena.allocate(2 * size, 64);
        copyDst = arena.allocate(2 * size, 64);
        copySrc.fill((byte) 1);
        copyDst.fill((byte) 2);
        kernels = Backends.select(backend);
        if (!kernels.name().equals(backend)) {
            throw new IllegalStateException("asked for " + backend + ", got " + kernels.name());
        }
        // The benchmark checks its own result: same bytes as the Java spec kernels.
        Operand want = new Operand(arena.allocate(size, 64), t);
        Backends.java().linear(op, inputs, base, want, elements);
        kernels.linear(op, inputs, base, out, elements);
        if (want.segment().mismatch(out.segment()) != -1) {
            throw new IllegalStateException(backend + " differs from the Java kernels at byte " + want.segment().mismatch(out.segment()));
        }
    }

    private Operand fill(DType t, int seed) {
        return WeightData.gaussian(arena, t, elements, seed);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** Bytes moved per call: three inputs read and one output written. */
    private long traffic() {
        return 4L * elements * DType.valueOf(dtype).size();
    }

    @Benchmark
    public void exmeFused(TrafficCounter b) {
        kernels.linear(op, inputs, base, out, elements);
        b.bytes += traffic();
    }

    @Benchmark
    public void copyBaseline(TrafficCounter b) {
        // Same traffic as the kernel: half the bytes read, half written (copy of 2 × output bytes).
        long half = traffic() / 2;
        MemorySegment.copy(copySrc, 0, copyDst, 0, half);
        b.bytes += traffic();
    }
}
