package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Path;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.IoErrors;

/** Writing the output failed (disk full, permissions, rename); the partial output has been removed. */
public final class OutputException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    /**
     * {@code out: reason}, plus the file the system named when it is another one (the directory the
     * output's temporary sibling was to be created in): Java's own messages are often the bare path.
     */
    public OutputException(Path out, IOException cause) {
        super(IoErrors.describe(out.toAbsolutePath().normalize(), cause), cause);
    }

    /** A refusal or failure that has no underlying I/O error (a path that must not be written). */
    public OutputException(String message) {
        super(message);
    }

    @Override
    public Kind kind() {
        return Kind.OUTPUT;
    }
}
