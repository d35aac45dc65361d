package io.stratacache.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.CapacityException;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.Capability;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis tier against a real server: parts, damage, foreign values, limits, TTLs and replaces. */
class RedisLayerTest {
  private static RedisFixture redis;
  private static final AtomicInteger PLANES = new AtomicInteger();
  private final List<MemoryLayer> layers = new ArrayList<>();
  private Arena arena;
  private String prefix;

  @BeforeAll
  static void start() throws Exception {
    // proto-max-bulk-len at its minimum (1 MiB), so an oversized value can be provoked
    redis = RedisFixture.standalone("--proto-max-bulk-len", "1mb");
  }

  @AfterAll
  static void stop() throws Exception {
    redis.close();
  }

  @BeforeEach
  void setUp() {
    arena = Arena.ofShared();
    prefix = "t" + PLANES.incrementAndGet() + ":";
  }

  @AfterEach
  void tearDown() {
    layers.forEach(MemoryLayer::close);
    arena.close();
  }

  private MemoryLayer open(Map<String, Object> extra) {
    Map<String, Object> settings = new HashMap<>(Map.of("uri", redis.uri(), "key_prefix", prefix, "part_size", "64KiB"));
    settings.putAll(extra);
    MemoryLayer layer = LayerProviders.forName("redis").open(LayerSpec.of("remote", "redis", settings));
    layers.add(layer);
    return layer;
  }

  private MemorySegment payload(long size, long seed) {
    MemorySegment s = arena.allocate(Math.max(size, 1), 8).asSlice(0, size);
    SplittableRandom r = new SplittableRandom(seed);
    for (long i = 0; i < size; i++) {
      s.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
    }
    return s;
  }

  private static void assertSameBytes(MemorySegment expected, Lease lease) {
    assertNotNull(lease, "lease");
    assertEquals(expected.byteSize(), lease.size());
    assertEquals(-1, expected.mismatch(lease.segment()), "bytes of " + lease.id());
  }

  private List<String> keys() throws Exception {
    String reply = redis.command("KEYS", prefix + "*");
    List<String> out = new ArrayList<>();
    for (String line : reply.split("\r\n")) {
      if (line.startsWith(prefix)) {
        out.add(line);
      }
    }
    return out;
  }

  @Test
  void declaresSharedAndSelfEvicting() {
    assertEquals(Set.of(Capability.SHARED, Capability.SELF_EVICTING), open(Map.of()).capabilities());
  }

  @Test
  void aLargeArtifact_isStoredInPartsUnderOneHashTag_andReadBackWhole() throws Exception {
    MemoryLayer layer = open(Map.of());
    ArtifactId id = ArtifactId.of("kv", "m", "big{one}");
    MemorySegment p = payload(1_000_003, 1);
    layer.put(id, ArtifactMeta.of(ArtifactType.KV_BLOCKS), p);

    List<String> keys = keys();
    assertEquals(16, keys.size(), "a head and 15 parts of 64 KiB for ~1 MB: " + keys);
    String tag = prefix + "{kv/m/big%7Bone%7D}";
    for (String k : keys) {
      assertTrue(k.startsWith(tag), k + " shares the hash tag " + tag);
    }
    try (Lease lease = layer.get(id)) {
      assertSameBytes(p, lease);
      assertEquals(ArtifactType.KV_BLOCKS, lease.meta().type());
    }
    assertEquals(List.of(id), layer.ids());
  }

  @Test
  void replacingAPartedArtifact_dropsTheOldParts_andDeleteDropsTheRest() throws Exception {
    MemoryLayer layer = open(Map.of());
    ArtifactId id = ArtifactId.of("r");
    layer.put(id, ArtifactMeta.custom(), payload(300_000, 1));
    MemorySegment second = payload(200_000, 2);
    layer.put(id, ArtifactMeta.custom(), second);
    assertEquals(4, keys().size(), "head + 3 parts of the second store only: " + keys());
    try (Lease lease = layer.get(id)) {
      assertSameBytes(second, lease);
    }
    MemorySegment small = payload(10, 3);
    layer.put(id, ArtifactMeta.custom(), small);
    assertEquals(1, keys().size(), "a one-piece replace leaves no parts: " + keys());
    layer.put(id, ArtifactMeta.custom(), second);
    assertTrue(layer.delete(id));
    assertEquals(List.of(), keys());
  }

