package org.exmerge.search;

/**
 * Events of a running search, for a progress display; library code never prints. Calls may come
 * from several threads (one per parallel evaluation) but never at the same time.
 */
public interface SearchListener {
    SearchListener NONE = new SearchListener() {};

    /** A stage begins with {@code candidates} to score ({@code done} of them already scored earlier). */
    default void stage(String stage, int candidates, int done) {}

    /** One candidate finished (scored or failed), or was found scored in the results log. */
    default void candidate(Result result, int finished, int total) {}

    /** A note worth showing (the winner being written, a stage skipped …). */
    default void note(String message) {}

    /** The search is complete. */
    default void done(SearchOutcome outcome) {}
}
