package org.exmerge.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;
import org.exmerge.format.TensorSpec;
import org.exmerge.kernel.Operand;
import org.exmerge.numeric.Bf16;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synth's bytes depend on the seed alone: not on threads, chunking or the run; and its values have the stated statistics. */
class SynthTest {
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    static void synth(Path out, long seed, RunOptions run) throws Exception {
        LlamaShape shape = LlamaShape.forBytes(1_000_000, DType.BF16);
        Synth.write(out, shape, DType.BF16, 2, seed, run.withSync(false), ProgressListener.NONE, new CancelToken());
        Synth.writeTarget(out, shape, DType.BF16, 2, seed, run.withSync(false), ProgressListener.NONE, new CancelToken());
    }

    static List<Path> files(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
        }
    }

    @Test
    void threadCountsAndChunkSizesWriteTheSameBytes() throws Exception {
        Path one = dir.resolve("one");
        Path many = dir.resolve("many");
        synth(one, 5, RunOptions.defaults().withThreads(1));
        // up to 3 threads (synth caps them at the processors) and 1000-byte chunks: blocks start at
        // odd places and finish out of order
        synth(many, 5, RunOptions.defaults().withThreads(3).withChunkBytes(1000));
        assertThat(files(many)).isEqualTo(files(one)).contains(Path.of("base/model.safetensors"), Path.of("target/model.safetensors"));
        for (Path f : files(one)) {
            assertThat(Files.readAllBytes(many.resolve(f))).as("%s", f).isEqualTo(Files.readAllBytes(one.resolve(f)));
        }
    }

    @Test
    void aSeedReproducesItsBytesAndAnotherSeedDoesNot() throws Exception {
        synth(dir.resolve("a"), 7, RunOptions.defaults().withThreads(2));
        synth(dir.resolve("b"), 7, RunOptions.defaults().withThreads(2));
        synth(dir.resolve("c"), 8, RunOptions.defaults().withThreads(2));
        for (String m : List.of("base", "sft-1", "sft-2", "target")) {
            Path f = Path.of(m, "model.safetensors");
            assertThat(tensorData(dir.resolve("b").resolve(f))).as(m).isEqualTo(tensorData(dir.resolve("a").resolve(f)));
            assertThat(tensorData(dir.resolve("c").resolve(f))).as(m).isNotEqualTo(tensorData(dir.resolve("a").resolve(f)));
        }
        // Pinned, so a change to the generator is a deliberate one: benchmark models made by one
        // release are the models made by the next (the headers hold the version and are left out).
        assertThat(sha256(tensorData(dir.resolve("a/base/model.safetensors"))))
                .isEqualTo("badc42cce0cdfbd87ec1cb5ed9c6191e38990eeb6a5388b133b595e5aa39b87b");
    }

    @Test
    void streamsAreCentredWithUnitVarianceAndIndependent() {
        int n = 1 << 20;
        double[] s = new double[3];
        double[] ss = new double[3];
        double cross01 = 0;
        double cross12 = 0;
        double lag = 0;
        float prev = 0;
        for (int e = 0; e < n; e++) {
            float a = UniformStreams.centred(1, 42, 0, e);
            float b = UniformStreams.centred(1, 42, Synth.SHARED, e);
            float c = UniformStreams.centred(1, 43, 0, e);
            s[0] += a;
            s[1] += b;
            s[2] += c;
            ss[0] += a * a;
            ss[1] += b * b;
            ss[2] += c * c;
            cross01 += a * b;
            cross12 += b * c;
            lag += a * prev;
            prev = a;
            assertThat(Math.abs(a)).isLessThan((float) Math.sqrt(3));
        }
        // standard errors: mean 1/√n ≈ 0.001, variance ≈ 0.0009, correlations ≈ 0.001
        for (int k = 0; k < 3; k++) {
            assertThat(s[k] / n).isBetween(-0.005, 0.005);
            assertThat(ss[k] / n).isBetween(0.995, 1.005);
        }
        assertThat(cross01 / n).as("two streams of one tensor").isBetween(-0.005, 0.005);
        assertThat(cross12 / n).as("one stream of two tensors").isBetween(-0.005, 0.005);
        assertThat(lag / n).as("neighbouring elements").isBetween(-0.005, 0.005);
    }

    @Test
    void fineTunesShareHalfTheirDeltaAndNormWeightsSitNearOne() {
        int n = 1 << 18;
        TensorSpec w = new TensorSpec("w", DType.F32, new long[] {n});
        TensorSpec m = new TensorSpec("m", DType.F32, new long[] {64, n / 64});
        // F32: no rounding between the generator and these sums
        float[] base = values(new SynthField(m, 3, new int[] {0}, new float[] {Synth.BASE_STD}), n);
        float[] sft1 = values(new SynthField(m, 3, new int[] {0, Synth.SHARED, 1},
                new float[] {Synth.BASE_STD, Synth.DELTA_STD, Synth.DELTA_STD}), n);
        float[] sft2 = values(new SynthField(m, 3, new int[] {0, Synth.SHARED, 2},
                new float[] {Synth.BASE_STD, Synth.DELTA_STD, Synth.DELTA_STD}), n);
        double vb = 0;
        double v1 = 0;
        double v2 = 0;
        double c12 = 0;
        for (int i = 0; i < n; i++) {
            double d1 = sft1[i] - base[i];
            double d2 = sft2[i] - base[i];
            vb += base[i] * (double) base[i];
            v1 += d1 * d1;
            v2 += d2 * d2;
            c12 += d1 * d2;
        }
        assertThat(Math.sqrt(vb / n)).isCloseTo(0.02, offset(0.0002));
        assertThat(Math.sqrt(v1 / n)).isCloseTo(0.002 * Math.sqrt(2), offset(0.00003));
        assertThat(c12 / Math.sqrt(v1 * v2)).as("correlation of the task vectors").isBetween(0.49, 0.51);

        float[] norm = values(new SynthField(w, 3, new int[] {0}, new float[] {Synth.BASE_STD}), n);
        for (float x : norm) {
            assertThat(x).isBetween(1 - 0.0347f, 1 + 0.0347f); // 1 ± 0.02·√3
        }
    }

    @Test
    void aBlockAcrossAMultipleOf2To32MatchesTheElementsOneByOne() {
        TensorSpec big = new TensorSpec("big", DType.F32, new long[] {1L << 33});
        SynthField f = new SynthField(big, 9, new int[] {0, 1}, new float[] {1.0f, 0.5f});
        long start = (1L << 32) - 50;
        float[] block = values(f, start, 100);
        for (int i = 0; i < 100; i++) {
            assertThat(values(f, start + i, 1)[0]).as("element %d", start + i).isEqualTo(block[i]);
        }
        // past 2^32 the keys change: element 2^32 + i is not element i again
        assertThat(values(f, 1L << 32, 50)).isNotEqualTo(values(f, 0, 50));
    }

    @Test
    void bf16NarrowingRoundsToNearestEvenAsTheSpec() {
        float[] v = {1.00390625f, // 0x3F808000, a tie: down to the even 0x3F80
            Float.intBitsToFloat(0x3F818000), // a tie: up to the even 0x3F82
            Float.intBitsToFloat(0x3F808001), // just above the tie: up
            -0.02f, Float.MIN_VALUE, Float.intBitsToFloat(0x7F7FFFFF), 0.0f, -0.0f, 1.0f};
        short[] out = new short[v.length];
        SynthField.toBf16(v, out, v.length);
        assertThat(out[0]).isEqualTo((short) 0x3F80);
        assertThat(out[1]).isEqualTo((short) 0x3F82);
        assertThat(out[2]).isEqualTo((short) 0x3F81);
        for (int i = 0; i < v.length; i++) {
            assertThat(out[i]).as("%s", v[i]).isEqualTo(Bf16.fromFloat(v[i]));
        }
    }

    static float[] values(SynthField f, int n) {
        return values(f, 0, n);
    }

    static float[] values(SynthField f, long start, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * n);
            f.compute(start, n, new Operand(seg, DType.F32));
            float[] v = new float[n];
            MemorySegment.copy(seg, LE_FLOAT, 0, v, 0, n);
            return v;
        }
    }

    static byte[] tensorData(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        long header = MemorySegment.ofArray(b).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        return Arrays.copyOfRange(b, (int) (8 + header), b.length);
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
