package org.exmerge.engine;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a finished run did, for reports and benchmarks.
 *
 * @param fallbacks calls the backend handed to the Java spec during the run, by op; empty when none
 */
public record MergeStats(Path output, int tensors, long outputBytes, long inputBytes, long nanos, String backend, int threads,
                         Map<String, Long> fallbacks) {

    public MergeStats {
        fallbacks = Collections.unmodifiableMap(new TreeMap<>(fallbacks)); // by op name, as doctor and --json show it
    }

    public double seconds() {
        return nanos / 1e9;
    }

    /** Bytes read and written per second, in GB/s (10^9). */
    public double trafficGBps() {
        return (inputBytes + outputBytes) / (double) nanos;
    }
}
