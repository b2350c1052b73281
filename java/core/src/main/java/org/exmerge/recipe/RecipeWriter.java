package org.exmerge.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.Map;
import org.exmerge.format.DType;

/**
 * Writes a {@link Recipe} back as mergekit-format YAML: for the output's metadata (numerics §8) and for
 * the recipes a search settles on (numerics §6), so that any result can be rebuilt by
 * {@link RecipeReader} (or by mergekit, for the keys it knows). Reading the text back gives an equal
 * recipe, key paths included, for recipes that were read from YAML.
 */
public final class RecipeWriter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .build();

    private RecipeWriter() {}

    /** The recipe as YAML text. */
    public static String toYaml(Recipe r) {
        try {
            return YAML.writeValueAsString(tree(r));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // writing a tree of plain nodes to a String cannot fail
        }
    }

    /** The recipe as a Jackson tree with mergekit's keys. */
    public static ObjectNode tree(Recipe r) {
        ObjectNode root = NODES.objectNode();
        root.put("merge_method", r.mergeMethod());
        if (r.baseModel() != null) {
            root.put("base_model", r.baseModel());
        }
        if (!r.models().isEmpty()) {
            ArrayNode models = root.putArray("models");
            for (ModelRef m : r.models()) {
                ObjectNode e = models.addObject().put("model", m.model());
                putParams(e, m.parameters());
            }
        } else {
            ArrayNode slices = root.putArray("slices");
            for (Slice s : r.slices()) {
                ObjectNode so = slices.addObject();
                ArrayNode sources = so.putArray("sources");
                for (SliceSource src : s.sources()) {
                    ObjectNode e = sources.addObject().put("model", src.model());
                    e.putArray("layer_range").add(src.layerStart()).add(src.layerEnd());
                    putParams(e, src.parameters());
                }
                putParams(so, s.parameters());
            }
        }
        putParams(root, r.parameters());
        if (r.dtype() != null) {
            root.put("dtype", dtypeName(r.dtype()));
        }
        if (r.outDtype() != null) {
            root.put("out_dtype", dtypeName(r.outDtype()));
        }
        if (!r.tokenizerOptions().isEmpty()) {
            root.set("tokenizer", tokenizer(r.tokenizerSource(), r.tokenizerOptions()));
        } else if (r.tokenizerSource() != null) {
            root.put("tokenizer_source", r.tokenizerSource());
        }
        if (r.chatTemplate() != null) {
            root.put("chat_template", r.chatTemplate());
        }
        if (r.seed() != null) {
            root.put("seed", r.seed());
        }
        return root;
    }

    private static void putParams(ObjectNode owner, Params p) {
        if (p.isEmpty()) {
            return;
        }
        ObjectNode block = owner.putObject("parameters");
        for (Map.Entry<String, ParamValue> e : p.asMap().entrySet()) {
            block.set(e.getKey(), value(e.getValue()));
        }
    }

    private static JsonNode value(ParamValue v) {
        return switch (v) {
            case ParamValue.Scalar s -> switch (s.value()) {
                case Double d -> NODES.numberNode(d);
                case Boolean b -> NODES.booleanNode(b);
                default -> NODES.textNode((String) s.value());
            };
            case ParamValue.Gradient g -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = 0; i < g.size(); i++) {
                    a.add(g.value(i));
                }
                yield a;
            }
            case ParamValue.Filtered f -> {
                ArrayNode a = NODES.arrayNode();
                for (ParamValue.Entry e : f.entries()) {
                    ObjectNode o = a.addObject();
                    if (e.filter() != null) {
                        o.put("filter", e.filter());
                    }
                    o.set("value", value(e.value()));
                }
                yield a;
            }
        };
    }

    /** The name mergekit configs use for the type (and {@link DType#fromConfig} reads back). */
    static String dtypeName(DType t) {
        return switch (t) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case F64 -> "float64";
            case F8_E4M3 -> "float8_e4m3fn";
            case F8_E5M2 -> "float8_e5m2";
            default -> t.name();
        };
    }

    private static ObjectNode tokenizer(String source, TokenizerOptions o) {
        ObjectNode t = JsonNodeFactory.instance.objectNode();
        if (source != null) {
            t.put("source", source);
        }
        if (!o.tokens().isEmpty()) {
            ObjectNode tokens = t.putObject("tokens");
            for (Map.Entry<String, TokenEmbedding> e : o.tokens().entrySet()) {
                TokenEmbedding te = e.getValue();
                ObjectNode entry = tokens.putObject(e.getKey());
                switch (te.kind()) {
                    case MODEL -> entry.put("source", te.model());
                    case ZERO -> entry.putObject("source").put("kind", "zero");
                    case MODEL_TOKEN -> {
                        ObjectNode src = entry.putObject("source").put("kind", "model_token").put("model", te.model());
                        if (te.token() != null) {
                            src.put("token", te.token());
                        } else {
                            src.put("token_id", te.tokenId());
                        }
                    }
                }
                if (te.force()) {
                    entry.put("force", true);
                }
            }
        }
        if (o.padToMultipleOf() > 0) {
            t.put("pad_to_multiple_of", o.padToMultipleOf());
        }
        return t;
    }
}
