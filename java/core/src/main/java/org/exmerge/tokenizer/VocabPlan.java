package org.exmerge.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.exmerge.recipe.ConfigException;
import org.exmerge.recipe.TokenEmbedding;
import org.exmerge.recipe.TokenizerOptions;

/**
 * The output vocabulary of a merge with a tokenizer source, and where each model's embedding rows
 * come from in it (mergekit's tokenizer build and permuted embeddings, with its default rules):
 * a model that has a token keeps its own row for it (unless a {@code tokens} entry forces another);
 * a model without it gets, in order, the entry's source, the one model that has it, zeros when none
 * has it, the base model's row, or the mean of the rows of every model that has it. Rows no token
 * uses (padding) keep the model's own row when it has that row unused, else the mean of its token rows.
 *
 * <p>Unlike mergekit, no row is dropped: the output has at least the tokenizer source's row count
 * (mergekit cuts the embeddings to the tokenizer's length), and the union's new tokens are numbered in
 * a fixed order (models as listed, the base first, each by increasing id; normal tokens before added
 * ones), where mergekit's follows a hash map's.
 */
public final class VocabPlan {
    /** A model's row for this output row is the mean of these rows (empty: zeros). */
    public record ModelRow(String model, int row) {}

    /** One input model: its vocabulary (null: it has no tokenizer files, so the reference's) and its embedding rows. */
    public record Input(String model, Vocabulary vocab, int rows) {}

    /** A model's row map entry: the mean of the model's token rows. */
    public static final int PAD_MEAN = -1;

    private final int rows;
    private final int tokenRows;
    private final String[] tokenAt;
    private final Map<String, int[]> from;
    private final Map<Integer, List<ModelRow>> defaults;
    private final List<AddedToken> newTokens;
    private final boolean identity;

    private VocabPlan(int rows, String[] tokenAt, Map<String, int[]> from, Map<Integer, List<ModelRow>> defaults,
                      List<AddedToken> newTokens, boolean identity) {
        this.rows = rows;
        this.tokenAt = tokenAt;
        this.from = from;
        this.defaults = defaults;
        this.newTokens = newTokens;
        this.identity = identity;
        int n = 0;
        for (String t : tokenAt) {
            n += t == null ? 0 : 1;
        }
        this.tokenRows = n;
    }

    /**
     * @param source  the copied tokenizer's vocabulary (base or a named model), or the base's for a union
     * @param union   whether every model's tokens join {@code source}'s
     * @param sourceRows the row count the output keeps at least (the tokenizer source's embedding rows)
     * @param base    the base model (its row is preferred for a token some models lack), or null
     * @param inputs  every model of the merge, the reference (base, else the first) first
     */
    public static VocabPlan build(Vocabulary source, boolean union, int sourceRows, String base, List<Input> inputs,
                                  TokenizerOptions options) throws ConfigException {
        Map<String, Map<String, Integer>> vocab = new LinkedHashMap<>();
        Map<String, Integer> rowsOf = new LinkedHashMap<>();
        for (Input in : inputs) {
            Vocabulary v = in.vocab() != null ? in.vocab() : inputs.get(0).vocab() != null ? inputs.get(0).vocab() : source;
            vocab.put(in.model(), usable(v, in.rows()));
            rowsOf.put(in.model(), in.rows());
        }
        Map<String, Integer> out = new LinkedHashMap<>(source.ids());
        List<AddedToken> added = new ArrayList<>();
        int next = source.size();
        if (union) {
            Map<String, AddedToken> addedAnywhere = new LinkedHashMap<>();
            for (Input in : inputs) {
                if (in.vocab() != null) {
                    for (AddedToken a : in.vocab().added().values()) {
                        if (a.id() < in.rows()) {
                            addedAnywhere.putIfAbsent(a.content(), a);
                        }
                    }
                }
            }
            for (Map<String, Integer> v : vocab.values()) {
                for (String tok : v.keySet()) {
                    if (!out.containsKey(tok) && !addedAnywhere.containsKey(tok)) {
                        out.put(tok, next);
                        added.add(new AddedToken(tok, next++, false, true, false, false, false));
                    }
                }
            }
            for (AddedToken a : addedAnywhere.values()) {
                if (!out.containsKey(a.content())) {
                    out.put(a.content(), next);
                    added.add(new AddedToken(a.content(), next++, a.special(), a.normalized(), a.lstrip(), a.rstrip(), a.singleWord()));
                }
            }
        }
        for (String tok : options.tokens().keySet()) {
            if (!out.containsKey(tok)) {
                out.put(tok, next);
                added.add(new AddedToken(tok, next++, false, true, false, false, false));
            }
        }
        int rows = Math.max(next, sourceRows);
        for (int id : out.values()) {
            rows = Math.max(rows, id + 1);
        }
        if (options.padToMultipleOf() > 0 && rows % options.padToMultipleOf() != 0) {
            rows += options.padToMultipleOf() - rows % options.padToMultipleOf();
        }
        String[] tokenAt = new String[rows];
        out.forEach((tok, id) -> tokenAt[id] = tok);

        Map<Integer, List<ModelRow>> defaults = new LinkedHashMap<>();
        Map<String, int[]> from = new LinkedHashMap<>();
        boolean identity = true;
        for (Input in : inputs) {
            Map<String, Integer> v = vocab.get(in.model());
            BitSet tokenRow = new BitSet(in.rows());
            v.values().forEach(tokenRow::set);
            int[] f = new int[rows];
            for (int r = 0; r < rows; r++) {
                String tok = tokenAt[r];
                if (tok == null) {
                    f[r] = r < in.rows() && !tokenRow.get(r) ? r : PAD_MEAN;
                    continue;
                }
                Integer own = v.get(tok);
                TokenEmbedding cfg = options.tokens().get(tok);
                if (own != null && (cfg == null || !cfg.force())) {
                    f[r] = own;
                } else {
                    if (!defaults.containsKey(r)) {
                        defaults.put(r, defaultRows(tok, cfg, base, vocab, rowsOf));
                    }
                    f[r] = -2 - r;
                }
            }
            identity &= in.rows() == rows;
            for (int r = 0; identity && r < rows; r++) {
                identity = f[r] == r;
            }
            from.put(in.model(), f);
        }
        return new VocabPlan(rows, tokenAt, from, defaults, List.copyOf(added), identity);
    }

