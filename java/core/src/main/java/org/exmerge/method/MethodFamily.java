package org.exmerge.method;

import java.util.List;

/**
 * The methods one package contributes to {@link Methods}. Implementations are found with
 * {@link java.util.ServiceLoader} through {@code META-INF/services/org.exmerge.method.MethodFamily}
 * (a public class with a public no-argument constructor), so this package names none of its
 * families, and a method shipped in another jar joins the registry by adding its own line there.
 */
public interface MethodFamily {

    /** The methods, in the order {@code exmerge methods} and the docs list them. */
    List<MergeMethod> methods();
}
