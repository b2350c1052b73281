package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.exmerge.format.DType;
import org.exmerge.kernel.LinearOp;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.VectorLinearOp;
import org.exmerge.kernel.VectorSpan;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SIGBUS guard (native/src/fault_guard.c): a kernel reading a mapped file that was truncated
 * under it returns MK_E_FAULT (a {@link NativeException} with {@link NativeException.Status#FAULT})
 * and this JVM lives on; a Java read of the same region still gets the JVM's own InternalError, so
 * the guard passes SIGBUS outside kernels on to the JVM's handler. A crash here kills the test JVM.
 */
class NativeFaultGuardTest {
    static final long BYTES = 4L << 20;
    static final long KEPT = 64 << 10; // what truncation leaves: the first 16 pages

    @TempDir
    Path dir;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative();
    }

    /** A file of {@code BYTES} mapped whole, then cut to {@code KEPT} bytes: reads past that fault. */
    private MemorySegment truncatedMapping(Arena arena) throws IOException {
        Path file = dir.resolve("input.bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}), BYTES - 1);
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, BYTES, arena);
            assertThat(m.get(ValueLayout.JAVA_BYTE, BYTES - 1)).isEqualTo((byte) 1); // readable before
            ch.truncate(KEPT);
            return m;
        }
    }

    @Test
    void everyReadingEntryReportsTheFaultOnEveryPathAndTheJvmLives() throws Exception {
        NativeKernels nat = NativeKernels.instance();
        try (Arena arena = Arena.ofShared(); Arena out = Arena.ofConfined()) {
            MemorySegment mapped = truncatedMapping(arena);
            long n = (BYTES - KEPT) / 2;
            Operand x = new Operand(mapped.asSlice(KEPT), DType.BF16); // wholly past the end
            Operand cut = new Operand(mapped, DType.BF16); // starts readable, runs past the end
            Operand o = new Operand(out.allocate(4 * n, 64), DType.F32);
            LinearOp op = new LinearOp(new double[] {0.5, 0.5}, true, false, 1, 1);
            for (int isa : NativeTestSupport.isas()) {
                NativeTestSupport.onIsa(isa, () -> {
                    String path = CpuFeatures.isaName(isa);
                    assertFault(() -> nat.linear(op, new Operand[] {x, cut}, cut, o, n), "mk_linear " + path);
                    assertFault(() -> nat.convert(cut, o, n), "mk_convert " + path);
                    assertFault(() -> wholeSums(nat, new Operand[] {cut, x}, n), "mk_pair_sums " + path);
                    assertFault(() -> nat.pairSums(new Operand[] {cut}, null, new int[][] {{0, 0}},
                            new VectorSpan(0, 2, 1, 2, n / 2, 0, 1), new double[2]), "mk_pair_sums across " + path);
                    VectorLinearOp columns = new VectorLinearOp(new LinearOp[] {op, op}, n / 2, true);
                    assertFault(() -> nat.linearPerVector(columns, new Operand[] {x, cut}, cut, o, 0, n),
                            "mk_linear_vectors " + path);
                    assertFault(() -> nat.histogramHigh(x, cut, n, new long[1 << 15]), "histogram " + path);
                });
            }
            // The guard is per call: the same kernel on readable bytes works afterwards.
            assertThat(wholeSums(nat, new Operand[] {cut}, KEPT / 2)).containsOnly(0.0);
        }
    }

    @Test
    void aJavaReadOutsideAnyKernelStillGetsTheJvmsInternalError() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment mapped = truncatedMapping(arena);
            NativeKernels nat = NativeKernels.instance();
            for (int round = 0; round < 3; round++) { // alternating: each side's handling survives the other's
                assertThatThrownBy(() -> mapped.get(ValueLayout.JAVA_LONG, BYTES / 2))
                        .isInstanceOf(InternalError.class).hasMessageContaining("unsafe memory access");
                assertFault(() -> wholeSums(nat, new Operand[] {new Operand(mapped, DType.F32)}, BYTES / 4), "mk_pair_sums");
            }
            assertThat(mapped.get(ValueLayout.JAVA_LONG, 0)).isZero(); // the kept part reads as before
        }
    }

    /** Every input's Σx² over its first n elements, as block values. */
    private static double[] wholeSums(NativeKernels nat, Operand[] xs, long n) {
        int[][] pairs = new int[xs.length][];
        for (int i = 0; i < xs.length; i++) {
            pairs[i] = new int[] {i, i};
        }
        int blocks = (int) VectorSpan.blockCount(n);
        double[] out = new double[blocks * xs.length];
        nat.pairSums(xs, null, pairs, new VectorSpan(0, 1, n, 1, n, 0, blocks), out);
        return out;
    }

    private static void assertFault(Runnable call, String what) {
        assertThatThrownBy(call::run).as(what).isInstanceOfSatisfying(NativeException.class,
                e -> assertThat(e.status()).as(what).isEqualTo(NativeException.Status.FAULT));
    }
}
