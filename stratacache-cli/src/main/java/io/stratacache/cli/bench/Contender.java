package io.stratacache.cli.bench;

import java.lang.foreign.MemorySegment;

/**
 * One implementation under test in the throughput section: it holds one artifact, which {@link
 * #store} replaces and {@link #loadInto} copies out, both from and into native memory the caller
 * owns (the way an inference engine's KV pages and weight buffers are).
 */
interface Contender extends AutoCloseable {
  /** The series name, as the report shows it. */
  String name();

  /** Stores (or replaces) the artifact with the bytes of {@code src}. */
  void store(MemorySegment src);

  /** Copies the artifact into {@code dst} from offset 0; the artifact has {@code dst}'s size. */
  void loadInto(MemorySegment dst);

  @Override
  void close();
}
