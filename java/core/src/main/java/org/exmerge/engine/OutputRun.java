package org.exmerge.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.IntConsumer;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.IoErrors;
import org.exmerge.format.OutputDirectory;
import org.exmerge.format.OutputGuard;
import org.exmerge.format.ShardWriter;
import org.exmerge.format.TensorSpec;
import org.exmerge.method.Parallel;
import org.exmerge.method.TensorMerge;
import org.exmerge.text.Plain;

/**
 * Writes one model directory through the chunk pipeline: temp sibling directory, shards in order,
 * extra files, then one rename. On any failure or cancellation the temp directory is removed, so a
 * half-written model never appears at {@code out}. Shared by merges and by synth.
 */
public final class OutputRun {
    /**
     * Adds non-weight files (config, tokenizer) to the finished temp directory before the rename, and
     * checks what must hold for the output to be committed (a merge: its inputs did not change). An
     * {@link ExmergeException} it throws is reported as it is; any other IOException is an output error.
     */
    @FunctionalInterface
    public interface Extras {
        void write(Path dir) throws IOException;
    }

    /** Gives tensor {@code index}'s computation; {@code parallel} runs whole-tensor passes on the pool. */
    @FunctionalInterface
    public interface Binder {
        TensorMerge bind(int index, Parallel parallel);
    }

    private OutputRun() {}

    /**
     * Room asked for beyond the shard files: the run's lock file and directories, the index and
     * config files, and the shards' last partial blocks. Tokenizer files are not counted; should
     * they fill the disk, the write fails with ENOSPC as any write may.
     */
    static final long SMALL_FILES_BYTES = 1 << 20;

    /**
     * Fails before any work when the output's file system reports less usable space than the shards
     * need, rather than after most of a long merge. The disk may still fill meanwhile (the write then
     * fails with ENOSPC as before); a file system that reports no size at all is not checked.
     *
     * @return the usable bytes reported, or -1 when the file system reports no size
     */
    static long requireSpace(Path dir, long bytes) throws IOException {
        FileStore store = Files.getFileStore(dir);
        long free = store.getUsableSpace();
        if (store.getTotalSpace() <= 0) {
            return -1;
        }
        long need = bytes > Long.MAX_VALUE - SMALL_FILES_BYTES ? Long.MAX_VALUE : bytes + SMALL_FILES_BYTES;
        if (free < need) {
            throw new IOException(Plain.format("not enough space: the model needs %,d bytes (%,d of weights, the rest for"
                    + " its index, config and lock files) and %,d are free on %s", need, bytes, free, store));
        }
        return free;
    }

    /**
     * The bytes a run's shard files take, headers included: what a run checks the free space
     * against ({@link #write}) and what {@code --dry-run} checks ({@link #preflight}), one figure.
     */
    public static long fileBytes(List<TensorSpec> specs, RunOptions opts, Map<String, String> metadata) {
        return ShardWriter.fileBytes(specs, opts.shardBytes(), metadata);
    }

