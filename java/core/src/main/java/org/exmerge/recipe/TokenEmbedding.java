package org.exmerge.recipe;

/**
 * Where one token's embedding row comes from (mergekit's {@code tokenizer.tokens} entry):
 * {@link Kind#MODEL} that model's row of the same token, {@link Kind#MODEL_TOKEN} that model's row of
 * another token (by {@code token} text or by {@code tokenId}), {@link Kind#ZERO} zeros. Models that
 * have the token keep their own row unless {@code force}.
 *
 * @param model the model (MODEL, MODEL_TOKEN), else null
 * @param token the source token's text (MODEL_TOKEN by text), else null
 * @param tokenId the source row (MODEL_TOKEN by id), else -1
 */
public record TokenEmbedding(Kind kind, String model, String token, int tokenId, boolean force) {
    public enum Kind { MODEL, MODEL_TOKEN, ZERO }
}
