package org.exmerge.error;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Jackson's parse errors as one short reason, for every JSON file exmerge reads (safetensors headers,
 * shard indexes, config and tokenizer files, adapter configs). Jackson's own text spans lines and
 * quotes its source description ("[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION`
 * disabled); line: 1, column: 16]"), which means nothing to a person holding the file.
 */
public final class JsonErrors {
    /** A location Jackson embeds in its message (an opening bracket's, say): its line and column are kept. */
    private static final Pattern SOURCE = Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)]");

    private JsonErrors() {}

    /** "not valid JSON at line L, column C: what Jackson found", one line. */
    public static String reason(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() <= 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "not valid JSON" + where + ": " + problem(e.getOriginalMessage());
    }

    /** An input file that is not JSON: kind INPUT, {@code file: not valid JSON at line L, column C: reason}. */
    public static InputException input(Path file, JsonProcessingException e) {
        return new InputException(file + ": " + reason(e), e);
    }

    private static String problem(String message) {
        if (message == null || message.isBlank()) {
            return "unreadable input";
        }
        String first = message.strip().lines().findFirst().orElse("").strip();
        String s = SOURCE.matcher(first).replaceAll("line $1, column $2");
        int source = s.indexOf("[Source:"); // a form the pattern does not know: cut rather than leak it
        return source < 0 ? s : s.substring(0, source).strip();
    }
}
