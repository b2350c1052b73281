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

    /** The first five names, comma-separated, and how many more there are: a list for one line. */
    public static String firstFew(java.util.List<String> names) {
        String shown = String.join(", ", names.subList(0, Math.min(5, names.size())));
        return names.size() > 5 ? shown + " and " + (names.size() - 5) + " more" : shown;
    }
}
