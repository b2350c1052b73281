package org.exmerge.engine;

/**
 * A parameter a recipe gives that its merge method does not take (another method does): mergekit
 * reads only the method's own parameters, so a recipe may carry others, and the merge ignores it.
 *
 * @param path   where the recipe gives it ({@code models[1].parameters.density})
 * @param key    its name
 * @param method the recipe's method
 */
public record IgnoredParam(String path, String key, String method) {
    /** The line a merge prints about it. */
    public String notice() {
        return path + ": " + method + " takes no parameter '" + key + "'; it is ignored, as mergekit ignores it";
    }
}
