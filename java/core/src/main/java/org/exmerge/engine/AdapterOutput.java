package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.exmerge.format.FileTrees;
import org.exmerge.format.TensorSpec;

/**
 * Writes a PEFT adapter directory ({@code adapter_model.safetensors} beside {@code adapter_config.json})
 * through {@link OutputRun}, so it gets a model's guarantees: a temporary sibling renamed into place
 * when complete, the output refusals and {@code --overwrite}'s rules (which accept exactly these two
 * files as exmerge's), Ctrl-C, progress. One file whatever the shard size: peft reads no sharded adapter.
 * {@code synth --lora} and {@code extract-lora} both write through it.
 */
public final class AdapterOutput {
    public static final String WEIGHTS = "adapter_model.safetensors";
    public static final String CONFIG = "adapter_config.json";
    public static final String README = "README.md";

    /** The config's text, asked for once every tensor is written; an {@link org.exmerge.error.ExmergeException} it throws is reported as it is. */
    @FunctionalInterface
    public interface ConfigText {
        String get() throws IOException;
    }

    private AdapterOutput() {}

    /**
     * As {@link OutputRun#write}, with the weights renamed to {@link #WEIGHTS} and {@code config}'s text
     * (asked for once every tensor is written) saved as {@link #CONFIG} before the rename into place,
     * and {@code readme}'s (when not null) as {@link #README}, the adapter's model card;
     * {@code fallbacks} gives the calls the backend handed to the Java spec over the run.
     */
    public static MergeStats write(Path out, List<TensorSpec> specs, OutputRun.Binder binder, IntConsumer written,
                                   Map<String, String> metadata, ConfigText config, ConfigText readme, RunOptions opts,
                                   ProgressListener listener, CancelToken cancel, String backend,
                                   java.util.function.Supplier<Map<String, Long>> fallbacks, long inputBytes)
            throws IOException {
        RunOptions one = opts.withShardBytes(Long.MAX_VALUE);
        return OutputRun.write(out, specs, binder, written, metadata, dir -> {
            Files.move(dir.resolve("model.safetensors"), dir.resolve(WEIGHTS));
            if (one.sync()) {
                FileTrees.syncDirectory(dir);
            }
            Files.writeString(dir.resolve(CONFIG), config.get());
            if (readme != null) {
                Files.writeString(dir.resolve(README), readme.get());
            }
        }, one, listener, cancel, backend, fallbacks, inputBytes);
    }
}
