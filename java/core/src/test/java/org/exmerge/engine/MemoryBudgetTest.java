package org.exmerge.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.exmerge.error.BudgetException;
import org.exmerge.error.ExmergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fitting of threads, chunk size and chunk buffers to a memory budget, as pure arithmetic. */
class MemoryBudgetTest {
    private static final long MiB = 1L << 20;
    private static final long KiB = 1L << 10;
    /** exme over bf16: base and two models read per output element, no bind-time pass. */
    private static final MemoryBudget.Demand EXME = new MemoryBudget.Demand(3.0, 3, 0, null, 0);
    /** A slerp-like plan: two inputs, and a whole-tensor pass over a 16 MiB tensor pair. */
    private static final MemoryBudget.Demand PASS = new MemoryBudget.Demand(2.0, 2, 32 * MiB, "embed", 512 * KiB);

    @Test
    void needIsBuffersPlusInputsBeingReadPlusThePass() {
        // A buffer of 4 MiB per worker; 2 workers each reading 3 × 4 MiB plus 3 ranges of fault slack.
        assertThat(MemoryBudget.need(2, 4 * MiB, EXME)).isEqualTo(2 * 4 * MiB + 2 * (12 * MiB + 3 * 128 * KiB));
        // After a bind-time pass, all 4 chunks in flight (not just the worker's) may hold their input pages.
        assertThat(MemoryBudget.need(1, 4 * MiB, PASS)).isEqualTo(4 * MiB + 4 * (8 * MiB + 2 * 128 * KiB) + 32 * MiB + 512 * KiB);
        assertThat(MemoryBudget.need(3, 4 * MiB, MemoryBudget.Demand.NONE)).isEqualTo(3 * 4 * MiB);
    }

    @Test
    void aRoomyBudgetKeepsWhatWasAsked() throws Exception {
        MemoryBudget.Fit fit = MemoryBudget.fit(16L << 30, 2, 4 * MiB, 8, EXME);
        assertThat(fit.threads()).isEqualTo(2);
        assertThat(fit.chunkBytes()).isEqualTo(4 * MiB);
        assertThat(fit.buffers()).isEqualTo(2);
        assertThat(fit.notices()).isEmpty();
        assertThat(fit.needBytes()).isEqualTo(MemoryBudget.need(2, 4 * MiB, EXME));
    }

    @Test
    void threadsAreCappedAtTheProcessorsWithOneNotice() throws Exception {
        for (int asked : new int[] {64, 512, 100_000}) {
            MemoryBudget.Fit fit = MemoryBudget.fit(16L << 30, asked, 4 * MiB, 2, EXME);
            assertThat(fit.threads()).isEqualTo(2);
            assertThat(fit.chunkBytes()).isEqualTo(4 * MiB);
            assertThat(fit.notices()).containsExactly(asked + " threads requested, 2 used (available processors)");
        }
    }

    @Test
    void aTightBudgetShrinksTheChunkBeforeTheThreads() throws Exception {
        long budget = 60 * MiB; // 8 threads × 4 MiB needs 8·4 + 8·12 MiB and more; 1 MiB chunks fit
        MemoryBudget.Fit fit = MemoryBudget.fit(budget, 8, 4 * MiB, 8, EXME);
        assertThat(fit.threads()).isEqualTo(8);
        assertThat(fit.chunkBytes()).isLessThan(4 * MiB).isGreaterThanOrEqualTo(MemoryBudget.SHRINK_FLOOR);
        assertThat(fit.chunkBytes() % 4096).isZero();
        assertThat(fit.needBytes()).isLessThanOrEqualTo(budget);
        assertThat(MemoryBudget.need(8, fit.chunkBytes() + 4096, EXME)).as("the largest chunk that fits").isGreaterThan(budget);
        assertThat(fit.notices()).singleElement().asString().startsWith("chunks of ").contains("memory budget of 62.9 MB");
    }

