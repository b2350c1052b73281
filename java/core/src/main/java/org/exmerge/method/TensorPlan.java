package org.exmerge.method;

/**
 * A method's decision for one tensor, made from parameters alone before any data is read, so that
 * every config error is found before output is written.
 */
public interface TensorPlan {

    /** A short human-readable form for --dry-run, e.g. "w=[0.55, 0.45] λ=1". */
    String describe();

    /** Binds the plan to the tensor's data; may read the data (thresholds, norms) before returning. */
    TensorMerge bind(TensorInputs inputs);

    /**
     * Whether {@link #bind} may read whole tensors (a norm, a threshold): the engine budgets memory
     * for one tensor of every input then. Plans that only compute chunk by chunk say false.
     */
    default boolean readsAtBind() {
        return true;
    }
}
