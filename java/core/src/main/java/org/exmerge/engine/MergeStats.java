package org.exmerge.engine;

import java.nio.file.Path;

/** What a finished run did, for reports and benchmarks. */
public record MergeStats(Path output, int tensors, long outputBytes, long inputBytes, long nanos, String backend, int threads) {

    public double seconds() {
        return nanos / 1e9;
    }

    /** Bytes read and written per second, in GB/s (10^9). */
    public double trafficGBps() {
        return (inputBytes + outputBytes) / (double) nanos;
    }
}
