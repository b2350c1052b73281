package org.exmerge.recipe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.exmerge.format.DType;

/**
 * A merge as a mergekit-style config describes it. Exactly one of {@code models} and {@code slices}
 * is non-empty. Nullable: {@code baseModel}, {@code dtype}, {@code outDtype}, {@code tokenizerSource}
 * ("base", "union" or a model), {@code seed}, {@code chatTemplate} (a template name such as "chatml"
 * or a Jinja template, kept for the output's tokenizer files). Null lists and parameters become empty,
 * null {@code tokenizerOptions} none.
 */
public record Recipe(String mergeMethod, String baseModel, List<ModelRef> models, List<Slice> slices,
                     Params parameters, DType dtype, DType outDtype, String tokenizerSource, Long seed,
                     String chatTemplate, TokenizerOptions tokenizerOptions) {

    public Recipe {
        Objects.requireNonNull(mergeMethod, "mergeMethod");
        models = models == null ? List.of() : List.copyOf(models);
        slices = slices == null ? List.of() : List.copyOf(slices);
        if (models.isEmpty() == slices.isEmpty()) {
            throw new IllegalArgumentException("a recipe has either models or slices, not " + (models.isEmpty() ? "neither" : "both"));
        }
        parameters = parameters == null ? Params.EMPTY : parameters;
        tokenizerOptions = tokenizerOptions == null ? TokenizerOptions.NONE : tokenizerOptions;
    }

    /** A recipe without tokenizer options. */
    public Recipe(String mergeMethod, String baseModel, List<ModelRef> models, List<Slice> slices,
                  Params parameters, DType dtype, DType outDtype, String tokenizerSource, Long seed, String chatTemplate) {
        this(mergeMethod, baseModel, models, slices, parameters, dtype, outDtype, tokenizerSource, seed, chatTemplate, null);
    }

    /** A recipe without a chat template. */
    public Recipe(String mergeMethod, String baseModel, List<ModelRef> models, List<Slice> slices,
                  Params parameters, DType dtype, DType outDtype, String tokenizerSource, Long seed) {
        this(mergeMethod, baseModel, models, slices, parameters, dtype, outDtype, tokenizerSource, seed, null, null);
    }

    /** The distinct models the recipe reads, in order of first appearance, the base model first if there is one. */
    public List<String> modelNames() {
        Set<String> names = new LinkedHashSet<>();
        if (baseModel != null) {
            names.add(baseModel);
        }
        for (ModelRef m : models) {
            names.add(m.model());
        }
        for (Slice s : slices) {
            for (SliceSource src : s.sources()) {
                names.add(src.model());
            }
        }
        return List.copyOf(new ArrayList<>(names));
    }

    /** The dtype tensors are written in: {@code out_dtype} if given, else {@code dtype} (numerics §9); null = per-tensor base dtype. */
    public DType outputDtype() {
        return outDtype != null ? outDtype : dtype;
    }
}
