/**
 * Exact numeric building blocks every backend must reproduce bit for bit: float narrowing and
 * widening (BF16, F16, F8), the FNV-1a tensor id, the Philox4x32-10 generator, the blocked float64
 * reduction order of numerics §4 and the exact magnitude select of numerics §3. Each class documents its
 * algorithm completely enough to be ported to C or CUDA without reading the Java.
 */
package org.exmerge.numeric;
