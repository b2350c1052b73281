/**
 * The library's exception hierarchy: {@link org.exmerge.error.ExmergeException} and its kinds. Imports
 * nothing of exmerge but {@code org.exmerge.text}, so every package may use it.
 */
package org.exmerge.error;
