package org.exmerge.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.exmerge.error.ExmergeException;
import org.exmerge.error.InputChangedException;
import org.exmerge.error.InputException;
import org.exmerge.format.Checkpoint;
import org.exmerge.kernel.ffm.NativeException;

/**
 * The input checkpoints of a run, which remember what their files were when opened. Inputs are read
 * through memory maps, so a file truncated under a run makes a read fault (the JVM's InternalError
 * on the Java side, MK_E_FAULT from a native kernel), and one rewritten in place changes the bytes
 * read without any fault. {@link #explain} turns a failure into the input that changed, and
 * {@link #requireUnchanged} catches the silent case before the output is committed.
 */
final class InputWatch {
    private final List<Checkpoint> checkpoints;

    private InputWatch(List<Checkpoint> checkpoints) {
        this.checkpoints = checkpoints;
    }

    /** The checkpoints the plan's tensors read (LoRA adapter files included), each once, in plan order. */
    static InputWatch of(MergePlan plan) {
        Set<Checkpoint> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Checkpoint> list = new ArrayList<>();
        for (PlannedTensor t : plan.tensors()) {
            List<TensorSource> all = new ArrayList<>();
            if (t.base() != null) {
                all.add(t.base());
            }
            all.addAll(List.of(t.models()));
            for (TensorSource s : all) {
                if (seen.add(s.checkpoint())) {
                    list.add(s.checkpoint());
                }
                if (s.edit() != null && seen.add(s.edit().adapter().checkpoint())) {
                    list.add(s.edit().adapter().checkpoint());
                }
            }
        }
        return new InputWatch(List.copyOf(list));
    }

    /** Throws for the first input file that is no longer the one opened. */
    void requireUnchanged() throws InputChangedException {
        InputChangedException changed = firstChange(null);
        if (changed != null) {
            throw changed;
        }
    }

    /**
     * What to report for {@code failure} of the run: the first input that changed (whatever the
     * failure, since reading a changed file can fail in any way); failing that, for a fault reading
     * mapped input, an input error naming the inputs (a device's read error faults too); null
     * otherwise, when the failure is not the inputs' doing.
     */
    ExmergeException explain(Throwable failure) {
        InputChangedException changed = firstChange(failure);
        if (changed != null) {
            return changed;
        }
        if (!isFault(failure)) {
            return null;
        }
        List<Path> files = new ArrayList<>();
        checkpoints.forEach(c -> files.addAll(c.files()));
        String names = files.size() <= 3 ? files.toString()
                : files.subList(0, 3) + " and " + (files.size() - 3) + " more";
        return new InputException("reading an input failed (a fault in its memory-mapped bytes: a file changed while "
                + "it was being read, or its device reported a read error); inputs: " + names, failure);
    }

    private InputChangedException firstChange(Throwable cause) {
        for (Checkpoint c : checkpoints) {
            InputChangedException e = c.firstChangedFile(cause);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /**
     * Whether {@code t}, or what it wraps, is a fault reading memory-mapped input: the JVM's
     * InternalError for a Java-side access or a native kernel's MK_E_FAULT.
     */
    static boolean isFault(Throwable t) {
        for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) {
            if (t instanceof InternalError ie && ie.getMessage() != null
                    && ie.getMessage().contains("unsafe memory access")) {
                return true;
            }
            if (t instanceof NativeException ne && ne.status() == NativeException.Status.FAULT) {
                return true;
            }
        }
        return false;
    }
}
