package org.exmerge.method;

import java.util.Set;

/**
 * What a method accepts: whether it needs a base model, how many other models, and which parameter
 * names may appear globally or per model (anything else in a config is an error with its path).
 */
public record Signature(boolean needsBase, int minModels, int maxModels, Set<String> globalParams, Set<String> modelParams) {

    public static final int ANY = Integer.MAX_VALUE;
}
