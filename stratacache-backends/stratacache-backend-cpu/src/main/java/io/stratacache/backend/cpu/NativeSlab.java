package io.stratacache.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.stream.LongStream;

/**
 * Native memory for a slab, taken from the C library's {@code malloc} and owned by an {@link
 * Arena}: closing the arena frees it.
 *
 * <p>{@code Arena.allocate} would zero the memory, touching every page at allocation whatever the
 * layer's {@code pretouch} setting says; {@code malloc} of a large block maps fresh pages that are
 * faulted in on first write, so {@link #pretouch} decides when that cost is paid.
 */
final class NativeSlab {
  /** The page size that {@link #pretouch} writes at; 4 KiB pages are the smallest on every platform we run on. */
  static final long PAGE = 4096;

  /** Below this size the slab is touched by the opening thread alone. */
  private static final long PARALLEL_PRETOUCH = 256L << 20;

  private NativeSlab() {}

  /** Whether {@code malloc} and {@code free} can be found; throws nothing. */
  static boolean libcFound() {
    try {
      var lookup = Linker.nativeLinker().defaultLookup();
      return lookup.find("malloc").isPresent() && lookup.find("free").isPresent();
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Allocates {@code bytes} of page-aligned, untouched native memory owned by {@code arena}.
   *
   * @return the memory, or {@code null} if {@code malloc} has none to give
   */
  // Restricted: reinterpret gives the malloc'ed address its size and ties free() to the arena; the
  // provider's probe requires native access before any layer opens.
  @SuppressWarnings("restricted")
  static MemorySegment allocate(long bytes, Arena arena) {
    long raw = bytes + PAGE;
    MemorySegment base;
    try {
      base = (MemorySegment) Libc.MALLOC.invokeExact(raw);
    } catch (Throwable t) {
      throw new IllegalStateException("malloc(" + raw + ") failed", t);
    }
    if (base.address() == 0) {
      return null;
    }
    MemorySegment owned = base.reinterpret(raw, arena, NativeSlab::free);
    long skip = ((base.address() + PAGE - 1) & -PAGE) - base.address();
    return owned.asSlice(skip, bytes);
  }

  /**
   * Writes one byte in every page of {@code slab} so the operating system maps them now rather
   * than on first use; slabs of {@value #PARALLEL_PRETOUCH} bytes and more are touched from
   * several threads. The bytes written are zeros; the slab's contents are undefined before.
   */
  static void pretouch(MemorySegment slab) {
    long pages = (slab.byteSize() + PAGE - 1) / PAGE;
    if (slab.byteSize() < PARALLEL_PRETOUCH) {
      touch(slab, 0, pages);
      return;
    }
    long chunk = 16_384; // pages per task: 64 MiB
    LongStream.range(0, (pages + chunk - 1) / chunk)
        .parallel()
        .forEach(c -> touch(slab, c * chunk, Math.min(pages, (c + 1) * chunk)));
  }

  private static void touch(MemorySegment slab, long fromPage, long toPage) {
    for (long p = fromPage; p < toPage; p++) {
      slab.set(ValueLayout.JAVA_BYTE, p * PAGE, (byte) 0);
    }
  }

  private static void free(MemorySegment base) {
    try {
      Libc.FREE.invokeExact(base);
    } catch (Throwable t) {
      throw new IllegalStateException("free(" + base + ") failed", t);
    }
  }

  /** The downcalls, linked on first use (linking needs native access). */
  private static final class Libc {
    static final MethodHandle MALLOC = link("malloc", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    static final MethodHandle FREE = link("free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private Libc() {}

    // Restricted: linking a C function is what needs native access; the provider's probe requires it.
    @SuppressWarnings("restricted")
    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
      Linker linker = Linker.nativeLinker();
      return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor);
    }
  }
}
