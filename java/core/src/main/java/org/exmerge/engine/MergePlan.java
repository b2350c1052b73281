package org.exmerge.engine;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.exmerge.lora.LoraAdapter;
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
 * @param ignored the parameters the recipe gives that its method does not take, which the merge ignores
 */
public record MergePlan(String method, List<PlannedTensor> tensors, Map<String, String> metadata,
                        Path configSource, Path tokenizerSource, int layerCount, long seed, String chatTemplate,
                        VocabPlan vocab, List<IgnoredParam> ignored) {

    /** A plan whose config and tokenizer files come from one directory, rows as they are. */
    public MergePlan(String method, List<PlannedTensor> tensors, Map<String, String> metadata,
                     Path auxSource, int layerCount, long seed, String chatTemplate) {
        this(method, tensors, metadata, auxSource, auxSource, layerCount, seed, chatTemplate, null, List.of());
    }

    /** This plan with {@code extra} added to the metadata it records (an extra key wins). */
    public MergePlan withMetadata(Map<String, String> extra) {
        if (extra.isEmpty()) {
            return this;
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putAll(extra);
        return new MergePlan(method, tensors, meta, configSource, tokenizerSource, layerCount, seed, chatTemplate, vocab, ignored);
    }

    /**
     * What the output is made from, each once in plan order: the files or directories of the models
     * its tensors read (LoRA adapters' too), and where its config and tokenizer files come from.
     */
    public List<Path> inputs() {
        Set<Path> seen = new java.util.LinkedHashSet<>();
        for (PlannedTensor t : tensors) {
            List<TensorSource> all = new ArrayList<>(List.of(t.models()));
            if (t.base() != null) {
                all.addFirst(t.base());
            }
            for (TensorSource s : all) {
                seen.add(s.checkpoint().path());
                if (s.edit() != null) {
                    seen.add(s.edit().adapter().directory()); // its config too: alpha, rank_pattern
                }
            }
        }
        for (Path aux : new Path[] {configSource, tokenizerSource}) {
            if (aux != null) {
                seen.add(aux);
            }
        }
        return List.copyOf(seen);
    }

    public long outputBytes() {
        long b = 0;
        for (PlannedTensor t : tensors) {
            b += t.outputBytes();
        }
        return b;
    }

    /**
     * One line per model a LoRA adapter is applied to, in the order the plan first reads them: e.g.
     * "model base+lora: LoRA adapter /a/lora, 224 tensors, r=16, alpha=32" (the tensors it changes here).
     */
    public List<String> adapters() {
        Map<String, Set<String>> changed = new LinkedHashMap<>();
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        for (PlannedTensor t : tensors) {
            List<TensorSource> all = new ArrayList<>(List.of(t.models()));
            if (t.base() != null) {
                all.addFirst(t.base());
            }
            for (TensorSource s : all) {
                if (s.edit() != null) {
                    changed.computeIfAbsent(s.model(), m -> new HashSet<>()).add(s.info().name());
                    adapters.putIfAbsent(s.model(), s.edit().adapter());
                }
            }
        }
        List<String> lines = new ArrayList<>();
        changed.forEach((model, names) -> lines.add("model " + model + ": " + adapters.get(model).describe(names.size())));
        return lines;
    }

    /**
     * One line per model whose input embedding the plan reads as its output embedding ({@link TiedNames}),
     * e.g. "model sft-2: no lm_head.weight (tied embeddings): its model.embed_tokens.weight is read in its place".
     */
    public List<String> tiedReads() {
        Set<String> lines = new java.util.LinkedHashSet<>();
        for (PlannedTensor t : tensors) {
            List<TensorSource> all = new ArrayList<>(List.of(t.models()));
            if (t.base() != null) {
                all.addFirst(t.base());
            }
            for (TensorSource s : all) {
                if (TiedNames.isOutputEmbedding(t.name()) && !s.info().name().equals(t.name())) {
                    lines.add("model " + s.model() + ": no " + t.name() + " (tied embeddings): its " + s.info().name()
                            + " is read in its place");
                }
            }
        }
        return List.copyOf(lines);
    }

    public long inputBytes() {
        long b = 0;
        for (PlannedTensor t : tensors) {
            b += t.inputBytes();
        }
        return b;
    }
}
