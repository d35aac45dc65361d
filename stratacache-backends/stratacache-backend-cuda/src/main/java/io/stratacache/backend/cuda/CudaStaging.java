package io.stratacache.backend.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.stratacache.core.LayerUnavailableException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The pool of pinned host staging buffers through which the GPU tier copies, and the copies.
 *
 * <p>Design note. Each buffer has its own stream and two events, one per half. A copy takes a
 * buffer for its whole length and streams the bytes through the two halves: to the device, it
 * fills one half from the caller's segment while the other half's asynchronous copy runs (waiting
 * on that half's event before refilling it); from the device, it issues the next chunk's copy into
 * one half before draining the other. So the host copy overlaps the transfer, and copies of
 * different artifacts, on different buffers and streams, overlap each other. A call waits for its
 * stream before giving the buffer back, so no transfer outlives the call.
 */
final class CudaStaging implements AutoCloseable {
  /** One pinned buffer, its stream and the events of its two halves. */
  private static final class Buffer {
    final Pointer host = new Pointer();
    final CUstream stream = new CUstream();
    final CUevent[] done = {new CUevent(), new CUevent()};
    MemorySegment segment;
  }

  private final String tier;
  private final CudaDevice device;
  private final long half;
  private final List<Buffer> all = new ArrayList<>();
  private final BlockingQueue<Buffer> free;

  CudaStaging(String tier, CudaDevice device, long bufferBytes, int buffers) {
    this.tier = tier;
    this.device = device;
    this.half = bufferBytes / 2;
    this.free = new ArrayBlockingQueue<>(buffers);
    boolean success = false;
    try {
      device.makeCurrent(tier);
      for (int i = 0; i < buffers; i++) {
        Buffer b = new Buffer();
        all.add(b);
        CudaDevice.check(cuMemAllocHost(b.host, bufferBytes), tier, "cuMemAllocHost(" + bufferBytes + " bytes)");
        b.segment = MemorySegment.ofBuffer(b.host.getByteBuffer(0, bufferBytes));
        CudaDevice.check(cuStreamCreate(b.stream, CUstream_flags.CU_STREAM_NON_BLOCKING), tier, "cuStreamCreate");
        for (CUevent e : b.done) {
          CudaDevice.check(cuEventCreate(e, CUevent_flags.CU_EVENT_DISABLE_TIMING), tier, "cuEventCreate");
        }
        free.add(b);
      }
      success = true;
    } finally {
      if (!success) {
        close();
      }
    }
  }

  /** Copies all of {@code src} to the device, {@code offset} bytes into the tier's allocation. */
  void toDevice(MemorySegment src, long offset) {
    long n = src.byteSize();
    if (n == 0) {
      return;
    }
    Buffer b = take();
    try {
      device.makeCurrent(tier);
      boolean[] pending = new boolean[2];
      long i = 0;
      for (long off = 0; off < n; off += half, i++) {
        int h = (int) (i & 1);
        long len = Math.min(half, n - off);
        if (pending[h]) {
          CudaDevice.check(cuEventSynchronize(b.done[h]), tier, "cuEventSynchronize");
        }
        MemorySegment.copy(src, off, b.segment, h * half, len);
        CudaDevice.check(cuMemcpyHtoDAsync(device.at(offset + off), b.host.withByteOffset(h * half), len, b.stream), tier,
            "cuMemcpyHtoDAsync");
        CudaDevice.check(cuEventRecord(b.done[h], b.stream), tier, "cuEventRecord");
        pending[h] = true;
      }
      CudaDevice.check(cuStreamSynchronize(b.stream), tier, "cuStreamSynchronize");
    } finally {
      give(b);
    }
  }

  /** Copies {@code dst.byteSize()} bytes from the device, {@code offset} bytes into the allocation. */
  void toHost(long offset, MemorySegment dst) {
    long n = dst.byteSize();
    if (n == 0) {
      return;
    }
    Buffer b = take();
    try {
      device.makeCurrent(tier);
      long chunks = (n + half - 1) / half;
      issue(b, offset, n, 0);
      for (long i = 0; i < chunks; i++) {
        if (i + 1 < chunks) {
          issue(b, offset, n, i + 1);
        }
        int h = (int) (i & 1);
        CudaDevice.check(cuEventSynchronize(b.done[h]), tier, "cuEventSynchronize");
        long off = i * half;
        MemorySegment.copy(b.segment, h * half, dst, off, Math.min(half, n - off));
      }
    } finally {
      give(b);
    }
  }

  private void issue(Buffer b, long offset, long n, long chunk) {
    int h = (int) (chunk & 1);
    long off = chunk * half;
    long len = Math.min(half, n - off);
    CudaDevice.check(cuMemcpyDtoHAsync(b.host.withByteOffset(h * half), device.at(offset + off), len, b.stream), tier,
        "cuMemcpyDtoHAsync");
    CudaDevice.check(cuEventRecord(b.done[h], b.stream), tier, "cuEventRecord");
  }

  private Buffer take() {
    try {
      return free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LayerUnavailableException("cuda tier '" + tier + "': interrupted while waiting for a staging buffer", e);
    }
  }

  /** Waits for what the buffer's stream still has in flight (after a failure), then returns it. */
  private void give(Buffer b) {
    cuStreamSynchronize(b.stream);
    free.add(b);
  }

  @Override
  public void close() {
    for (Buffer b : all) {
      if (b.segment != null) {
        cuStreamSynchronize(b.stream);
        cuMemFreeHost(b.host);
        b.segment = null;
      }
      cuStreamDestroy(b.stream);
      for (CUevent e : b.done) {
        cuEventDestroy(e);
      }
    }
    all.clear();
  }
}
