package io.stratacache.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.spi.BatchAccess;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The Redis tier against raw Lettuce on the same loopback {@code redis-server} (started by the
 * benchmark on a free port, persistence off):
 *
 * <ul>
 *   <li>{@code rawSet} / {@code rawGet}: Lettuce {@code SET} / {@code GET} of the same bytes as a
 *       {@code byte[]} ({@code ByteArrayCodec}); baselines of {@code store} / {@code load}.
 *   <li>{@code store}: {@code put} of a native segment (record header, CRC32C, parts above 4 MiB).
 *   <li>{@code load}: {@code get} (CRC checked) and close.
 *   <li>{@code rawGetCopy} / {@code loadInto}: the same, then a copy into a caller's native segment.
 *   <li>{@code lookup512} / {@code exists512}: {@code containsAll} of 512 ids (pipelined) against
 *       512 sequential {@code EXISTS}.
 * </ul>
 *
 * Target: {@code store} and {@code load} at least 0.9x their baselines. Needs {@code
 * redis-server} on the PATH. Run: {@code java -jar benchmarks/target/benchmarks.jar
 * RedisTierBenchmark -f 1 -wi 3 -i 5 -w 1 -r 1}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RedisTierBenchmark {
  @Param({"1", "4", "16", "64"})
  public int mib;

  private Process server;
  private Path dir;
  private Arena arena;
  private MemorySegment payload;
  private MemorySegment dst;
  private byte[] bytes;
  private MemoryLayer layer;
  private RedisClient client;
  private StatefulRedisConnection<byte[], byte[]> connection;
  private RedisCommands<byte[], byte[]> raw;
  private final ArtifactId id = ArtifactId.of("bench", "artifact");
  private final byte[] rawKey = "raw:artifact".getBytes(StandardCharsets.US_ASCII);
  private final ArtifactMeta meta = ArtifactMeta.of(ArtifactType.KV_BLOCKS);
  private final List<ArtifactId> chunkIds = new ArrayList<>();
  private final List<byte[]> chunkKeys = new ArrayList<>();

  @Setup(Level.Trial)
  public void setUp() throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    dir = Files.createTempDirectory("stratacache-redis-bench");
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--save", "", "--appendonly", "no", "--logfile", dir.resolve("redis.log").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::destroyForcibly));
    client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    for (int attempt = 0; ; attempt++) {
      try {
        connection = client.connect(ByteArrayCodec.INSTANCE);
        break;
      } catch (io.lettuce.core.RedisConnectionException notYet) {
        if (attempt > 200) {
          throw notYet;
        }
        Thread.sleep(25);
      }
    }
    raw = connection.sync();
    layer = LayerProviders.forName("redis").open(LayerSpec.of("remote", "redis",
        Map.of("uri", "redis://127.0.0.1:" + port, "key_prefix", "bench:", "command_timeout_ms", 60_000)));
    long size = (long) mib << 20;
    arena = Arena.ofShared();
    payload = arena.allocate(size, 64);
    dst = arena.allocate(size, 64);
    bytes = new byte[(int) size];
    ThreadLocalRandom.current().nextBytes(bytes);
    MemorySegment.copy(bytes, 0, payload, ValueLayout.JAVA_BYTE, 0, bytes.length);
    layer.put(id, meta, payload);
    raw.set(rawKey, bytes);
    for (int i = 0; i < 512; i++) {
      ArtifactId chunk = ArtifactId.of("kv", "m", "chunk" + i);
      chunkIds.add(chunk);
      layer.put(chunk, meta, payload.asSlice(0, 256));
      byte[] k = ("raw:chunk" + i).getBytes(StandardCharsets.US_ASCII);
      chunkKeys.add(k);
      raw.set(k, new byte[256]);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    layer.close();
    connection.close();
    client.shutdown();
    arena.close();
    server.destroyForcibly();
    server.waitFor(30, TimeUnit.SECONDS);
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public String rawSet() {
    return raw.set(rawKey, bytes);
  }

  @Benchmark
  public void store() {
    layer.put(id, meta, payload);
  }

  @Benchmark
  public int rawGet() {
    return raw.get(rawKey).length;
  }

  @Benchmark
  public long load() {
    try (Lease lease = layer.get(id)) {
      return lease.size();
    }
  }

  @Benchmark
  public long rawGetCopy() {
    byte[] v = raw.get(rawKey);
    MemorySegment.copy(v, 0, dst, ValueLayout.JAVA_BYTE, 0, v.length);
    return v.length;
  }

  @Benchmark
  public long loadInto() {
    try (Lease lease = layer.get(id)) {
      lease.copyTo(dst);
      return lease.size();
    }
  }

  @Benchmark
  public int lookup512() {
    int n = 0;
    for (boolean b : BatchAccess.containsAll(layer, chunkIds)) {
      n += b ? 1 : 0;
    }
    return n;
  }

  @Benchmark
  public int exists512() {
    int n = 0;
    for (byte[] k : chunkKeys) {
      n += raw.exists(k).intValue();
    }
    return n;
  }
}
