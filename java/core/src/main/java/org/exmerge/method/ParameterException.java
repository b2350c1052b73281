package org.exmerge.method;

/** A merge parameter is missing, unknown or out of range; the message starts with its config path. */
public final class ParameterException extends RuntimeException {
    public ParameterException(String message) {
        super(message);
    }
}
