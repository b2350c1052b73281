package org.exmerge.kernel;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A backend's count of calls it handed to the Java spec, by op name. Handing a call over keeps the
 * bytes right (the spec is what every backend must match, numerics §1) but not the speed, so it is
 * never silent: {@code exmerge doctor} says which ops can fall back and a run's {@code done} event
 * says which did, how often. Cumulative for the JVM; a run reports {@link #since} its start.
 */
public final class Fallbacks {
    private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

    /** Counts one call of {@code op} served by the Java spec. */
    public void count(String op) {
        counts.computeIfAbsent(op, k -> new LongAdder()).increment();
    }

    /** The counts so far, by op name in order; empty when nothing fell back. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((op, n) -> {
            long v = n.sum();
            if (v != 0) {
                out.put(op, v);
            }
        });
        return out;
    }

    /** The counts that grew from {@code before} to {@code after} (two snapshots), by op name in order. */
    public static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new TreeMap<>();
        after.forEach((op, n) -> {
            long d = n - before.getOrDefault(op, 0L);
            if (d != 0) {
                out.put(op, d);
            }
        });
        return out;
    }
}
