package org.exmerge.text;

import java.util.Locale;

/**
 * Text formatted the same in every locale: ASCII digits, '.' as the decimal point and ',' for
 * grouping, what {@code Locale.ROOT} gives. It formats with no locale at all, which the JDK's
 * Formatter takes as "no localization" and serves without its locale data: asking for ROOT loads
 * DecimalFormatSymbols and the CLDR provider, ~12 ms of a merge's start for its first progress line.
 */
public final class Plain {
    private Plain() {}

    /** {@link String#format(String, Object...)} without localization. */
    public static String format(String pattern, Object... args) {
        return String.format((Locale) null, pattern, args);
    }
}
