package org.exmerge.kernel.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-ISA tests loop over {@link NativeTestSupport#isas()}, which leaves out the paths this CPU
 * cannot run without a word. These tests make that visible: each SIMD path shows up in the report as
 * skipped, with the CPU's best ISA named, wherever the other tests could not have exercised it.
 */
class NativeIsaCoverageTest {
    @BeforeEach
    void load() {
        NativeTestSupport.requireNative();
    }

    @Test
    void avx2PathsAreExercised() throws Exception {
        Assumptions.assumeTrue(NativeTestSupport.emulation() == null,
                "the avx512-emulated run exercises the AVX-512 path alone (the main run, the others)");
        checkExercised(ExmergeNative.MK_ISA_AVX2);
    }

    @Test
    void avx512PathsAreExercised() throws Exception {
        checkExercised(ExmergeNative.MK_ISA_AVX512);
    }

    private static void checkExercised(int isa) throws Exception {
        int best = ExmergeNative.bestIsa();
        Assumptions.assumeTrue(best >= isa, () -> CpuFeatures.isaName(isa) + " paths not exercised: this CPU's best ISA is "
                + CpuFeatures.isaName(best));
        assertThat(NativeTestSupport.isas()).contains(isa);
        NativeTestSupport.onIsa(isa, () -> assertThat(ExmergeNative.isa()).isEqualTo(isa));
        assertThat(ExmergeNative.isa()).as("onIsa restores the best path").isEqualTo(best);
    }
}
