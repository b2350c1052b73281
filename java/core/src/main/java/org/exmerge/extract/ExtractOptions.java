package org.exmerge.extract;

import java.util.List;
import java.util.regex.Pattern;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;

/**
 * How {@code extract-lora} decomposes a fine-tune, with mergekit-extract-lora's defaults.
 *
 * @param maxRank         the largest rank of a pair (mergekit's {@code --max-rank}, 128)
 * @param svEpsilon       singular values at or below it are dropped (0: none)
 * @param distributeScale A = √S·Vᵀ, B = U·√S (else A = S·Vᵀ, B = U)
 * @param embedLora       decompose the input embedding as {@code lora_embedding_A/B} instead of saving it whole
 * @param include         module names to decompose (Java regex find); empty: all
 * @param exclude         module names to leave out (Java regex find)
 * @param saveModules     modules saved at full rank, by full or leaf name
 * @param outType         the factors' type; null: each fine-tune tensor's own
 * @param backend         the kernel backend of the SVD's products (--backend); null: -Dexmerge.backend, else auto
 * @param modelCard       whether the adapter carries a model card ({@code README.md}, as mergekit writes one)
 */
public record ExtractOptions(int maxRank, double svEpsilon, boolean distributeScale, boolean embedLora, List<Pattern> include,
                             List<Pattern> exclude, List<String> saveModules, DType outType,
                             String backend, RunOptions run, CancelToken cancel,
                             boolean modelCard) {
    public static final int DEFAULT_MAX_RANK = 128;

    public ExtractOptions {
        if (maxRank < 1) {
            throw new IllegalArgumentException("--max-rank must be at least 1, not " + maxRank);
        }
        if (!(svEpsilon >= 0) || Double.isInfinite(svEpsilon)) {
            throw new IllegalArgumentException("--sv-epsilon must be a finite number ≥ 0, not " + svEpsilon);
        }
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        saveModules = List.copyOf(saveModules);
    }

    public static ExtractOptions defaults() {
        return new ExtractOptions(DEFAULT_MAX_RANK, 0, true, false, List.of(), List.of(), List.of(), null, null, RunOptions.defaults(),
                new CancelToken(), true);
    }

    public ExtractOptions withMaxRank(int r) {
        return new ExtractOptions(r, svEpsilon, distributeScale, embedLora, include, exclude, saveModules, outType, backend, run,
                cancel, modelCard);
    }

    public ExtractOptions withSvEpsilon(double e) {
        return new ExtractOptions(maxRank, e, distributeScale, embedLora, include, exclude, saveModules, outType, backend, run,
                cancel, modelCard);
    }

    public ExtractOptions withRun(RunOptions r) {
        return new ExtractOptions(maxRank, svEpsilon, distributeScale, embedLora, include, exclude, saveModules, outType,
                backend, r, cancel, modelCard);
    }

    public ExtractOptions withBackend(String b) {
        return new ExtractOptions(maxRank, svEpsilon, distributeScale, embedLora, include, exclude, saveModules, outType, b, run,
                cancel, modelCard);
    }

    public ExtractOptions withCancel(CancelToken c) {
        return new ExtractOptions(maxRank, svEpsilon, distributeScale, embedLora, include, exclude, saveModules, outType,
                backend, run, c, modelCard);
    }

    public ExtractOptions withModules(boolean embed, List<Pattern> in, List<Pattern> out, List<String> save) {
        return new ExtractOptions(maxRank, svEpsilon, distributeScale, embed, in, out, save, outType, backend, run, cancel, modelCard);
    }

    public ExtractOptions withModelCard(boolean card) {
        return new ExtractOptions(maxRank, svEpsilon, distributeScale, embedLora, include, exclude, saveModules, outType,
                backend, run, cancel,
                card);
    }

    public ExtractOptions withFactors(boolean distribute, DType type) {
        return new ExtractOptions(maxRank, svEpsilon, distribute, embedLora, include, exclude, saveModules, type, backend, run,
                cancel, modelCard);
    }
}
