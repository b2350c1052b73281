package org.exmerge.method;

/** A merge method, by its config name. Implementations are stateless. */
public interface MergeMethod {

    String name();

    Signature signature();

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
