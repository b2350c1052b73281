package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorSpan;
import org.exmerge.kernel.ffm.NativeKernels;
import org.exmerge.numeric.Bf16;
import org.exmerge.numeric.BlockReduction;
import org.exmerge.numeric.MagnitudeSelect;
import org.exmerge.numeric.MagnitudeSource;
import org.exmerge.numeric.Philox4x32;
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
 * The other kernels on one BF16 tensor of {@code elements} (odd) elements, Java twin vs C, each in
 * bytes/s of input read (plus output written where there is one), next to a MemorySegment.copy
 * moving the same bytes in the same run: convert BF16→F32, numerics §4 Σx² (pairSums of the one pair
 * (0, 0) over the whole tensor as one span), the first
 * magnitude-histogram pass over τ = x − b, numerics §5 uniforms (bytes = 4 per uniform written) and
 * the engine's non-finite scan of an output chunk ({@code firstNonFinite}, bytes read).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class NativeKernelsBench {
    @Param({"4194301"})
    int elements;

    @Param({"java", "native"})
    String backend;

    private static final int[][] SQUARES = {{0, 0}};

    private Arena arena;
    private VectorSpan whole;
    private double[] blockValues;
    private Operand x;
    private Operand b;
    private Operand f32;
    private MemorySegment uniforms;
    private MemorySegment copySrc;
    private MemorySegment copyDst;
    private Kernels kernels;
    private NativeKernels nat;
    private final long[] hist = new long[MagnitudeSelect.HIGH_BUCKETS];


    @Setup
    public void setup() {
        arena = Arena.ofShared();
        x = bf16(1);
        b = bf16(2);
        f32 = new Operand(arena.allocate(4L * elements, 64), DType.F32);
        uniforms = arena.allocate(4L * elements, 64);
        copySrc = arena.allocate(6L * elements, 64);
        copyDst = arena.allocate(6L * elements, 64);
        kernels = Backends.select(backend);
        nat = backend.equals("native") ? NativeKernels.instance() : null;
        whole = new VectorSpan(0, 1, elements, 1, elements, 0, (int) VectorSpan.blockCount(elements));
        blockValues = new double[whole.blocks()];
        if (sumSquares(new TrafficCounter()) != BlockReduction.sumSquares(x.segment(), DType.BF16, elements)) {
            throw new IllegalStateException(backend + " pairSums differs from BlockReduction");
        }
    }

    private Operand bf16(int seed) {
        return WeightData.gaussian(arena, DType.BF16, elements, seed);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void convertBf16ToF32(TrafficCounter c) {
        kernels.convert(x, f32, elements);
        c.bytes += 6L * elements;
    }

    @Benchmark
    public double sumSquares(TrafficCounter c) {
        c.bytes += 2L * elements;
        kernels.pairSums(new Operand[] {x}, null, SQUARES, whole, blockValues);
        return BlockReduction.addBlocks(blockValues);
    }

    @Benchmark
    public long[] histogramHighOfTaskVector(TrafficCounter c) {
        java.util.Arrays.fill(hist, 0);
        c.bytes += 4L * elements;
        if (nat != null) {
            nat.histogramHigh(x, b, elements, hist);
            return hist;
        }
        MagnitudeSource tau = new MagnitudeSource() {
            @Override
            public long size() {
                return elements;
            }

            @Override
            public float get(long i) {
                return Bf16.toFloat(x.segment().getAtIndex(ValueLayout.JAVA_SHORT, i))
                        - Bf16.toFloat(b.segment().getAtIndex(ValueLayout.JAVA_SHORT, i));
            }
        };
        return MagnitudeSelect.histogramHigh(tau, 0, elements, hist);
    }

    @Benchmark
    public void philoxUniforms(TrafficCounter c) {
        c.bytes += 4L * elements;
        if (nat != null) {
            nat.uniforms(42, 0x1234, 1, 0, elements, uniforms);
            return;
        }
        for (long j = 0; j < elements; j++) {
            uniforms.setAtIndex(ValueLayout.JAVA_FLOAT, j, Philox4x32.uniform(42, j, 0x1234, 1));
        }
    }

    @Benchmark
    public long firstNonFinite(TrafficCounter c) {
        // The engine's check of each output chunk; x is finite, so the scan reads all of it.
        c.bytes += 2L * elements;
        return kernels.firstNonFinite(x, elements);
    }

    @Benchmark
    public void copyBaseline(TrafficCounter c) {
        // 3 bytes per element each way: the convert's traffic (2 read + 4 written = 6 per element).
        MemorySegment.copy(copySrc, 0, copyDst, 0, 3L * elements);
        c.bytes += 6L * elements;
    }
}
