package org.exmerge.error;

/**
 * The memory budget of a run is too small for even its leanest setting (one thread, the smallest
 * chunk). Raised before any output exists; the message says how much the merge needs and why.
 */
public final class BudgetException extends ExmergeException {
    private static final long serialVersionUID = 1L;

    private final long budgetBytes;
    private final long neededBytes;

    public BudgetException(String message, long budgetBytes, long neededBytes) {
        super(message);
        this.budgetBytes = budgetBytes;
        this.neededBytes = neededBytes;
    }

    /** The budget the run was given. */
    public long budgetBytes() {
        return budgetBytes;
    }

    /** The least the run needs. */
    public long neededBytes() {
        return neededBytes;
    }

    @Override
    public Kind kind() {
        return Kind.RECIPE;
    }
}
