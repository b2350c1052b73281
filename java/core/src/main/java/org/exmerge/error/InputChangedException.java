package org.exmerge.error;

import java.nio.file.Path;

/**
 * An input file was truncated, replaced or rewritten while a run was reading it. The output is
 * discarded: bytes read before and after the change cannot be told apart.
 */
public final class InputChangedException extends InputException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public InputChangedException(Path file, String detail, Throwable cause) {
        super(file + ": changed while it was being read" + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"), cause);
        this.file = file;
    }

    /** The input file that changed. */
    public Path file() {
        return file;
    }
}
