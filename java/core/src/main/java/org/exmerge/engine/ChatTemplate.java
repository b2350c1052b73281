package org.exmerge.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.error.InputException;
import org.exmerge.error.InputFiles;
import org.exmerge.error.JsonErrors;
import org.exmerge.recipe.ConfigException;

/**
 * The recipe's {@code chat_template}, as mergekit reads it: {@code auto} takes the template most of
 * the input models carry (ties to the earlier model; none carried: nothing changes), {@code chatml}
 * the ChatML format, and any other value holding Jinja markup is the template itself. The chosen
 * template is written into the output's {@code tokenizer_config.json} (and {@code chat_template.jinja}
 * where the tokenizer source had one, since transformers prefers that file). Other names are refused
 * rather than ignored.
 */
final class ChatTemplate {
    /** ChatML: each message as {@code <|im_start|>role\ncontent<|im_end|>\n}, then the assistant's turn. */
    static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** A holder: an ObjectMapper's class initialisation costs ~36 ms, which only a run with a template pays. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    private ChatTemplate() {}

    /** The template to write, or null for none; {@code modelDirs} are the inputs' directories in recipe order. */
    static String resolve(String setting, List<Path> modelDirs) throws ConfigException, IOException {
        if (setting == null || setting.isEmpty()) {
            return null;
        }
        if (setting.contains("{{") || setting.contains("{%")) {
            return setting;
        }
        return switch (setting) {
            case "chatml" -> CHATML;
            case "auto" -> mostCommon(modelDirs);
            default -> throw new ConfigException("chat_template", "unknown template '" + setting
                    + "'; give 'auto' (the inputs' most common), 'chatml', or the Jinja template text itself");
        };
    }

    private static String mostCommon(List<Path> dirs) throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Path d : dirs) {
            String t = carried(d);
            if (t != null) {
                counts.merge(t, 1, Integer::sum);
            }
        }
        String best = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (best == null || e.getValue() > counts.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    /** The template a model directory carries: chat_template.jinja first (as transformers reads it), else tokenizer_config.json's. */
    private static String carried(Path dir) throws IOException {
        Path jinja = dir.resolve("chat_template.jinja");
        if (InputFiles.present(jinja)) {
            return Files.readString(jinja);
        }
        Path config = dir.resolve("tokenizer_config.json");
        if (!InputFiles.present(config)) {
            return null;
        }
        JsonNode t = readObject(config).path("chat_template");
        return t.isTextual() ? t.asText() : null;
    }

    /**
     * Refuses, while planning, a tokenizer_config.json of {@code tokenizerDir} that {@link #apply}
     * could not edit, so the error names the input rather than the output's copy of it.
     */
    static void check(Path tokenizerDir) throws IOException {
        Path config = tokenizerDir.resolve("tokenizer_config.json");
        if (InputFiles.present(config)) {
            readObject(config);
        }
    }

    private static ObjectNode readObject(Path file) throws IOException {
        JsonNode read;
        try {
            read = Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw JsonErrors.input(file, e);
        }
        if (!(read instanceof ObjectNode o)) {
            throw new InputException(file + ": not a JSON object");
        }
        return o;
    }

    /** Writes {@code template} into the output directory's tokenizer files. */
    static void apply(String template, Path out) throws IOException {
        Path config = out.resolve("tokenizer_config.json");
        ObjectNode node = Files.isRegularFile(config) ? readObject(config) : Json.MAPPER.createObjectNode();
        node.put("chat_template", template);
        Json.MAPPER.writeValue(config.toFile(), node);
        Path jinja = out.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            Files.writeString(jinja, template);
        }
    }
}
