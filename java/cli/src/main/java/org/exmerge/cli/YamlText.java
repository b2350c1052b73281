package org.exmerge.cli;

import java.util.HexFormat;

/**
 * The few YAML forms a recipe built from flags needs, written directly: jackson's YAMLMapper wrote
 * them before, and its ObjectMapper's set-up (serializers found by introspection, a date format
 * built at class initialisation) took ~0.25 s of every {@code exme} command's start.
 */
final class YamlText {
    private YamlText() {}

    /**
     * {@code s} as a double-quoted YAML scalar that reads back as exactly {@code s}: quotes and
     * backslashes escaped, and every character YAML would not keep as it is (controls, line and
     * paragraph separators, the byte-order mark, a lone surrogate) written as a {@code \\u} escape.
     */
    static String quoted(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
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
