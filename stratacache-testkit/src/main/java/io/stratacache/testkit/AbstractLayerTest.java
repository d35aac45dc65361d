package io.stratacache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.Capability;
import io.stratacache.spi.LayerStats;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The fixture every contract class of the kit shares: a {@link LayerFactory}, a seeded payload
 * generator, and checks after each test.
 *
 * <p>Before each test the kit opens and closes one layer to read its {@link
 * MemoryLayer#capabilities()}, and aborts the test through a JUnit assumption when the class's
 * {@link Contract} or the method's {@link NotFor} says it does not apply. After each test it checks
 * that no lease was left open and that no layer holds more than its capacity, then closes every
 * layer it opened.
 *
 * <p>Sizes are chosen so that a layer's own per-artifact overhead (alignment, record headers) of up
 * to a few KiB does not change the outcome: three artifacts of {@value #THIRD} bytes fit a layer of
 * {@value #CAPACITY} bytes, and a fourth does not. Randomised tests derive their data from {@code
 * -Dtests.seed} (random if unset); a failing test prints the seed to reproduce it with.
 */
@ExtendWith(ConformanceReport.class)
public abstract class AbstractLayerTest {
  /** Capacity of the layers most tests open. */
  protected static final long CAPACITY = 1 << 20;

  /** Three artifacts of this size fit {@link #CAPACITY}; a fourth does not. */
  protected static final int THIRD = 300_000;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  @RegisterExtension static final TestWatcher SEED_REPORTER = Seeds.REPORTER;

  /** This test's seed, derived from the run's seed and the test's name. */
  protected long seed;

  /** Holds test payloads; closed after each test. */
  protected Arena arena;

  /** What the layer under test declares. */
  protected Set<Capability> capabilities;

  private LayerFactory factory;
  private final List<MemoryLayer> opened = new ArrayList<>();

  /** How to open layers of the provider under test; called once before each test. */
  protected abstract LayerFactory factory();

  @BeforeEach
  public final void setUpKit(TestInfo info) {
    seed = mix(Seeds.seed() ^ (info.getTestMethod().orElseThrow().getName() + info.getDisplayName()).hashCode());
    factory = factory();
    assertNotNull(factory, "factory() returned null");
    capabilities = probeCapabilities(factory);
    Contract contract = getClass().getAnnotation(Contract.class);
    if (contract != null) {
      for (Capability c : contract.requires()) {
        Assumptions.assumeTrue(capabilities.contains(c), "not " + c);
      }
      for (Capability c : contract.excludes()) {
        Assumptions.assumeFalse(capabilities.contains(c), c.name());
      }
    }
    NotFor notFor = info.getTestMethod().orElseThrow().getAnnotation(NotFor.class);
    if (notFor != null) {
      for (Capability c : notFor.value()) {
        Assumptions.assumeFalse(capabilities.contains(c), c.name());
      }
    }
    arena = Arena.ofShared();
  }

  @AfterEach
  public final void checkInvariantsAndClose() {
    try {
      for (MemoryLayer layer : opened) {
        LayerStats stats;
        try {
          stats = layer.stats();
        } catch (LayerUnavailableException closedByTheTest) {
          continue;
        }
        assertEquals(0, stats.openLeases(), "tier '" + layer.name() + "': leases still open after the test");
        assertTrue(
            stats.usedBytes() <= stats.capacityBytes(),
            "tier '" + layer.name() + "': usedBytes " + stats.usedBytes() + " > capacity " + stats.capacityBytes());
      }
    } finally {
      opened.forEach(MemoryLayer::close);
      opened.clear();
      if (arena != null) {
        arena.close();
      }
    }
  }

  private static Set<Capability> probeCapabilities(LayerFactory factory) {
    try (MemoryLayer probe = factory.open("capabilities", CAPACITY, "lru")) {
      Set<Capability> declared = probe.capabilities();
      return declared.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(declared));
    }
  }

  /** The class that encloses {@code type} as {@code @Nested} classes are enclosed, or itself. */
  static Class<?> topLevel(Class<?> type) {
    Class<?> t = type;
    while (t.getEnclosingClass() != null && !Modifier.isStatic(t.getModifiers())) {
      t = t.getEnclosingClass();
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------------
  // opening layers

  /** Opens a layer with eviction policy {@code lru} and closes it after the test. */
  protected final MemoryLayer open(String tier, long capacityBytes) {
    return open(tier, capacityBytes, "lru");
  }

  /** Opens a layer with the given eviction policy and closes it after the test. */
  protected final MemoryLayer open(String tier, long capacityBytes, String evictionPolicy) {
    return track(factory.open(tier, capacityBytes, evictionPolicy));
  }

  /** Reopens a closed durable layer and closes it after the test. */
  protected final MemoryLayer reopen(String tier, long capacityBytes) {
    return track(factory.reopen(tier, capacityBytes));
  }

  /** The factory of this test. */
  protected final LayerFactory layers() {
    return factory;
  }

  private MemoryLayer track(MemoryLayer layer) {
    assertNotNull(layer, "the LayerFactory returned null");
    opened.add(layer);
    return layer;
  }

  // ---------------------------------------------------------------------------------------------
  // payloads

  /** A native payload of {@code size} bytes filled from {@code seed}, freed after the test. */
  protected final MemorySegment payload(long size, long seed) {
    MemorySegment s = arena.allocate(Math.max(size, 1), 8).asSlice(0, size);
    fill(s, seed);
    return s;
  }

  /** Stores {@code id} with {@link #THIRD} bytes of {@code seed + seedOffset} and custom meta. */
  protected final ArtifactId putThird(MemoryLayer layer, String id, long seedOffset) {
    ArtifactId artifact = ArtifactId.of(id);
    layer.put(artifact, ArtifactMeta.custom(), payload(THIRD, seed + seedOffset));
    return artifact;
  }

  /**
   * The lease's bytes as host memory: its segment, or for a {@link Capability#DEVICE_MEMORY}
   * layer a copy made with {@link Lease#copyTo}.
   */
  protected final MemorySegment bytes(Lease lease) {
    if (!capabilities.contains(Capability.DEVICE_MEMORY)) {
      return lease.segment();
    }
    MemorySegment host = arena.allocate(Math.max(lease.size(), 1), 8).asSlice(0, lease.size());
    lease.copyTo(host);
    return host;
  }

  /** Fails unless the lease holds exactly the {@code size} bytes of {@code seed}. */
  protected final void assertLease(Lease lease, long size, long seed) {
    assertPayload(bytes(lease), size, seed, lease.id());
  }

  /** Meta naming the payload's seed and size, so a reader can check bytes against it. */
  protected static ArtifactMeta meta(long seed, long size) {
    return ArtifactMeta.builder(ArtifactType.KV_BLOCKS)
        .attribute("seed", Long.toString(seed))
        .attribute("size", Long.toString(size))
        .build();
  }

  /** Fills {@code segment} with the byte stream of {@code seed}. */
  protected static void fill(MemorySegment segment, long seed) {
    long n = segment.byteSize();
    long x = seed;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
      x += GOLDEN;
      segment.set(ValueLayout.JAVA_LONG_UNALIGNED, i, mix(x));
    }
    long last = mix(x + GOLDEN);
    for (; i < n; i++) {
      segment.set(ValueLayout.JAVA_BYTE, i, (byte) last);
      last >>>= 8;
    }
  }

  /** Fails unless {@code actual} holds exactly the {@code size} bytes of {@code seed}. */
  protected static void assertPayload(MemorySegment actual, long size, long seed, ArtifactId id) {
    assertEquals(size, actual.byteSize(), "size of " + id);
    long x = seed;
    long i = 0;
    for (; i + 8 <= size; i += 8) {
      x += GOLDEN;
      if (actual.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != mix(x)) {
        fail("payload of " + id + " (" + size + " bytes, seed " + seed + ") differs in bytes " + i + ".." + (i + 7));
      }
    }
    long last = mix(x + GOLDEN);
    for (; i < size; i++) {
      if (actual.get(ValueLayout.JAVA_BYTE, i) != (byte) last) {
        fail("payload of " + id + " (" + size + " bytes, seed " + seed + ") differs at byte " + i);
      }
      last >>>= 8;
    }
  }

  /** Fails unless the lease's bytes, size and id agree with the seed, size and id in its meta. */
  protected final void assertConsistent(Lease lease) {
    ArtifactMeta m = lease.meta();
    assertEquals(lease.id().value(), m.attribute("id"), "meta of another artifact");
    long size = Long.parseLong(m.attribute("size"));
    assertEquals(size, lease.size(), "size disagrees with meta of " + lease.id());
    assertPayload(bytes(lease), size, Long.parseLong(m.attribute("seed")), lease.id());
  }

  /** SplitMix64's finaliser: a well-mixed long from any long. */
  protected static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** {@code ids} as a set, for comparisons that ignore order. */
  protected static Set<ArtifactId> set(ArtifactId... ids) {
    return Set.copyOf(Arrays.asList(ids));
  }
}
