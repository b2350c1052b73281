package org.exmerge.engine;

import java.util.Map;
import org.exmerge.format.Checkpoint;
import org.exmerge.tokenizer.VocabPlan;

/** A merge's output vocabulary and the opened models its default rows read from. */
public record VocabRemap(VocabPlan plan, Map<String, Checkpoint> checkpoints) {}
