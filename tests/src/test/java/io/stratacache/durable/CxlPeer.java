package io.stratacache.durable;

import io.stratacache.core.ArtifactId;
import io.stratacache.spi.LayerProviders;
import io.stratacache.spi.LayerSpec;
import io.stratacache.spi.Lease;
import io.stratacache.spi.MemoryLayer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The other process of {@link CxlTwoProcessTest}: maps the region named by its first argument and
 * answers commands read from standard input, one per line, with {@code ok ...} or {@code fail
 * ...}. Artifacts are {@link CrashArtifacts} at version {@code i}:
 *
 * <pre>
 *  put PREFIX FROM TO      store ids PREFIX/k FROM..TO-1
 *  check PREFIX FROM TO    load them: each absent or byte-identical; answers how many were present
 *  lease PREFIX I          load one and keep the lease open
 *  pin PREFIX I            pin one
 *  checklease              the kept lease still holds its bytes
 *  exit                    close and exit
 * </pre>
 */
public final class CxlPeer {
  private CxlPeer() {}

  public static void main(String[] args) throws IOException {
    List<Lease> leases = new ArrayList<>();
    try (MemoryLayer cxl = open(args[0], args[1]);
        Arena arena = Arena.ofConfined();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      MemorySegment buffer = arena.allocate(CrashArtifacts.MAX_SIZE);
      System.out.println("ready");
      System.out.flush();
      for (String line; (line = in.readLine()) != null; ) {
        String[] c = line.split(" ");
        String answer;
        try {
          answer = switch (c[0]) {
            case "put" -> {
              for (int i = Integer.parseInt(c[2]); i < Integer.parseInt(c[3]); i++) {
                ArtifactId id = CrashArtifacts.id(c[1], i);
                int size = CrashArtifacts.fill(buffer, id, i);
                cxl.put(id, CrashArtifacts.meta(i), buffer.asSlice(0, size));
              }
              yield "ok";
            }
            case "check" -> "ok " + check(cxl, c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]));
            case "lease" -> {
              Lease l = cxl.get(CrashArtifacts.id(c[1], Integer.parseInt(c[2])));
              if (l == null) {
                yield "fail absent";
              }
              leases.add(l);
              yield "ok";
            }
            case "pin" -> cxl.pin(CrashArtifacts.id(c[1], Integer.parseInt(c[2]))) ? "ok" : "fail absent";
            case "checklease" -> {
              for (Lease l : leases) {
                long v = Long.parseLong(l.meta().attribute("version"));
                if (!CrashArtifacts.matches(l.segment(), l.id(), v)) {
                  yield "fail lease on " + l.id() + " changed under it";
                }
              }
              yield "ok";
            }
            case "exit" -> "bye";
            default -> "fail unknown command " + c[0];
          };
        } catch (RuntimeException e) {
          answer = "fail " + e;
        }
        System.out.println(answer);
        System.out.flush();
        if (answer.equals("bye")) {
          break;
        }
      }
      leases.forEach(Lease::close);
    }
  }

  /** Loads PREFIX/k FROM..TO-1: each absent or byte-identical; returns how many were present. */
  static int check(MemoryLayer cxl, String prefix, int from, int to) {
    int present = 0;
    for (int i = from; i < to; i++) {
      ArtifactId id = CrashArtifacts.id(prefix, i);
      try (Lease l = cxl.get(id)) {
        if (l == null) {
          continue;
        }
        long v = Long.parseLong(l.meta().attribute("version"));
        if (v != i || !CrashArtifacts.matches(l.segment(), id, v)) {
          throw new IllegalStateException(id + " holds wrong bytes (version " + v + ")");
        }
        present++;
      }
    }
    return present;
  }

  static MemoryLayer open(String path, String capacity) {
    return LayerProviders.forName("cxl").open(LayerSpec.of("shared", "cxl",
        Map.of("path", path, "capacity", capacity, "block_size", 4096, "alignment", 64)));
  }
}
