package org.exmerge.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.exmerge.format.Checkpoint;
import org.exmerge.format.DType;
import org.exmerge.format.ShardWriter;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.JavaKernels;
import org.exmerge.kernel.Kernels;
import org.exmerge.testing.LoraAdapters;
import org.exmerge.testing.TestModels;
import org.exmerge.testing.TestModels.T;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The float64 steps of numerics §12 on an F64 weight, which keeps the float64 result and so shows
 * the order of every addition; and rows read in blocks equal the rows read whole.
 */
class AdaptedRowsTest {
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String W = "model.layers.0.self_attn.q_proj";
    private static final Kernels SPEC = new JavaKernels();

    @TempDir
    Path dir;

    @Test
    void theDeltaIsSummedInKOrderThenScaledThenAdded() throws IOException {
        // Row 0 of B is [2^53, 1, -2^53, 1] against a column of ones: in k order 2^53 + 1 rounds back
        // to 2^53 and the sum is 1; any other order of the adds gives 2 or 0.
        int rows = 3;
        int cols = 5;
        int r = 4;
        double two53 = 0x1p53;
        float[] b = new float[rows * r];
        float[] a = new float[r * cols];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        b[0] = (float) two53;
        b[1] = 1;
        b[2] = (float) -two53;
        b[3] = 1;
        for (int k = 0; k < r; k++) {
            a[k * cols] = 1;
        }
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextGaussian();
        }
        writeF64(dir.resolve("m"), W + ".weight", rows, cols, w);
        LoraAdapters.write(dir.resolve("a"), "\"r\": 4, \"lora_alpha\": 0.3",
                new T(W + ".lora_A.weight", DType.F32, new long[] {r, cols}, a),
                new T(W + ".lora_B.weight", DType.F32, new long[] {rows, r}, b));
        try (Checkpoint m = Checkpoint.open(dir.resolve("m")); LoraAdapter ad = LoraAdapter.open(dir.resolve("a"), m, "m+a");
             AdaptedRows rowsOf = AdaptedRows.of(m, W + ".weight", ad.edit(W + ".weight"), SPEC)) {
            MemorySegment whole = MemorySegment.ofArray(new double[rows * cols]);
            rowsOf.read(0, rows, whole, 0);
            double s = 0.3 / 4;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    double d = 0;
                    for (int k = 0; k < r; k++) {
                        d = d + (double) b[i * r + k] * a[k * cols + j];
                    }
                    double t = s * d;
                    double v = w[i * cols + j] + t;
                    assertThat(whole.getAtIndex(F64, (long) i * cols + j)).as("(%d, %d)", i, j).isEqualTo(v);
                }
            }
            assertThat(whole.getAtIndex(F64, 0)).isEqualTo(w[0] + s * 1.0);
            // Blocks of rows, in any order, give the same bytes.
            MemorySegment blocks = MemorySegment.ofArray(new double[rows * cols]);
            try (AdaptedRows late = AdaptedRows.of(m, W + ".weight", ad.edit(W + ".weight"), SPEC);
                 AdaptedRows early = AdaptedRows.of(m, W + ".weight", ad.edit(W + ".weight"), SPEC)) {
                late.read(2, 1, blocks, 2L * cols * 8);
                early.read(0, 2, blocks, 0);
            }
            assertThat(blocks.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(whole.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void aTensorWithoutAnEditIsCopiedAsStored() throws IOException {
        TestModels.write(dir.resolve("m"), new T("x", DType.BF16, new long[] {2, 3}, TestModels.random(1, 6, 1f)));
        try (Checkpoint m = Checkpoint.open(dir.resolve("m"))) {
            MemorySegment out = MemorySegment.ofArray(new byte[12]);
            try (AdaptedRows x = AdaptedRows.of(m, "x", null, SPEC)) {
                x.read(0, 2, out, 0);
            }
            assertThat(out.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(m.data("x").toArray(ValueLayout.JAVA_BYTE));
        }
    }

    private static void writeF64(Path dir, String name, int rows, int cols, double[] v) throws IOException {
        Files.createDirectories(dir);
        try (ShardWriter sw = new ShardWriter(dir, List.of(new TensorSpec(name, DType.F64, new long[] {rows, cols})),
                Long.MAX_VALUE / 4, Map.of("format", "pt"))) {
            MemorySegment s = MemorySegment.ofArray(new byte[v.length * 8]);
            for (int i = 0; i < v.length; i++) {
                s.setAtIndex(F64, i, v[i]);
            }
            sw.write(s);
            sw.finish();
        }
    }
}
