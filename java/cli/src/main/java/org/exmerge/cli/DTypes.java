package org.exmerge.cli;

import org.exmerge.format.DType;
import picocli.CommandLine;

/** Output types as mergekit configs name them (bfloat16, float16, float32) or as safetensors does. */
final class DTypes implements CommandLine.ITypeConverter<DType> {
    @Override
    public DType convert(String value) {
        DType t = DType.fromConfig(value);
        if (t == null || !t.isFloat()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a floating-point type: " + DType.FLOAT_NAMES);
        }
        return t;
    }
}
