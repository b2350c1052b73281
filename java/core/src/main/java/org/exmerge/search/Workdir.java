package org.exmerge.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.exmerge.engine.OutputException;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.UsageException;
import org.exmerge.format.FileLocks;
import org.exmerge.format.OutputGuard;

/**
 * A search's working directory, held for the run. Before anything is written there it must be
 * absent, empty, or one a search made (it holds a search's {@code search.json}); the refusals of a
 * merge's output (the root, the working directory, a directory that is or holds an input) apply too,
 * and the files a search replaces at fixed names must be ones a search wrote. The run then holds
 * {@code .search.lock} in it with an exclusive file lock, as a merge holds its temporary's: the
 * operating system drops it when the process dies however it dies, so a second search on the
 * directory is refused while the first lives and the next one after its death goes ahead.
 */
final class Workdir implements AutoCloseable {
    static final String LOCK = ".search.lock";

    private final FileChannel lock;
    private final List<String> notes;

    private Workdir(FileChannel lock, List<String> notes) {
        this.lock = lock;
        this.notes = notes;
    }

    /**
     * Checks, creates and locks the working directory, records or checks the settings (a different
     * search's are refused unless rescoring) and removes what an interrupted run left.
     *
     * @param inputs the models and files the search reads; the directory may not be or hold one
     */
    static Workdir open(SearchOptions opts, Collection<Path> inputs, ObjectNode settings, SearchListener listener)
            throws IOException {
        Path w = opts.workdir();
        OutputGuard.requireSafePlace(w, inputs, "write a search's files into", "--workdir");
        requireSearchDirectory(opts);
        try {
            Files.createDirectories(w);
        } catch (FileAlreadyExistsException e) {
            throw new OutputException(w, (IOException) new NotDirectoryException(e.getFile()).initCause(e));
        } catch (IOException e) {
            throw new OutputException(w, e);
        }
        FileChannel lock = lock(w);
        try {
            List<String> notes = new ArrayList<>();
            settings.put(InputStamp.KEY, InputStamp.of(inputs));
            String note = Settings.prepare(w, settings, opts.rescore());
            if (note != null) {
                notes.add(note);
                listener.note(note);
            }
            CandidateDirs.clean(opts);
            return new Workdir(lock, notes);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The notes so far (a rescore that set an old log aside); the search adds its own. */
    List<String> notes() {
        return notes;
    }

    /** Lets the lock go; the file stays, so no other search can ever lock a file this name no longer reaches. */
    @Override
    public void close() throws IOException {
        lock.close();
    }

    /**
     * Refuses a directory a search did not make, and one where a file a search replaces (report,
     * plots, best.yaml, best/) is not a search's own.
     */
    private static void requireSearchDirectory(SearchOptions opts) throws IOException {
        Path w = opts.workdir();
        if (!Files.exists(w)) {
            return;
        }
        if (!Files.isDirectory(w)) {
            throw new UsageException(w + ": is a file, not a directory; --workdir names a search's working directory");
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(w)) {
            for (Path e : s) {
                String n = e.getFileName().toString();
                if (!n.equals(LOCK)) {
                    names.add(Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS) ? n + "/" : n);
                }
            }
        }
        if (names.isEmpty()) {
            return;
        }
        Path settings = w.resolve(Settings.FILE);
        if (!Files.isRegularFile(settings)) {
            names.sort(null);
            String shown = String.join(", ", names.subList(0, Math.min(5, names.size())))
                    + (names.size() > 5 ? " and " + (names.size() - 5) + " more" : "");
            throw new UsageException(w + ": is not a search's working directory (it holds " + shown + " and no "
                    + Settings.FILE + "); choose a new or empty --workdir");
        }
        Settings.read(settings);
        for (String own : SearchFiles.OWN) {
            Path f = w.resolve(own);
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && !SearchFiles.written(f)) {
                throw new UsageException(SearchFiles.notOurs(f));
            }
        }
        if (Files.exists(opts.best(), LinkOption.NOFOLLOW_LINKS)) {
            OutputGuard.requireReplaceable(opts.best());
        }
    }

    /** Takes the directory's lock, or says which live search holds it. */
    private static FileChannel lock(Path w) throws IOException {
        Path file = w.resolve(LOCK);
        FileChannel ch;
        try {
            ch = FileLocks.hold(file, "exmerge search");
        } catch (IOException e) {
            throw new OutputException(file, e);
        }
        if (ch == null) {
            String owner = FileLocks.holderPid(file);
            throw new SearchException(ExmergeException.Kind.OUTPUT, w + ": another search" + (owner == null ? "" : " (pid " + owner + ")")
                    + " is using this working directory; wait for it to end or choose another --workdir");
        }
        return ch;
    }
}
