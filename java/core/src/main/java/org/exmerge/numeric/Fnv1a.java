package org.exmerge.numeric;

import java.nio.charset.StandardCharsets;

/**
 * FNV-1a, 32-bit: {@code h = 0x811C9DC5; for each byte c: h = (h ^ c) · 0x01000193 mod 2^32}.
 * numerics §5 uses it over a tensor name's UTF-8 bytes as the tensor id of the random counter, so the
 * id depends only on the name, never on file order or sharding.
 */
public final class Fnv1a {
    private static final int OFFSET_BASIS = 0x811C9DC5;
    private static final int PRIME = 0x01000193;

    private Fnv1a() {}

    /** The hash of {@code s}'s UTF-8 encoding. */
    public static int hash32(String s) {
        return hash32(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The hash of {@code bytes}. */
    public static int hash32(byte[] bytes) {
        int h = OFFSET_BASIS;
        for (byte b : bytes) {
            h = (h ^ (b & 0xFF)) * PRIME;
        }
        return h;
    }
}
