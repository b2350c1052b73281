package org.exmerge.text;

/**
 * Text from untrusted input (tensor names from a header, tokens, file names) made safe to print on
 * one line: control characters and the Unicode line and paragraph separators become {@code \\uXXXX},
 * so an error stays one line and a name cannot drive the terminal with escape sequences.
 */
public final class Printable {
    private Printable() {}

    /** {@code s} with each control character written as a {@code \\u} escape; {@code s} itself when it has none. */
    public static String of(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (bad && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                if (bad) {
                    b.append(Plain.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