    @Test
    void thenTheThreads() throws Exception {
        long budget = 15 * MiB; // 1 MiB chunks fit 3 threads (3 buffers + 3 × 3.4 MiB), not 4
        MemoryBudget.Fit fit = MemoryBudget.fit(budget, 8, 4 * MiB, 8, EXME);
        assertThat(fit.threads()).isEqualTo(3);
        assertThat(MemoryBudget.need(4, MemoryBudget.SHRINK_FLOOR, EXME)).isGreaterThan(budget);
        assertThat(fit.chunkBytes()).isGreaterThanOrEqualTo(MemoryBudget.SHRINK_FLOOR).isLessThan(4 * MiB);
        assertThat(fit.needBytes()).isLessThanOrEqualTo(budget);
        assertThat(fit.notices()).hasSize(2);
        assertThat(fit.notices().getFirst()).isEqualTo("8 threads requested, 3 used (memory budget 15.7 MB)");
    }

    @Test
    void andFinallyTheChunkDownToItsMinimum() throws Exception {
        long budget = 2 * MiB;
        MemoryBudget.Fit fit = MemoryBudget.fit(budget, 4, 4 * MiB, 4, EXME);
        assertThat(fit.threads()).isEqualTo(1);
        assertThat(fit.chunkBytes()).isBetween(MemoryBudget.MIN_CHUNK_BYTES, MemoryBudget.SHRINK_FLOOR);
        assertThat(fit.needBytes()).isLessThanOrEqualTo(budget);
    }

    @Test
    void bindingAheadOnlyWhereTheBudgetHoldsTwoPasses() throws Exception {
        MemoryBudget.Demand two = new MemoryBudget.Demand(2.0, 2, 32 * MiB, "embed", 512 * KiB, 64 * MiB);
        MemoryBudget.Fit roomy = MemoryBudget.fit(1L << 30, 2, 4 * MiB, 2, two);
        assertThat(roomy.bindAhead()).isTrue();
        assertThat(roomy.needBytes()).isEqualTo(MemoryBudget.need(2, 4 * MiB, two.ahead()));
        // Room for one pass at the asked settings but not two: bind in turn, change nothing else.
        long one = MemoryBudget.need(2, 4 * MiB, two);
        MemoryBudget.Fit tight = MemoryBudget.fit(one, 2, 4 * MiB, 2, two);
        assertThat(tight.bindAhead()).isFalse();
        assertThat(tight.threads()).isEqualTo(2);
        assertThat(tight.chunkBytes()).isEqualTo(4 * MiB);
        assertThat(tight.notices()).isEmpty();
        // Never shrink a chunk or drop a thread to bind ahead; with one pass only it is free.
        assertThat(MemoryBudget.fit(one / 2, 2, 4 * MiB, 2, two).bindAhead()).isFalse();
        assertThat(MemoryBudget.fit(MemoryBudget.need(2, 1 << 20, PASS), 2, 4 * MiB, 2, PASS).bindAhead()).isTrue();
        // One thread binds in turn: binding ahead would compute the pass on a second core beside it.
        assertThat(MemoryBudget.fit(1L << 30, 1, 4 * MiB, 2, two).bindAhead()).isFalse();
        assertThat(MemoryBudget.fit(1L << 30, 4, 4 * MiB, 1, PASS).bindAhead()).isFalse();
    }

    @Test
    void aSmallRequestedChunkIsNeverGrown() throws Exception {
        MemoryBudget.Fit fit = MemoryBudget.fit(16L << 30, 2, 100_000, 2, EXME);
        assertThat(fit.chunkBytes()).isEqualTo(100_000);
        // Odd chunk sizes that tests use to cut tensors oddly stay as they are under a tight budget too.
        MemoryBudget.Fit tight = MemoryBudget.fit(MemoryBudget.need(1, 1000, EXME), 2, 1000, 2, EXME);
        assertThat(tight.chunkBytes()).isEqualTo(1000);
        assertThat(tight.threads()).isEqualTo(1);
    }

