package org.exmerge.kernel.ffm;

/**
 * A libexmerge call that returned an error status. The Java side checks arguments before calling,
 * so one of these means the two sides disagree (a bug), never bad user input; the message names
 * the function and the status. The one exception is {@link Status#FAULT}: the input memory the
 * kernel read faulted (a memory-mapped input file was truncated under it), which the engine reports
 * as the input that changed.
 */
public final class NativeException extends RuntimeException {
    /** The MK_E_* codes of exmerge.h. */
    public enum Status {
        NULL(ExmergeNative.MK_E_NULL, "a required pointer was NULL"),
        ARGUMENT(ExmergeNative.MK_E_ARGUMENT, "a count, flag or index out of range"),
        DTYPE(ExmergeNative.MK_E_DTYPE, "an element type the native kernels do not handle"),
        ISA(ExmergeNative.MK_E_ISA, "this CPU/OS cannot run that instruction set"),
        /** Reading an input faulted (SIGBUS): a memory-mapped file changed under the call. Not a bug. */
        FAULT(ExmergeNative.MK_E_FAULT, "reading an input faulted: a mapped file was truncated or failed"),
        UNKNOWN(Integer.MIN_VALUE, "an unknown status");

        final int code;
        final String meaning;

        Status(int code, String meaning) {
            this.code = code;
            this.meaning = meaning;
        }

        static Status of(int code) {
            for (Status s : values()) {
                if (s.code == code) {
                    return s;
                }
            }
            return UNKNOWN;
        }
    }

    private final Status status;
    private final int code;

    NativeException(String function, int code, String context) {
        super(function + " failed with status " + code + " (" + Status.of(code).meaning + ")"
                + (context == null || context.isEmpty() ? "" : ": " + context));
        this.status = Status.of(code);
        this.code = code;
    }

    public Status status() {
        return status;
    }

    public int code() {
        return code;
    }

    /** Throws unless {@code code} is MK_OK. */
    static void check(int code, String function, String context) {
        if (code != ExmergeNative.MK_OK) {
            throw new NativeException(function, code, context);
        }
    }
}
