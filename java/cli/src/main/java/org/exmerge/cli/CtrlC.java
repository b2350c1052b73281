package org.exmerge.cli;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.exmerge.engine.CancelToken;

/**
 * On Ctrl-C (or SIGTERM) cancels the run and holds the JVM's exit until the run has removed its
 * temporary output, so an interrupted merge leaves nothing behind. A signal that comes after the
 * run put its output in place changes nothing on disk: the process then exits with the run's own
 * status (0), not 130/143, since a script reads those as "interrupted, nothing written". Either way
 * the exit waits until the CLI has said how the run ended ({@link #reported}): the command's thread
 * would otherwise lose the race to print its error line and {@code --json} error event.
 */
final class CtrlC implements AutoCloseable {
    /** How long a signal's exit waits for the CLI's last lines after the run has stopped. */
    private static final long EXIT_WAIT_SECONDS = 30;
    /** One per process: {@link Main#run} runs one command and then reports. */
    private static final CountDownLatch REPORTED = new CountDownLatch(1);

    /** The output this process's run has put in place; null until then. */
    private static volatile Path published;
    private static final CountDownLatch EXITING = new CountDownLatch(1);
    private static volatile int exitCode = ExitCodes.OK;

    private final CancelToken token = new CancelToken();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    CtrlC() {
        hook = new Thread(() -> {
            token.cancel();
            int status = statusAfterSignal(EXIT_WAIT_SECONDS);
            if (status >= 0) {
                Runtime.getRuntime().halt(status);
            }
        }, "exmerge-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    CancelToken token() {
        return token;
    }

    /** The command has ended and its outcome is printed: an exit that a signal began may go on. */
    static void reported() {
        REPORTED.countDown();
    }

    /** Marks {@code out} as in place: from here on the run has succeeded, whatever arrives. */
    static void published(Path out) {
        published = out;
    }

    /** The output this process's run has put in place, or null. */
    static Path published() {
        return published;
    }

    /** Forgets an earlier run's output (tests run the CLI many times in one JVM). */
    static void forget() {
        published = null;
    }

    /**
     * Ends the process with {@code code}. Where a signal's shutdown is already under way (the
     * signal came late, after the output was published), that shutdown ends with this code too.
     */
    static void exit(int code) {
        exitCode = code;
        EXITING.countDown();
        System.exit(code);
    }

    /**
     * What the signal's hook does once the run has stopped: -1 to let the JVM end with the signal's
     * status (the run was interrupted), else the status to end with (its output is in place), which
     * {@link #exit} gives once the run's last lines are printed (0 if it has not within {@code exitWaitSeconds}).
     */
    int statusAfterSignal(long exitWaitSeconds) {
        try {
            done.await(30, TimeUnit.SECONDS);
            if (published == null) {
                REPORTED.await(exitWaitSeconds, TimeUnit.SECONDS);
                return -1;
            }
            EXITING.await(exitWaitSeconds, TimeUnit.SECONDS);
            return exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return published == null ? -1 : ExitCodes.OK;
        }
    }

    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running: it returns as soon as the latch above opens.
        }
    }
}
