package org.exmerge.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.exmerge.engine.CancelToken;

/**
 * On Ctrl-C (or SIGTERM) cancels the run and holds the JVM's exit until the run has removed its
 * temporary output and the CLI has said how it ended ({@link #reported}), so an interrupted merge
 * leaves nothing behind and still prints its error line and {@code --json} error event: the exit
 * does not wait for the command's thread, which would otherwise lose the race to print them.
 */
final class CtrlC implements AutoCloseable {
    /** One per process: {@link Main#run} runs one command. */
    private static final CountDownLatch REPORTED = new CountDownLatch(1);

    private final CancelToken token = new CancelToken();
    private final Thread hook;

    CtrlC() {
        hook = new Thread(() -> {
            token.cancel();
            try {
                REPORTED.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "exmerge-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    CancelToken token() {
        return token;
    }

    /** The command has ended and its outcome is printed: an exit that Ctrl-C began may go on. */
    static void reported() {
        REPORTED.countDown();
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running: it returns as soon as the command's outcome is printed.
        }
    }
}