    /** The model's token → row map without ids past its embedding rows (mergekit skips those too). */
    private static Map<String, Integer> usable(Vocabulary v, int rows) {
        Map<String, Integer> m = new LinkedHashMap<>();
        if (v != null) {
            v.ids().forEach((tok, id) -> {
                if (id < rows) {
                    m.put(tok, id);
                }
            });
        }
        return m;
    }

    private static List<ModelRow> defaultRows(String tok, TokenEmbedding cfg, String base, Map<String, Map<String, Integer>> vocab,
                                              Map<String, Integer> rowsOf) throws ConfigException {
        String path = "tokenizer.tokens." + tok + ".source";
        if (cfg != null) {
            return switch (cfg.kind()) {
                case ZERO -> List.of();
                case MODEL -> {
                    Integer row = modelVocab(cfg.model(), vocab, path).get(tok);
                    if (row == null) {
                        throw new ConfigException(path, "model '" + cfg.model() + "' has no token " + quoted(tok));
                    }
                    yield List.of(new ModelRow(cfg.model(), row));
                }
                case MODEL_TOKEN -> {
                    Map<String, Integer> v = modelVocab(cfg.model(), vocab, path);
                    int row;
                    if (cfg.token() != null) {
                        Integer r = v.get(cfg.token());
                        if (r == null) {
                            throw new ConfigException(path + ".token", "model '" + cfg.model() + "' has no token " + quoted(cfg.token()));
                        }
                        row = r;
                    } else {
                        row = cfg.tokenId();
                        if (row >= rowsOf.get(cfg.model())) {
                            throw new ConfigException(path + ".token_id", row + " is past model '" + cfg.model() + "''s "
                                    + rowsOf.get(cfg.model()) + " embedding rows");
                        }
                    }
                    yield List.of(new ModelRow(cfg.model(), row));
                }
            };
        }
        List<ModelRow> have = new ArrayList<>();
        ModelRow fromBase = null;
        for (Map.Entry<String, Map<String, Integer>> e : vocab.entrySet()) {
            Integer r = e.getValue().get(tok);
            if (r != null) {
                ModelRow mr = new ModelRow(e.getKey(), r);
                have.add(mr);
                if (e.getKey().equals(base)) {
                    fromBase = mr;
                }
            }
        }
        if (have.size() <= 1) {
            return have;
        }
        return fromBase != null ? List.of(fromBase) : have;
    }

    private static Map<String, Integer> modelVocab(String model, Map<String, Map<String, Integer>> vocab, String path)
            throws ConfigException {
        Map<String, Integer> v = vocab.get(model);
        if (v == null) {
            throw new ConfigException(path, "model '" + model + "' is not one of the merge's models (" + String.join(", ", vocab.keySet()) + ")");
        }
        return v;
    }

    private static String quoted(String tok) {
        return "'" + tok.replace("\n", "\\n") + "'";
    }

    /** The output's embedding rows. */
    public int rows() {
        return rows;
    }

    /** How many output rows hold a token. */
    public int tokenRows() {
        return tokenRows;
    }

    /** The token at output row r, or null (padding). */
    public String tokenAt(int r) {
        return tokenAt[r];
    }

    /** True when every model's embeddings are already the output's, row for row: nothing to move. */
    public boolean identity() {
        return identity;
    }

    /** Per output row, the model's source row, {@link #PAD_MEAN}, or {@code -2 - r}: the rows of {@link #defaultRows(int)}. */
    public int[] rowsOf(String model) {
        int[] f = from.get(model);
        return f == null ? null : f.clone();
    }

    /** What output row r is for a model that lacks its token: the mean of these rows (empty: zeros). */
    public List<ModelRow> defaultRows(int r) {
        return defaults.get(r);
    }

    /** Tokens the output tokenizer gains (the union's, and {@code tokens} entries new to it), by increasing id. */
    public List<AddedToken> newTokens() {
        return newTokens;
    }

    /** How many of the model's output rows are not its own row of the same token. */
    public int filledRows(String model) {
        int[] f = from.get(model);
        int n = 0;
        for (int r = 0; r < f.length; r++) {
            n += f[r] < 0 ? 1 : 0;
        }
        return n;
    }

    /** One line for a run's notices: the vocabulary's size, what is new, and how many rows each model has filled in. */
    public String describe() {
        StringBuilder b = new StringBuilder("vocabulary: " + tokenRows + " tokens in " + rows + " embedding rows");
        if (!newTokens.isEmpty()) {
            b.append(", ").append(newTokens.size()).append(" added to the tokenizer");
        }
        b.append("; rows filled in (no row of the model's own for the token):");
        String sep = " ";
        for (String m : from.keySet()) {
            b.append(sep).append(m).append(' ').append(filledRows(m));
            sep = ", ";
        }
        return b.toString();
    }
}
