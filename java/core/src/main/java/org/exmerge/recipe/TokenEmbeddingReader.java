package org.exmerge.recipe;

import static org.exmerge.recipe.ConfigNodes.child;
import static org.exmerge.recipe.ConfigNodes.describe;
import static org.exmerge.recipe.ConfigNodes.present;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Reads one {@code tokenizer.tokens} entry in mergekit's forms: {@code {source: <model>}},
 * {@code {source: {kind: zero}}}, {@code {source: {kind: model_token, model: <model>, token: <text>}}}
 * (or {@code token_id: <row>}), each with an optional {@code force: true}.
 */
final class TokenEmbeddingReader {
    private static final List<String> ENTRY_KEYS = List.of("source", "force");
    private static final List<String> ZERO_KEYS = List.of("kind");
    private static final List<String> MODEL_TOKEN_KEYS = List.of("kind", "model", "token", "token_id");

    private TokenEmbeddingReader() {}

    static TokenEmbedding read(JsonNode v, String path) throws ConfigException {
        if (!v.isObject()) {
            throw new ConfigException(path, "expected {source: ..., force: ...}, got " + describe(v));
        }
        ConfigNodes.checkKeys(v, path, ENTRY_KEYS);
        boolean force = false;
        if (present(v, "force")) {
            if (!v.get("force").isBoolean()) {
                throw new ConfigException(child(path, "force"), "expected true or false, got " + describe(v.get("force")));
            }
            force = v.get("force").booleanValue();
        }
        String sp = child(path, "source");
        if (!present(v, "source")) {
            throw new ConfigException(sp, "missing; name a model, {kind: zero} or {kind: model_token, model: ..., token: ...}");
        }
        JsonNode s = v.get("source");
        if (s.isObject() && s.has("kind")) {
            String kind = ConfigNodes.optionalString(s, "kind", sp);
            if ("zero".equals(kind)) {
                ConfigNodes.checkKeys(s, sp, ZERO_KEYS);
                return new TokenEmbedding(TokenEmbedding.Kind.ZERO, null, null, -1, force);
            }
            if ("model_token".equals(kind)) {
                return modelToken(s, sp, force);
            }
            throw new ConfigException(child(sp, "kind"), "expected zero or model_token, got " + describe(s.get("kind")));
        }
        return new TokenEmbedding(TokenEmbedding.Kind.MODEL, ModelRefReader.read(s, sp), null, -1, force);
    }

    private static TokenEmbedding modelToken(JsonNode s, String sp, boolean force) throws ConfigException {
        ConfigNodes.checkKeys(s, sp, MODEL_TOKEN_KEYS);
        if (!present(s, "model")) {
            throw new ConfigException(child(sp, "model"), "missing; model_token needs the model whose row to take");
        }
        String model = ModelRefReader.read(s.get("model"), child(sp, "model"));
        boolean byText = present(s, "token");
        boolean byId = present(s, "token_id");
        if (byText == byId) {
            throw new ConfigException(sp, "give exactly one of token and token_id");
        }
        if (byText) {
            return new TokenEmbedding(TokenEmbedding.Kind.MODEL_TOKEN, model, ConfigNodes.optionalString(s, "token", sp), -1, force);
        }
        Integer id = ConfigNodes.wholeInt(s.get("token_id"));
        if (id == null || id < 0) {
            throw new ConfigException(child(sp, "token_id"), "expected a row number >= 0, got " + describe(s.get("token_id")));
        }
        return new TokenEmbedding(TokenEmbedding.Kind.MODEL_TOKEN, model, null, id, force);
    }
}
