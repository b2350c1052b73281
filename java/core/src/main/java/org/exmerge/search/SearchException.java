package org.exmerge.search;

import org.exmerge.error.ExmergeException;

/** A search that cannot go on: a conflicting working directory, or a stage whose every candidate failed. */
public final class SearchException extends ExmergeException {
    private static final long serialVersionUID = 1L;
    private final Kind kind;

    public SearchException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SearchException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    @Override
    public Kind kind() {
        return kind;
    }
}
