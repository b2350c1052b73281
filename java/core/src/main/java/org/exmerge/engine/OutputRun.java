package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import org.exmerge.error.ExmergeException;
import org.exmerge.format.OutputDirectory;
import org.exmerge.format.ShardWriter;
import org.exmerge.format.TensorSpec;
import org.exmerge.method.Parallel;
import org.exmerge.method.TensorMerge;

/**
 * Writes one model directory through the chunk pipeline: temp sibling directory, shards in order,
 * extra files, then one rename. On any failure or cancellation the temp directory is removed, so a
 * half-written model never appears at {@code out}. Shared by merges and by synth.
 */
public final class OutputRun {
    /** Adds non-weight files (config, tokenizer) to the finished temp directory before the rename. */
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
     * Fails before any work when the output's file system reports less usable space than the shards
     * need, rather than after most of a long merge. The disk may still fill meanwhile (the write then
     * fails with ENOSPC as before); a file system that reports no size at all is not checked.
     */
    static void requireSpace(Path dir, long bytes) throws IOException {
        FileStore store = Files.getFileStore(dir);
        long free = store.getUsableSpace();
        if (store.getTotalSpace() > 0 && free < bytes) {
            throw new IOException(String.format(Locale.ROOT,
                    "not enough space: the model needs %,d bytes and %,d are free on %s", bytes, free, store));
        }
    }

    public static MergeStats write(Path out, List<TensorSpec> specs, Binder binder,
                                   IntConsumer written, Map<String, String> metadata, Extras extras, RunOptions opts,
                                   ProgressListener listener, CancelToken cancel, String backend, long inputBytes)
            throws IOException {
        long outBytes = 0;
        for (TensorSpec s : specs) {
            outBytes += s.byteSize();
        }
        long t0 = System.nanoTime();
        OutputDirectory dir;
        try {
            dir = OutputDirectory.create(out);
        } catch (IOException e) {
            throw new OutputException(out, e);
        }
        try (dir; ChunkPipeline pipe = new ChunkPipeline(opts.threads(), opts.chunkBytes())) {
            listener.started(specs.size(), outBytes, inputBytes, backend, opts.threads());
            try (ShardWriter w = new ShardWriter(dir.path(), specs, opts.shardBytes(), metadata, opts.sync())) {
                requireSpace(dir.path(), w.fileBytes());
                pipe.run(specs, binder, written, w, listener, cancel);
                w.finish();
            } catch (ExmergeException e) {
                throw e; // an input that changed under the run is not an output error
            } catch (IOException e) {
                throw new OutputException(out, e);
            }
            try {
                extras.write(dir.path());
                dir.commit(opts.overwrite(), opts.sync());
            } catch (IOException e) {
                throw new OutputException(out, e);
            }
        }
        MergeStats stats = new MergeStats(out, specs.size(), outBytes, inputBytes, System.nanoTime() - t0, backend, opts.threads());
        listener.finished(stats);
        return stats;
    }
}
