package io.stratacache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Redis tier on a cluster of three masters with a replica each: batches span every node, and
 * when a master is SIGKILLed mid-workload its replica takes over, the workload finishes, and every
 * artifact read is either its own bytes or a miss.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RedisClusterTest {
  private static final int COUNT = 90;
  private static RedisFixture cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = RedisFixture.cluster();
  }

  @AfterAll
  static void stop() throws Exception {
    cluster.close();
  }

  private static MemoryLayer open() {
    return LayerProviders.forName("redis").open(LayerSpec.of("remote", "redis", Map.of(
        "uri", cluster.uri(), "mode", "cluster", "key_prefix", "c:", "part_size", "64KiB", "topology_refresh_ms", 500,
        "command_timeout_ms", 2000, "connect_timeout_ms", 1000, "breaker_failures", 3, "breaker_open_ms", 200)));
  }

  private static long size(int i) {
    return 1_000 + (i * 7_919L) % 250_000;
  }

  private static void fill(MemorySegment s, int i) {
    SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 1);
    for (long k = 0; k < s.byteSize(); k++) {
      s.set(ValueLayout.JAVA_BYTE, k, (byte) r.nextInt());
    }
  }

  /** Fails unless {@code lease} holds artifact {@code i}'s bytes. */
  private static void assertBytes(int i, Lease lease) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment expected = a.allocate(size(i));
      fill(expected, i);
      assertEquals(size(i), lease.size(), "size of artifact " + i);
      assertEquals(-1, expected.mismatch(lease.segment()), "bytes of artifact " + i + ": never wrong bytes");
    }
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("kv", "chunk" + i);
  }

  private static void put(MemoryLayer layer, int i) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment p = a.allocate(size(i));
      fill(p, i);
      layer.put(id(i), ArtifactMeta.custom(), p);
    }
  }

  @Test
  void masterKilledMidWorkload_replicaTakesOver_readsAreRightBytesOrMisses() throws Exception {
    try (MemoryLayer layer = open()) {
      List<ArtifactId> ids = new ArrayList<>();
      for (int i = 0; i < COUNT; i++) {
        put(layer, i);
        ids.add(id(i));
      }
      // one pipelined batch over every master
      assertEquals(COUNT, BatchAccess.containsAll(layer, ids).stream().filter(b -> b).count());
      Map<ArtifactId, Lease> all = BatchAccess.getAll(layer, ids);
      try {
        assertEquals(COUNT, all.size());
        for (int i = 0; i < COUNT; i++) {
          assertBytes(i, all.get(id(i)));
        }
      } finally {
        all.values().forEach(Lease::close);
      }
      assertEquals(new HashSet<>(ids), new HashSet<>(layer.ids()), "SCAN covers every master");

      RedisServers.Server master = null;
      for (RedisServers.Server s : cluster.nodes()) {
        if (s.command("INFO", "replication").contains("role:master")) {
          master = s;
          break;
        }
      }
      assertTrue(master != null, "a master to kill");

      int unavailable = 0;
      int misses = 0;
      boolean killed = false;
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      Set<Integer> okAfterKill = new HashSet<>();
      for (int round = 0; okAfterKill.size() < COUNT; round++) {
        assertTrue(System.nanoTime() < deadline, "the replica took over within 120 s; readable after the kill: " + okAfterKill.size());
        for (int i = 0; i < COUNT; i++) {
          if (round == 0 && i == COUNT / 2) {
            master.kill();
            killed = true;
          }
          try {
            if (round % 2 == 1) {
              put(layer, i); // stores go on through the fail-over
            }
            try (Lease lease = layer.get(id(i))) {
              if (lease == null) {
                misses++;
              } else {
                assertBytes(i, lease);
                if (killed) {
                  okAfterKill.add(i);
                }
              }
            }
          } catch (LayerUnavailableException duringFailover) {
            unavailable++;
          }
        }
        if (okAfterKill.size() < COUNT) {
          Thread.sleep(50);
        }
      }
      assertTrue(killed);
      System.out.printf("cluster fail-over: %d calls found the tier unavailable, %d misses, then all %d artifacts readable%n",
          unavailable, misses, COUNT);
    }
  }
}
