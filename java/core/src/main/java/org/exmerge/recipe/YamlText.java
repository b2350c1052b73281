package org.exmerge.recipe;

import java.util.HexFormat;

/**
 * Scalars of the recipes exmerge writes as text (the {@code exme} command's, a search's candidates),
 * written directly: through jackson's YAMLMapper, its ObjectMapper's set-up (serializers found by
 * introspection, a date format built at class initialisation) took ~0.25 s of an {@code exme}
 * command's start.
 */
public final class YamlText {
    private YamlText() {}

    /**
     * {@code s} as a double-quoted YAML scalar that reads back as exactly {@code s}: quotes and
     * backslashes escaped, backspace, tab, newline, form feed and carriage return as JSON escapes
     * them (so a string without the characters below is quoted byte for byte as a JSON string), and
     * every other character YAML would not keep as it is (controls, line and paragraph separators,
     * the byte-order mark, a lone surrogate) written as a {@code \\u} escape.
     */
    public static String quoted(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int shortEscape = "\"\\\b\t\n\f\r".indexOf(c);
            if (shortEscape >= 0) {
                b.append('\\').append("\"\\btnfr".charAt(shortEscape));
            } else if (kept(s, i)) {
                b.append(c);
            } else {
                b.append("\\u").append(HexFormat.of().withUpperCase().toHexDigits(c));
            }
        }
        return b.append('"').toString();
    }

    /** Whether the char at {@code i} may stand as itself inside double quotes (YAML 1.1 printable). */
    private static boolean kept(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
        return c >= 0x20 && c != 0x7F && !(c >= 0x80 && c <= 0x9F) && c != 0x2028 && c != 0x2029 && c != 0xFEFF
                && c != 0xFFFE && c != 0xFFFF;
    }
}
