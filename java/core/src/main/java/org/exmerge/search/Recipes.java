package org.exmerge.search;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.exmerge.recipe.ModelName;
import org.exmerge.recipe.YamlText;
import org.exmerge.text.Plain;

/** Canonical recipe text: the same search always writes byte-identical recipes, so hashes identify candidates. */
final class Recipes {
    private static final Pattern NUMBER_OR_BOOLEAN = Pattern.compile("-?[0-9.eE+-]+|true|false");

    private Recipes() {}

    /** A model as a double-quoted YAML scalar, named as {@link #named} names it. */
    static String quote(Path p) {
        return YamlText.quoted(named(p).toString());
    }

    /** A number as YAML: Double.toString reads back to the same double. */
    static String num(double v) {
        return Double.toString(v);
    }

    /** A short model name for labels: its directory's name ({@code model+adapter}: both names). */
    static String name(Path p) {
        ModelName n = ModelName.parse(p.toString());
        if (n.lora() != null) {
            return name(Path.of(n.model())) + "+" + name(Path.of(n.lora()));
        }
        Path f = p.toAbsolutePath().normalize().getFileName();
        return f == null ? p.toString() : f.toString();
    }

    /**
     * A label per checkpoint, unique among them: its {@link #name}, or where two checkpoints share
     * that name (run-1/checkpoint-500 and run-2/checkpoint-500) as many trailing path components as
     * tell them apart. The report, the plots and the progress lines name checkpoints by these.
     */
    static Map<Path, String> labels(List<Path> checkpoints) {
        Map<Path, String> labels = new LinkedHashMap<>();
        for (int k = 1; labels.size() < checkpoints.size(); k++) {
            Map<String, Integer> count = new HashMap<>();
            for (Path c : checkpoints) {
                count.merge(tail(c, k), 1, Integer::sum);
            }
            for (Path c : checkpoints) {
                if (!labels.containsKey(c) && (count.get(tail(c, k)) == 1 || k > c.toAbsolutePath().getNameCount())) {
                    labels.put(c, tail(c, k));
                }
            }
        }
        Map<Path, String> ordered = new LinkedHashMap<>();
        checkpoints.forEach(c -> ordered.put(c, labels.get(c)));
        return ordered;
    }

    /** The labels the stage sft gave each checkpoint (its param "checkpoint"), for the report and plots. */
    static Map<String, String> labels(Map<String, List<Result>> stages) {
        Map<String, String> labels = new HashMap<>();
        for (Result r : stages.getOrDefault(ExmeSearch.SFT, List.of())) {
            if (r != null && r.candidate().params().get("checkpoint") instanceof String c) {
                labels.put(c, r.candidate().label());
            }
        }
        return labels;
    }

    /** The last {@code k} components of the model's path ({@code model+adapter}: of each side). */
    private static String tail(Path p, int k) {
        ModelName n = ModelName.parse(p.toString());
        if (n.lora() != null) {
            return tail(Path.of(n.model()), k) + "+" + tail(Path.of(n.lora()), k);
        }
        Path abs = p.toAbsolutePath().normalize();
        int count = abs.getNameCount();
        return count == 0 ? abs.toString() : abs.subpath(Math.max(0, count - k), count).toString();
    }

    /**
     * How the search's recipes name a model given on the command line: absolute, each side of
     * {@code model+adapter} resolved on its own, so best.yaml merges from anywhere. A recipe reads
     * every '+' as model+adapter, so a side whose absolute path holds one (a working directory such as
     * {@code ~/c++}) is named relative to the working directory instead, which is what relative names
     * in a recipe resolve against; a side that holds a '+' either way cannot be named and is refused.
     */
    static Path named(Path p) {
        String given = p.toString();
        ModelName n = ModelName.parse(given);
        if (n.lora() != null && Files.exists(p) && !Files.exists(Path.of(n.model()))) {
            throw new IllegalArgumentException("model '" + given + "': a '+' in a model name means model+adapter (here model '"
                    + n.model() + "', adapter '" + n.lora() + "'), so a directory whose name holds '+' cannot be named;"
                    + " rename it or link it under a name without '+'");
        }
        String model = side(n.model(), given);
        return Path.of(n.lora() == null ? model : model + "+" + side(n.lora(), given));
    }

    private static String side(String path, String given) {
        Path abs = Path.of(path).toAbsolutePath().normalize();
        if (abs.toString().indexOf('+') < 0) {
            return abs.toString();
        }
        String rel = Path.of("").toAbsolutePath().normalize().relativize(abs).toString();
        if (rel.indexOf('+') < 0) {
            return rel.isEmpty() ? "." : rel;
        }
        throw new IllegalArgumentException("model '" + given + "': " + abs + " holds a '+', which a recipe reads as"
                + " model+adapter, and so does its path from the working directory; rename the directory or link it under"
                + " a name without '+'");
    }

