package org.exmerge.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Fnv1aTest {
    @Test
    void matchesPublishedVectors() {
        assertThat(Fnv1a.hash32("")).isEqualTo(0x811c9dc5);
        assertThat(Fnv1a.hash32("a")).isEqualTo(0xe40c292c);
        assertThat(Fnv1a.hash32("foobar")).isEqualTo(0xbf9cf968);
    }

    @Test
    void hashesTheUtf8BytesOfNonAsciiNames() {
        String name = "model.layers.0.ëmbed_τ.weight";
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        assertThat(utf8.length).isGreaterThan(name.length());
        assertThat(Fnv1a.hash32(name)).isEqualTo(referenceHash(utf8)).isEqualTo(Fnv1a.hash32(utf8));
    }

    // The definition in arbitrary precision, reduced mod 2^32 after each step.
    private static int referenceHash(byte[] bytes) {
        BigInteger mod = BigInteger.ONE.shiftLeft(32);
        BigInteger h = BigInteger.valueOf(0x811C9DC5L);
        for (byte b : bytes) {
            h = h.xor(BigInteger.valueOf(b & 0xFF)).multiply(BigInteger.valueOf(0x01000193L)).mod(mod);
        }
        return h.intValue();
    }
}
