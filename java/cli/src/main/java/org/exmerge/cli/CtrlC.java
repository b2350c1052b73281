package org.exmerge.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.exmerge.engine.CancelToken;

/**
 * On Ctrl-C (or SIGTERM) cancels the run and holds the JVM's exit until the run has removed its
 * temporary output, so an interrupted merge leaves nothing behind.
 */
final class CtrlC implements AutoCloseable {
    private final CancelToken token = new CancelToken();
    private final CountDownLatch done = new CountDownLatch(1);
    private final Thread hook;

    CtrlC() {
        hook = new Thread(() -> {
            token.cancel();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "exmerge-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    CancelToken token() {
        return token;
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
