package org.exmerge.error;

/** An input model or file cannot be used: unreadable, not a safetensors file, malformed, or not fitting the recipe. */
public class InputException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public final Kind kind() {
        return Kind.INPUT;
    }
}
