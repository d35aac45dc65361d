package io.stratacache.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code redis-server} processes for tests: each on a free loopback port, in a directory of its
 * own, with persistence off. Every process started is killed by {@link #close()} and, should a
 * test JVM exit without closing, by a shutdown hook.
 */
public final class RedisServers implements AutoCloseable {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "redis-servers-reaper"));
  }

  /** One server. */
  public static final class Server {
    public final int port;
    final Path dir;
    final List<String> extra;
    Process process;

    Server(int port, Path dir, List<String> extra) {
      this.port = port;
      this.dir = dir;
      this.extra = extra;
    }

    public String uri() {
      return "redis://127.0.0.1:" + port;
    }

    /** SIGKILL, and wait until the process is gone. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
      LIVE.remove(process);
    }

    /** Starts the server again on the same port and directory. */
    public void restart() throws IOException, InterruptedException {
      launch(this);
    }

    public boolean alive() {
      return process != null && process.isAlive();
    }

    /** Sends one command, returns the raw RESP reply. */
    public String command(String... args) throws IOException {
      return RedisServers.command(port, args);
    }
  }

  private final List<Server> servers = new ArrayList<>();

  /** Whether {@code redis-server} can be run here. */
  public static boolean installed() {
    try {
      Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** {@code redis-server --version}'s first line. */
  public static String version() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /** Starts one server in a new directory under {@code root}; {@code extra} are more {@code --key value} settings. */
  Server start(Path root, String... extra) throws IOException, InterruptedException {
    int port = freePort();
    Path dir = Files.createDirectories(root.resolve("redis-" + port));
    Server s = new Server(port, dir, List.of(extra));
    launch(s);
    servers.add(s);
    return s;
  }

  /**
   * Starts six cluster-enabled servers and joins them with {@code redis-cli --cluster create}:
   * three masters, one replica each. Returns them, masters first as redis-cli assigned them.
   */
  List<Server> startCluster(Path root) throws IOException, InterruptedException {
    List<Server> nodes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      nodes.add(start(root, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0"));
    }
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    for (Server s : nodes) {
      create.add("127.0.0.1:" + s.port);
    }
    create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
    Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      boolean ok = true;
      for (Server s : nodes) {
        String info = s.command("CLUSTER", "INFO");
        ok &= info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:6");
      }
      int replicasInSync = 0;
      for (Server s : nodes) {
        String repl = s.command("INFO", "replication");
        if (repl.contains("role:slave") && repl.contains("master_link_status:up")) {
          replicasInSync++;
        }
      }
      if (ok && replicasInSync == 3) {
        return nodes;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster did not become ready in 60 s");
      }
      Thread.sleep(100);
    }
  }

  private static void launch(Server s) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        "redis-server", "--port", Integer.toString(s.port), "--bind", "127.0.0.1", "--dir", s.dir.toString(),
        "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", s.dir.resolve("redis.log").toString()));
    cmd.addAll(s.extra);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(s.dir.resolve("stdout.log").toFile()).start();
    LIVE.add(p);
    s.process = p;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        if (command(s.port, "PING").startsWith("+PONG")) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      }
      if (!p.isAlive()) {
        throw new IllegalStateException("redis-server on port " + s.port + " exited: " + Files.readString(s.dir.resolve("redis.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("redis-server on port " + s.port + " did not answer PING in 30 s");
      }
      Thread.sleep(20);
    }
  }

  /** Sends one command in RESP and returns the whole reply as text (a small reply is assumed). */
  static String command(int port, String... args) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(5000);
      StringBuilder req = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args) {
        req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      req.append("*1\r\n$4\r\nQUIT\r\n"); // the server closes the connection after its replies
      OutputStream out = socket.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return reply.endsWith("+OK\r\n") ? reply.substring(0, reply.length() - 5) : reply;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Kills every server this instance started. */
  @Override
  public void close() {
    for (Server s : servers) {
      if (s.process != null) {
        s.process.destroyForcibly();
        try {
          s.process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        LIVE.remove(s.process);
      }
    }
    servers.clear();
  }
}
