package org.exmerge.engine;

/**
 * Events of a running merge (or synth), emitted from the thread that writes the output, in order.
 * Library code never prints; the CLI turns these into a progress bar, lines or JSON.
 */
public interface ProgressListener {
    ProgressListener NONE = new ProgressListener() {};

    /** Before the first byte: the work ahead. */
    default void started(int tensors, long outputBytes, long inputBytes, String backend, int threads) {}

    /** One line the user should see, e.g. a setting changed to fit the memory budget. */
    default void notice(String message) {}

    /** A tensor is about to be computed. */
    default void tensor(int index, String name) {}

    /** Output bytes written so far (cumulative). */
    default void progress(long outputBytesDone) {}

    /** The output is complete and renamed into place. */
    default void finished(MergeStats stats) {}
}
