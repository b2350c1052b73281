package org.exmerge.recipe;

import java.util.Objects;
import org.exmerge.error.ExmergeException;

/**
 * A recipe that cannot be merged as written. The message is one line: the file it came from (when
 * known), then the key path of the offending value, then what is wrong, for example
 * {@code merge.yml: models[1].parameters.weight: expected a number, got 'half'}. The key path alone
 * is {@link #path()}, so callers that re-validate values (merge methods checking their own
 * parameters) report errors in the same shape.
 */
public final class ConfigException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String path;
    private final String detail;

    /** An error at {@code path} ("" for the document as a whole); {@code message} says what is wrong. */
    public ConfigException(String path, String message) {
        this(null, path, message, null);
    }

    ConfigException(String source, String path, String message, Throwable cause) {
        super(format(source, path, message), cause);
        this.source = source;
        this.path = Objects.requireNonNull(path, "path");
        this.detail = Objects.requireNonNull(message, "message");
    }

    @Override
    public Kind kind() {
        return Kind.RECIPE;
    }

    /** The key path of the offending value, e.g. {@code slices[0].sources[1].layer_range}; "" for the whole document. */
    public String path() {
        return path;
    }

    /** The file or other source the recipe came from; null when not known. */
    public String source() {
        return source;
    }

    /** What is wrong, without the source and path. */
    public String detail() {
        return detail;
    }

    /** The same error, reported as coming from {@code sourceName} (a file name). */
    public ConfigException withSource(String sourceName) {
        ConfigException e = new ConfigException(sourceName, path, detail, getCause());
        e.setStackTrace(getStackTrace());
        return e;
    }

    private static String format(String source, String path, String message) {
        StringBuilder sb = new StringBuilder();
        if (source != null && !source.isEmpty()) {
            sb.append(source).append(": ");
        }
        if (path != null && !path.isEmpty()) {
            sb.append(path).append(": ");
        }
        sb.append(message);
        // The message is promised to be one line (logs, CLI output); values quoted from the config
        // may carry line breaks, so they are shown escaped.
        return sb.toString().replace("\r", "\\r").replace("\n", "\\n");
    }
}
