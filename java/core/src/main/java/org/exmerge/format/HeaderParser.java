package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.exmerge.error.JsonErrors;

/**
 * Streams a safetensors header through Jackson and checks every rule of numerics §8 that concerns the
 * JSON itself; {@link SafetensorsHeader} then checks the spans against each other. Everything that
 * goes wrong, Jackson's own errors included, leaves as {@link SafetensorsFormatException}.
 */
final class HeaderParser {
    static final String METADATA = "__metadata__";
    /**
     * Far beyond any real tensor (PyTorch kernels stop at a few dozen dimensions), and small enough
     * that a 100 MB header of "0,0,0,..." cannot make us allocate hundreds of MB for one shape.
     */
    static final int MAX_RANK = 1024;

    /**
     * Jackson's default string and name limits (20 MB, 50 kB) are lifted to the header limit so any
     * header under 100 MB that is valid JSON parses; depth needs no lift because the parser rejects
     * nesting deeper than 3 itself. Duplicate names are found here rather than by Jackson's strict
     * detection, whose error arrives before the parser knows the new name, so it could not say which
     * tensor is duplicated.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) SafetensorsHeader.MAX_HEADER_BYTES)
                    .maxNameLength((int) SafetensorsHeader.MAX_HEADER_BYTES)
                    .build())
            .build();

    record Result(List<TensorInfo> tensors, Map<String, String> metadata) {
    }

    private final Path file;
    private final List<TensorInfo> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();
    /**
     * The entry being read, so that errors, Jackson's included, name their tensor; null between
     * entries, where a broken name belongs to no tensor yet and the error gives its place instead.
     */
    private String entry;

    private HeaderParser(Path file) {
        this.file = file;
    }

    /** Tensors come back sorted by offset; span consistency is the caller's job. */
    static Result parse(Path file, byte[] header) throws SafetensorsFormatException {
        HeaderParser hp = new HeaderParser(file);
        hp.run(header);
        hp.tensors.sort(BY_OFFSET);
        return new Result(List.copyOf(hp.tensors), hp.metadata);
    }

    /**
     * By begin, end, then name. A class, not a chain of Comparator combinators: linking the chain's
     * lambdas took ~8 ms of every run's first header.
     */
    private static final Comparator<TensorInfo> BY_OFFSET = new Comparator<>() {
        @Override
        public int compare(TensorInfo a, TensorInfo b) {
            int c = Long.compare(a.begin(), b.begin());
            if (c == 0) {
                c = Long.compare(a.end(), b.end());
            }
            return c != 0 ? c : a.name().compareTo(b.name());
        }
    };

    private void run(byte[] header) throws SafetensorsFormatException {
        // A strict decoder instead of Jackson's byte source: Jackson would sniff UTF-16/32 from zero
        // bytes and skip a UTF-8 BOM, and it checks UTF-8 only inside strings. The decoder sees every
        // byte because parsing runs to the end of input.
        Reader reader = new InputStreamReader(new ByteArrayInputStream(header), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT));
        JsonParser p = null;
        try {
            p = JSON.createParser(reader);
            readRoot(p);
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(file, entry, "header is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, entry, "header is " + JsonErrors.reason(e), e);
        } catch (IOException e) {
            // The source is an in-memory array, so any other I/O error is still about the bytes.
            throw new SafetensorsFormatException(file, entry, "cannot read header: " + e.getMessage(), e);
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (IOException ignored) {
                    // closing an in-memory reader cannot lose data
                }
            }
        }
    }

    private void readRoot(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw fail(null, "header is empty");
        }
        if (t != JsonToken.START_OBJECT) {
            throw fail(null, "header is not a JSON object but " + describe(t));
        }
        Set<String> names = new HashSet<>();
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            entry = p.currentName();
            if (!names.add(entry)) {
                throw entry.equals(METADATA) ? fail(null, METADATA + " appears twice") : fail(entry, "is named twice in the header");
            }
            if (entry.equals(METADATA)) {
                entry = null; // metadata errors concern the file, not a tensor
                readMetadata(p);
            } else {
                tensors.add(readTensor(p, entry));
            }
            entry = null;
        }
        // Jackson only hands out END_OBJECT here; anything after it must be whitespace.
        if ((t = p.nextToken()) != null) {
            throw fail(null, "trailing data after the header's JSON object: " + describe(t));
        }
    }

    private void readMetadata(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw fail(null, "__metadata__ is not an object of strings");
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (metadata.containsKey(key)) {
                throw fail(null, "__metadata__ has key '" + key + "' twice");
            }
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw fail(null, "__metadata__ value for '" + key + "' is " + describe(p.currentToken())
                        + ", not a string");
            }
            metadata.put(key, p.getText());
        }
    }

    private TensorInfo readTensor(JsonParser p, String name) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw fail(name, "entry is " + describe(p.currentToken()) + ", not an object");
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (key.equals("dtype") && dtype != null || key.equals("shape") && shape != null
                    || key.equals("data_offsets") && offsets != null) {
                throw fail(name, "entry has key '" + key + "' twice");
            }
            switch (key) {
                case "dtype" -> {
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw fail(name, "dtype is " + describe(p.currentToken()) + ", not a string");
                    }
                    dtype = DType.fromSafetensors(p.getText());
                    if (dtype == null) {
                        throw fail(name, "unknown dtype '" + p.getText() + "'");
                    }
                }
                case "shape" -> shape = readLongs(p, name, "shape", -1, MAX_RANK);
                case "data_offsets" -> offsets = readLongs(p, name, "data_offsets", 2, 2);
                default -> throw fail(name, "unknown key '" + key + "' (allowed: dtype, shape, data_offsets)");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            throw fail(name, "entry lacks " + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw fail(name, "data_offsets begin " + begin + " is after end " + end);
        }
        long bytes = Shapes.byteSizeOrMinusOne(shape, dtype);
        if (bytes < 0) {
            throw fail(name, "shape " + Arrays.toString(shape) + " of " + dtype
                    + " has a byte size beyond 2^63-1");
        }
        if (end - begin != bytes) {
            throw fail(name, "data_offsets span " + (end - begin) + " bytes but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** An array of non-negative longs: exactly {@code length} of them, or any number up to {@code max} if -1. */
    private long[] readLongs(JsonParser p, String name, String key, int length, int max) throws IOException {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            throw fail(name, key + " is " + describe(p.currentToken()) + ", not an array");
        }
        long[] values = new long[Math.max(length, 4)];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw fail(name, key + " holds " + describe(t) + ", not a non-negative integer");
            }
            String text = p.getText();
            if (text.startsWith("-")) {
                throw fail(name, key + " holds negative number " + text);
            }
            JsonParser.NumberType type = p.getNumberType();
            if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
                throw fail(name, key + " holds " + text + ", beyond 2^63-1");
            }
            if (n == max) {
                throw fail(name, key + " has more than " + max + " numbers");
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, n * 2);
            }
            values[n++] = p.getLongValue();
        }
        if (length >= 0 && n != length) {
            throw fail(name, key + " has " + n + " numbers, not " + length);
        }
        return Arrays.copyOf(values, n);
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a non-integer number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> "'" + t.asString() + "'";
        };
    }

    private SafetensorsFormatException fail(String tensor, String reason) {
        return new SafetensorsFormatException(file, tensor, reason);
    }
}
