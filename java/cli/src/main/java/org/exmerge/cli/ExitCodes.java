package org.exmerge.cli;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import org.exmerge.error.ExmergeException;
import org.exmerge.method.ParameterException;
import org.exmerge.text.Printable;
import picocli.CommandLine;

/** The CLI's exit codes, and which failure maps to which. */
final class ExitCodes {
    static final int OK = 0;
    static final int USAGE = 2;
    static final int INPUT = 3;
    static final int OUTPUT = 4;
    static final int INTERNAL = 70;
    static final int CANCELLED = 130;

    private ExitCodes() {}

    static int of(Throwable e) {
        if (e instanceof java.io.UncheckedIOException u) {
            return of(u.getCause());
        }
        if (e instanceof ExmergeException x) {
            return x.kind().exitCode();
        }
        if (e instanceof ParameterException || e instanceof CommandLine.ParameterException
                || e instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (e instanceof IOException) {
            return INPUT;
        }
        if (e instanceof CancellationException) {
            return CANCELLED;
        }
        return INTERNAL;
    }

    /** One line: the message, with the exception type only where the message alone would not say what broke. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof CancelledStep c) {
            return c.getMessage();
        }
        if (e instanceof CancellationException) {
            return "cancelled; no output was written";
        }
        if (m == null || m.isBlank() || ExitCodes.of(e) == INTERNAL) {
            m = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        }
        return Printable.of(m.replace('\n', ' ')); // an internal error's text may quote a raw input name
    }

    /** A cancellation in a run of several outputs, whose message says which were kept. */
    static final class CancelledStep extends CancellationException {
        private static final long serialVersionUID = 1L;

        CancelledStep(String message) {
            super(message);
        }
    }
}