    @Test
    void tooSmallABudgetIsRefusedWithWhatItWouldTake() {
        long need = MemoryBudget.need(1, MemoryBudget.MIN_CHUNK_BYTES, PASS);
        assertThatThrownBy(() -> MemoryBudget.fit(64_000_000L, 2, 4 * MiB, 2, new MemoryBudget.Demand(2.0, 2, 80_000_000L, "embed", 512 * KiB)))
                .isInstanceOf(BudgetException.class)
                .hasMessageStartingWith("memory budget 64.0 MB (--memory) is too small: this merge needs at least 82.2 MB")
                .hasMessageContaining("1 thread, 65.5 kB chunks: chunk buffer 65.5 kB, inputs being read 1.6 MB")
                .hasMessageContaining("whole-tensor pass over 'embed' 80.5 MB")
                .satisfies(e -> {
                    BudgetException b = (BudgetException) e;
                    assertThat(b.kind()).isEqualTo(ExmergeException.Kind.RECIPE);
                    assertThat(b.budgetBytes()).isEqualTo(64_000_000L);
                    assertThat(b.neededBytes()).isGreaterThan(80_000_000L);
                    assertThat(b.getMessage()).doesNotContain("\n");
                });
        assertThatThrownBy(() -> MemoryBudget.fit(need - 1, 1, 4 * MiB, 2, PASS)).isInstanceOf(BudgetException.class);
    }

    @Test
    void everyFitStaysInsideItsBudget() throws Exception {
        for (long budget = 1 * MiB; budget < 400 * MiB; budget += 3 * MiB + 12345) {
            for (MemoryBudget.Demand d : new MemoryBudget.Demand[] {EXME, PASS, MemoryBudget.Demand.NONE,
                    new MemoryBudget.Demand(1000.0, 2, 0, null, 0)}) {
                try {
                    MemoryBudget.Fit fit = MemoryBudget.fit(budget, 64, 4 * MiB, 16, d);
                    assertThat(fit.needBytes()).isLessThanOrEqualTo(budget);
                    assertThat(fit.threads()).isBetween(1, 16);
                    assertThat(fit.chunkBytes()).isBetween(MemoryBudget.MIN_CHUNK_BYTES, 4 * MiB);
                } catch (BudgetException e) {
                    assertThat(MemoryBudget.need(1, MemoryBudget.MIN_CHUNK_BYTES, d)).isGreaterThan(budget);
                }
            }
        }
    }

    @Test
    void theDefaultIsHalfOfWhatTheProcessMayUse() {
        long budget = MemoryBudget.defaultBudget();
        long physical = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        assertThat(budget).isPositive().isLessThanOrEqualTo(physical / 2 + 1);
        assertThat(MemoryBudget.cgroupLimit(java.nio.file.Path.of("/no/such/file"))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void physicalMemoryIsMemTotalElseTheJdksFigure(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path meminfo = dir.resolve("meminfo");
        java.nio.file.Files.writeString(meminfo, "MemTotal:       24683584 kB\nMemFree:        20337948 kB\n");
        assertThat(MemoryBudget.physicalMemory(meminfo)).isEqualTo(24683584L * 1024);
        long jdk = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        assertThat(MemoryBudget.physicalMemory(dir.resolve("absent"))).isEqualTo(jdk);
        java.nio.file.Files.writeString(meminfo, "MemTotal: lots\n");
        assertThat(MemoryBudget.physicalMemory(meminfo)).isEqualTo(jdk);
        java.nio.file.Path real = java.nio.file.Path.of("/proc/meminfo");
        if (java.nio.file.Files.isReadable(real)) {
            // Outside a container the JDK reads the same figure; inside one it reports the limit, which is lower.
            assertThat(MemoryBudget.physicalMemory(real)).isGreaterThanOrEqualTo(jdk);
        }
    }
}
