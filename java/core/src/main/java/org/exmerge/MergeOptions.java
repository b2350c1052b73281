package org.exmerge;

import java.nio.file.Path;
import java.util.Map;
import org.exmerge.engine.CancelToken;
import org.exmerge.engine.ModelLocator;
import org.exmerge.engine.RunOptions;
import org.exmerge.format.DType;

/**
 * Options of a merge through the Java API.
 *
 * @param modelsDir directory relative model paths resolve against
 * @param hubCache the Hugging Face hub cache that model names which are no local path resolve in
 *                 (null: none); defaults to where huggingface_hub keeps it ({@link ModelLocator#defaultHubCache})
 * @param outType output type for every float tensor (null: the recipe's, else each base tensor's)
 * @param seed overrides the recipe's seed (null: recipe, else 0)
 * @param backend auto or a provider's name (java, native); null: the {@code exmerge.backend} system
 *                property, else auto
 * @param names models known by name, each read from its directory before any path or hub name
 *              ({@link ModelLocator#resolve}); {@code exmerge multi}'s intermediates
 * @param metadata entries added to the output's safetensors metadata ({@code exmerge multi}'s proof of
 *                 what an intermediate was made from)
 * @param modelCard whether the output carries a model card ({@code README.md}) and its recipe
 *                  ({@code mergekit_config.yml}), as mergekit writes them (default true)
 */
public record MergeOptions(Path modelsDir, Path hubCache, DType outType, Long seed, String backend, RunOptions run, CancelToken cancel,
                           Map<String, Path> names, Map<String, String> metadata, boolean modelCard) {

    public MergeOptions {
        names = Map.copyOf(names);
        metadata = Map.copyOf(metadata);
    }

    public MergeOptions(Path modelsDir, Path hubCache, DType outType, Long seed, String backend, RunOptions run, CancelToken cancel) {
        this(modelsDir, hubCache, outType, seed, backend, run, cancel, Map.of(), Map.of(), true);
    }

    public static MergeOptions defaults() {
        return new MergeOptions(Path.of(""), ModelLocator.defaultHubCache(), null, null, null, RunOptions.defaults(), new CancelToken());
    }

    public MergeOptions withNames(Map<String, Path> n) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, backend, run, cancel, n, metadata, modelCard);
    }

    public MergeOptions withMetadata(Map<String, String> m) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, backend, run, cancel, names, m, modelCard);
    }

    /** Where this run's recipes find their models. */
    public ModelLocator locator() {
        return new ModelLocator(modelsDir, hubCache, names);
    }

    public MergeOptions withRun(RunOptions r) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, backend, r, cancel, names, metadata, modelCard);
    }

    /** The memory budget threads and chunks are fitted to, in bytes (0: half of physical memory); see {@code RunOptions}. */
    public MergeOptions withMemory(long bytes) {
        return withRun(run.withMemoryBytes(bytes));
    }

    public MergeOptions withModelsDir(Path d) {
        return new MergeOptions(d, hubCache, outType, seed, backend, run, cancel, names, metadata, modelCard);
    }

    public MergeOptions withHubCache(Path d) {
        return new MergeOptions(modelsDir, d, outType, seed, backend, run, cancel, names, metadata, modelCard);
    }

    public MergeOptions withOutType(DType t) {
        return new MergeOptions(modelsDir, hubCache, t, seed, backend, run, cancel, names, metadata, modelCard);
    }

    public MergeOptions withBackend(String b) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, b, run, cancel, names, metadata, modelCard);
    }

    public MergeOptions withSeed(Long s) {
        return new MergeOptions(modelsDir, hubCache, outType, s, backend, run, cancel, names, metadata, modelCard);
    }

    public MergeOptions withModelCard(boolean write) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, backend, run, cancel, names, metadata, write);
    }

    public MergeOptions withCancel(CancelToken c) {
        return new MergeOptions(modelsDir, hubCache, outType, seed, backend, run, c, names, metadata, modelCard);
    }
}
