package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated safetensors header (numerics §8): the tensors sorted by offset, their spans contiguous from
 * 0 and ending exactly at the end of the data section, and the {@code __metadata__} map.
 */
public final class SafetensorsHeader {
    /** The largest header we read, as huggingface/safetensors: a bigger one is an attack, not a model. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final JsonFactory JSON = new JsonFactory();

    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;
    private final Map<String, String> metadata;
    private final long dataBytes;

    private SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long dataBytes) {
        this.tensors = tensors;
        Map<String, TensorInfo> m = HashMap.newHashMap(tensors.size());
        for (TensorInfo t : tensors) {
            m.put(t.name(), t);
        }
        this.byName = m;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.dataBytes = dataBytes;
    }

    /**
     * Validates a header completely.
     *
     * @param file        named in errors
     * @param headerBytes the N JSON bytes that follow the 8-byte length
     * @param dataBytes   the size of the data section: file size − 8 − N
     */
    public static SafetensorsHeader parse(Path file, byte[] headerBytes, long dataBytes)
            throws SafetensorsFormatException {
        if (headerBytes.length > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(file, null, "header is " + headerBytes.length
                    + " bytes, more than the limit of " + MAX_HEADER_BYTES);
        }
        if (dataBytes < 0) {
            throw new SafetensorsFormatException(file, null, "data section size " + dataBytes + " is negative");
        }
        HeaderParser.Result r = HeaderParser.parse(file, headerBytes);
        // Sorted by begin, each span must start where the previous one ended: no gap, no overlap.
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : r.tensors()) {
            if (t.begin() < expected) {
                throw new SafetensorsFormatException(file, t.name(), "data_offsets [" + t.begin() + ", "
                        + t.end() + "] overlap tensor '" + previous.name() + "' which ends at " + expected);
            }
            if (t.begin() > expected) {
                throw new SafetensorsFormatException(file, t.name(), "data_offsets begin " + t.begin()
                        + " leaves a gap after " + expected);
            }
            if (t.end() > dataBytes) {
                throw new SafetensorsFormatException(file, t.name(), "data_offsets end " + t.end()
                        + " is beyond the data section of " + dataBytes + " bytes");
            }
            expected = t.end();
            previous = t;
        }
        if (expected != dataBytes) {
            throw new SafetensorsFormatException(file, null, "tensors cover " + expected
                    + " bytes but the data section holds " + dataBytes);
        }
        return new SafetensorsHeader(r.tensors(), r.metadata(), dataBytes);
    }

    /**
     * Checks the 8-byte length prefix N against the file size and returns it. Shared by
     * {@link SafetensorsFile} and the tests so the rule lives in one place.
     */
    static int headerLength(Path file, long fileSize, long prefix) throws SafetensorsFormatException {
        if (fileSize < 8) {
            throw new SafetensorsFormatException(file, null, "not a safetensors file (file is " + fileSize
                    + " bytes, shorter than the 8-byte header length)");
        }
        if (prefix < 0 || prefix > MAX_HEADER_BYTES || prefix > fileSize - 8) {
            // No real header length has text in its upper bytes (the limit fits in 27 bits), so
            // 8 bytes of text mean another kind of file: config.json, a README, a YAML recipe.
            String text = asText(prefix);
            if (text != null) {
                throw new SafetensorsFormatException(file, null, "not a safetensors file (it begins with text '"
                        + text + "', e.g. JSON; a safetensors file begins with an 8-byte header length)");
            }
            throw new SafetensorsFormatException(file, null, "not a safetensors file (header length "
                    + Long.toUnsignedString(prefix) + (prefix < 0 || prefix > MAX_HEADER_BYTES
                            ? " exceeds the limit of " + MAX_HEADER_BYTES
                            : " is beyond the end of the file (" + fileSize + " bytes)") + ")");
        }
        return (int) prefix;
    }

    /** The 8 little-endian bytes of {@code prefix} as printable text, escaped; null unless all are text. */
    private static String asText(long prefix) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            int c = (int) (prefix >>> (8 * i)) & 0xff;
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        return null;
                    }
                    b.append((char) c);
                }
            }
        }
        return b.toString();
    }

    /** All tensors, sorted by their offset in the data section. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor of this name, or null. */
    public TensorInfo tensor(String name) {
        return byName.get(name);
    }

    /** The {@code __metadata__} map in header order; empty when the header has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Size of the data section, which the tensors cover exactly. */
    public long dataBytes() {
        return dataBytes;
    }

    /**
     * The header a writer puts after the 8-byte length: {@code __metadata__} first (left out when
     * empty), then the tensors in the given order with contiguous offsets from 0, padded with spaces
     * so that 8 + N is a multiple of 8 and the data section starts aligned.
     *
     * @throws IllegalArgumentException for duplicate names, a tensor called {@code __metadata__},
     *                                  or a header beyond {@link #MAX_HEADER_BYTES}
     */
    public static byte[] encode(List<TensorSpec> tensors, Map<String, String> metadata) {
        Set<String> seen = new HashSet<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 96 * tensors.size());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart(HeaderParser.METADATA);
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (TensorSpec t : tensors) {
                if (t.name().equals(HeaderParser.METADATA) || !seen.add(t.name())) {
                    throw new IllegalArgumentException("tensor name '" + t.name() + "' is "
                            + (seen.contains(t.name()) ? "given twice" : "reserved"));
                }
                if (t.byteSize() > Long.MAX_VALUE - offset) {
                    throw new IllegalArgumentException("tensors hold more than 2^63-1 bytes at '" + t.name() + "'");
                }
                long end = offset + t.byteSize();
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeFieldName("shape");
                long[] shape = t.shape();
                g.writeArray(shape, 0, shape.length);
                g.writeFieldName("data_offsets");
                g.writeArray(new long[] {offset, end}, 0, 2);
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        int n = out.size();
        int padded = (n + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("header would be " + padded + " bytes, beyond the limit of "
                    + MAX_HEADER_BYTES);
        }
        byte[] header = Arrays.copyOf(out.toByteArray(), padded);
        Arrays.fill(header, n, padded, (byte) ' ');
        return header;
    }

    @Override
    public String toString() {
        return "SafetensorsHeader" + tensors + (metadata.isEmpty() ? "" : " " + metadata);
    }
}
