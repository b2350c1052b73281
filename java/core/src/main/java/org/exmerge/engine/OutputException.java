package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Path;
import org.exmerge.error.ExmergeException;

/** Writing the output failed (disk full, permissions, rename); the partial output has been removed. */
public final class OutputException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    public OutputException(Path out, IOException cause) {
        super(out + ": " + cause.getMessage(), cause);
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
