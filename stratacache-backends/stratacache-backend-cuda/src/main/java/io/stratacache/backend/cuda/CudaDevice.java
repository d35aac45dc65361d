package io.stratacache.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import io.stratacache.core.LayerUnavailableException;
import io.stratacache.spi.ProbeResult;
import java.nio.charset.StandardCharsets;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUresult;

/**
 * One CUDA device as the GPU tier uses it, through JCuda's driver API: the probe, the device's
 * primary context (made current on each thread before it calls the driver), and the tier's one
 * device allocation.
 *
 * <p>JCuda's native library links the CUDA runtime statically and loads the driver's {@code
 * libcuda.so.1} when it is first used; where there is no driver, loading it fails with a {@link
 * LinkageError}, which {@link #probe()} reports as the reason the provider is unavailable.
 */
final class CudaDevice implements AutoCloseable {
  private static volatile ProbeResult probed;

  private final int ordinal;
  private final String name;
  private final CUdevice device;
  private final CUcontext context;
  private final DevicePointer base;
  private final long bytes;

  /** A device pointer whose address the tier can read (to hand to leases). */
  static final class DevicePointer extends CUdeviceptr {
    long address() {
      return getNativePointer();
    }
  }

  private CudaDevice(int ordinal, String name, CUdevice device, CUcontext context, DevicePointer base, long bytes) {
    this.ordinal = ordinal;
    this.name = name;
    this.device = device;
    this.context = context;
    this.base = base;
    this.bytes = bytes;
  }

  /**
   * Whether CUDA can be used here: the JCuda library loads (which needs the driver's {@code
   * libcuda.so.1}), the driver initializes, and it sees at least one device. Probed once per
   * process.
   */
  static ProbeResult probe() {
    ProbeResult p = probed;
    if (p == null) {
      synchronized (CudaDevice.class) {
        p = probed;
        if (p == null) {
          p = probeNow();
          probed = p;
        }
      }
    }
    return p;
  }

  private static ProbeResult probeNow() {
    try {
      int rc = cuInit(0);
      if (rc == CUresult.CUDA_ERROR_NO_DEVICE) {
        return ProbeResult.unavailable("no CUDA device: the NVIDIA driver is installed but sees no GPU (cuInit: "
            + CUresult.stringFor(rc) + "; expected: a GPU visible to this process, see nvidia-smi and CUDA_VISIBLE_DEVICES)");
      }
      if (rc != CUresult.CUDA_SUCCESS) {
        return ProbeResult.unavailable("the CUDA driver cannot start (cuInit: " + CUresult.stringFor(rc)
            + "; expected: a driver recent enough for CUDA 12.6 and a working GPU, see nvidia-smi)");
      }
      int[] count = new int[1];
      rc = cuDeviceGetCount(count);
      if (rc != CUresult.CUDA_SUCCESS || count[0] == 0) {
        return ProbeResult.unavailable("no CUDA device: the driver lists none (" + CUresult.stringFor(rc)
            + "; expected: a GPU visible to this process, see nvidia-smi and CUDA_VISIBLE_DEVICES)");
      }
      return ProbeResult.ok();
    } catch (LinkageError e) {
      return ProbeResult.unavailable(libraryProblem(e));
    }
  }

  /** The reason, in one line, that JCuda's native library cannot be loaded. */
  static String libraryProblem(Throwable e) {
    String detail = null;
    for (Throwable t = e; t != null && detail == null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null) {
        for (String line : m.split("\\R")) {
          if (line.contains("libcuda")) {
            detail = line.strip();
            break;
          }
        }
      }
    }
    if (detail != null) {
      return "no NVIDIA driver: the driver library libcuda.so.1 cannot be loaded (" + detail + "; expected: the NVIDIA"
          + " driver installed on this machine; JCuda links the CUDA runtime statically, so the driver is all it needs)";
    }
    String first = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
    return "the JCuda native library cannot be loaded (" + first.strip() + "; expected: Linux on x86-64 with"
        + " org.jcuda:jcuda-natives:linux-x86_64 on the class path)";
  }

  /**
   * Opens device {@code config.device()} and allocates the tier's device memory.
   *
   * @throws LayerUnavailableException if CUDA is unavailable, the ordinal names no device, or the
   *     device has less free memory than asked
   */
  static CudaDevice open(String tier, CudaConfig config) {
    ProbeResult p = probe();
    if (!p.available()) {
      throw new LayerUnavailableException("cuda tier '" + tier + "': " + p.reason());
    }
    int[] count = new int[1];
    check(cuDeviceGetCount(count), tier, "cuDeviceGetCount");
    if (config.device() >= count[0]) {
      throw new LayerUnavailableException("cuda tier '" + tier + "': tiers." + tier + ".device = " + config.device()
          + " (expected: a device ordinal from 0 to " + (count[0] - 1) + "; this machine has " + count[0] + ")");
    }
    CUdevice device = new CUdevice();
    check(cuDeviceGet(device, config.device()), tier, "cuDeviceGet");
    byte[] nameBytes = new byte[256];
    check(cuDeviceGetName(nameBytes, nameBytes.length, device), tier, "cuDeviceGetName");
    int end = 0;
    while (end < nameBytes.length && nameBytes[end] != 0) {
      end++;
    }
    String name = new String(nameBytes, 0, end, StandardCharsets.US_ASCII);
    CUcontext context = new CUcontext();
    check(cuDevicePrimaryCtxRetain(context, device), tier, "cuDevicePrimaryCtxRetain");
    boolean success = false;
    try {
      check(cuCtxSetCurrent(context), tier, "cuCtxSetCurrent");
      long[] free = new long[1];
      long[] total = new long[1];
      check(cuMemGetInfo(free, total), tier, "cuMemGetInfo");
      long bytes = config.bytesToAllocate(tier, name, free[0]);
      DevicePointer base = new DevicePointer();
      int rc = cuMemAlloc(base, bytes);
      if (rc != CUresult.CUDA_SUCCESS) {
        throw new LayerUnavailableException("cuda tier '" + tier + "': cannot allocate " + bytes + " bytes on device "
            + config.device() + " (" + name + ", " + free[0] + " bytes free): " + CUresult.stringFor(rc));
      }
      success = true;
      return new CudaDevice(config.device(), name, device, context, base, bytes);
    } finally {
      if (!success) {
        cuDevicePrimaryCtxRelease(device);
      }
    }
  }

  /** Makes the device's context current on the calling thread. */
  void makeCurrent(String tier) {
    check(cuCtxSetCurrent(context), tier, "cuCtxSetCurrent");
  }

  int ordinal() {
    return ordinal;
  }

  String name() {
    return name;
  }

  long bytes() {
    return bytes;
  }

  /** The device pointer {@code offset} bytes into the tier's allocation. */
  CUdeviceptr at(long offset) {
    return base.withByteOffset(offset);
  }

  /** The device address {@code offset} bytes into the tier's allocation. */
  long address(long offset) {
    return base.address() + offset;
  }

  /** Throws naming the call and the CUDA error unless {@code rc} is success. */
  static void check(int rc, String tier, String call) {
    if (rc != CUresult.CUDA_SUCCESS) {
      throw new LayerUnavailableException("cuda tier '" + tier + "': " + call + " failed: " + CUresult.stringFor(rc));
    }
  }

  /** Frees the device memory and releases the context. */
  @Override
  public void close() {
    cuCtxSetCurrent(context);
    cuMemFree(base);
    cuDevicePrimaryCtxRelease(device);
  }
}
