package org.exmerge.recipe;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A parameter value as written in the config, with the key path it came from so that whoever
 * interprets it (a merge method) can report errors against the config's own text. Values are read,
 * per tensor, with {@link ParamResolver} (numerics §9).
 */
public sealed interface ParamValue permits ParamValue.Scalar, ParamValue.Gradient, ParamValue.Filtered {

    /** Key path of this value, e.g. {@code models[0].parameters.weight}. */
    String path();

    /** A single value: a {@link Double}, a {@link Boolean} or a {@link String}. Other numbers are widened to Double. */
    record Scalar(String path, Object value) implements ParamValue {
        public Scalar {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(value, "value");
            if (value instanceof Number n && !(value instanceof Double)) {
                value = n.doubleValue();
            } else if (!(value instanceof Double || value instanceof Boolean || value instanceof String)) {
                throw new IllegalArgumentException("a parameter scalar is a number, boolean or string, not " + value.getClass().getName());
            }
        }
    }

    /** A list of numbers read at the tensor's layer position t (numerics §9). Never empty. */
    record Gradient(String path, double[] values) implements ParamValue {
        public Gradient {
            Objects.requireNonNull(path, "path");
            if (values.length == 0) {
                throw new IllegalArgumentException(path + ": a gradient needs at least one value");
            }
            values = values.clone(); // the record is a value; nobody may change it behind our back
        }

        /** A copy of the values, so the record stays immutable. */
        @Override
        public double[] values() {
            return values.clone();
        }

        /** Number of values. */
        public int size() {
            return values.length;
        }

        /** The i-th value without copying the array. */
        public double value(int i) {
            return values[i];
        }

        // Records compare arrays by identity; a gradient is compared by its contents.
        @Override
        public boolean equals(Object o) {
            return o instanceof Gradient g && path.equals(g.path) && Arrays.equals(values, g.values);
        }

        @Override
        public int hashCode() {
            return 31 * path.hashCode() + Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Gradient[path=" + path + ", values=" + Arrays.toString(values) + "]";
        }
    }

    /** A list of {filter, value} entries; the first entry that matches a tensor's name gives its value. Never empty. */
    record Filtered(String path, List<Entry> entries) implements ParamValue {
        public Filtered {
            Objects.requireNonNull(path, "path");
            entries = List.copyOf(entries);
            if (entries.isEmpty()) {
                throw new IllegalArgumentException(path + ": a filtered parameter needs at least one entry");
            }
        }
    }

    /**
     * One {filter, value} entry. A null filter (or {@code "*"}) matches every tensor; otherwise the
     * filter matches tensors whose name contains it. The value is a {@link Scalar} or a {@link Gradient}.
     */
    record Entry(String filter, ParamValue value) {
        public Entry {
            Objects.requireNonNull(value, "value");
            if (value instanceof Filtered) {
                throw new IllegalArgumentException(value.path() + ": filtered entries do not nest");
            }
        }

        /** Whether this entry applies to the tensor (mergekit: absent, "*", or a substring of the name). */
        public boolean matches(String tensorName) {
            return filter == null || filter.equals("*") || (tensorName != null && !tensorName.isEmpty() && tensorName.contains(filter));
        }
    }
}
