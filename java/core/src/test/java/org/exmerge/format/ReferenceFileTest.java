package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.exmerge.format.TestFiles.spec;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compatibility with the reference implementation: a file written by huggingface/safetensors 0.8.0
 * ({@code safetensors.numpy.save_file} with tensors b:int64[7], e:float64[0,3], a:float32[3,5],
 * s:float16 scalar, bool:bool[2] and metadata format=pt) must read back exactly, and our writer,
 * given the same tensors in the order the reference chose, must produce the same bytes.
 */
class ReferenceFileTest {
    private static final byte[] REFERENCE = HexFormat.of().parseHex(
            "40010000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2262223a7b226474" +
            "797065223a22493634222c227368617065223a5b375d2c22646174615f6f666673657473223a5b302c35365d7d2c2265" +
            "223a7b226474797065223a22463634222c227368617065223a5b302c335d2c22646174615f6f666673657473223a5b35" +
            "362c35365d7d2c2261223a7b226474797065223a22463332222c227368617065223a5b332c355d2c22646174615f6f66" +
            "6673657473223a5b35362c3131365d7d2c2273223a7b226474797065223a22463136222c227368617065223a5b5d2c22" +
            "646174615f6f666673657473223a5b3131362c3131385d7d2c22626f6f6c223a7b226474797065223a22424f4f4c222c" +
            "227368617065223a5b325d2c22646174615f6f666673657473223a5b3131382c3132305d7d7d20200000000000000000" +
            "010000000000000002000000000000000300000000000000040000000000000005000000000000000600000000000000" +
            "6cbf003e7f4607bebdf2233fdfd5d63da12109bffd22b93e79e9a63fe673723ffe2734bf55f9a1bfea8e1fbf6e45293d" +
            "4ecd14c0ec0a60be037a9fbf00410100");

    private static final List<TensorSpec> TENSORS = List.of(spec("b", DType.I64, 7), spec("e", DType.F64, 0, 3),
            spec("a", DType.F32, 3, 5), spec("s", DType.F16), spec("bool", DType.BOOL, 2));

    @TempDir
    Path dir;

    @Test
    void referenceFileReadsBack() throws Exception {
        Path file = Files.write(dir.resolve("ref.safetensors"), REFERENCE);
        try (Checkpoint c = Checkpoint.open(file)) {
            assertThat(c.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(c.tensors()).extracting(TensorSpec::of).containsExactlyInAnyOrderElementsOf(TENSORS);
            assertThat(c.data("b").toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)))
                    .containsExactly(0, 1, 2, 3, 4, 5, 6);
            assertThat(c.data("s").get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0))
                    .isEqualTo((short) 0x4100); // 2.5 in float16
            assertThat(c.data("bool").toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 0);
            assertThat(c.data("e").byteSize()).isZero();
        }
    }

    @Test
    void writerReproducesTheReferenceBytes() throws Exception {
        SafetensorsHeader h = TestFiles.parseImage(REFERENCE);
        byte[] data = Arrays.copyOfRange(REFERENCE, (int) (REFERENCE.length - h.dataBytes()), REFERENCE.length);
        Path out = Files.createDirectory(dir.resolve("out"));
        try (ShardWriter w = new ShardWriter(out, TENSORS, 1L << 30, Map.of("format", "pt"))) {
            w.write(ByteBuffer.wrap(data));
            w.finish();
        }
        assertThat(Files.readAllBytes(out.resolve("model.safetensors"))).isEqualTo(REFERENCE);
    }
}
