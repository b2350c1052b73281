package org.exmerge;

/** The library's version, as recorded in every output's metadata. */
public final class Version {
    public static final String VERSION = "0.1.0";

    private Version() {}
}
