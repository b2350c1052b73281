package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Operand;
import org.exmerge.kernel.TestBits;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * convert's native corners: every F16/BF16 bit pattern on every ISA path, and spans checked before C.
 * Every type pair, tail and offset on every ISA path (and the types handed to the Java spec) is
 * KernelConformanceTest's.
 */
class NativeConvertTest {
    static final DType[] TYPES = {DType.BF16, DType.F16, DType.F32};
    static final int[] SIZES = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 1023, 1024, 1025, 4097, 65537};
    private final JavaKernels spec = new JavaKernels();
    private static NativeKernels nat;

    @BeforeEach
    void load() {
        NativeTestSupport.requireNative(); // per test, so a machine without the library shows each one skipped
        nat = NativeKernels.instance();
    }

    @Test
    void everyF16AndBf16BitPatternWidensAndRoundTripsExactly() throws Exception {
        // All 65,536 patterns: widening to F32 (exact, NaNs quieted with payload kept) and back.
        for (int isa : NativeTestSupport.isas()) {
            NativeTestSupport.onIsa(isa, () -> {
                for (DType t : new DType[] {DType.F16, DType.BF16}) {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment all = arena.allocate(2 * 65536L, 2);
                        for (int i = 0; i < 65536; i++) {
                            all.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) i);
                        }
                        Operand in = new Operand(all, t);
                        Operand want = TestBits.output(arena, DType.F32, 65536, 0);
                        Operand got = TestBits.output(arena, DType.F32, 65536, 0);
                        spec.convert(in, want, 65536);
                        nat.convert(in, got, 65536);
                        assertThat(got.segment().mismatch(want.segment())).as("isa %s %s widening", isa, t).isEqualTo(-1);
                        Operand back = TestBits.output(arena, t, 65536, 0);
                        Operand backWant = TestBits.output(arena, t, 65536, 0);
                        spec.convert(want, backWant, 65536);
                        nat.convert(got, back, 65536);
                        assertThat(back.segment().mismatch(backWant.segment())).as("isa %s %s narrowing", isa, t).isEqualTo(-1);
                    }
                }
            });
        }
    }

    @Test
    void spansTooShortAndReadOnlyOutputsAreRejectedBeforeCallingC() {
        try (Arena arena = Arena.ofConfined()) {
            Operand in = TestBits.fill(arena, DType.BF16, 10, 0, 1);
            Operand shortOut = TestBits.output(arena, DType.F32, 9, 0);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> nat.convert(in, shortOut, 10))
                    .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("output");
            Operand ro = new Operand(TestBits.output(arena, DType.F32, 10, 0).segment().asReadOnly(), DType.F32);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> nat.convert(in, ro, 10))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
        }
    }
}
