package org.exmerge.format;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DTypeNamesTest {
    @Test
    void configNamesAsMergekitAndTorchSpellThem() {
        assertThat(DType.fromConfig("bfloat16")).isEqualTo(DType.BF16);
        assertThat(DType.fromConfig(" torch.float16 ")).isEqualTo(DType.F16);
        assertThat(DType.fromConfig("Torch.BFloat16")).isEqualTo(DType.BF16);
        assertThat(DType.fromConfig("half")).isEqualTo(DType.F16);
        assertThat(DType.fromConfig("float8_e4m3fn")).isEqualTo(DType.F8_E4M3);
        assertThat(DType.fromConfig("I64")).isEqualTo(DType.I64);
        assertThat(DType.fromConfig("torch.")).isNull();
        assertThat(DType.fromConfig("  ")).isNull();
        assertThat(DType.fromConfig("float13")).isNull();
    }

    @Test
    void everyFloatTypesConfigNameReadsBackAndIsListedForMessages() {
        for (DType t : DType.values()) {
            assertThat(DType.fromConfig(t.configName())).isEqualTo(t);
            if (t.isFloat()) {
                assertThat(DType.FLOAT_NAMES).contains(t.configName());
            }
        }
    }
}
