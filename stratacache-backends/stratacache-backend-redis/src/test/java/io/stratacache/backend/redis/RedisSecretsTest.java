package io.stratacache.backend.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stratacache.core.ArtifactId;
import io.stratacache.core.ArtifactMeta;
import io.stratacache.core.ArtifactType;
import io.stratacache.core.ConfigException;
import io.stratacache.spi.LayerSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis password never appears in an exception message, a log line or a {@code toString}: not
 * when it is written (wrongly) into the URI, not when it comes from a file, not when the server is
 * unreachable.
 */
class RedisSecretsTest {
  private static final String SECRET = "s3cret-Pa55-do-not-print";

  @TempDir Path dir;

  /** Every message and {@code toString} of {@code t} and its causes and suppressed exceptions. */
  private static List<String> texts(Throwable t) {
    List<String> out = new ArrayList<>();
    for (Throwable c = t; c != null; c = c.getCause()) {
      out.add(String.valueOf(c.getMessage()));
      out.add(c.toString());
      for (Throwable s : c.getSuppressed()) {
        out.addAll(texts(s));
      }
    }
    return out;
  }

  private static void assertNoSecret(List<String> texts) {
    for (String s : texts) {
      assertFalse(s.contains(SECRET) || s.contains("s3cret"), "a secret was printed: " + s);
    }
  }

  @Test
  void aPasswordWrittenIntoTheUriIsNeverEchoed() {
    for (String uri : List.of("redis://user:" + SECRET + "@127.0.0.1:6379", "redis://:" + SECRET + "@127.0.0.1:6379",
        "redis://user:" + SECRET + "@bad host:6379")) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> RedisConfig.from(LayerSpec.of("remote", "redis", Map.of("uri", uri))));
      assertNoSecret(texts(e));
    }
  }

  @Test
  void aPasswordFromAFileOrTheEnvironmentStaysOutOfLogsErrorsAndToString() throws IOException {
    Path file = dir.resolve("redis.pass");
    Files.writeString(file, SECRET + "\n");
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, Object> settings = new HashMap<>();
    settings.put("uri", "redis://127.0.0.1:" + closedPort);
    settings.put("password_file", file.toString());
    settings.put("connect_timeout_ms", 200);
    settings.put("command_timeout_ms", 200);
    LayerSpec spec = LayerSpec.of("remote", "redis", settings);
    List<String> seen = new ArrayList<>();
    seen.add(RedisConfig.from(spec).toString());
    seen.add(spec.toString());
    Logger root = Logger.getLogger("");
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        seen.add(r.getMessage());
        if (r.getThrown() != null) {
          seen.addAll(texts(r.getThrown()));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    capture.setLevel(Level.ALL);
    Handler[] before = root.getHandlers();
    for (Handler h : before) {
      root.removeHandler(h);
    }
    root.addHandler(capture);
    try {
      try (RedisLayer layer = RedisLayer.open(spec)) {
        seen.add(layer.toString());
        ArtifactId id = ArtifactId.of("kv", "m", "x");
        try {
          layer.put(id, ArtifactMeta.of(ArtifactType.KV_BLOCKS), MemorySegment.ofArray(new byte[16]));
        } catch (RuntimeException e) {
          seen.addAll(texts(e));
        }
        try {
          layer.get(id);
        } catch (RuntimeException e) {
          seen.addAll(texts(e));
        }
      } catch (RuntimeException e) {
        seen.addAll(texts(e));
      }
      Map<String, Object> fromEnv = new HashMap<>(settings);
      fromEnv.remove("password_file");
      fromEnv.put("password_env", "STRATACACHE_TEST_UNSET_PASSWORD_VARIABLE");
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> RedisLayer.open(LayerSpec.of("remote", "redis", fromEnv)).close());
      seen.addAll(texts(e));
    } finally {
      root.removeHandler(capture);
      for (Handler h : before) {
        root.addHandler(h);
      }
    }
    assertNoSecret(seen);
  }
}
