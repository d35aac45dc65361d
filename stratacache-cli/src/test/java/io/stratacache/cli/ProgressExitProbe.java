package io.stratacache.cli;

/**
 * A process for {@link ProgressTest}: draws a progress bar on standard error (as if on a
 * terminal) and keeps stepping until it is killed.
 */
final class ProgressExitProbe {
  private ProgressExitProbe() {}

  public static void main(String[] args) throws InterruptedException {
    Progress p = new Progress(System.err, "probe", 1_000_000, true);
    while (true) {
      p.step(1);
      Thread.sleep(10);
    }
  }
}
