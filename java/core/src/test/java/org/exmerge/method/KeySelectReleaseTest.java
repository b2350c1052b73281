package org.exmerge.method;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.exmerge.format.DType;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Kernels;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.MagnitudeSelect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pass that releases pages as it goes counts exactly what the plain pass counts, range by range. */
class KeySelectReleaseTest {
    @TempDir
    Path dir;

    private Operand mapped(Arena arena, String name, int n, float scale) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MemorySegment s = c.map(FileChannel.MapMode.READ_WRITE, 0, 4L * n, arena);
            for (int i = 0; i < n; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, scale * (float) Math.sin(i * 0.37));
            }
            s.force();
            return new Operand(c.map(FileChannel.MapMode.READ_ONLY, 0, 4L * n, arena), DType.F32);
        }
    }

    @Test
    void aReleasingPassCountsWhatThePlainPassCountsInBoundedRanges() throws IOException {
        int n = 100_003;
        Kernels k = new JavaKernels();
        try (Arena arena = Arena.ofConfined()) {
            Operand x = mapped(arena, "x", n, 1.0f);
            Operand b = mapped(arena, "b", n, 0.5f);
            List<long[]> ranges = new ArrayList<>();
            KeySelect.Pass plain = (start, len, high, hist) -> k.tauHistogram(x, b, start, len, high, hist);
            KeySelect.Pass recorded = (start, len, high, hist) -> {
                ranges.add(new long[] {start, len});
                plain.count(start, len, high, hist);
            };
            // 8 bytes per element over 100,003 elements: above a 1,000-byte limit, so it cuts and releases.
            KeySelect.Pass releasing = KeySelect.releasing(recorded, n, 1_000, 4_096, x, b, null);
            long[] want = new long[MagnitudeSelect.HIGH_BUCKETS];
            plain.count(7, n - 7, -1, want);
            long[] got = new long[MagnitudeSelect.HIGH_BUCKETS];
            releasing.count(7, n - 7, -1, got);
            assertThat(got).isEqualTo(want);
            long next = 7;
            for (long[] r : ranges) {
                assertThat(r[0]).isEqualTo(next);
                assertThat(r[1]).isBetween(1L, 4_096L);
                next += r[1];
            }
            assertThat(next).isEqualTo(n);
            // Below the limit the pass is handed back as it is.
            assertThat(KeySelect.releasing(plain, n, 8L * n, 4_096, x, b)).isSameAs(plain);
        }
    }
}
