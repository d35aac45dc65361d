package io.stratacache.backend.cxl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kv_expire_time and cleanup_interval on the CXL tier, driven by a clock the test moves. */
class CxlExpiryTest {
  private static final long SECOND = 1000;

  @TempDir Path dir;
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final List<CxlLayer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(CxlLayer::close);
  }

  private static LayerSpec spec(Path region, Object... kv) {
    Map<String, Object> m = new HashMap<>();
    m.put("path", region.toString());
    m.put("capacity", "1MiB");
    m.put("kv_expire_time", 10);
    m.put("cleanup_interval", 3600); // the test sweeps by hand
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return LayerSpec.of("shared", "cxl", m);
  }

  private CxlLayer open(Object... kv) {
    CxlLayer layer = CxlLayer.open("shared", CxlConfig.from(spec(dir.resolve("region"), kv)), now::get);
    opened.add(layer);
    return layer;
  }

  private static ArtifactId id(String s) {
    return ArtifactId.of(s);
  }

  private void advance(long millis) {
    now.addAndGet(millis);
  }

  @Test
  void artifact_expiresAfterKvExpireTimeWithoutStoreOrLoad_andALoadSlidesIt() {
    CxlLayer layer = open();
    layer.put(id("a"), ArtifactMeta.custom(), CxlLayerTest.bytes(1, 1000));
    layer.put(id("b"), ArtifactMeta.custom(), CxlLayerTest.bytes(2, 1000));
    advance(5 * SECOND);
    try (Lease l = layer.get(id("a"))) {
      assertNotNull(l);
    }
    advance(6 * SECOND); // b: 11 s idle; a: 6 s since its load
    assertFalse(layer.contains(id("b")), "expired: absent");
    assertNull(layer.get(id("b")));
    assertTrue(layer.contains(id("a")), "a load slides the expiry");
    assertEquals(1, layer.expiredArtifacts());
    assertEquals(1, layer.stats().artifacts(), "the expired artifact was removed, not just hidden");

    advance(10 * SECOND);
    assertEquals(List.of(), layer.ids(), "ids() lists no expired artifact");
    layer.sweepExpired();
    assertEquals(0, layer.stats().artifacts());
    assertEquals(0, layer.stats().usedBytes(), "its room is free");
    assertEquals(2, layer.expiredArtifacts());
  }

  @Test
  void loadsByAnotherAttachment_keepAnArtifactAliveForAll_andAStoreRestartsIt() {
    CxlLayer a = open();
    CxlLayer b = open();
    a.put(id("x"), ArtifactMeta.custom(), CxlLayerTest.bytes(3, 1000));
    advance(8 * SECOND);
    assertEquals(1000, b.loadInto(id("x"), Arena.ofAuto().allocate(1000)));
    advance(8 * SECOND);
    a.sweepExpired();
    assertTrue(a.contains(id("x")), "b's load 8 s ago keeps it");
    a.put(id("x"), ArtifactMeta.custom(), CxlLayerTest.bytes(4, 1000));
    advance(9 * SECOND);
    assertTrue(b.contains(id("x")), "the store restarted its time");
    advance(2 * SECOND);
    assertFalse(b.contains(id("x")));
  }

  @Test
  void lastUsed_isTheLastStoreOrLoadByAnyAttachment_andSurvivesAReopen() {
    CxlLayer a = open();
    CxlLayer b = open();
    long stored = now.get();
    a.put(id("u"), ArtifactMeta.custom(), CxlLayerTest.bytes(7, 1000));
    assertEquals(java.time.Instant.ofEpochMilli(stored), a.lastUsed(id("u")));
    advance(3 * SECOND);
    try (Lease l = b.get(id("u"))) {
      assertNotNull(l);
    }
    assertEquals(java.time.Instant.ofEpochMilli(stored + 3 * SECOND), a.lastUsed(id("u")));
    assertNull(a.lastUsed(id("absent")));
    a.close();
    b.close();
    assertEquals(java.time.Instant.ofEpochMilli(stored + 3 * SECOND), open().lastUsed(id("u")));
  }

  @Test
  void pinnedArtifact_neverExpires_untilUnpinned() {
    CxlLayer layer = open();
    layer.put(id("p"), ArtifactMeta.custom(), CxlLayerTest.bytes(5, 1000));
    assertTrue(layer.pin(id("p")));
    advance(60 * SECOND);
    layer.sweepExpired();
    assertTrue(layer.contains(id("p")));
    assertTrue(layer.unpin(id("p")));
    layer.sweepExpired();
    assertFalse(layer.contains(id("p")));
    assertEquals(1, layer.expiredArtifacts());
  }

  @Test
  void withoutKvExpireTime_nothingExpires() {
    CxlLayer layer = open("kv_expire_time", 0);
    layer.put(id("k"), ArtifactMeta.custom(), CxlLayerTest.bytes(6, 1000));
    advance(365L * 24 * 3600 * SECOND);
    layer.sweepExpired();
    assertTrue(layer.contains(id("k")));
    assertEquals(0, layer.expiredArtifacts());
  }

  @Test
  void settings_areCheckedNamingKeyAndExpectation() {
    Path region = dir.resolve("region");
    CxlConfig c = CxlConfig.from(spec(region, "kv_expire_time", 1.5, "cleanup_interval", 0.25));
    assertEquals(Duration.ofMillis(1500), c.expireAfter());
    assertEquals(Duration.ofMillis(250), c.cleanupInterval());
    ConfigException e = assertThrows(ConfigException.class, () -> CxlConfig.from(spec(region, "kv_expire_time", -1)));
    assertTrue(e.getMessage().contains("kv_expire_time") && e.getMessage().contains("seconds >= 0"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> CxlConfig.from(spec(region, "cleanup_interval", 0)));
    assertTrue(e.getMessage().contains("cleanup_interval") && e.getMessage().contains("seconds > 0"), e.getMessage());
  }
}
