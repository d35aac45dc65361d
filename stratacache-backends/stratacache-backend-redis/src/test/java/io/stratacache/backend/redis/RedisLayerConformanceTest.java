package io.stratacache.backend.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.testkit.AbstractMemoryLayerTest;
import io.stratacache.testkit.ConformanceFor;
import io.stratacache.testkit.LayerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance kit over the {@code redis} provider, against a {@code redis-server} started on a
 * free loopback port in a temporary directory (skipped if it is not installed). Each layer gets a
 * key prefix of its own, so each starts empty. The layer declares {@code SHARED} and {@code
 * SELF_EVICTING}: the kit skips the contracts of a layer that owns its capacity.
 */
@ConformanceFor("redis")
class RedisLayerConformanceTest extends AbstractMemoryLayerTest {
  private static final AtomicInteger PLANES = new AtomicInteger();
  private static Process server;
  private static Path dir;
  private static int port;

  @BeforeAll
  static void startServer() throws IOException, InterruptedException {
    boolean installed;
    try {
      installed = new ProcessBuilder("redis-server", "--version").start().waitFor() == 0;
    } catch (IOException e) {
      installed = false;
    }
    assumeTrue(installed, "redis-server is not installed (apt-get install redis-server)");
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    dir = Files.createTempDirectory("stratacache-redis-kit");
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--save", "", "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru",
        "--logfile", dir.resolve("redis.log").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    Process p = server;
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    for (int i = 0; ; i++) {
      try {
        new Socket(InetAddress.getLoopbackAddress(), port).close();
        break;
      } catch (IOException notYet) {
        if (i > 1000 || !server.isAlive()) {
          throw new IllegalStateException("redis-server on port " + port + " did not start: " + Files.readString(dir.resolve("redis.log")));
        }
        Thread.sleep(20);
      }
    }
  }

  @AfterAll
  static void stopServer() throws IOException, InterruptedException {
    if (server != null) {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Override
  protected LayerFactory factory() {
    return (tier, capacity, policy) -> LayerProviders.forName("redis").open(LayerSpec.of(tier, "redis", Map.of(
        "uri", "redis://127.0.0.1:" + port, "key_prefix", "kit" + PLANES.incrementAndGet() + ":", "part_size", "256KiB")));
  }
}
