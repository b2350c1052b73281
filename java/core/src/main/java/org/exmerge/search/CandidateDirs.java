package org.exmerge.search;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.exmerge.engine.OutputException;
import org.exmerge.error.IoErrors;
import org.exmerge.format.FileTrees;

/**
 * The candidates' scratch directories under {@code WORKDIR/candidates/}. A search deletes only what
 * it knows as its own there: a directory named {@code <stage>-<12 hex digits>} holding the marker
 * file {@link #MARK}, and the hidden temporaries exmerge's writer leaves beside such a name when a
 * run dies. Anything else (a user's file, a directory without the marker) is never touched.
 */
final class CandidateDirs {
    static final String MARK = ".exmerge-candidate";
    private static final Pattern NAME = Pattern.compile("[a-z0-9]+-[0-9a-f]{12}");
    /** OutputDirectory's temporaries of a candidate: {@code .<name>.tmp-<id>}, its lock and {@code .<name>.old-<id>}. */
    private static final Pattern TEMPORARY = Pattern.compile("\\.[a-z0-9]+-[0-9a-f]{12}\\.(tmp|old)-[0-9a-z]+(\\.lock|\\.new)?");
    /** Files linked into a stage-sft scratch directory rather than copied: weights, gigabytes each. */
    private static final Pattern WEIGHTS = Pattern.compile(".*\\.(safetensors|bin|pt|pth|ckpt|gguf|h5|msgpack|npz)");

    private CandidateDirs() {}

    /** Where the candidate is scored. */
    static Path of(SearchOptions opts, Candidate c) {
        return opts.candidates().resolve(c.stage() + "-" + c.shortHash());
    }

    /** Whether a search made {@code dir}: its name and its marker. */
    static boolean ours(Path dir) {
        return NAME.matcher(dir.getFileName().toString()).matches() && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                && Files.isRegularFile(dir.resolve(MARK), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Removes what an interrupted run left in candidates/: its temporaries always, its candidate
     * directories unless {@code keep}. The caller holds the working directory's lock, so no live
     * search owns any of them.
     */
    static void clean(SearchOptions opts) throws IOException {
        Path dir = opts.candidates();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (TEMPORARY.matcher(p.getFileName().toString()).matches() || !opts.keep() && ours(p)) {
                    FileTrees.deleteTree(p);
                }
            }
        }
    }

    /**
     * Makes way for a candidate at {@code dir}: a directory a search made there is removed; anything
     * else there is refused (never replaced).
     */
    static void clear(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!ours(dir)) {
            throw new OutputException(dir + ": is in the way of a candidate and a search did not make it; move it away");
        }
        FileTrees.deleteTree(dir);
    }

    /** Marks a merged candidate's directory as the search's own. */
    static void mark(Path dir) throws IOException {
        try {
            Files.createFile(dir.resolve(MARK));
        } catch (IOException e) {
            throw new OutputException(dir.resolve(MARK), e);
        }
    }

    /**
     * A scratch copy of a checkpoint to score as it is (stage sft), under the candidate's directory
     * {@code dir} and named as the checkpoint, so an evaluator that tells checkpoints by name still
     * can: the evaluator may write or delete there without touching the user's directory. Weight
     * files are symbolic links to the checkpoint's (deleting a link leaves its target; copying
     * gigabytes would not do); every other file (config, tokenizer) is a copy, and subdirectories are
     * built the same way (a linked one stays a link). A checkpoint given as a single file is scored
     * as a link to it.
     *
     * @return what the evaluator is given as {@code {model}}
     */
    static Path scratch(Path dir, Path checkpoint) throws IOException {
        clear(dir);
        Path model = dir.resolve(checkpoint.getFileName().toString());
        try {
            Files.createDirectories(dir);
            Files.createFile(dir.resolve(MARK));
            if (Files.isDirectory(checkpoint)) {
                Files.createDirectory(model);
                fill(model, checkpoint);
            } else {
                Files.createSymbolicLink(model, checkpoint.toAbsolutePath());
            }
        } catch (OutputException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(dir, e);
        }
        return model;
    }

    private static void fill(Path to, Path from) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(from)) {
            for (Path f : s) {
                Path t = to.resolve(f.getFileName().toString());
                try {
                    if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                        Files.createDirectory(t);
                        fill(t, f);
                    } else if (WEIGHTS.matcher(f.getFileName().toString()).matches() || Files.isDirectory(f)) {
                        Files.createSymbolicLink(t, f.toAbsolutePath());
                    } else {
                        Files.copy(f, t);
                    }
                } catch (OutputException e) {
                    throw e;
                } catch (IOException e) {
                    // the system names the source of a failed copy; the file being written is the one to report
                    throw new OutputException(t + ": " + IoErrors.reason(e) + " (from " + f + ")");
                }
            }
        }
    }
}
