package org.exmerge.cli;

import org.exmerge.engine.RunOptions;
import org.exmerge.kernel.Backends;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Flags every command that computes shares. */
final class RunFlags {
    private final OptionSpec threads = Specs.option("--threads", "N", int.class, Runtime.getRuntime().availableProcessors(),
            "Worker threads (default: all cores). Never changes the output bytes.").build();
    private final OptionSpec backend = backendOption();
    private final OptionSpec json = Specs.flag("--json", "Print progress as JSON lines on stdout instead of a bar.");
    private final OptionSpec overwrite = Specs.flag("--overwrite",
            "Replace OUT if it exists (the old one is removed only after the new one is complete).");
    private final OptionSpec allowNonfinite;
    private final OptionSpec noSync = Specs.flag("--no-sync",
            "Do not force the output to disk. By default the output is durable: after a power cut or OS crash it is complete or absent.",
            "With --no-sync a crash of the operating system may leave it incomplete or corrupted; a crash of exmerge itself still leaves nothing half-written under OUT. For scratch outputs.");
    private final OptionSpec chunkBytes = Specs.option("--chunk-size", "SIZE", long.class, RunOptions.DEFAULT_CHUNK_BYTES,
            "Bytes per work chunk (tests use odd sizes to prove chunking never changes a result).").converters(new Sizes()).hidden(true).build();
    private final OptionSpec memoryBytes = Specs.option("--memory", "SIZE", long.class, 0L,
            "Memory budget: threads and chunk size are fitted to it (default: half of physical memory). Never changes the output bytes.").converters(new Sizes()).build();

    RunFlags() {
        this(true);
    }

    /** @param merges whether the command writes merged values; one that does not keeps --allow-nonfinite out of its help (and refuses it) */
    RunFlags(boolean merges) {
        allowNonfinite = OptionSpec.builder("--allow-nonfinite").type(boolean.class).initialValue(false).hidden(!merges)
                .description("Write merged values that are infinite or NaN instead of failing (by default the first such value stops the"
                        + " run, naming the tensor; NaNs in the inputs count too).").build();
    }

    /** Adds these flags to {@code spec}. */
    CommandSpec addTo(CommandSpec spec) {
        return Specs.add(spec, threads, backend, json, overwrite, allowNonfinite, noSync, chunkBytes, memoryBytes);
    }

    boolean json() {
        return json.getValue();
    }

    /** The backend named by --backend, or null (-Dexmerge.backend, else auto). */
    String backend() {
        return backendOf(backend);
    }

    RunOptions run(long shardBytes) {
        int n = threadsOf(threads);
        backend();
        boolean sync = !(boolean) noSync.getValue();
        return new RunOptions(n, chunkBytes.getValue(), shardBytes, overwrite.getValue()).withMemoryBytes(memoryBytes.getValue())
                .withAllowNonfinite(allowNonfinite.getValue()).withSync(sync);
    }

    /** --backend, which the search's flags declare too. */
    static OptionSpec backendOption() {
        return Specs.option("--backend", "NAME", String.class, null, // null: Backends reads -Dexmerge.backend, else auto
                "Kernel backend: auto (native, else cuda, else java: the first that runs here), native, cuda or java; exmerge doctor lists them (default: -Dexmerge.backend, else auto).").build();
    }

    /** The backend an option made by {@link #backendOption} names, or null; a name no backend has is refused. */
    static String backendOf(OptionSpec backend) {
        String b = backend.getValue();
        if (b != null && !Backends.NAMES.contains(b)) {
            throw new IllegalArgumentException("--backend must be one of " + Backends.NAMES);
        }
        return b;
    }

    /** A --threads option's value, refused below 1. */
    static int threadsOf(OptionSpec threads) {
        int n = threads.getValue();
        if (n < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        return n;
    }
}
