package org.exmerge.cli;

import java.util.List;
import java.util.Map;

/**
 * What mergekit's command-line flags are here, for the error an unknown option gets: users come with
 * mergekit-yaml command lines, and "unknown option" alone does not say what to write instead.
 */
final class MergekitFlags {
    private static final String LAZY = "exmerge always maps its inputs and streams them; drop it";
    private static final String GPU = "here the backend is chosen with --backend (auto, native, java, cuda)";
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("--cuda", GPU), Map.entry("--device", GPU), Map.entry("--gpu-rich", GPU),
            Map.entry("--read-to-gpu", GPU), Map.entry("--multi-gpu", GPU),
            Map.entry("--lazy-unpickle", LAZY), Map.entry("--low-cpu-memory", LAZY + " (--memory caps what it holds)"),
            Map.entry("--clone-tensors", LAZY), Map.entry("--async-write", LAZY), Map.entry("--write-threads", LAZY),
            Map.entry("--random-seed", "here it is --seed N"),
            Map.entry("--num-threads", "here it is --threads N"), Map.entry("-j", "here it is --threads N"),
            Map.entry("--transformers-cache", "here the Hugging Face cache is --hub-cache DIR"),
            Map.entry("--allow-crimes", "exmerge merges any models whose tensors match; drop it"),
            Map.entry("--trust-remote-code", "exmerge runs no model code; drop it"),
            Map.entry("--copy-tokenizer", "the tokenizer is always carried (tokenizer_source in the recipe chooses it); drop it"),
            Map.entry("--no-copy-tokenizer", "the tokenizer is always carried (tokenizer_source in the recipe chooses it)"),
            Map.entry("--write-model-card", "the model card is written by default; drop it"),
            Map.entry("--no-write-model-card", "here it is --no-model-card"),
            Map.entry("--safe-serialization", "exmerge always writes safetensors; drop it"),
            Map.entry("--no-safe-serialization", "exmerge always writes safetensors"),
            Map.entry("--lora-merge-cache", "LoRA adapters are applied as the merge reads them, nothing is cached; drop it"),
            Map.entry("--lora-merge-dtype", "LoRA deltas are worked out in float32 and added in the model's type; drop it"),
            Map.entry("--verbose", "exmerge has one level of output (--json for a tool)"), Map.entry("-v", "exmerge has one level of output (--json for a tool)"),
            Map.entry("--quiet", "exmerge has one level of output (--json for a tool)"),
            Map.entry("--skip-undecomposable", "a norm or other tensor no pair can hold is saved whole, and only when it changed"));

    private MergekitFlags() {}

    /** "mergekit's --cuda: …" for the first of {@code unmatched} that is one of mergekit's flags, else null. */
    static String hint(List<String> unmatched) {
        for (String arg : unmatched) {
            String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String h = HINTS.get(flag);
            if (h != null) {
                return "mergekit's " + flag + ": " + h;
            }
        }
        return null;
    }
}
