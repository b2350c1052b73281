package org.exmerge.search;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A finished search.
 *
 * @param kind     "exme" or "m3"
 * @param winner   the chosen candidate's result
 * @param best     the winner's model directory (written durably)
 * @param recipe   the winner's recipe file
 * @param report   report.md
 * @param stages   every stage's results in candidate order, by stage name in search order
 * @param chosen   the chosen parameters (α per checkpoint, β; or λ and seed)
 * @param notes    things the report says besides the tables (a skipped stage …)
 */
public record SearchOutcome(String kind, Result winner, Path best, Path recipe, Path report,
                            Map<String, List<Result>> stages, Map<String, Object> chosen, List<String> notes) {

    /** Every failed candidate, in stage order. */
    public List<Result> failures() {
        return stages.values().stream().flatMap(List::stream).filter(r -> r != null && !r.ok()).toList();
    }
}