  @Test
  void aMissingPart_isAMiss_countedCorrupt_andCleanedUp_withoutTouchingOthers() throws Exception {
    MemoryLayer layer = open(Map.of());
    ArtifactId damaged = ArtifactId.of("damaged");
    ArtifactId intact = ArtifactId.of("intact");
    layer.put(damaged, ArtifactMeta.custom(), payload(200_000, 1));
    MemorySegment keep = payload(200_000, 2);
    layer.put(intact, ArtifactMeta.custom(), keep);
    String part = keys().stream().filter(k -> k.startsWith(prefix + "{damaged}#")).findFirst().orElseThrow();
    redis.command("DEL", part);

    assertNull(layer.get(damaged));
    assertEquals(1, layer.stats().corrupt());
    assertFalse(layer.contains(damaged), "the damaged artifact was removed");
    assertTrue(keys().stream().noneMatch(k -> k.startsWith(prefix + "{damaged}")), "its parts too: " + keys());
    try (Lease lease = layer.get(intact)) {
      assertSameBytes(keep, lease);
    }
  }

  @Test
  void aTruncatedPart_isAMiss_neverWrongBytes() throws Exception {
    MemoryLayer layer = open(Map.of());
    ArtifactId id = ArtifactId.of("truncated");
    layer.put(id, ArtifactMeta.custom(), payload(200_000, 1));
    String part = keys().stream().filter(k -> k.contains("#")).findFirst().orElseThrow();
    redis.command("SET", part, "short");
    assertNull(layer.get(id));
    assertEquals(1, layer.stats().corrupt());
    assertFalse(layer.contains(id));
  }

  @Test
  void aFlippedByte_failsTheChecksum_andIsAMiss() throws Exception {
    MemoryLayer layer = open(Map.of());
    ArtifactId id = ArtifactId.of("flipped");
    layer.put(id, ArtifactMeta.custom(), payload(5_000, 1));
    redis.command("SETRANGE", prefix + "{flipped}", "4000", "X");
    assertNull(layer.get(id));
    assertEquals(1, layer.stats().corrupt());
  }

  @Test
  void foreignValuesUnderThePrefix_areMisses_andNothingElseIsLost() throws Exception {
    MemoryLayer layer = open(Map.of());
    MemorySegment keep = payload(1000, 9);
    layer.put(ArtifactId.of("mine"), ArtifactMeta.custom(), keep);
    redis.command("SET", prefix + "{not-a-record}", "hello from another client");
    redis.command("HSET", prefix + "{a-hash}", "field", "value");
    redis.command("SET", prefix + "no-braces", "x");

    assertNull(layer.get(ArtifactId.of("not-a-record")));
    assertNull(layer.get(ArtifactId.of("a-hash")));
    assertEquals(2, layer.stats().corrupt());
    assertEquals(List.of(ArtifactId.of("mine")), layer.ids(), "foreign keys are not artifacts");
    try (Lease lease = layer.get(ArtifactId.of("mine"))) {
      assertSameBytes(keep, lease);
    }
  }

  @Test
  void aValueLargerThanTheServerAccepts_isRefusedClearly_andNothingIsLost() {
    MemoryLayer layer = open(Map.of("part_size", "4MiB"));
    MemorySegment keep = payload(1000, 9);
    layer.put(ArtifactId.of("small"), ArtifactMeta.custom(), keep);
    CapacityException e = assertThrows(
        CapacityException.class, () -> layer.put(ArtifactId.of("huge"), ArtifactMeta.custom(), payload(2_000_000, 1)));
    assertTrue(e.getMessage().contains("proto-max-bulk-len"), e.getMessage());
    assertTrue(e.getMessage().contains("2000000"), e.getMessage());
    assertFalse(layer.contains(ArtifactId.of("huge")));
    assertEquals(1, layer.stats().rejected());
    try (Lease lease = layer.get(ArtifactId.of("small"))) {
      assertSameBytes(keep, lease);
    }
    // the same artifact in parts under the limit is fine
    MemoryLayer parted = open(Map.of("part_size", "512KiB"));
    MemorySegment big = payload(2_000_000, 1);
    parted.put(ArtifactId.of("huge"), ArtifactMeta.custom(), big);
    try (Lease lease = parted.get(ArtifactId.of("huge"))) {
      assertSameBytes(big, lease);
    }
  }

