package org.exmerge.example;

import java.nio.file.Path;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.MergeStats;
import org.exmerge.engine.ProgressListener;
import org.exmerge.error.ExmergeException;

/**
 * A minimal tool built on exmerge-core alone: {@code MergeTool RECIPE OUT} merges and prints one line.
 * It is what the README's Java API section shows, compiled and tested.
 */
public final class MergeTool {
    private MergeTool() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(Path.of(args[0]), Path.of(args[1])));
    }

    static int run(Path recipe, Path out) throws java.io.IOException {
        try {
            Exmerge.Source src = Exmerge.Source.read(recipe);
            MergeStats s = Exmerge.merge(src, out, MergeOptions.defaults(), ProgressListener.NONE);
            System.out.println("merged " + s.tensors() + " tensors into " + s.output());
            return 0;
        } catch (ExmergeException e) {
            System.err.println(e.kind() + ": " + e.getMessage());
            return e.kind().exitCode();
        }
    }
}
