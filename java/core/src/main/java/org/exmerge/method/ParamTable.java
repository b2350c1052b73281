package org.exmerge.method;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.exmerge.recipe.EditDistance;
import org.exmerge.text.Plain;

/**
 * Renders parameter declarations for people: the Markdown table of {@code exmerge methods NAME} and
 * the docs, and the "did you mean" of an unknown name. Generated from the {@link Param}s, so the
 * defaults shown are the ones the code applies.
 */
public final class ParamTable {
    private ParamTable() {}

    /** A Markdown table: parameter, where, type, default, range, meaning (one row per parameter). */
    public static String markdown(List<Param> params) {
        StringBuilder sb = new StringBuilder("| parameter | where | type | default | range | meaning |\n");
        sb.append("| --- | --- | --- | --- | --- | --- |\n");
        for (Param p : params) {
            sb.append("| `").append(p.name()).append("` | ").append(where(p)).append(" | ").append(p.type().label())
                    .append(" | ").append(p.defaultText()).append(" | ").append(range(p)).append(" | ")
                    .append(p.description().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    /**
     * The parameters a recipe may give {@code m}: its own, and {@code int8_mask}, which the planner
     * accepts for every method (in mergekit it only changes the memory TIES and DARE use).
     */
    public static List<Param> accepted(MergeMethod m) {
        if (m.params().contains(Param.INT8_MASK)) {
            return m.params();
        }
        List<Param> all = new ArrayList<>(m.params());
        all.add(Param.INT8_MASK);
        return List.copyOf(all);
    }

    /** One line per method for {@code exmerge methods}: name, model count, base, parameter names. */
    public static String summary(MergeMethod m) {
        Signature s = m.signature();
        String models = s.minModels() == s.maxModels() ? Integer.toString(s.minModels())
                : s.maxModels() == Signature.ANY ? s.minModels() + "+" : s.minModels() + ".." + s.maxModels();
        String base = s.needsBase() ? "base" : m.optionalBase() ? "base optional" : "no base";
        StringBuilder names = new StringBuilder();
        for (Param p : accepted(m)) {
            names.append(names.isEmpty() ? "" : ", ").append(p.name());
        }
        return Plain.format("%-17s %-6s %-14s %s", m.name(), models, base, names);
    }

    static String where(Param p) {
        return p.scope() == Param.Scope.MODEL ? "per model" : "global";
    }

    static String range(Param p) {
        if (p.type() == Param.Type.CHOICE) {
            return p.choiceText();
        }
        String r = p.rangeText();
        return r.isEmpty() ? "" : r;
    }

    /** The allowed name closest to {@code key} (edit distance ≤ 2, or ≤ a third of its length), else null. */
    public static String nearest(String key, Collection<String> allowed) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = EditDistance.between(key, a);
            if (d < bestD || (d == bestD && best != null && a.compareTo(best) < 0)) {
                best = a;
                bestD = d;
            }
        }
        return best != null && bestD <= Math.max(2, key.length() / 3) && bestD < key.length() ? best : null;
    }
}