  @Test
  void ttlPerType_isSetOnStore_andSlidingRestartsItOnAHit() throws Exception {
    MemoryLayer layer = open(Map.of("kv_expire_time", 100, "ttl_sliding", true));
    layer.put(ArtifactId.of("kv"), ArtifactMeta.of(ArtifactType.KV_BLOCKS), payload(10, 1));
    layer.put(ArtifactId.of("param"), ArtifactMeta.of(ArtifactType.PARAM_CHUNK), payload(10, 1));
    long ttl = Long.parseLong(redis.command("PTTL", prefix + "{kv}").substring(1).trim());
    assertTrue(ttl > 90_000 && ttl <= 100_000, "PTTL " + ttl);
    assertEquals(":-1", redis.command("PTTL", prefix + "{param}").trim(), "no TTL for a type without one");
    redis.command("PEXPIRE", prefix + "{kv}", "50000");
    layer.get(ArtifactId.of("kv")).close();
    // the hit sends its PEXPIRE without waiting for the reply: read until it has landed
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    long after = Long.parseLong(redis.command("PTTL", prefix + "{kv}").substring(1).trim());
    while (after <= 90_000 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      after = Long.parseLong(redis.command("PTTL", prefix + "{kv}").substring(1).trim());
    }
    assertTrue(after > 90_000, "a hit restarted the TTL: " + after);
  }

  @Test
  void twoLayersWithOnePrefix_shareThePlane_andOtherPrefixesAreSeparate() {
    MemoryLayer a = open(Map.of());
    MemoryLayer b = open(Map.of());
    MemoryLayer other = open(Map.of("key_prefix", prefix + "other:"));
    MemorySegment p = payload(100_000, 5);
    a.put(ArtifactId.of("shared"), ArtifactMeta.custom(), p);
    try (Lease lease = b.get(ArtifactId.of("shared"))) {
      assertSameBytes(p, lease);
    }
    assertFalse(other.contains(ArtifactId.of("shared")));
  }

  @Test
  void batches_answerInOrder_withRepeatsAndMisses() {
    MemoryLayer layer = open(Map.of());
    List<ArtifactId> ids = new ArrayList<>();
    Map<ArtifactId, MemorySegment> stored = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      ArtifactId id = ArtifactId.of("c" + i);
      ids.add(id);
      if (i % 3 != 0) {
        MemorySegment p = payload(i * 5_000L, i);
        layer.put(id, ArtifactMeta.custom(), p);
        stored.put(id, p);
      }
    }
    List<Boolean> present = BatchAccess.containsAll(layer, ids);
    for (int i = 0; i < ids.size(); i++) {
      assertEquals(i % 3 != 0, present.get(i), ids.get(i).value());
    }
    List<ArtifactId> asked = new ArrayList<>(ids);
    asked.add(ids.get(1));
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, asked);
    try {
      assertEquals(stored.keySet(), leases.keySet());
      leases.forEach((id, lease) -> assertSameBytes(stored.get(id), lease));
    } finally {
      leases.values().forEach(Lease::close);
    }
    assertEquals(stored.size(), BatchAccess.deleteAll(layer, ids));
    assertEquals(0, layer.ids().size());
  }

  @Test
  void aPasswordInTheUri_isRefused_withoutEchoingIt() {
    ConfigException e = assertThrows(ConfigException.class, () -> open(Map.of("uri", "redis://user:s3cret-pw@127.0.0.1:" + redis.port())));
    assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    assertTrue(e.getMessage().contains("password_env"), e.getMessage());
  }

  @Test
  void unknownKeysAndBadValues_areRefusedByName() {
    ConfigException e = assertThrows(ConfigException.class, () -> open(Map.of("part_sise", "1MiB")));
    assertTrue(e.getMessage().contains("part_sise"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(Map.of("key_prefix", "a{b")));
    assertTrue(e.getMessage().contains("key_prefix"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(Map.of("part_size", "1KiB")));
    assertTrue(e.getMessage().contains("part_size"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> open(Map.of("uri", "http://127.0.0.1:1")));
    assertTrue(e.getMessage().contains("redis://"), e.getMessage());
  }

  @Test
  void sameIdsAfterReopen_byteIdentical() {
    MemoryLayer a = open(Map.of());
    MemorySegment p = payload(150_000, 7);
    a.put(ArtifactId.of("persist"), ArtifactMeta.custom(), p);
    a.close();
    MemoryLayer b = open(Map.of());
    try (Lease lease = b.get(ArtifactId.of("persist"))) {
      assertSameBytes(p, lease);
    }
    assertArrayEquals(new Object[] {ArtifactId.of("persist")}, b.ids().toArray());
  }
}
