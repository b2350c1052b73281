package org.exmerge.engine;

import java.io.IOException;
import java.nio.file.Path;

/** Writing the output failed (disk full, permissions, rename); the partial output has been removed. */
public final class OutputException extends IOException {
    public OutputException(Path out, IOException cause) {
        super(out + ": " + cause.getMessage(), cause);
    }
}
