package org.exmerge.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds safetensors bytes by hand, so tests can produce exactly the broken files they need. */
final class TestFiles {
    static final Path MEMORY = Path.of("memory.safetensors");

    private TestFiles() {
    }

    /** A whole file: 8-byte little-endian length, the header bytes as given, then the data. */
    static byte[] image(byte[] header, byte[] data) {
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    static byte[] image(String headerJson, int dataBytes) {
        return image(utf8(headerJson), new byte[dataBytes]);
    }

    /** A valid file for the specs, with seeded random data. */
    static byte[] validImage(List<TensorSpec> specs, Map<String, String> metadata, long seed) {
        byte[] header = SafetensorsHeader.encode(specs, metadata);
        long total = specs.stream().mapToLong(TensorSpec::byteSize).sum();
        byte[] data = new byte[Math.toIntExact(total)];
        new Random(seed).nextBytes(data);
        return image(header, data);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a header given as JSON text with the given data section size. */
    static SafetensorsHeader parse(String json, long dataBytes) throws SafetensorsFormatException {
        return SafetensorsHeader.parse(MEMORY, utf8(json), dataBytes);
    }

    /**
     * Reads an in-memory file image exactly as {@link SafetensorsFile#open} reads a file: the length
     * prefix through the same check, then the header. Used by the fuzz test to avoid disk I/O.
     */
    static SafetensorsHeader parseImage(byte[] image) throws SafetensorsFormatException {
        long prefix = image.length < 8 ? 0 : ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int n = SafetensorsHeader.headerLength(MEMORY, image.length, prefix);
        byte[] header = Arrays.copyOfRange(image, 8, 8 + n);
        return SafetensorsHeader.parse(MEMORY, header, image.length - 8L - n);
    }

    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    static TensorSpec spec(String name, DType dtype, long... shape) {
        return new TensorSpec(name, dtype, shape);
    }
}
