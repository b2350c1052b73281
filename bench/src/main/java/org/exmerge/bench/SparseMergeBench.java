package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.SparseOp;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.MagnitudeSource;
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
 * numerics §3's fused {@code Kernels.sparseMerge} through the public API on a BF16 base and three BF16
 * models of {@code elements} (odd) elements into a BF16 output, in bytes/s (4 inputs read + 1
 * output written, 10 bytes per element), next to a MemorySegment.copy moving the same bytes in the
 * same run. {@code ties}: magnitude trim at density 0.3 per model (exact thresholds), sum election,
 * normalize (the {@code ties} method); {@code dare}: Philox drop at density 0.3, divide by it, sum
 * election (the {@code dare_ties} method). Setup checks the backend's bytes against the Java spec.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class SparseMergeBench {
    static final int MODELS = 3;

    @Param({"4194301"})
    int elements;

    @Param({"java", "native"})
    String backend;

    @Param({"ties", "dare"})
    String op;

    private Arena arena;
    private Operand base;
    private Operand[] xs;
    private Operand out;
    private MemorySegment copySrc;
    private MemorySegment copyDst;
    private Kernels kernels;
    private SparseOp sparse;


    @Setup
    public void setup() {
        arena = Arena.ofShared();
        base = bf16(100, null);
        xs = new Operand[MODELS];
        for (int i = 0; i < MODELS; i++) {
            xs[i] = bf16(i + 1, base);
        }
        out = new Operand(arena.allocate(2L * elements, 64), DType.BF16);
        copySrc = arena.allocate(5L * elements, 64);
        copyDst = arena.allocate(5L * elements, 64);
        kernels = Backends.select(backend);
        float[] w = {0.5f, 0.3f, 0.2f};
        float[] d = {0.3f, 0.3f, 0.3f};
        SparseOp plain = SparseOp.plain(w, SparseOp.ELECT_SUM, op.equals("ties"), 1f, 1f, 42, 0x1234);
        if (op.equals("ties")) {
            long[] from = new long[MODELS];
            long[] below = new long[MODELS];
            for (int i = 0; i < MODELS; i++) {
                from[i] = MagnitudeSelect.thresholdKey(tau(xs[i]), (long) (0.3 * elements));
                below[i] = SparseOp.NO_UPPER;
            }
            sparse = plain.withBand(from, below);
        } else {
            sparse = plain.withFixedProb(d).withDivisor(d, false);
        }
        Operand spec = new Operand(arena.allocate(2L * elements, 64), DType.BF16);
        Backends.java().sparseMerge(sparse, xs, base, spec, 0, elements);
        kernels.sparseMerge(sparse, xs, base, out, 0, elements);
        if (spec.segment().mismatch(out.segment()) != -1) {
            throw new IllegalStateException(backend + " sparseMerge differs from the Java spec");
        }
    }

    /** Weight-like BF16 values; with a base, a fine-tune of it (base + a small delta). */
    private Operand bf16(int seed, Operand of) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = arena.allocate(2L * elements, 64);
        for (long i = 0; i < elements; i++) {
            float v = of == null ? (float) (r.nextGaussian() * 0.02)
                    : Bf16.toFloat(of.segment().getAtIndex(ValueLayout.JAVA_SHORT, i)) + (float) (r.nextGaussian() * 0.002);
            s.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(v));
        }
        return new Operand(s, DType.BF16);
    }

    private MagnitudeSource tau(Operand x) {
        return new MagnitudeSource() {
            @Override
            public long size() {
                return elements;
            }

            @Override
            public float get(long i) {
                return Bf16.toFloat(x.segment().getAtIndex(ValueLayout.JAVA_SHORT, i))
                        - Bf16.toFloat(base.segment().getAtIndex(ValueLayout.JAVA_SHORT, i));
            }
        };
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void sparseMerge(TrafficCounter c) {
        kernels.sparseMerge(sparse, xs, base, out, 0, elements);
        c.bytes += 10L * elements;
    }

    @Benchmark
    public void copyBaseline(TrafficCounter c) {
        // 5 bytes per element each way: the merge's traffic (8 read + 2 written = 10 per element).
        MemorySegment.copy(copySrc, 0, copyDst, 0, 5L * elements);
        c.bytes += 10L * elements;
    }
}
