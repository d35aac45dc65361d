package io.stratacache.durable;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child JVM running a {@code main} class from this module's test class path, started with the
 * same {@code java} and the same class path as this JVM and with native access enabled. Its
 * standard output is read line by line: each line goes to a listener, and to a queue that {@link
 * #awaitLine} reads; its standard error is passed through.
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final PrintStream stdin;
  private final Thread reader;

  private ChildJvm(Process process, Consumer<String> listener) {
    this.process = process;
    this.stdin = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    this.reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          listener.accept(line);
          lines.add(line);
        }
      } catch (IOException e) {
        // the child died; its exit is what the test looks at
      }
    }, "child-jvm-stdout-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code main} with {@code args}; {@code listener} sees every line of its output. */
  public static ChildJvm start(Class<?> main, Consumer<String> listener, String... args) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + "/bin/java");
    List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return new ChildJvm(p, listener);
  }

  public Process process() {
    return process;
  }

  /** Sends one line to the child's standard input. */
  public void send(String line) {
    stdin.println(line);
  }

  /**
   * The next output line, waiting at most {@code timeout}.
   *
   * @throws AssertionError if none comes, naming whether the child is still alive
   */
  public String awaitLine(Duration timeout) throws InterruptedException {
    String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (line == null) {
      throw new AssertionError("child " + process.pid() + " wrote nothing for " + timeout
          + (process.isAlive() ? " (still running)" : " (exited with " + process.exitValue() + ")"));
    }
    return line;
  }

  /**
   * Kills the child with SIGKILL and waits until it is gone and every line it wrote has reached the
   * listener (so that what the listener saw last is what the child did last).
   */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("child " + process.pid() + " survived SIGKILL for 60 s");
    }
    reader.join(TimeUnit.SECONDS.toMillis(60));
  }

  /** Kills the child if it still runs. */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
