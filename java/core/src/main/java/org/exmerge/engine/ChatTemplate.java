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
 * the input models carry (ties to the earlier model; none carried: nothing changes), mergekit's
 * named formats ({@code chatml}, {@code llama3}, {@code mistral}, {@code alpaca}, {@code exaone}) a
 * template of that format, and any other value holding Jinja markup is the template itself. The
 * named ones are written here to render, under transformers' settings (trim_blocks, lstrip_blocks),
 * what mergekit's files render for chatml and mistral, and the formats' own text for the others,
 * where mergekit's files add stray whitespace (a newline after each Llama 3 turn, indentation in
 * EXAONE turns) or glue Alpaca's closing {@code ### Response:} to the last instruction. The chosen
 * template is written into the output's {@code tokenizer_config.json} (and {@code chat_template.jinja}
 * where the tokenizer source had one, since transformers prefers that file). Other names are refused
 * rather than ignored.
 */
final class ChatTemplate {
    /** ChatML: each message as {@code <|im_start|>role\ncontent<|im_end|>\n}, then the assistant's turn. */
    static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Llama 3: the BOS token, then each message as {@code <|start_header_id|>role<|end_header_id|>\n\n} + trimmed content + {@code <|eot_id|>}, then the assistant's header. */
    static final String LLAMA3 = "{% for message in messages %}{% if loop.first %}{{ bos_token }}"
            + "{% endif %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
            + "{% endif %}";

    /** Mistral: the BOS token, {@code  [INST] user [/INST]} (an optional first system message before the first user's, a blank line between), {@code  assistant</s>}; roles must alternate. */
    static final String MISTRAL = "{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}"
            + "{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}"
            + "{% endif %}{{ bos_token }}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}"
            + "{% if message['role'] == 'user' %}{{ ' [INST] ' + (system_message + '\\n\\n' if loop.first and system_message is defined else '') + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
            + "{% else %}{{ raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}"
            + "{% endif %}{% endfor %}";

    /** Alpaca: the last system message, then {@code ### Instruction:}, {@code ### Input:} (role user_context) and {@code ### Response:} blocks of trimmed content, a blank line before each. */
    static final String ALPACA = "{% set system = messages | selectattr('role', 'equalto', 'system') | list %}{{ (system | last).content | trim if system else '' }}"
            + "{% for message in messages | rejectattr('role', 'equalto', 'system') %}"
            + "{% set header = {'user': 'Instruction', 'assistant': 'Response', 'user_context': 'Input'}.get(message['role']) %}"
            + "{% if header %}{{ '\\n\\n### ' + header + ':\\n' + message['content'] | trim }}{% endif %}"
            + "{% endfor %}"
            + "{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{ '\\n\\n### Response:\\n' }}"
            + "{% endif %}";

    /** EXAONE: {@code [|role|]content}, a newline after a user's turn and {@code [|endofturn|]\n} after the others; an empty system turn first when there is none. */
    static final String EXAONE = "{% for message in messages %}"
            + "{% if loop.first and message['role'] != 'system' %}{{ '[|system|][|endofturn|]\\n' }}"
            + "{% endif %}{{ '[|' + message['role'] + '|]' + message['content'] }}{{ '\\n' if message['role'] == 'user' else '[|endofturn|]\\n' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}";

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
            case "llama3" -> LLAMA3;
            case "mistral" -> MISTRAL;
            case "alpaca" -> ALPACA;
            case "exaone" -> EXAONE;
            case "auto" -> mostCommon(modelDirs);
            default -> throw new ConfigException("chat_template", "unknown template '" + setting
                    + "'; give 'auto' (the inputs' most common), 'chatml', 'llama3', 'mistral', 'alpaca', 'exaone', or the Jinja"
                    + " template text itself");
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
