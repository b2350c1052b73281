package org.exmerge.method;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a method accepts: whether it needs a base model, how many other models, and its parameters
 * (anything else in a config is an error with its path). The name sets are derived from the
 * declarations, so a parameter's scope is stated once, in its {@link Param}.
 */
public record Signature(boolean needsBase, int minModels, int maxModels, List<Param> params) {

    public static final int ANY = Integer.MAX_VALUE;

    public Signature {
        params = List.copyOf(params);
    }

    /** Names that may appear only at the top level or in a slice. */
    public Set<String> globalParams() {
        return names(Param.Scope.GLOBAL);
    }

    /** Names that may appear on a model's entry (and, as a fallback for every model, globally). */
    public Set<String> modelParams() {
        return names(Param.Scope.MODEL);
    }

    /** The declaration of {@code name}, or null. */
    public Param param(String name) {
        for (Param p : params) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        return null;
    }

    private Set<String> names(Param.Scope scope) {
        Set<String> s = new TreeSet<>();
        for (Param p : params) {
            if (p.scope() == scope) {
                s.add(p.name());
            }
        }
        return Set.copyOf(s);
    }
}
