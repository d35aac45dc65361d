package io.stratacache.bench;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Leasing and releasing a 512-chunk prefix (a 128K-token prompt in 256-token chunks) per tier: the
 * cost a KV lookup pays to hold its hit chunks, whose budget is 1 ms for the whole lookup.
 *
 * <ul>
 *   <li>{@code leasePrefixBatch}: {@code BatchAccess.getAll} of the 512 ids, read one byte of each
 *       lease's segment, close every lease.
 *   <li>{@code leasePrefixOneByOne}: the same with one {@code get} per id (what the engine's load
 *       path does).
 *   <li>{@code sharedArenaPerLease}: the baseline the tiers avoid, a shared arena opened, bound to
 *       a view and closed per chunk (512 handshakes with every thread), on plain native memory.
 * </ul>
 *
 * The {@code cxl} tier needs {@code /dev/shm} or a temporary directory; {@code ssd} writes to
 * {@code -Dbench.dir}. Run: {@code java -jar benchmarks/target/benchmarks.jar PrefixLeaseBenchmark
 * -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PrefixLeaseBenchmark {
  /** Chunks in the prefix. */
  static final int CHUNKS = 512;

  @Param({"cpu", "ssd", "cxl"})
  public String tier;

  /** Bytes of each chunk (small, so that the lease's own cost shows, not the checksum's). */
  @Param({"4096"})
  public int chunkBytes;

  private Path dir;
  private Arena arena;
  private MemorySegment plain;
  private MemoryLayer layer;
  private List<ArtifactId> ids;

  @Setup(Level.Trial)
  public void setUp() {
    arena = Arena.ofShared();
    MemorySegment chunk = BenchFiles.pattern(arena.allocate(chunkBytes, 64));
    plain = arena.allocate((long) chunkBytes * CHUNKS, 64);
    long capacity = (long) CHUNKS * (chunkBytes + 8192) + (8L << 20);
    Map<String, Object> settings = new HashMap<>();
    settings.put("capacity", capacity);
    if (!tier.equals("cpu")) {
      dir = BenchFiles.scratch("prefix-lease-" + tier, tier.equals("cxl"));
      settings.put("path", dir.resolve(tier.equals("cxl") ? "region" : "records").toString());
    }
    if (tier.equals("cxl")) {
      settings.put("slots", 4 * CHUNKS);
    }
    layer = LayerProviders.forName(tier).open(LayerSpec.of("bench", tier, settings));
    ids = new ArrayList<>(CHUNKS);
    ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
    for (int i = 0; i < CHUNKS; i++) {
      ArtifactId id = ArtifactId.of("kv", "chunk" + i);
      layer.put(id, meta, chunk);
      ids.add(id);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    layer.close();
    arena.close();
    if (dir != null) {
      BenchFiles.delete(dir);
    }
  }

  @Benchmark
  public long leasePrefixBatch() {
    Map<ArtifactId, Lease> leases = BatchAccess.getAll(layer, ids);
    long sum = 0;
    for (Lease lease : leases.values()) {
      sum += lease.segment().get(ValueLayout.JAVA_BYTE, 0);
    }
    for (Lease lease : leases.values()) {
      lease.close();
    }
    return sum + leases.size();
  }

  @Benchmark
  public long leasePrefixOneByOne() {
    Lease[] leases = new Lease[ids.size()];
    long sum = 0;
    for (int i = 0; i < leases.length; i++) {
      leases[i] = layer.get(ids.get(i));
      sum += leases[i].segment().get(ValueLayout.JAVA_BYTE, 0);
    }
    for (Lease lease : leases) {
      lease.close();
    }
    return sum;
  }

  // Restricted: reinterpret binds a view of plain memory to the per-lease arena being measured.
  @SuppressWarnings("restricted")
  @Benchmark
  public long sharedArenaPerLease() {
    long sum = 0;
    for (int i = 0; i < CHUNKS; i++) {
      try (Arena perLease = Arena.ofShared()) {
        MemorySegment view = plain.asSlice((long) i * chunkBytes, chunkBytes).reinterpret(perLease, null);
        sum += view.get(ValueLayout.JAVA_BYTE, 0);
      }
    }
    return sum;
  }
}
