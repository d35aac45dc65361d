package io.stratacache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.EngineStats;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine over CPU -&gt; Redis while the Redis server is SIGKILLed and started again: the
 * workload never sees an exception, loses nothing the CPU tier holds, and remote traffic resumes
 * once the server is back.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RedisEngineFaultTest {
  private static final int SIZE = 20_000;
  private RedisFixture redis;
  private RedisServers.Server server;

  @BeforeEach
  void start() throws Exception {
    redis = RedisFixture.standalone();
    server = redis.nodes().getFirst();
  }

  @AfterEach
  void stop() throws Exception {
    redis.close();
  }

  private Map<String, Object> remote() {
    return Map.of("uri", redis.uri(), "key_prefix", "fault:", "command_timeout_ms", 2000, "connect_timeout_ms", 2000,
        "breaker_failures", 2, "breaker_open_ms", 200);
  }

  private MemoryLayer side() {
    return LayerProviders.forName("redis").open(LayerSpec.of("side", "redis", remote()));
  }

  private static ArtifactId id(int i) {
    return ArtifactId.of("fault", Integer.toString(i));
  }

  private static void fill(MemorySegment s, int i) {
    SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L);
    for (long k = 0; k < s.byteSize(); k++) {
      s.set(ValueLayout.JAVA_BYTE, k, (byte) r.nextInt());
    }
  }

  private static void assertBytes(int i, Lease lease) {
    assertNotNull(lease, "artifact " + i + " was lost");
    try (Arena a = Arena.ofConfined()) {
      MemorySegment expected = a.allocate(SIZE);
      fill(expected, i);
      assertEquals(-1, expected.mismatch(lease.segment()), "bytes of artifact " + i);
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + " within 60 s");
      Thread.sleep(20);
    }
  }

  @Test
  void sigkillMidWorkload_thenRestart_workloadFinishes_nothingLocalLost_remoteResumes() throws Exception {
    ArtifactId onlyRemote = ArtifactId.of("fault", "only-remote");
    try (MemoryLayer side = side(); Arena arena = Arena.ofShared()) {
      MemorySegment p = arena.allocate(SIZE);
      fill(p, -1);
      side.put(onlyRemote, ArtifactMeta.custom(), p);
    }
    int total = 600;
    AtomicInteger progress = new AtomicInteger();
    try (StorageEngine engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "64MiB"))
        .tier("remote", "redis", remote())
        .build()) {
      CompletableFuture<Void> workload = CompletableFuture.runAsync(() -> {
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment p = arena.allocate(SIZE);
          SplittableRandom r = new SplittableRandom(42);
          for (int i = 0; i < total; i++) {
            fill(p, i);
            engine.store(id(i), ArtifactMeta.of(ArtifactType.KV_BLOCKS), p);
            int j = r.nextInt(i + 1);
            try (Lease lease = engine.load(id(j))) {
              assertBytes(j, lease);
            }
            progress.set(i + 1);
          }
        }
      });
      await("progress before the kill", () -> progress.get() >= total / 4);
      server.kill();
      int atKill = progress.get();
      await("progress with Redis down", () -> progress.get() >= atKill + total / 4 || workload.isDone());
      assertNull(engine.tryLoad(onlyRemote), "a CHAIN load of an artifact only Redis held falls through to a miss");
      server.restart();
      workload.get(120, TimeUnit.SECONDS);

      for (int i = 0; i < total; i++) {
        try (Lease lease = engine.load(id(i))) {
          assertBytes(i, lease);
        }
      }
      EngineStats stats = engine.stats();
      assertTrue(stats.skippedUnavailable() > 0, "stores and loads that skipped the remote tier are counted: " + stats);

      // remote traffic resumes without a restart: a store after the breaker's probe reaches Redis
      try (MemoryLayer side = side(); Arena arena = Arena.ofConfined()) {
        MemorySegment p = arena.allocate(SIZE);
        AtomicInteger n = new AtomicInteger(total);
        await("a store reaching the restarted Redis", () -> {
          int i = n.getAndIncrement();
          fill(p, i);
          engine.store(id(i), ArtifactMeta.of(ArtifactType.KV_BLOCKS), p);
          return side.contains(id(i));
        });
        try (Lease lease = side.get(id(n.get() - 1))) {
          assertBytes(n.get() - 1, lease);
        }
      }
    }
  }

  @Test
  void writeBackLink_keepsTheArtifactDirty_whileRedisIsDown_andFlushesItWhenBack() throws Exception {
    WritebackConfig writeback = new WritebackConfig(Duration.ofMillis(5), Duration.ofMillis(20), Duration.ofMillis(200),
        Duration.ofSeconds(30), 1L << 30, WritebackConfig.Backpressure.BLOCK);
    try (StorageEngine engine = StorageEngine.builder()
            .tier("hot", "cpu", Map.of("capacity", "16MiB"))
            .tier("remote", "redis", remote())
            .link("hot", "remote", LinkMode.WRITE_BACK)
            .writeback(writeback)
            .build();
        Arena arena = Arena.ofConfined();
        MemoryLayer side = side()) {
      server.kill();
      MemorySegment p = arena.allocate(SIZE);
      fill(p, 7);
      engine.store(id(7), ArtifactMeta.custom(), p);
      await("a failed flush attempt", () -> engine.stats().flushErrors() > 0);
      assertEquals(1, engine.stats().dirtyArtifacts(), "the artifact stays dirty while Redis is down");
      server.restart();
      await("the dirty artifact flushed", () -> engine.stats().dirtyArtifacts() == 0);
      try (Lease lease = side.get(id(7))) {
        assertBytes(7, lease);
      }
    }
  }
}
