package org.exmerge.method;

import java.util.List;

/**
 * A pass over many tensors that plans need before they can bind: a statistic of the whole model
 * (numerics §3 {@code scope: model}: each model's k-th largest {@code |τ_i|} over all its tensors).
 * A plan asks for one by being a {@link PassPlan}; the engine runs the pass once for every plan
 * whose pass has the same {@link #key}, before any output exists, on the run's worker threads and
 * under its cancel token, then binds what each plan {@linkplain PassPlan#resolve resolves} to.
 *
 * <p>How the engine runs it: {@link #start} on the first plan's pass, with every participating
 * tensor in plan order, gives a {@link Run}. Each of its {@link Run#rounds} reads every
 * participating tensor once, cut into fixed pieces of {@link #pieceElements} elements (the last
 * piece of a tensor shorter; a piece never spans two tensors). Every piece gets a fresh
 * {@link Run#newState} that {@link Run#accumulate} fills on some worker; the states are folded into
 * the round's total by {@link Run#combine} strictly in tensor order, then piece order. Piece
 * boundaries and the fold order depend on nothing but the tensors, so a pass gives the same result
 * on any number of threads even when its combine is not associative (float sums). Then
 * {@link Run#endRound} sees the total, and after the last round {@link Run#result} goes to every
 * participating plan.
 *
 * @param <R> what the pass finds, handed to every participating plan
 */
public interface ModelPass<R> {

    /**
     * Which pass this is: plans whose passes have equal keys take part in one run of it. Plans
     * sharing a key must share {@code R}; whether their parameters agree is for {@link #start} to
     * check.
     */
    String key();

    /** Elements per piece: enough work to amortise a state, few enough to spread a tensor over the threads. */
    long pieceElements();

    /**
     * Bytes one piece's state holds. The engine budgets one per worker thread, plus one for the
     * running total, without knowing what the state is.
     */
    long stateBytes();

    /**
     * Whether a piece reads input {@code input} of its tensor: 0 is the base, {@code i + 1} is
     * model i. The engine releases the pages of the inputs read as each piece is done, and budgets
     * their bytes.
     */
    boolean reads(int input);

    /**
     * Begins the pass over every tensor whose plan declared a pass with this key, in plan order;
     * each tensor carries the pass its own plan declared, so disagreeing parameters are found here
     * ({@link ParameterException} naming two tensors).
     */
    Run<?, R> start(List<PassTensor> tensors);

    /**
     * One run of a pass over its tensors. The engine calls {@link #newState} and {@link #accumulate}
     * from worker threads, on distinct states; everything else from one thread, in order.
     *
     * @param <S> one piece's (and the round's total's) state: the method's own type
     * @param <R> the result
     */
    interface Run<S, R> {

        /** How many times every tensor is read (0 when the result needs no data). */
        int rounds();

        /** An empty state for a piece of round {@code round}; the round's total starts as one too. */
        S newState(int round);

        /** Adds elements {@code [start, start + n)} of {@code tensor} to {@code state}. */
        void accumulate(int round, S state, PassTensor tensor, long start, long n);

        /** {@code total} with {@code piece} folded in; called once per piece, in tensor then piece order. */
        S combine(int round, S total, S piece);

        /** The round's total over every piece; what the next round needs is kept here. */
        void endRound(int round, S total);

        /** What the pass found, after the last round. */
        R result();
    }
}
