package io.stratacache.cli.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} the benchmark starts on a free loopback port (persistence off) and stops
 * again, for the Redis tier and for raw Lettuce, its limit.
 */
final class RedisServer implements AutoCloseable {
  private final Process process;
  private final Thread stopAtExit;
  private final int port;

  private RedisServer(Process process, int port) {
    this.process = process;
    this.port = port;
    this.stopAtExit = new Thread(process::destroyForcibly, "stop redis-server");
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  /** The {@code redis-server} executable on the {@code PATH}, or {@code null}. */
  static Path executable() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, "redis-server");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /**
   * Starts {@code executable} on a free loopback port with its files in {@code dir}, and waits
   * until it answers.
   *
   * @throws IllegalStateException if it does not answer within 10 s
   */
  static RedisServer start(Path executable, Path dir) {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free loopback port", e);
    }
    Process p;
    try {
      p = new ProcessBuilder(executable.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
          "--save", "", "--appendonly", "no", "--logfile", dir.resolve("redis.log").toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + executable, e);
    }
    RedisServer server = new RedisServer(p, port);
    RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
          c.sync().ping();
          return server;
        } catch (RedisConnectionException notYet) {
          if (System.nanoTime() > deadline || !p.isAlive()) {
            server.close();
            throw new IllegalStateException(executable + " did not answer on port " + port + " within 10 s (see " + dir.resolve("redis.log") + ")");
          }
          Thread.sleep(25);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.close();
      throw new IllegalStateException("interrupted while starting " + executable, e);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** The server's URI. */
  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(stopAtExit);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  /** Raw Lettuce on this server: {@code SET} of a {@code byte[]}, {@code GET} and a copy into the caller's segment. */
  final class Lettuce implements Contender {
    static final String NAME = "raw Lettuce SET/GET";
    private final RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
    private final StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
    private final RedisCommands<byte[], byte[]> commands = connection.sync();
    private final byte[] key = "raw:artifact".getBytes(StandardCharsets.US_ASCII);
    private byte[] bytes;

    Lettuce() {
      connection.setTimeout(Duration.ofSeconds(60));
    }

    @Override
    public String name() {
      return NAME;
    }

    /** Sets the bytes of {@code src}; the first call copies them into the array every later call sends. */
    @Override
    public void store(MemorySegment src) {
      if (bytes == null || bytes.length != src.byteSize()) {
        bytes = src.toArray(ValueLayout.JAVA_BYTE);
      }
      commands.set(key, bytes);
    }

    @Override
    public void loadInto(MemorySegment dst) {
      byte[] v = commands.get(key);
      if (v == null) {
        throw new IllegalStateException(NAME + ": the artifact is missing (expected: stored before loading)");
      }
      MemorySegment.copy(v, 0, dst, ValueLayout.JAVA_BYTE, 0, v.length);
    }

    @Override
    public void close() {
      connection.close();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}
