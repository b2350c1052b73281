package org.exmerge.format;

import java.util.Locale;

/** The element types a safetensors file may hold, named as the format names them. */
public enum DType {
    F64(8, true), F32(4, true), F16(2, true), BF16(2, true), F8_E4M3(1, true), F8_E5M2(1, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

    private final int size;
    private final boolean floating;

    DType(int size, boolean floating) {
        this.size = size;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** Whether merge arithmetic applies to this type (numerics §1: other types are copied from the base). */
    public boolean isFloat() {
        return floating;
    }

    /** The type for a safetensors header name, or null when the name is not one we know. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The floating-point types' names a config or --out-dtype takes, for messages. */
    public static final String FLOAT_NAMES = "float32, bfloat16, float16, float64, float8_e4m3fn or float8_e5m2"
            + " (also fp32, bf16, fp16, half, …, or torch.<name>)";

    /** The name torch, config.json's torch_dtype and mergekit's dtype use for this type. */
    public String configName() {
        return switch (this) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F32 -> "float32";
            case F64 -> "float64";
            case F8_E4M3 -> "float8_e4m3fn";
            case F8_E5M2 -> "float8_e5m2";
            default -> name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * The type for a config value: safetensors names and the torch-style names mergekit configs use
     * (float32, bfloat16, float16, float64, fp16, bf16..., with or without torch's "torch." prefix).
     * Null when unknown.
     */
    public static DType fromConfig(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith("torch.")) {
            n = n.substring("torch.".length());
        }
        return switch (n) {
            case "float32", "fp32", "f32", "float" -> F32;
            case "float16", "fp16", "f16", "half" -> F16;
            case "bfloat16", "bf16" -> BF16;
            case "float64", "fp64", "f64", "double" -> F64;
            case "float8_e4m3fn", "f8_e4m3", "fp8_e4m3" -> F8_E4M3;
            case "float8_e5m2", "f8_e5m2", "fp8_e5m2" -> F8_E5M2;
            default -> n.isEmpty() ? null : fromSafetensors(n.toUpperCase(Locale.ROOT));
        };
    }
}
