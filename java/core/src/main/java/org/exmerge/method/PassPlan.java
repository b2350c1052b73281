package org.exmerge.method;

import java.util.function.Function;

/**
 * A plan that can bind only once a {@link ModelPass} over many tensors has run (numerics §3
 * {@code scope: model}). The engine runs the pass for every plan sharing its key, before any output
 * exists, and binds {@link #resolve}'s plan instead of this one.
 *
 * @param <R> the pass's result
 */
public interface PassPlan<R> extends TensorPlan {

    /** The pass this plan needs; plans whose passes share a key are surveyed together. */
    ModelPass<R> pass();

    /** The plan to bind, given what the pass found. */
    TensorPlan resolve(R result);

    /** Never called by the engine, which binds {@link #resolve}'s plan. */
    @Override
    default TensorMerge bind(TensorInputs inputs) {
        throw new IllegalStateException(inputs.name() + ": this plan needs its model pass (" + pass().key()
                + ") to run before it binds");
    }

    /** A plan described by {@code description} that binds {@code resolve}'s plan once {@code pass} has run. */
    static <R> PassPlan<R> of(String description, ModelPass<R> pass, Function<R, TensorPlan> resolve) {
        return new PassPlan<>() {
            @Override
            public ModelPass<R> pass() {
                return pass;
            }

            @Override
            public TensorPlan resolve(R result) {
                return resolve.apply(result);
            }

            @Override
            public String describe() {
                return description;
            }
        };
    }
}
