package org.exmerge.method;

/**
 * A plan whose magnitude trim takes its threshold over all float tensors of each model (numerics §3
 * {@code scope: model}, the TIES paper's global trim) rather than per tensor. It cannot be bound
 * as it is: the engine first surveys every such tensor (two histogram reads of each τ_i, no sort),
 * finds model i's k-th largest {@code |τ_i|} with {@code k = floor(density_i · N)} (N = the model's
 * float elements in those tensors), and binds {@link #withThresholds} instead.
 */
public interface ModelScopeTrim extends TensorPlan {

    /** Per model (base excluded): the density of the model-wide trim; every tensor must give the same. */
    double[] modelDensities();

    /**
     * This plan with model i's threshold key ({@link org.exmerge.numeric.MagnitudeSelect} keys:
     * {@code NONE} keeps nothing, 0 keeps all).
     */
    TensorPlan withThresholds(long[] keys);

    /** A model-scope plan that is bound through {@code resolve} once the thresholds are known. */
    static ModelScopeTrim of(String description, double[] densities, java.util.function.Function<long[], TensorPlan> resolve) {
        double[] d = densities.clone();
        return new ModelScopeTrim() {
            @Override
            public double[] modelDensities() {
                return d.clone();
            }

            @Override
            public TensorPlan withThresholds(long[] keys) {
                return resolve.apply(keys.clone());
            }

            @Override
            public String describe() {
                return description;
            }

            @Override
            public TensorMerge bind(TensorInputs inputs) {
                throw new IllegalStateException(inputs.name() + ": a scope: model plan needs the engine's model survey first");
            }
        };
    }
}
