package org.exmerge.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class PlainTest {

    /** Progress lines, messages and config.json read the same whatever the user's locale. */
    @Test
    void digitsPointAndGroupingAreTheSameInEveryLocale() {
        Locale before = Locale.getDefault();
        try {
            for (Locale l : new Locale[] {Locale.GERMANY, Locale.forLanguageTag("ar-SA-u-nu-arab"), Locale.forLanguageTag("hi-IN-u-nu-deva"), Locale.ROOT}) {
                Locale.setDefault(l);
                assertThat(Plain.format("%,d parameters, %.2f GB/s, %3.0f%%, %s", 1234567L, 3.14159, 12.5, -0.5))
                        .as(l.toLanguageTag()).isEqualTo("1,234,567 parameters, 3.14 GB/s,  13%, -0.5");
                assertThat(Plain.format("%.2f", 2.675)).isEqualTo(String.format(Locale.ROOT, "%.2f", 2.675));
            }
        } finally {
            Locale.setDefault(before);
        }
    }
}
