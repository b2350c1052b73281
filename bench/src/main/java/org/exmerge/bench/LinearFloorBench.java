package org.exmerge.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.exmerge.format.DType;
import org.exmerge.kernel.Backends;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.ffm.CpuFeatures;
import org.exmerge.kernel.ffm.ExmergeNative;
import org.exmerge.numeric.F16;
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
 * The native fused linear kernel against its memory floor: base + two fine-tunes → one output
 * (3 streams in, 1 out, one dtype throughout), next to {@code mk_bench_stream_n} (the same streams,
 * vector width and stores, no arithmetic: {@link StreamFloor}) and a plain {@code MemorySegment.copy}
 * of the same byte count. Every benchmark counts the same bytes per call (3 inputs + 1 output), so
 * the {@code bytes} rates compare directly; fused / streamN is the kernel's share of its floor.
 *
 * <p>The ISA path is the native backend's (force one with {@code -Dexmerge.native.isa=avx2}); the
 * baseline runs the same path or setup fails. Setup also checks both ops against the Java spec.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
public class LinearFloorBench {
    @Param({"BF16", "F16", "F32"})
    String dtype;

    /** 32 MiB per BF16 operand (DRAM), and about one engine chunk (L3); odd, so the tails run. */
    @Param({"16777213", "1048573"})
    int elements;

    private Arena arena;
    private Operand base;
    private Operand[] inputs;
    private Operand out;
    private MemorySegment streamIn;
    private MemorySegment copySrc;
    private MemorySegment copyDst;
    private Kernels kernels;
    private int isa;
    /** ExMe as the engine runs it: weights (1 + α)·β-like, with base, no division. */
    private final LinearOp exme = new LinearOp(new double[] {0.1 * 1.5, 0.9 * 1.1}, true, false, 1, 1);
    /** task_arithmetic with normalize and λ: the division and the λ fma on top. */
    private final LinearOp taskArithmetic = new LinearOp(new double[] {0.5, 0.3}, true, true, 0.8f, 0.9);

    @Setup
    public void setup() {
        DType t = DType.valueOf(dtype);
        arena = Arena.ofShared();
        long size = (long) elements * t.size();
        base = fill(t, 1);
        inputs = new Operand[] {fill(t, 2), fill(t, 3)};
        out = new Operand(arena.allocate(size, 64), t);
        streamIn = arena.allocate(ValueLayout.ADDRESS, 3);
        streamIn.setAtIndex(ValueLayout.ADDRESS, 0, base.segment());
        streamIn.setAtIndex(ValueLayout.ADDRESS, 1, inputs[0].segment());
        streamIn.setAtIndex(ValueLayout.ADDRESS, 2, inputs[1].segment());
        copySrc = arena.allocate(2 * size, 64);
        copyDst = arena.allocate(2 * size, 64);
        copySrc.fill((byte) 1);
        copyDst.fill((byte) 2);
        kernels = Backends.select("native");
        if (!kernels.name().equals("native")) {
            throw new IllegalStateException("asked for native, got " + kernels.name());
        }
        isa = ExmergeNative.isa();
        int ran = StreamFloor.run(streamIn, 3, out.segment(), elements, (int) t.size(), isa);
        if (ran != isa) {
            throw new IllegalStateException("baseline ran " + CpuFeatures.isaName(ran) + ", kernel runs " + CpuFeatures.isaName(isa));
        }
        check(exme, t, size);
        check(taskArithmetic, t, size);
        System.out.println("# isa path " + CpuFeatures.isaName(isa));
    }

    private void check(LinearOp op, DType t, long size) {
        Operand want = new Operand(arena.allocate(size, 64), t);
        Backends.java().linear(op, inputs, base, want, elements);
        kernels.linear(op, inputs, base, out, elements);
        long at = want.segment().mismatch(out.segment());
        if (at != -1) {
            throw new IllegalStateException("native differs from the Java kernels at byte " + at);
        }
    }

    private Operand fill(DType t, int seed) {
        return WeightData.gaussian(arena, t, elements, seed);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** Bytes per call: three inputs read and one output written. */
    private long traffic() {
        return 4L * elements * DType.valueOf(dtype).size();
    }

    @Benchmark
    public void exme(TrafficCounter b) {
        kernels.linear(exme, inputs, base, out, elements);
        b.bytes += traffic();
    }

    @Benchmark
    public void taskArithmetic(TrafficCounter b) {
        kernels.linear(taskArithmetic, inputs, base, out, elements);
        b.bytes += traffic();
    }

    @Benchmark
    public void streamN(TrafficCounter b) {
        StreamFloor.run(streamIn, 3, out.segment(), elements, (int) DType.valueOf(dtype).size(), isa);
        b.bytes += traffic();
    }

    @Benchmark
    public void copy(TrafficCounter b) {
        // Half the bytes read, half written: a copy of 2 × the output's bytes.
        MemorySegment.copy(copySrc, 0, copyDst, 0, traffic() / 2);
        b.bytes += traffic();
    }
}
