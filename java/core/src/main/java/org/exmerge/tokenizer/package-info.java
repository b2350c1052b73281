/**
 * A model's tokenizer vocabulary, read from its files, and the vocabulary a merge writes (mergekit's
 * {@code tokenizer_source}).
 */
package org.exmerge.tokenizer;
