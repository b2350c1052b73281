package org.exmerge.lora;

/**
 * What a LoRA adapter does to one tensor of its model (numerics §12): the values start from the
 * model's tensor, or from the adapter's {@code replacement} of it (a {@code modules_to_save} module, a
 * trained bias, a saved embedding), and {@code delta} is added to them, if any.
 *
 * @param adapter the adapter it comes from
 * @param tensor the model's tensor name
 * @param replacement the adapter tensor whose values replace the model's, or null
 * @param delta what is added, or null
 */
public record TensorEdit(LoraAdapter adapter, String tensor, String replacement, Delta delta) {

    /** An addition to the tensor's values. */
    public sealed interface Delta permits LowRank, Bias {}

    /**
     * {@code scaling · B·A} added to a 2-D weight, or its transpose: row i, column j of the delta is
     * {@code Σ_k B[i][k]·A[k][j]} (A is {@code rank × columns}, B {@code rows × rank}); transposed (an
     * embedding, a GPT-2 Conv1D) it is {@code Σ_k B[j][k]·A[k][i]}.
     *
     * @param a the adapter tensor {@code lora_A.weight} or {@code lora_embedding_A}
     * @param b the adapter tensor {@code lora_B.weight} or {@code lora_embedding_B}
     */
    public record LowRank(String a, String b, int rank, double scaling, boolean transposed) implements Delta {}

    /** {@code scaling · lora_B.bias} added to the module's 1-D bias. */
    public record Bias(String b, double scaling) implements Delta {}
}
