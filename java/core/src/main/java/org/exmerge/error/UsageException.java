package org.exmerge.error;

/** An argument or option the library refuses before any work: a dangerous output path, a budget too small. */
public class UsageException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    @Override
    public final Kind kind() {
        return Kind.RECIPE;
    }
}
