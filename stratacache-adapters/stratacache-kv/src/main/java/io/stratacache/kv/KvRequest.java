package io.stratacache.kv;

import java.util.Objects;

/**
 * One request of a batched store or retrieve.
 *
 * @param tokens the prompt's tokens
 * @param pages the paged KV buffers
 * @param slotMapping the slot of each token, aligned with {@code tokens}
 * @param fromToken tokens before it are skipped (see {@link KvPrefixCache#store(int[], KvPages, int[], int)}
 *     and {@link KvPrefixCache#retrieve(int[], KvPages, int[], int)})
 */
public record KvRequest(int[] tokens, KvPages pages, int[] slotMapping, int fromToken) {
  public KvRequest {
    Objects.requireNonNull(tokens, "tokens");
    Objects.requireNonNull(pages, "pages");
    Objects.requireNonNull(slotMapping, "slotMapping");
  }

  /** A request covering every token. */
  public KvRequest(int[] tokens, KvPages pages, int[] slotMapping) {
    this(tokens, pages, slotMapping, 0);
  }
}
