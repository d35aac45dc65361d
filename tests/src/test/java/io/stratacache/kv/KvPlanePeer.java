package io.stratacache.kv;

import io.stratacache.core.tensor.DType;
import io.stratacache.engine.StorageEngine;
import java.lang.foreign.Arena;
import java.util.Map;

/**
 * The first process of {@link RedisSharedPlaneTest}: over its own CPU tier and the Redis tier
 * named by its arguments ({@code uri key_prefix}), stores the conversation of {@link #tokens()}
 * through a {@link KvPrefixCache}, prints {@code stored <chunks> <tokens>} and exits.
 */
public final class KvPlanePeer {
  static final int LAYERS = 2;
  static final int CHUNK = 16;
  static final int TOKENS = 10 * CHUNK + 5;

  private KvPlanePeer() {}

  static KvLayout layout() {
    return KvLayout.flashAttn(32, 16, 2, 8, DType.BF16);
  }

  static int[] tokens() {
    int[] t = new int[TOKENS];
    for (int i = 0; i < t.length; i++) {
      t[i] = (i * 7919 + 13) % 32_000;
    }
    return t;
  }

  static StorageEngine engine(String uri, String prefix) {
    return StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "16MiB"))
        .tier("remote", "redis", Map.of("uri", uri, "key_prefix", prefix))
        .build();
  }

  static KvPrefixCache cache(StorageEngine engine) {
    return KvPrefixCache.builder(engine).model("llama-shared").layout(layout()).layers(LAYERS)
        .config(KvConfig.builder().chunkSize(CHUNK).bundleLayers(true).savePartialChunks(true).build()).build();
  }

  public static void main(String[] args) {
    try (StorageEngine engine = engine(args[0], args[1]);
        KvPrefixCache cache = cache(engine);
        Arena arena = Arena.ofConfined()) {
      int[] tokens = tokens();
      KvPages pages = KvTestSupport.zeroPages(arena, layout(), LAYERS);
      int[] slots = new int[TOKENS];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = i;
      }
      KvTestSupport.fillDeterministic(pages, tokens, slots);
      KvStoreResult r = cache.store(tokens, pages, slots);
      if (r.failure() != null) {
        System.out.println("fail " + r.failure());
      } else {
        System.out.println("stored " + r.storedChunks() + " " + r.endToken());
      }
      System.out.flush();
    }
  }
}
