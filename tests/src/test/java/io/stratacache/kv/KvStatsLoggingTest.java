package io.stratacache.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.StrataConfig;
import io.stratacache.core.tensor.DType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.testkit.LogCapture;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code logging} section drives the cache's statistics lines. */
class KvStatsLoggingTest {
  private LogCapture log;

  @BeforeEach
  void capture() {
    log = LogCapture.of(KvPrefixCache.class);
  }

  @AfterEach
  void release() {
    log.close();
  }

  private List<String> lookups(String logging, int n) {
    StrataConfig config = StrataConfig.parse(
        "tiers: [{name: hot, provider: cpu, capacity: 1MiB}]\nkv: {chunk_size: 16}\nlogging: " + logging + "\n", "test");
    try (StorageEngine engine = StorageEngine.open(config);
        KvPrefixCache cache = KvPrefixCache.builder(engine).model("logged").layout(KvLayout.mla(4, 16, 8, DType.BF16)).layers(1).build()) {
      for (int i = 0; i < n; i++) {
        cache.lookup(new int[32]);
      }
    }
    return log.messages(Level.INFO);
  }

  @Test
  void everyNthLookup_logsTheStatistics() {
    List<String> got = lookups("{log_stats: true, log_every: 2, log_min_interval_s: 0}", 6);
    assertEquals(3, got.size(), got.toString());
    assertTrue(got.get(0).startsWith("kv logged: 2 lookups, hit rate 0.000 (0 of 64 prompt tokens; by tier {hot=0})"), got.get(0));
    assertTrue(got.get(2).startsWith("kv logged: 6 lookups"), got.get(2));
  }

  @Test
  void theMinimumInterval_allowsTheFirstLineOnly() {
    assertEquals(1, lookups("{log_stats: true, log_every: 1, log_min_interval_s: 3600}", 5).size());
  }

  @Test
  void withoutLogStats_nothingIsLogged() {
    assertEquals(0, lookups("{log_stats: false, log_every: 1, log_min_interval_s: 0}", 5).size());
  }
}
