package io.stratacache.kv;

import io.stratacache.core.StrataCacheException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * A retrieve running in the background, layer by layer, so that an engine computes layer
 * {@code i} while layer {@code i + 1} is still loading. Returned by {@link
 * KvPrefixCache#retrieveLayerwise}.
 *
 * <p>{@link #awaitLayer(int)} returns how many tokens (from {@link KvRetrieveResult#startToken()})
 * are in that layer's pages once the layer is done. When all layers are stored in one artifact per
 * chunk the count is the same for every layer. When layers are stored apart a layer can find a
 * chunk missing that an earlier layer had (evicted meanwhile): the count never grows from one layer
 * to the next, and tokens beyond the last layer's count ({@link #await()}) must be computed in every
 * layer. Errors (for example a slot outside the pages) are thrown by every wait.
 */
public final class KvLayerwiseRetrieval {
  private final List<CompletableFuture<Integer>> layers;
  private final CompletableFuture<KvRetrieveResult> result = new CompletableFuture<>();

  KvLayerwiseRetrieval(int layerCount) {
    layers = new ArrayList<>(layerCount);
    for (int i = 0; i < layerCount; i++) {
      layers.add(new CompletableFuture<>());
    }
  }

  /** Layers of the pages. */
  public int layerCount() {
    return layers.size();
  }

  /** Whether {@code layer} is done (or the retrieve failed). */
  public boolean isLayerDone(int layer) {
    return layers.get(layer).isDone();
  }

  /**
   * Waits until {@code layer}'s pages hold the loaded tokens and returns how many were loaded.
   *
   * @throws IndexOutOfBoundsException if there is no such layer
   * @throws StrataCacheException if interrupted (the interrupt flag is kept)
   */
  public int awaitLayer(int layer) {
    return await(layers.get(layer), "layer " + layer);
  }

  /** Waits for every layer and returns the outcome. */
  public KvRetrieveResult await() {
    return await(result, "the retrieve");
  }

  void layerDone(int layer, int tokens) {
    layers.get(layer).complete(tokens);
  }

  void complete(KvRetrieveResult r) {
    result.complete(r);
  }

  void fail(Throwable t) {
    for (CompletableFuture<Integer> f : layers) {
      f.completeExceptionally(t);
    }
    result.completeExceptionally(t);
  }

  private static <T> T await(Future<T> f, String what) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StrataCacheException("interrupted while waiting for " + what, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new StrataCacheException("layer-wise retrieve failed: " + cause, cause);
    }
  }
}
