package io.stratacache.djl;

import io.stratacache.core.tensor.DType;
import io.stratacache.kv.KvLayout;
import io.stratacache.kv.KvLookupResult;
import io.stratacache.kv.KvPages;
import io.stratacache.kv.KvPrefixCache;
import io.stratacache.kv.KvRetrieveResult;
import io.stratacache.kv.KvStoreResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Prefill that reuses cached KV prefixes: asks the {@link KvPrefixCache} how much of the prompt
 * is cached, scatters that prefix from the plane straight into the sequence's pages, computes
 * only the rest, and after the first token's logits are out stores the prompt's new chunks.
 *
 * <p>The model needs the last prompt token's logits, so at least that token is always computed:
 * a fully cached prompt reuses all but its last token (whose KV row is rewritten with the same
 * values). Logits equal a cold prefill's to float rounding.
 */
public final class ReusingPrefill {
  private final LlamaModel model;
  private final PagedKvCache cache;
  private final KvPrefixCache kv;
  private final KvPages pages;

  /**
   * Prefill for {@code model} over the pages of {@code cache}, reusing prefixes from {@code kv}.
   *
   * @throws IllegalArgumentException if {@code kv}'s layout or layer count is not {@code cache}'s
   */
  public ReusingPrefill(LlamaModel model, PagedKvCache cache, KvPrefixCache kv) {
    this.model = Objects.requireNonNull(model, "model");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.kv = Objects.requireNonNull(kv, "kv");
    this.pages = pagesOf(cache);
    if (!kv.layout().equals(pages.layout()) || kv.layers() != cache.config().numLayers()) {
      throw new IllegalArgumentException("kv: layout " + kv.layout() + " x " + kv.layers() + " layers (expected: "
          + pages.layout() + " x " + cache.config().numLayers() + ", the KV cache's)");
    }
  }

  /** The {@link KvLayout} of {@code cache}'s pages: vLLM flash-attention, float32. */
  public static KvLayout layoutOf(PagedKvCache cache) {
    ModelConfig c = cache.config();
    return KvLayout.flashAttn(cache.numBlocks(), cache.blockSize(), c.numKvHeads(), c.headDim(), DType.F32);
  }

  /** {@code cache}'s pages as the KV adapter sees them; the same memory the model computes on. */
  public static KvPages pagesOf(PagedKvCache cache) {
    List<java.lang.foreign.MemorySegment> layers = new ArrayList<>();
    for (int l = 0; l < cache.config().numLayers(); l++) {
      layers.add(cache.layerPages(l));
    }
    return new KvPages(layoutOf(cache), layers);
  }

  /**
   * What a prefill did.
   *
   * @param promptTokens tokens in the prompt
   * @param lookup the cached prefix found (tokens by tier), or {@code null} for a cold prefill
   * @param reusedTokens tokens whose KV came from the plane instead of being computed
   * @param logits the last prompt token's logits
   * @param ttftNanos time from the start of the prefill to the logits
   * @param stored the chunks stored after the logits were out, or {@code null} if not stored
   */
  public record Result(int promptTokens, KvLookupResult lookup, int reusedTokens, Logits logits, long ttftNanos, KvStoreResult stored) {}

  /**
   * Prefills {@code tokens} into the empty {@code seq}, reusing the cached prefix, then stores
   * the prompt's chunks that are not cached yet.
   *
   * @throws IllegalArgumentException if {@code seq} is not empty or belongs to another cache
   */
  public Result prefill(KvSequence seq, int[] tokens) {
    return run(seq, tokens, true);
  }

  /** Prefills {@code tokens} into the empty {@code seq} computing every token; stores nothing. */
  public Result coldPrefill(KvSequence seq, int[] tokens) {
    return run(seq, tokens, false);
  }

  private Result run(KvSequence seq, int[] tokens, boolean reuse) {
    if (seq.cache() != cache) {
      throw new IllegalArgumentException("seq: belongs to another KV cache (expected: this prefill's)");
    }
    if (seq.length() != 0) {
      throw new IllegalArgumentException("seq: holds " + seq.length() + " tokens (expected: an empty sequence)");
    }
    if (tokens.length == 0) {
      throw new IllegalArgumentException("tokens: none (expected: at least one)");
    }
    long t0 = System.nanoTime();
    seq.reserve(tokens.length);
    int[] slots = new int[tokens.length];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = Math.toIntExact(seq.slot(i));
    }
    KvLookupResult lookup = null;
    int reused = 0;
    if (reuse) {
      lookup = kv.lookup(tokens);
      if (lookup.hitTokens() > 0) {
        KvRetrieveResult r = kv.retrieve(Arrays.copyOf(tokens, lookup.hitTokens()), pages, Arrays.copyOf(slots, lookup.hitTokens()));
        reused = Math.min(r.startToken() == 0 ? r.endToken() : 0, tokens.length - 1);
      }
    }
    seq.setLength(reused);
    Logits logits = model.forward(seq, Arrays.copyOfRange(tokens, reused, tokens.length), false);
    long ttft = System.nanoTime() - t0;
    KvStoreResult stored = reuse ? kv.store(tokens, pages, slots) : null;
    return new Result(tokens.length, lookup, reused, logits, ttft, stored);
  }
}
