package org.exmerge.cli;

import org.exmerge.engine.RunOptions;
import org.exmerge.kernel.Backends;
import picocli.CommandLine.Option;

/** Flags every command that computes shares. */
final class RunFlags {
    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores). Never changes the output bytes.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--backend", paramLabel = "NAME", description = "Kernel backend: auto (native, else cuda, else java: the first that runs here), native, cuda or java; exmerge doctor lists them (default: -Dexmerge.backend, else auto).")
    String backend; // null: Backends reads -Dexmerge.backend, else auto

    @Option(names = "--json", description = "Print progress as JSON lines on stdout instead of a bar.")
    boolean json;

    @Option(names = "--overwrite", description = "Replace OUT if it exists (the old one is removed only after the new one is complete).")
    boolean overwrite;

    @Option(names = "--allow-nonfinite", description = "Write merged values that are infinite or NaN instead of failing"
            + " (by default the first such value stops the run, naming the tensor; NaNs in the inputs count too).")
    boolean allowNonfinite;

    @Option(names = "--no-sync", negatable = false,
            description = {"Do not force the output to disk. By default the output is durable: after a power cut or OS crash it is complete or absent.",
                    "With --no-sync a crash of the operating system may leave it incomplete or corrupted; a crash of exmerge itself still leaves nothing half-written under OUT. For scratch outputs."})
    boolean noSync;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = Sizes.class, hidden = true,
            description = "Bytes per work chunk (tests use odd sizes to prove chunking never changes a result).")
    long chunkBytes = RunOptions.DEFAULT_CHUNK_BYTES;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Sizes.class,
            description = "Memory budget: threads and chunk size are fitted to it (default: half of physical memory). Never changes the output bytes.")
    long memoryBytes;

    RunOptions run(long shardBytes) {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        if (backend != null && !Backends.NAMES.contains(backend)) {
            throw new IllegalArgumentException("--backend must be one of " + Backends.NAMES);
        }
        return new RunOptions(threads, chunkBytes, shardBytes, overwrite).withMemoryBytes(memoryBytes)
                .withAllowNonfinite(allowNonfinite).withSync(!noSync);
    }
}
