package org.exmerge.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What needs no device: launch geometry, sub-chunk plans, lane counts, the memory budget. */
class PlanningTest {

    @Test
    void gridStrideLaunchesCoverSmallRangesWithOneBlockAndCapLargeOnesAtEightBlocksPerSm() {
        assertThat(LaunchGeometry.blocks(0, 132)).isEqualTo(1);
        assertThat(LaunchGeometry.blocks(1, 132)).isEqualTo(1);
        assertThat(LaunchGeometry.blocks(256, 132)).isEqualTo(1);
        assertThat(LaunchGeometry.blocks(257, 132)).isEqualTo(2);
        assertThat(LaunchGeometry.blocks(1L << 40, 132)).isEqualTo(132 * 8);
        assertThat(LaunchGeometry.blocks(1L << 40, 0)).isEqualTo(8); // a device that reports no SMs still launches
    }

    @Test
    void rankWavesTakeAsManyRowsAsTheScratchHolds() {
        assertThat(LaunchGeometry.rankBlocks(100, 16 * 4096 * 10, 4096)).isEqualTo(10);
        assertThat(LaunchGeometry.rankBlocks(3, 1L << 30, 4096)).isEqualTo(3);
        assertThat(LaunchGeometry.rankBlocks(3, 1, 4096)).isEqualTo(1);
    }

    @Test
    void chunkPlansFitEveryOperandAlignedAndCutTheTailShort() {
        // two BF16 inputs, a BF16 base and an F32 output: 10 bytes an element, 4 aligned operands
        ChunkPlan p = ChunkPlan.of(1 << 20, 0, 10, 4, 1);
        assertThat(p.chunk()).isEqualTo(((1 << 20) - 4 * 256) / 10);
        long n = 3 * p.chunk() + 7;
        assertThat(p.count(n)).isEqualTo(4);
        assertThat(p.from(3)).isEqualTo(3 * p.chunk());
        assertThat(p.length(3, n)).isEqualTo(7);
        assertThat(p.length(0, n)).isEqualTo(p.chunk());
        assertThat(p.count(0)).isZero();
        // every sub-chunk's operands fit the half they are staged in
        assertThat(ChunkPlan.bytesFor(p.chunk(), 1, 0, 10, 4)).isLessThanOrEqualTo(1 << 20);
        assertThat(ChunkPlan.align(1)).isEqualTo(256);
        assertThat(ChunkPlan.align(256)).isEqualTo(256);
    }

    @Test
    void rankedPlansCutAtWholeRowsAndRefuseARowThatDoesNotFit() {
        ChunkPlan p = ChunkPlan.of(1 << 20, 16 * 1000, 12, 6, 1000);
        assertThat(p.chunk() % 1000).isZero();
        assertThat(p.chunk()).isEqualTo(((1 << 20) - 16_000 - 6 * 256) / 12 / 1000 * 1000);
        assertThatThrownBy(() -> ChunkPlan.of(4096, 0, 12, 6, 1000)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a sub-chunk of 1000 elements needs").hasMessageContaining("the lane has 4096");
    }

    @Test
    void theBudgetSizesThePoolAndTheMemoryPropertyOverridesIt() {
        assertThat(LanePool.lanes(1L << 30, 64L << 20)).isEqualTo(8);
        assertThat(LanePool.lanes(1, 64L << 20)).isEqualTo(1);
        assertThat(LanePool.lanes(1L << 50, 64L << 20)).isEqualTo(64);
        assertThat(CudaRuntime.budget(10L << 30, null)).isEqualTo(8L << 30);
        assertThat(CudaRuntime.budget(10L << 30, " 2147483648 ")).isEqualTo(2L << 30);
        assertThat(CudaRuntime.budget(10L << 30, "1")).isEqualTo(2 * CudaRuntime.HALF_BYTES);
        assertThatThrownBy(() -> CudaRuntime.budget(1, "2g")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("-Dexmerge.cuda.memory must be a number of bytes, got '2g'");
    }
}
