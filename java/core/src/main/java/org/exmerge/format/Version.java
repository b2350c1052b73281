package org.exmerge.format;

/** The library's version, as recorded in every output's metadata ({@code exmerge.version}, which {@link OutputGuard} looks for). */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {}
}
