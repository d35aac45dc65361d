package io.stratacache.bench;

import io.stratacache.config.StrataConfig;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.engine.StorageEngine;
import io.stratacache.spi.Lease;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * What the chain's JDK Flight Recorder events cost: a store and a load of a small artifact (the
 * case where a fixed per-operation cost shows most) through an engine of one cpu tier, with
 * {@code recording=off} (no recording: the events are disabled) against {@code recording=on} (a
 * recording of every {@code io.stratacache.*} event, threshold 0, so every store and load writes
 * one). The ratio on/off is the overhead of leaving the events on. Run: {@code java -jar
 * benchmarks/target/benchmarks.jar JfrOverheadBenchmark -f 3 -wi 5 -i 10 -w 1 -r 1 -bm sample}; on
 * a machine shared with other work the averages swing by 2x between iterations, and the p50 of
 * the sampled invocation times is the steadier figure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 2, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class JfrOverheadBenchmark {
  private static final String[] EVENTS = {"io.stratacache.Store", "io.stratacache.Load", "io.stratacache.Evict",
      "io.stratacache.Demote", "io.stratacache.Flush", "io.stratacache.KvLookup"};

  @Param({"off", "on"})
  public String recording;

  @Param({"4096"})
  public int bytes;

  private StorageEngine engine;
  private Arena arena;
  private MemorySegment payload;
  private ArtifactId[] ids;
  private ArtifactMeta meta;
  private Recording jfr;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    engine = StorageEngine.open(StrataConfig.parse("""
        tiers:
          - {name: hot, provider: cpu, capacity: 64MiB}
        """, "JfrOverheadBenchmark"));
    arena = Arena.ofShared();
    payload = arena.allocate(bytes, 64);
    payload.fill((byte) 1);
    meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
    ids = new ArtifactId[1024];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = ArtifactId.of("kv/bench/" + i);
    }
    if (recording.equals("on")) {
      jfr = new Recording();
      for (String e : EVENTS) {
        jfr.enable(e).withThreshold(Duration.ZERO).withoutStackTrace();
      }
      jfr.setToDisk(true);
      jfr.setMaxSize(64L << 20);
      jfr.start();
    } else if (!recording.equals("off")) {
      throw new IllegalArgumentException("recording: " + recording + " (expected: off or on)");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (jfr != null) {
      jfr.close();
    }
    engine.close();
    arena.close();
  }

  /** One store and one load of the artifact stored. */
  @Benchmark
  public long storeAndLoad() {
    ArtifactId id = ids[next++ & (ids.length - 1)];
    engine.store(id, meta, payload);
    try (Lease lease = engine.load(id)) {
      return lease.size();
    }
  }
}
