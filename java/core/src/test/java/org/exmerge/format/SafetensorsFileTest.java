package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.exmerge.format.TestFiles.spec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening real files: the length prefix, the mapping, and slices of it. */
class SafetensorsFileTest {
    private static final List<TensorSpec> TENSORS = List.of(spec("w", DType.F32, 3, 5), spec("b", DType.BF16, 5),
            spec("s", DType.I64), spec("e", DType.F16, 0));

    @TempDir
    Path dir;

    private SafetensorsFormatException reject(byte[] image) throws Exception {
        Path file = TestFiles.write(dir, "bad.safetensors", image);
        SafetensorsFormatException e = catchThrowableOfType(SafetensorsFormatException.class,
                () -> SafetensorsFile.open(file).close());
        assertThat(e).isNotNull();
        assertThat(e.file()).isEqualTo(file);
        assertThat(e.getMessage()).startsWith(file + ": ");
        return e;
    }

    private static byte[] withPrefix(byte[] image, long prefix) {
        byte[] copy = image.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(0, prefix);
        return copy;
    }

    @Test
    void slicesHoldTheTensorsBytes() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of("format", "pt"), 7);
        Path file = TestFiles.write(dir, "m.safetensors", image);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.path()).isEqualTo(file);
            assertThat(f.header().metadata()).containsEntry("format", "pt");
            int dataStart = 8 + (int) ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertThat(dataStart % 8).as("writer aligns the data section").isZero();
            for (TensorInfo t : f.header().tensors()) {
                MemorySegment s = f.data(t);
                assertThat(s.byteSize()).isEqualTo(t.byteSize());
                assertThat(s.isReadOnly()).isTrue();
                byte[] expected = Arrays.copyOfRange(image, dataStart + (int) t.begin(), dataStart + (int) t.end());
                assertThat(s.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
            }
        }
    }

    @Test
    void slicesMayBeReadFromManyThreads() throws Exception {
        List<TensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            specs.add(spec("t" + i, DType.F32, 257));
        }
        byte[] image = TestFiles.validImage(specs, Map.of(), 11);
        try (SafetensorsFile f = SafetensorsFile.open(TestFiles.write(dir, "m.safetensors", image));
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            int dataStart = image.length - specs.size() * 257 * 4;
            List<Future<Boolean>> results = new ArrayList<>();
            for (TensorInfo t : f.header().tensors()) {
                results.add(pool.submit(() -> Arrays.equals(f.data(t).toArray(ValueLayout.JAVA_BYTE),
                        Arrays.copyOfRange(image, dataStart + (int) t.begin(), dataStart + (int) t.end()))));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        }
    }

    @Test
    void foreignTensorIsRefused() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(TestFiles.write(dir, "m.safetensors",
                TestFiles.validImage(TENSORS, Map.of(), 1)))) {
            TensorInfo foreign = new TensorInfo("w", DType.F32, new long[] {30}, 0, 120);
            assertThatThrownBy(() -> f.data(foreign)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void slicesDieWithTheFile() throws Exception {
        SafetensorsFile f = SafetensorsFile.open(TestFiles.write(dir, "m.safetensors",
                TestFiles.validImage(TENSORS, Map.of(), 1)));
        MemorySegment s = f.data(f.header().tensor("w"));
        f.close();
        f.close(); // idempotent
        assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void emptyFile() throws Exception {
        assertThat(reject(new byte[0]).reason()).contains("file is 0 bytes, shorter than the 8-byte header length");
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws Exception {
        assertThat(reject(new byte[7]).reason()).contains("file is 7 bytes");
    }

    @Test
    void zeroLengthHeader() throws Exception {
        assertThat(reject(new byte[8]).reason()).isEqualTo("header is empty");
    }

    @Test
    void headerLengthBeyondTheFile() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of(), 2);
        assertThat(reject(withPrefix(image, image.length - 7)).reason()).contains("beyond the end of the file");
    }

    @Test
    void hugeHeaderLengths() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of(), 3);
        for (long huge : new long[] {SafetensorsHeader.MAX_HEADER_BYTES + 1, Long.MAX_VALUE, -1, Long.MIN_VALUE,
                1L << 32}) {
            assertThat(reject(withPrefix(image, huge)).reason()).contains("exceeds the limit of 100000000");
        }
    }

    @Test
    void headerLengthCuttingTheJson() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of(), 4);
        long n = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(reject(withPrefix(image, n - 9)).reason()).contains("not valid JSON");
    }

    @Test
    void truncatedData() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of(), 5);
        SafetensorsFormatException e = reject(Arrays.copyOf(image, image.length - 1));
        assertThat(e.tensor()).isEqualTo("s"); // the last tensor by offset now runs past the end
        assertThat(e.reason()).contains("beyond the data section");
    }

    @Test
    void extraBytesAfterTheData() throws Exception {
        byte[] image = TestFiles.validImage(TENSORS, Map.of(), 6);
        assertThat(reject(Arrays.copyOf(image, image.length + 3)).reason())
                .contains("but the data section holds");
    }

    @Test
    void missingFileNamesTheFileAndTheReason() {
        Path f = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(org.exmerge.error.InputException.class)
                .hasMessage(f + ": no such file or directory")
                .hasCauseInstanceOf(java.nio.file.NoSuchFileException.class);
    }
}
