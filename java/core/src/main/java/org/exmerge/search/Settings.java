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
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.CharacterCodingException;
import org.exmerge.engine.OutputException;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.IoErrors;
import org.exmerge.error.UsageException;

/**
 * {@code search.json}: what a search is (kind, models, grids, method, evaluator, and the
 * {@link InputStamp} of its inputs). Re-running with the same settings resumes; different settings are refused, naming what differs, unless rescoring, which
 * sets the old results log aside and starts afresh.
 */
final class Settings {
    static final String FILE = "search.json";
    static final String LOG = "results.jsonl";

    private Settings() {}

    /** Records or checks the settings; returns a note when a rescore set an old log aside, else null. */
    static String prepare(Path workdir, ObjectNode settings, boolean rescore) throws IOException {
        Path file = workdir.resolve(FILE);
        String note = null;
        if (Files.exists(file)) {
            JsonNode old = read(file);
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
                try {
                    Files.move(log, aside);
                } catch (IOException e) {
                    throw new OutputException(aside, e);
                }
                note = "settings changed (" + String.join("; ", diffs) + "): earlier results set aside in " + aside.getFileName();
            }
        }
        SearchFiles.writeDurably(file, ResultsLog.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings) + "\n");
        return note;
    }

    /**
     * A search's settings as written by a search: a JSON object naming its kind. Anything else (a
     * user's file of that name) means the directory is not a search's.
     *
     * @throws UsageException naming the file, in one line
     */
    static JsonNode read(Path file) throws IOException {
        JsonNode n;
        try {
            n = ResultsLog.JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException | CharacterCodingException e) {
            n = null;
        } catch (IOException e) {
            throw IoErrors.input(file, e);
        }
        if (n == null || !n.isObject() || !n.path("kind").isTextual()) {
            throw new UsageException(file + ": is not a search's settings (" + (n == null ? "not JSON" : "no \"kind\"")
                    + "), so its directory is not a search's working directory; choose another --workdir");
        }
        return n;
    }

    static List<String> differences(JsonNode old, JsonNode now) {
        List<String> out = new ArrayList<>();
        Set<String> keys = new TreeSet<>();
        old.fieldNames().forEachRemaining(keys::add);
        now.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            JsonNode a = old.get(k);
            JsonNode b = now.get(k);
            if (k.equals(InputStamp.KEY)) {
                if (a != null && b != null && !a.equals(b)) { // a workdir from before the stamp resumes as it did
                    out.add("the input models' files changed since it scored them (their sizes or sampled bytes)");
                }
            } else if (a == null || b == null || !a.equals(b)) {
                out.add(k + " was " + (a == null ? "unset" : a.toString()) + ", now " + (b == null ? "unset" : b.toString()));
            }
        }
        return out;
    }
}
