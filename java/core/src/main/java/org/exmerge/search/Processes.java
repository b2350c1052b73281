package org.exmerge.search;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.exmerge.engine.CancelToken;

/** Runs an evaluator's process with a timeout and a cancel token; on either, kills its whole tree. */
final class Processes {
    static final int TAIL_BYTES = 4000;
    /**
     * setsid(1), where the system has it: the evaluator then leads a process group of its own, and
     * killing that group also reaches what it started in the background and left to init, which
     * {@link ProcessHandle#descendants()} no longer sees. Null where there is none.
     */
    private static final String SETSID = onPath("setsid");

    private Processes() {}

    /** How a process ended: its exit status and where its output went. */
    record Outcome(int exit, Path stdout, Path stderr) {
        String stdoutText() throws IOException {
            return Files.readString(stdout, StandardCharsets.UTF_8);
        }

        String stderrTail() {
            return tail(stderr);
        }
    }

    /**
     * Runs {@code command} with stdout and stderr sent to {@code logs}.stdout / .stderr.
     *
     * @throws EvaluationException when it cannot start or runs past the timeout (the tree is killed)
     * @throws CancellationException when the token is cancelled (the tree is killed)
     */
    static Outcome run(List<String> command, Evaluator.Request req) throws EvaluationException {
        Path out = Path.of(req.logs() + ".stdout");
        Path err = Path.of(req.logs() + ".stderr");
        Process p;
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            List<String> words = new ArrayList<>();
            if (SETSID != null) {
                words.add(SETSID);
            }
            words.addAll(command);
            ProcessBuilder pb = new ProcessBuilder(words).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            pb.environment().put("EXMERGE_SLOT", Integer.toString(req.slot()));
            p = pb.start();
        } catch (IOException e) {
            throw new EvaluationException("cannot start " + command.getFirst() + ": " + e.getMessage(), "");
        }
        long deadline = req.timeout() == null ? Long.MAX_VALUE : System.nanoTime() + req.timeout().toNanos();
        CancelToken cancel = req.cancel();
        try {
            while (true) {
                if (p.waitFor(100, TimeUnit.MILLISECONDS)) {
                    return new Outcome(p.exitValue(), out, err);
                }
                if (cancel != null && cancel.isCancelled()) {
                    killTree(p);
                    throw new CancellationException("cancelled");
                }
                if (System.nanoTime() - deadline > 0) {
                    killTree(p);
                    throw new EvaluationException("timed out after " + human(req.timeout()) + " (process tree killed)", tail(err));
                }
            }
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        }
    }

    /**
     * Kills the process and everything it started: its process group when it leads one (setsid),
     * then its descendants (a child that left the group, or every child where there is no setsid),
     * then the process. A child that made a session of its own and left the tree escapes.
     */
    static void killTree(Process p) {
        List<ProcessHandle> kids = p.descendants().toList();
        if (SETSID != null) {
            killGroup(p.pid());
        }
        p.destroyForcibly();
        kids.forEach(ProcessHandle::destroyForcibly);
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL to every process of group {@code pgid} (sh's kill: a negative pid is a group). */
    private static void killGroup(long pgid) {
        try {
            Process k = new ProcessBuilder("sh", "-c", "kill -KILL -" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // the descendants are still killed one by one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The program's absolute path if a directory of PATH holds it as an executable, else null. */
    static String onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null || System.getProperty("os.name").startsWith("Windows")) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path f = Path.of(dir, program);
                if (Files.isRegularFile(f) && Files.isExecutable(f)) {
                    return f.toString();
                }
            }
        }
        return null;
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? d.toString().substring(2).toLowerCase() : s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : d.toMillis() / 1000.0 + "s";
    }

    /** The last {@link #TAIL_BYTES} bytes of a file as text (empty when absent). */
    static String tail(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - TAIL_BYTES);
            byte[] b = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Quotes a string for POSIX sh: 'it''s' style, safe for any byte but NUL. */
    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
