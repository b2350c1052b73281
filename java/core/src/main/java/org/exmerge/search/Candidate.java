package org.exmerge.search;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * One model a search scores: a recipe to merge, or (stage 1 of ExMe) an input checkpoint scored as
 * it is, in which case {@code recipe} is a one-line description and {@code asIs} the model.
 *
 * @param stage  the stage's name
 * @param label  a short human name ("sft-1 α=0.3")
 * @param params the searched parameters (α, β, λ, seed …), in a fixed order
 * @param recipe the canonical recipe text; its SHA-256 is the candidate's identity
 * @param asIs   the model scored without merging, or null
 */
public record Candidate(String stage, String label, Map<String, Object> params, String recipe, Path asIs) {

    /** SHA-256 of the recipe text (UTF-8), lower-case hex. */
    public String hash() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(recipe.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first 12 hex digits: directory and log names. */
    public String shortHash() {
        return hash().substring(0, 12);
    }

    public boolean merged() {
        return asIs == null;
    }
}
