package org.exmerge.search;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.exmerge.Exmerge;
import org.exmerge.MergeOptions;
import org.exmerge.engine.PlanException;
import org.exmerge.engine.ProgressListener;
import org.exmerge.recipe.ConfigException;

/** Writes the winner: best/ (merged again, durably) and best.yaml, then the report. */
final class Winner {
    private Winner() {}

    static SearchOutcome finish(String kind, Result winner, Map<String, List<Result>> stages, Map<String, Object> chosen,
                                List<String> notes, SearchOptions opts, SearchListener listener)
            throws IOException {
        Path best = opts.best();
        Path yaml = opts.workdir().resolve("best.yaml");
        SearchFiles.requireOwn(yaml);
        listener.note("writing the winner (" + winner.candidate().label() + ") to " + best);
        MergeOptions m = opts.merge().withRun(opts.merge().run().withSync(true).withOverwrite(true));
        try {
            // The same recipe text as the candidate and as best.yaml: `exmerge merge best.yaml OUT` rebuilds it bit for bit.
            Exmerge.merge(Exmerge.Source.parse(winner.candidate().recipe(), yaml.toString()), best, m, ProgressListener.NONE);
        } catch (PlanException e) {
            throw SearchInputs.changed("the winner (" + winner.candidate().label() + ")", e);
        } catch (ConfigException e) {
            throw new IllegalStateException("the winner's recipe no longer plans: " + e.getMessage(), e);
        }
        SearchFiles.writeDurably(yaml, winner.candidate().recipe());
        SearchOutcome partial = new SearchOutcome(kind, winner, best, yaml, opts.workdir().resolve("report.md"), stages,
                chosen, notes);
        Report.write(partial, opts);
        listener.done(partial);
        return partial;
    }
}
