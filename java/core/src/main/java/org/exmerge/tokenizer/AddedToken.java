package org.exmerge.tokenizer;

/**
 * One added token and the settings transformers keeps for it (tokenizer.json's {@code added_tokens} entry).
 *
 * @param content the token's text
 * @param id its id
 * @param special whether decoding with {@code skip_special_tokens} drops it
 * @param normalized whether it is matched against the normalized text rather than the raw input
 * @param lstrip whether it swallows the whitespace on its left
 * @param rstrip whether it swallows the whitespace on its right
 * @param singleWord whether it matches only as a whole word
 */
public record AddedToken(String content, int id, boolean special, boolean normalized,
                         boolean lstrip, boolean rstrip, boolean singleWord) {}
