package org.exmerge.testing;

import java.nio.file.Path;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.ProgressListener;
import org.exmerge.engine.RunOptions;

/** Merges through the public API for engine-level tests: recipe text in, model directory out. */
public final class EngineRuns {
    private EngineRuns() {}

    /** Options resolving models under {@code modelsDir}, with the given threads and chunk size. */
    public static MergeOptions opts(Path modelsDir, int threads, long chunkBytes) {
        return MergeOptions.defaults().withModelsDir(modelsDir)
                .withRun(RunOptions.defaults().withThreads(threads).withChunkBytes(chunkBytes));
    }

    /** Merges {@code yaml} into {@code dir/out} and returns that directory. */
    public static Path merge(Path dir, String yaml, String out, MergeOptions o) throws Exception {
        Path p = dir.resolve(out);
        Exmerge.merge(Exmerge.Source.parse(yaml, out), p, o, ProgressListener.NONE);
        return p;
    }
}
