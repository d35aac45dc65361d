package io.stratacache.cli.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The limit of the SSD tier: the artifact as one file written and read with a {@link FileChannel}
 * by hand, no header, no checksum, no fsync (the tier under test runs with {@code fsync: never}
 * too), so both sides go through the page cache alike.
 */
final class RawFile implements Contender {
  static final String NAME = "raw file write/read";

  private final Path file;

  RawFile(Path dir) {
    this.file = dir.resolve("raw-artifact");
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void store(MemorySegment src) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = src.asByteBuffer();
      while (b.hasRemaining()) {
        ch.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  @Override
  public void loadInto(MemorySegment dst) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = dst.asByteBuffer();
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          throw new IOException("short file: " + b.position() + " of " + b.limit() + " bytes");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  @Override
  public void close() {
    // the caller deletes the directory
  }
}
