package org.exmerge.multi;

import java.io.IOException;
import org.exmerge.error.ExmergeException;
import org.exmerge.method.ParameterException;

/**
 * A failure of one document of an {@code exmerge multi} chain: the document's label, then the
 * message a {@code merge} of it would give, and the same kind (so the same exit code).
 */
public final class DocumentException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    private final Kind kind;

    private DocumentException(String message, Kind kind, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    @Override
    public Kind kind() {
        return kind;
    }

    /**
     * {@code e} as the failure of the document {@code label}; null for what is no document's
     * failure (a cancellation, an internal error), which the caller lets through as it is.
     */
    public static DocumentException of(String label, Throwable e) {
        Kind kind;
        if (e instanceof DocumentException d) {
            return d;
        } else if (e instanceof ExmergeException x) {
            kind = x.kind();
        } else if (e instanceof ParameterException || e instanceof IllegalArgumentException) {
            kind = Kind.RECIPE;
        } else if (e instanceof IOException) {
            kind = Kind.INPUT;
        } else {
            return null;
        }
        return new DocumentException(label + ": " + e.getMessage(), kind, e);
    }
}
