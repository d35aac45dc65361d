package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.stratacache.durable.ChildJvm;
import io.stratacache.engine.StorageEngine;
import io.stratacache.redis.RedisFixture;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two JVM processes share one plane through Redis: a child JVM stores a conversation's KV chunks
 * with {@link KvPrefixCache}; this JVM, with a CPU tier of its own that never saw them, finds the
 * whole prefix with {@code lookup} and retrieves pages byte-identical to the child's.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisSharedPlaneTest {
  private static RedisFixture redis;

  @BeforeAll
  static void start() throws Exception {
    redis = RedisFixture.standalone();
  }

  @AfterAll
  static void stop() throws Exception {
    redis.close();
  }

  @Test
  void chunksStoredByAnotherJvm_areFoundAndRetrievedByteIdentical() throws Exception {
    String prefix = "shared-plane:";
    try (ChildJvm child = ChildJvm.start(KvPlanePeer.class, line -> {}, redis.uri(), prefix)) {
      String line = child.awaitLine(Duration.ofSeconds(120));
      assertEquals("stored " + (KvPlanePeer.TOKENS / KvPlanePeer.CHUNK + 1) + " " + KvPlanePeer.TOKENS, line);
      assertEquals(0, child.process().waitFor(60, TimeUnit.SECONDS) ? child.process().exitValue() : -1, "child exit");
    }
    int[] tokens = KvPlanePeer.tokens();
    try (StorageEngine engine = KvPlanePeer.engine(redis.uri(), prefix);
        KvPrefixCache cache = KvPlanePeer.cache(engine);
        Arena arena = Arena.ofConfined()) {
      KvLookupResult found = cache.lookup(tokens);
      assertEquals(KvPlanePeer.TOKENS, found.hitTokens(), "the whole prefix is found: " + found);
      assertEquals(Map.of("remote", KvPlanePeer.TOKENS), Map.copyOf(found.tokensByTier()).entrySet().stream()
          .filter(e -> e.getValue() > 0).collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
          "found in the shared tier, not in this JVM's CPU tier");

      KvPages expected = KvTestSupport.zeroPages(arena, KvPlanePeer.layout(), KvPlanePeer.LAYERS);
      int[] expectedSlots = new int[tokens.length];
      int[] slots = new int[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        expectedSlots[i] = i;
        slots[i] = tokens.length - 1 - i + 100; // other slots than the child's
      }
      KvTestSupport.fillDeterministic(expected, tokens, expectedSlots);
      KvPages target = KvTestSupport.zeroPages(arena, KvPlanePeer.layout(), KvPlanePeer.LAYERS);
      KvRetrieveResult r = cache.retrieve(tokens, target, slots);
      assertNull(r.failure());
      assertEquals(KvPlanePeer.TOKENS, r.loadedTokens());
      assertEquals(-1, KvTestSupport.firstDifferentToken(expected, expectedSlots, target, slots, 0, tokens.length), "pages byte-identical");
    }
  }
}
