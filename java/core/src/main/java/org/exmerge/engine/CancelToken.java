package org.exmerge.engine;

import java.util.concurrent.CancellationException;

/** Lets another thread (a Ctrl-C hook) stop a run between chunks; the run then removes its partial output. */
public final class CancelToken {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    void check() {
        if (cancelled) {
            throw new CancellationException("cancelled");
        }
    }
}
