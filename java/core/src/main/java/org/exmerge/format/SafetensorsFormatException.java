package org.exmerge.format;

import org.exmerge.error.InputException;
import java.nio.file.Path;

/**
 * The one exception for a malformed safetensors file or checkpoint. Every validation failure in this
 * package ends here, so callers catch one type and can always tell the user which file and which
 * tensor is wrong (as huggingface/safetensors does with its single error enum).
 */
public final class SafetensorsFormatException extends InputException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;
    private final String reason;

    /**
     * @param file   the file that is wrong (a shard, an index file, or the path the caller gave)
     * @param tensor the tensor the problem concerns, or null when it concerns the file as a whole
     * @param reason what is wrong, in words
     */
    public SafetensorsFormatException(Path file, String tensor, String reason) {
        super(format(file, tensor, reason));
        this.file = file;
        this.tensor = tensor;
        this.reason = reason;
    }

    SafetensorsFormatException(Path file, String tensor, String reason, Throwable cause) {
        this(file, tensor, reason);
        initCause(cause);
    }

    public Path file() {
        return file;
    }

    /** The tensor name as it appears in the header (unescaped), or null. */
    public String tensor() {
        return tensor;
    }

    public String reason() {
        return reason;
    }

    private static String format(Path file, String tensor, String reason) {
        String what = tensor == null ? "" : "tensor '" + tensor + "': ";
        return file + ": " + what + reason; // ExmergeException escapes what the header put in the name
    }
}
