package org.exmerge.format;

import org.exmerge.error.InputException;
import java.nio.file.Path;
import org.exmerge.text.Plain;

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
        String where = String.valueOf(file);
        String what = tensor == null ? "" : "tensor '" + printable(tensor) + "': ";
        return printable(where) + ": " + what + printable(String.valueOf(reason));
    }

    /**
     * Names come from untrusted headers and may hold newlines or control characters; the message
     * must stay one line so log parsers and terminals show exactly one error.
     */
    static String printable(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (bad && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                if (bad) {
                    b.append(Plain.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