    /**
     * Every path a search reads: each model (and adapter of a {@code model+adapter}), a tokenizer
     * source that is a path, and the evaluator's own inputs.
     */
    static List<Path> inputs(List<Path> models, String tokenizerSource, Evaluator evaluator) {
        List<Path> out = new java.util.ArrayList<>();
        for (Path p : models) {
            ModelName n = ModelName.parse(p.toString());
            out.add(Path.of(n.model()));
            if (n.lora() != null) {
                out.add(Path.of(n.lora()));
            }
        }
        if (tokenizerSource != null && !tokenizerSource.equals("base") && !tokenizerSource.equals("union")) {
            out.add(Path.of(tokenizerSource));
        }
        out.addAll(evaluator.inputs());
        return out;
    }

    /** Whether the checkpoint is a model with a LoRA adapter, which must be merged to be scored. */
    static boolean adapted(Path checkpoint) {
        return ModelName.parse(checkpoint.toString()).lora() != null;
    }

    /** Stage-1 recipe of a model with its adapter applied and nothing else: passthrough copies it. */
    static String applied(Path checkpoint) {
        return "# exmerge search exme, stage sft: the checkpoint with its adapter applied (no merge)\n"
                + "merge_method: passthrough\n"
                + "models:\n"
                + "  - model: " + quote(checkpoint) + "\n";
    }

    /** A grid value as a label ("0.3"). */
    static String label(double v) {
        return Plain.format("%s", new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString());
    }

    /** Stage-1 description of a checkpoint scored as it is. */
    static String asIs(Path checkpoint) {
        return "# exmerge search exme, stage sft: the checkpoint scored as it is (no merge)\n"
                + "checkpoint: " + quote(checkpoint) + "\n";
    }

    /** The recipe line naming the tokenizer source (base, union or a model), or nothing for null. */
    static String tokenizer(String source) {
        if (source == null) {
            return "";
        }
        return "tokenizer_source: " + (source.equals("base") || source.equals("union") ? source : quote(Path.of(source))) + "\n";
    }

    /** EXPO(x, α) = x + α·(x − base), the expo method. */
    static String expo(Path base, Path sft, double alpha, String tokenizerSource) {
        return "# exmerge search exme, stage expo: EXPO(" + name(sft) + ", alpha=" + label(alpha) + ") = sft + alpha*(sft - base)\n"
                + "merge_method: expo\n"
                + "base_model: " + quote(base) + "\n"
                + "models:\n"
                + "  - model: " + quote(sft) + "\n"
                + "    parameters:\n"
                + "      alpha: " + num(alpha) + "\n"
                + tokenizer(tokenizerSource);
    }

    /** β·EXPO(x1, α1) + (1−β)·EXPO(x2, α2), the exme method (one fused pass). */
    static String exme(Path base, Path sft1, double alpha1, Path sft2, double alpha2, double beta, String tokenizerSource) {
        return "# exmerge search exme, stage exme: beta*EXPO(" + name(sft1) + ", " + label(alpha1) + ") + (1-beta)*EXPO("
                + name(sft2) + ", " + label(alpha2) + "), beta=" + label(beta) + "\n"
                + "merge_method: exme\n"
                + "base_model: " + quote(base) + "\n"
                + "models:\n"
                + "  - model: " + quote(sft1) + "\n"
                + "    parameters:\n"
                + "      alpha: " + num(alpha1) + "\n"
                + "  - model: " + quote(sft2) + "\n"
                + "    parameters:\n"
                + "      alpha: " + num(alpha2) + "\n"
                + "parameters:\n"
                + "  beta: " + num(beta) + "\n"
                + tokenizer(tokenizerSource);
    }

    /** A --param value as YAML: a number or boolean as it is (the reader types it), anything else a quoted string. */
    static String scalar(String v) {
        return NUMBER_OR_BOOLEAN.matcher(v).matches() ? v : YamlText.quoted(v);
    }

    /** M3 candidate k as an explicit recipe: the base method with weights (λ, 1 − λ) and the candidate's seed. */
    static String m3(String method, Path base, List<Path> models, double lambda, double alphaShape, int k, long seed,
                     List<String[]> params, String tokenizerSource) {
        StringBuilder b = new StringBuilder();
        b.append("# exmerge search m3: candidate ").append(k).append(", lambda ~ Beta(").append(label(alphaShape)).append(", ")
                .append(label(alphaShape)).append(") drawn from seed ").append(seed).append("; weights (lambda, 1 - lambda)\n");
        b.append("merge_method: ").append(method).append('\n');
        if (base != null) {
            b.append("base_model: ").append(quote(base)).append('\n');
        }
        b.append("models:\n");
        double[] w = {lambda, 1.0 - lambda};
        for (int i = 0; i < 2; i++) {
            b.append("  - model: ").append(quote(models.get(i))).append('\n')
                    .append("    parameters:\n")
                    .append("      weight: ").append(num(w[i])).append('\n');
        }
        if (!params.isEmpty()) {
            b.append("parameters:\n");
            for (String[] kv : params) {
                b.append("  ").append(kv[0]).append(": ").append(scalar(kv[1])).append('\n');
            }
        }
        b.append("seed: ").append(seed).append('\n');
        b.append(tokenizer(tokenizerSource));
        return b.toString();
    }
}
