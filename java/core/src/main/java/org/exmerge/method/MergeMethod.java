package org.exmerge.method;

import java.util.List;

/**
 * A merge method, by its config name; registered in {@link Methods}. Implementations are stateless.
 * See docs/adding-a-method.md.
 */
public interface MergeMethod {

    String name();

    Signature signature();

    /** The parameters this method reads, declared with their defaults and ranges (see {@link Param}). */
    default List<Param> params() {
        return signature().params();
    }

    /**
     * Whether the method merges relative to {@code base_model} when the recipe names one, without
     * needing one (nuslerp: task vectors with a base, the models themselves without). Methods that
     * need a base say so in their signature instead.
     */
    default boolean optionalBase() {
        return false;
    }

    /** Reads and checks the parameters for one tensor; throws ParameterException with the config path. */
    TensorPlan plan(TensorParams params, int models);
}
