package org.exmerge.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.exmerge.tokenizer.VocabPlan;

/**
 * Everything a run needs, decided before any output is written: the output tensors in order, the
 * metadata to record, and where config and tokenizer files come from.
 *
 * @param configSource directory whose config.json and generation_config.json are copied (null: none)
 * @param tokenizerSource directory whose tokenizer files are copied (null: none)
 * @param layerCount the output's layer count when it differs from the source's (slices), else -1
 * @param chatTemplate the chat template to write into the output's tokenizer files (null: as copied)
 * @param vocab the output vocabulary when a tokenizer source reorders or adds rows (null: rows as they are)
 */
public record MergePlan(String method, List<PlannedTensor> tensors, Map<String, String> metadata,
                        Path configSource, Path tokenizerSource, int layerCount, long seed, String chatTemplate,
                        VocabPlan vocab) {

    /** A plan whose config and tokenizer files come from one directory, rows as they are. */
    public MergePlan(String method, List<PlannedTensor> tensors, Map<String, String> metadata,
                     Path auxSource, int layerCount, long seed, String chatTemplate) {
        this(method, tensors, metadata, auxSource, auxSource, layerCount, seed, chatTemplate, null);
    }

    public long outputBytes() {
        long b = 0;
        for (PlannedTensor t : tensors) {
            b += t.outputBytes();
        }
        return b;
    }

    public long inputBytes() {
        long b = 0;
        for (PlannedTensor t : tensors) {
            b += t.inputBytes();
        }
        return b;
    }
}
