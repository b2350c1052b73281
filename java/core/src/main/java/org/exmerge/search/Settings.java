package org.exmerge.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.exmerge.error.ExmergeException;

/**
 * {@code search.json}: what a search is (kind, models, grids, method, evaluator). Re-running with the
 * same settings resumes; different settings are refused, naming what differs, unless rescoring, which
 * sets the old results log aside and starts afresh.
 */
final class Settings {
    static final String FILE = "search.json";
    static final String LOG = "results.jsonl";

    private Settings() {}

    /** Records or checks the settings; returns a note when a rescore set an old log aside, else null. */
    static String prepare(Path workdir, ObjectNode settings, boolean rescore) throws IOException {
        Files.createDirectories(workdir);
        Path file = workdir.resolve(FILE);
        String note = null;
        if (Files.exists(file)) {
            JsonNode old = ResultsLog.JSON.readTree(Files.readString(file));
            // compared as read back, so a long written small reads back equal to itself
            List<String> diffs = differences(old, ResultsLog.JSON.readTree(ResultsLog.JSON.writeValueAsString(settings)));
            if (diffs.isEmpty()) {
                return null;
            }
            if (!rescore) {
                throw new SearchException(ExmergeException.Kind.RECIPE, workdir + " holds a different search ("
                        + String.join("; ", diffs) + "); use another --workdir, or --rescore to start afresh there");
            }
            Path log = workdir.resolve(LOG);
            if (Files.exists(log)) {
                Path aside = workdir.resolve("results-" + System.currentTimeMillis() + ".jsonl.old");
                Files.move(log, aside);
                note = "settings changed (" + String.join("; ", diffs) + "): earlier results set aside in " + aside.getFileName();
            }
        }
        SearchFiles.writeDurably(file, ResultsLog.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings) + "\n");
        return note;
    }

    static List<String> differences(JsonNode old, JsonNode now) {
        List<String> out = new ArrayList<>();
        Set<String> keys = new TreeSet<>();
        old.fieldNames().forEachRemaining(keys::add);
        now.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            JsonNode a = old.get(k);
            JsonNode b = now.get(k);
            if (a == null || b == null || !a.equals(b)) {
                out.add(k + " was " + (a == null ? "unset" : a.toString()) + ", now " + (b == null ? "unset" : b.toString()));
            }
        }
        return out;
    }
}
