package org.exmerge.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.exmerge.error.JsonErrors;

/**
 * Reads {@code model.safetensors.index.json} (or {@code pytorch_model.bin.index.json}, the same JSON): {@code {"metadata": {...}, "weight_map": {tensor: shard}}}.
 * Only {@code weight_map} matters to us and is checked strictly; {@code metadata} and any other
 * top-level key are skipped, since tools put varied things there and {@code total_size} is often
 * computed differently by different writers.
 */
final class ShardIndex {
    static final String FILE_NAME = "model.safetensors.index.json";
    /** PyTorch's index, the same JSON over {@code .bin} shards. */
    static final String TORCH_FILE_NAME = "pytorch_model.bin.index.json";
    /** An index lists names, not data; anything this large is not an index. */
    private static final long MAX_INDEX_BYTES = SafetensorsHeader.MAX_HEADER_BYTES;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ShardIndex() {
    }

    /** The weight map, tensor name to shard file name, sorted by tensor name. */
    static Map<String, String> read(Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new SafetensorsFormatException(index, null, "index is " + size + " bytes, beyond the limit of "
                    + MAX_INDEX_BYTES);
        }
        Map<String, String> weightMap = null;
        String tensor = null;
        try (Reader r = new InputStreamReader(Files.newInputStream(index), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
             JsonParser p = JSON.createParser(r)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(index, null, "index is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                if (!key.equals("weight_map")) {
                    p.skipChildren();
                    continue;
                }
                if (value != JsonToken.START_OBJECT) {
                    throw new SafetensorsFormatException(index, null, "weight_map is not an object");
                }
                weightMap = new TreeMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    tensor = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new SafetensorsFormatException(index, tensor, "weight_map value is not a file name");
                    }
                    String shard = p.getText();
                    checkShardName(index, tensor, shard);
                    weightMap.put(tensor, shard);
                    tensor = null; // an error in the next name is not this tensor's
                }
                tensor = null;
            }
            if (p.nextToken() != null) {
                throw new SafetensorsFormatException(index, null, "trailing data after the index's JSON object");
            }
        } catch (SafetensorsFormatException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(index, tensor, "index is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(index, tensor, "index is " + JsonErrors.reason(e), e);
        }
        if (weightMap == null) {
            throw new SafetensorsFormatException(index, null, "index has no weight_map");
        }
        return weightMap;
    }

    /** A shard must be a plain file name in the index's own directory: no paths, no escaping it. */
    private static void checkShardName(Path index, String tensor, String shard) throws SafetensorsFormatException {
        boolean plain = !shard.isEmpty() && !shard.equals(".") && !shard.equals("..")
                && shard.indexOf('/') < 0 && shard.indexOf('\\') < 0 && shard.indexOf('\0') < 0
                && shard.indexOf(':') < 0;
        if (!plain) {
            throw new SafetensorsFormatException(index, tensor, "weight_map names '" + shard
                    + "', not a file name inside the model directory");
        }
    }
}
