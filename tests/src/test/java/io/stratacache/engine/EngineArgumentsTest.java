package io.stratacache.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stratacache.config.LinkMode;
import io.stratacache.config.WritebackConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * Every public entry point of {@link StorageEngine}, its {@link Tier} views, its admin and its builder refuses a null argument with an exception
 * naming the parameter, before it takes a lock or touches a tier: nothing stored is lost, no lock
 * or lease is left behind.
 */
class EngineArgumentsTest {
  private static final ArtifactId X = ArtifactId.of("args", "x");
  private static final ArtifactMeta META = ArtifactMeta.of(ArtifactType.CUSTOM);

  private StorageEngine engine;
  private Arena arena;
  private MemorySegment payload;

  @BeforeEach
  void open() {
    engine = StorageEngine.builder()
        .tier("hot", "cpu", Map.of("capacity", "1MiB"))
        .tier("cold", "cpu", Map.of("capacity", "1MiB"))
        .link("hot", "cold", LinkMode.WRITE_BACK)
        // the worker stays idle, so that a lock it holds while flushing is never counted here
        .writeback(WritebackConfig.builder().flushInterval(java.time.Duration.ofHours(1)).build())
        .build();
    arena = Arena.ofShared();
    payload = arena.allocate(64);
    payload.fill((byte) 7);
    engine.store(X, META, payload);
  }

  @AfterEach
  void close() {
    engine.close();
    arena.close();
  }

  /** One entry point called with one null argument, and the parameter it must name. */
  private record Call(String method, String parameter, Executable call) {
    @Override
    public String toString() {
      return method + " with " + parameter + " null";
    }
  }

  private List<Call> calls() {
    MemorySegment dst = arena.allocate(64);
    Tier hot = engine.tier("hot");
    return List.of(
        new Call("store", "id", () -> engine.store(null, META, payload)),
        new Call("store", "meta", () -> engine.store(X, null, payload)),
        new Call("store", "payload", () -> engine.store(X, META, null)),
        new Call("reserve", "id", () -> engine.reserve(null, META, 64)),
        new Call("reserve", "meta", () -> engine.reserve(X, null, 64)),
        new Call("load", "id", () -> engine.load(null)),
        new Call("tryLoad", "id", () -> engine.tryLoad(null)),
        new Call("loadAll", "ids", () -> engine.loadAll(null)),
        new Call("loadAll", "ids[1]", () -> engine.loadAll(Arrays.asList(X, null))),
        new Call("loadInto", "id", () -> engine.loadInto(null, dst)),
        new Call("loadInto", "dst", () -> engine.loadInto(X, null)),
        new Call("contains", "id", () -> engine.contains(null)),
        new Call("delete", "id", () -> engine.delete(null)),
        new Call("tier", "name", () -> engine.tier(null)),
        new Call("tier.store", "id", () -> hot.store(null, META, payload)),
        new Call("tier.store", "meta", () -> hot.store(X, null, payload)),
        new Call("tier.store", "payload", () -> hot.store(X, META, null)),
        new Call("tier.storeDownward", "id", () -> hot.storeDownward(null, META, payload)),
        new Call("tier.storeDownward", "meta", () -> hot.storeDownward(X, null, payload)),
        new Call("tier.storeDownward", "payload", () -> hot.storeDownward(X, META, null)),
        new Call("tier.load", "id", () -> hot.load(null)),
        new Call("tier.tryLoad", "id", () -> hot.tryLoad(null)),
        new Call("tier.loadPreferred", "id", () -> hot.loadPreferred(null)),
        new Call("tier.contains", "id", () -> hot.contains(null)),
        new Call("tier.delete", "id", () -> hot.delete(null)),
        new Call("tier.pin", "id", () -> hot.pin(null)),
        new Call("tier.unpin", "id", () -> hot.unpin(null)),
        new Call("admin.onEviction", "observer", () -> engine.admin().onEviction(null)),
        new Call("admin.tierOf", "id", () -> engine.admin().tierOf(null)),
        new Call("open", "config", () -> StorageEngine.open(null)),
        new Call("fromFile", "yaml", () -> StorageEngine.fromFile(null)),
        new Call("builder.tier", "name", () -> StorageEngine.builder().tier(null, "cpu", Map.of())),
        new Call("builder.tier", "provider", () -> StorageEngine.builder().tier("t", null, Map.of())),
        new Call("builder.tier", "settings", () -> StorageEngine.builder().tier("t", "cpu", null)),
        new Call("builder.tier(layer)", "layer", () -> StorageEngine.builder().tier(null, "cpu")),
        new Call("builder.link", "from", () -> StorageEngine.builder().link(null, "b", LinkMode.WRITE_BACK)),
        new Call("builder.link", "to", () -> StorageEngine.builder().link("a", null, LinkMode.WRITE_BACK)),
        new Call("builder.link", "mode", () -> StorageEngine.builder().link("a", "b", null)),
        new Call("builder.writeback", "writeback", () -> StorageEngine.builder().writeback(null)),
        new Call("builder.section", "name", () -> StorageEngine.builder().section(null, Map.of())),
        new Call("builder.section", "values", () -> StorageEngine.builder().section("kv", null)),
        new Call("builder.plugins", "directories", () -> StorageEngine.builder().plugins(null)),
        new Call("builder.classLoader", "loader", () -> StorageEngine.builder().classLoader(null)));
  }

  @TestFactory
  Stream<DynamicTest> nullArgument_isRefusedNamingTheParameter_andLosesNothing() {
    return calls().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
      RuntimeException e = assertThrows(RuntimeException.class, c.call(), c.toString());
      assertTrue(e instanceof NullPointerException || e instanceof IllegalArgumentException, c + ": " + e);
      assertTrue(e.getMessage() != null && e.getMessage().startsWith(c.parameter() + ":"),
          c + ": message should start with the parameter's name, was: " + e.getMessage());
      assertEquals(0, engine.admin().lockedArtifacts(), c + ": locks left held");
      try (Lease l = engine.load(X)) {
        assertEquals(-1, payload.mismatch(l.segment()), c + ": the stored artifact changed");
      }
      for (LayerStats t : engine.stats().tiers()) {
        assertEquals(0, t.openLeases(), c + ": leases left open on " + t.tier());
      }
    }));
  }
}
