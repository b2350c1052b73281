package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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

    @Param({"1048573"})
    int elements;

    @Param({"java"})
    String backend;

    private Arena arena;
    private Operand base;
    private Operand[] inputs;
    private Operand out;
    private MemorySegment copySrc;
    private MemorySegment copyDst;
    private Kernels kernels;
    private final LinearOp op = new LinearOp(new double[] {0.1 * 1.5, 0.9 * 1.1}, true, false, 1, 1);

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setup() {
        DType t = DType.valueOf(dtype);
        arena = Arena.ofShared();
        long size = (long) elements * t.size();
        base = fill(t, size, 1);
        inputs = new Operand[] {fill(t, size, 2), fill(t, size, 3)};
        out = new Operand(arena.allocate(size, 64), t);
        copySrc = arena.allocate(4 * size, 64);
        copyDst = arena.allocate(4 * size, 64);
        kernels = Backends.select(backend);
    }

    private Operand fill(DType t, long size, int seed) {
        MemorySegment s = arena.allocate(size, 64);
        for (long i = 0; i < size; i += 2) {
            // Small finite values of either type: a repeating pattern of plausible weights.
            s.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (0x3C00 + ((i * seed) & 0x3FF)));
        }
        return new Operand(s, t);
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
    public void exmeFused(Bytes b) {
        kernels.linear(op, inputs, base, out, elements);
        b.bytes += traffic();
    }

    @Benchmark
    public void copyBaseline(Bytes b) {
        // Same traffic as the kernel: half the bytes read, half written (copy of 2 × output bytes).
        long half = traffic() / 2;
        MemorySegment.copy(copySrc, 0, copyDst, 0, half);
        b.bytes += traffic();
    }
}
