package org.exmerge.method;

import java.util.Map;

/**
 * A plan that records facts of the run in the output's {@code __metadata__} (M3's drawn λ), so a
 * candidate can be rebuilt from its files alone. The engine collects these from every tensor's plan
 * before writing; tensors that disagree on a key are an error.
 */
public interface RunMetadata {

    /** Entries to record for a run with this seed (pure: the same seed gives the same entries). */
    Map<String, String> metadata(long seed);
}
