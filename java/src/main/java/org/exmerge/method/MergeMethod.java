package org.exmerge.method;

/** A merge method, by its config name. Implementations are stateless. */
public interface MergeMethod {

    String name();

    Signature signature();

    /** Reads and checks the parameters for one tensor; throws ParameterException with the config path. */
    TensorPlan plan(TensorParams params, int models);
}