    /**
     * What a run checks before writing, and {@code --dry-run} in its place: that the directory a run would create its
     * temporary sibling in can be written, and that its file system has room ({@link #requireSpace}'s
     * rule). Both are checked on the nearest existing ancestor of {@code out}'s parent, where a real
     * run creates its directories and writes the model (not on {@code out} itself, which may be
     * another file system).
     *
     * @param bytes what the output will take ({@link #fileBytes})
     * @return the usable bytes reported there, or -1 when the file system reports no size
     * @throws OutputException {@code out: permission denied (dir)} or {@code out: not enough space: ...}
     *                         (exit 4), as a real run would fail
     */
    public static long preflight(Path out, long bytes) throws OutputException {
        Path abs = out.toAbsolutePath().normalize();
        Path p = abs.getParent() == null ? abs : abs.getParent();
        while (p.getParent() != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            if (!Files.isDirectory(p)) {
                throw new NotDirectoryException(p.toString());
            }
            if (!Files.isWritable(p)) {
                throw new AccessDeniedException(p.toString());
            }
            return requireSpace(p, bytes);
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
    }

    /**
     * The error naming the output file it concerns where the model will be, not the hidden
     * temporary directory: a file being written there, or a copy's target (Java names a failed
     * copy by its source, which would blame an input for the output's full disk).
     */
    static IOException inOutput(IOException e, Path temp, Path out) {
        if (!(e instanceof FileSystemException f)) {
            return e;
        }
        Path inTemp = null;
        for (String name : new String[] {f.getOtherFile(), f.getFile()}) {
            if (inTemp == null && name != null && Path.of(name).toAbsolutePath().normalize().startsWith(temp)) {
                inTemp = Path.of(name).toAbsolutePath().normalize();
            }
        }
        if (inTemp == null) {
            return e;
        }
        Path where = out.toAbsolutePath().normalize().resolve(temp.relativize(inTemp));
        return (IOException) new FileSystemException(where.toString(), null, IoErrors.reason(e)).initCause(e);
    }

    /**
     * Refuses {@code out} before any work when writing it could destroy something the user did not
     * name as the output ({@link OutputGuard#check}); an existing output without {@code overwrite}
     * is an output error.
     */
    public static void checkTarget(Path out, boolean overwrite, Collection<Path> inputs) throws IOException {
        try {
            OutputGuard.check(out, overwrite, inputs);
        } catch (ExmergeException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
    }

    /**
     * Writes {@code specs} into {@code out} on {@code opts.threads()} worker threads of its own:
     * {@code binder} gives each tensor's computation, {@code written} hears when a tensor is
     * complete, {@code extras} adds the other files before the one rename.
     */
    public static MergeStats write(Path out, List<TensorSpec> specs, Binder binder,
                                   IntConsumer written, Map<String, String> metadata, Extras extras, RunOptions opts,
                                   ProgressListener listener, CancelToken cancel, String backend,
                                   Supplier<Map<String, Long>> fallbacks, long inputBytes)
            throws IOException {
        try (Workers workers = new Workers(opts.threads())) {
            return write(out, specs, binder, written, metadata, extras, opts, listener, cancel, backend, fallbacks,
                    inputBytes, workers, true);
        }
    }

    /**
     * As above, on the run's {@code workers} (which a merge's model passes have used before), binding
     * a tensor ahead of the chunks when {@code bindAhead} ({@link MemoryBudget.Fit#bindAhead}).
     */
    static MergeStats write(Path out, List<TensorSpec> specs, Binder binder,
                            IntConsumer written, Map<String, String> metadata, Extras extras, RunOptions opts,
                            ProgressListener listener, CancelToken cancel, String backend,
                            Supplier<Map<String, Long>> fallbacks, long inputBytes, Workers workers, boolean bindAhead)
            throws IOException {
        long outBytes = 0;
        for (TensorSpec s : specs) {
            outBytes += s.byteSize();
        }
        long need = fileBytes(specs, opts, metadata);
        long t0 = System.nanoTime();
        preflight(out, need); // as --dry-run checks it, before this run has created anything
        OutputDirectory dir;
        try {
            dir = OutputDirectory.create(out);
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
        try (dir; ChunkPipeline pipe = new ChunkPipeline(workers, opts.chunkBytes(), bindAhead)) {
            listener.started(specs.size(), outBytes, inputBytes, backend, opts.threads());
            try (ShardWriter w = new ShardWriter(dir.path(), specs, opts.shardBytes(), metadata, opts.sync())) {
                pipe.run(specs, binder, written, w, listener, cancel);
                w.finish();
            } catch (ExmergeException e) {
                throw e; // an input that changed under the run is not an output error
            } catch (UncheckedIOException e) {
                // compute() cannot throw checked exceptions; a library error it found (a non-finite
                // result, an input it could not map) travels wrapped and is rethrown as itself.
                if (e.getCause() instanceof ExmergeException x) {
                    throw x;
                }
                throw e;
            } catch (IOException e) {
                throw new OutputException(out, inOutput(e, dir.path(), out));
            }
            try {
                extras.write(dir.path());
                // A Ctrl-C that came while the last files were written still means: not this output.
                cancel.check();
                dir.commit(opts.overwrite(), opts.sync());
            } catch (ExmergeException e) {
                throw e;
            } catch (IOException e) {
                throw new OutputException(out, inOutput(e, dir.path(), out));
            }
        }
        MergeStats stats = new MergeStats(out, specs.size(), outBytes, inputBytes, System.nanoTime() - t0, backend, opts.threads(),
                fallbacks.get());
        listener.finished(stats);
        return stats;
    }
}
