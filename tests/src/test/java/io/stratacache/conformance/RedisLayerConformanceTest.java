package io.stratacache.conformance;

import io.stratacache.redis.RedisFixture;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.MemoryLayer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The conformance kit over the {@code redis} provider, against a {@code redis-server} this test
 * starts on a loopback port. Each layer gets a key prefix of its own, so each starts empty.
 */
@ConformanceFor("redis")
class RedisLayerConformanceTest extends AbstractMemoryLayerTest {
  private static RedisFixture redis;
  private static final AtomicInteger PLANES = new AtomicInteger();

  @BeforeAll
  static void startServer() throws Exception {
    redis = RedisFixture.standalone("--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru");
  }

  @AfterAll
  static void stopServer() throws Exception {
    redis.close();
  }

  @Override
  protected MemoryLayer newLayer(String tierName, long capacityBytes) {
    return LayerProviders.forName("redis").open(LayerSpec.of(tierName, "redis", Map.of(
        "uri", redis.uri(), "key_prefix", "kit" + PLANES.incrementAndGet() + ":", "part_size", "256KiB")));
  }

  // The layer is SELF_EVICTING: capacity, eviction order, the eviction listener and the layer's own
  // usedBytes belong to Redis's maxmemory, so these contracts of a bounded layer do not apply.
  private static final String SELF_EVICTING = "not a contract of a SELF_EVICTING layer (Redis's maxmemory owns capacity and eviction)";

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void concurrentPutGetDelete_neverShowTornOrForeignBytes() throws Exception {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void evictionListener_throwing_keepsTheArtifact_andPropagates() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void layersOfOneProvider_underDifferentNames_areIndependent() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void put_intoALayerFullOfPins_isRefused_andLosesNothing() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void evictionListener_refusingEveryVictim_refusesThePut_andLosesNothing() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void stats_countEveryOperation_andReturnToZero() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void stats_afterEvictions_accountForWhatRemains() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void put_largerThanTheLayer_isRefused_andLosesNothing() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void eviction_followsLeastRecentlyUsedOrder_byDefault() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void delete_ofALeasedArtifact_keepsTheLeaseValidUntilClosed() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void reserve_makesRoomByEviction() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void put_thatEvictingEverythingEvictableCannotFit_isRefusedBeforeEvictingAnything() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void evictionListener_isAskedBeforeReuse_withTheVictimsBytes_whileItStaysLoadable() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void leasedArtifacts_surviveEvictionPressure() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void evictionListener_returningFalse_keepsTheArtifact_andTheLayerTriesTheNextVictim() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void evictionInProgress_doesNotBlockAPutOnAnotherThread() throws Exception {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void put_intoALayerFullOfLeases_isRefused_andLosesNothing() {}

  @Override
  @Test
  @Disabled(SELF_EVICTING)
  void pinnedArtifacts_surviveEvictionPressure_untilUnpinned() {}
}
