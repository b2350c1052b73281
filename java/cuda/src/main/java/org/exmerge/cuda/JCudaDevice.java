package org.exmerge.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The real {@link Device}: CUDA's driver API through JCuda, on device 0's primary context, with the
 * module loaded once from the fatbin bytes (no NVRTC, no PTX compiled here unless the driver JITs
 * the fatbin's compute_90 PTX for a newer GPU). Every driver call is checked ({@link CudaErrors}).
 * Only {@link CudaRuntime} makes one, after the driver has answered.
 */
final class JCudaDevice implements Device {
    private final CUcontext context;
    private final Map<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    private final int sms;

    JCudaDevice(CUdevice device, byte[] fatbin) {
        context = new CUcontext();
        CudaErrors.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        current();
        CUmodule module = new CUmodule();
        CudaErrors.check(JCudaDriver.cuModuleLoadData(module, fatbin), "cuModuleLoadData(exmerge.fatbin)");
        for (Kernel k : Kernel.values()) {
            CUfunction f = new CUfunction();
            CudaErrors.check(JCudaDriver.cuModuleGetFunction(f, module, k.symbol), "cuModuleGetFunction(" + k.symbol + ")");
            functions.put(k, f);
        }
        int[] v = new int[1];
        CudaErrors.check(JCudaDriver.cuDeviceGetAttribute(v,
                jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device), "cuDeviceGetAttribute");
        sms = v[0];
    }

    /** Makes the context current on the calling thread (engine threads come and go). */
    private void current() {
        CudaErrors.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** A CUdeviceptr that reveals its address, which kernels take inside their parameter structs. */
    private static final class Address extends CUdeviceptr {
        long value() {
            return getNativePointer();
        }
    }

    @Override
    public Memory alloc(long bytes) {
        current();
        Address p = new Address();
        CudaErrors.check(JCudaDriver.cuMemAlloc(p, Math.max(1, bytes)), "cuMemAlloc(" + bytes + " bytes)");
        return new DeviceMemory(p, bytes);
    }

    private record DeviceMemory(Address pointer, long bytes) implements Memory {
        @Override
        public long address() {
            return pointer.value();
        }

        @Override
        public void close() {
            CudaErrors.check(JCudaDriver.cuMemFree(pointer), "cuMemFree");
        }
    }

    @Override
    public HostMemory allocHost(long bytes) {
        current();
        Pointer p = new Pointer();
        CudaErrors.check(JCudaDriver.cuMemAllocHost(p, Math.max(1, bytes)), "cuMemAllocHost(" + bytes + " bytes)");
        MemorySegment s = MemorySegment.ofBuffer(p.getByteBuffer(0, Math.max(1, bytes)));
        return new Pinned(p, s);
    }

    private record Pinned(Pointer pointer, MemorySegment segment) implements HostMemory {
        @Override
        public void close() {
            CudaErrors.check(JCudaDriver.cuMemFreeHost(pointer), "cuMemFreeHost");
        }
    }

    @Override
    public Stream stream() {
        current();
        CUstream s = new CUstream();
        CudaErrors.check(JCudaDriver.cuStreamCreate(s, 0), "cuStreamCreate");
        return new Stream() {
            @Override
            public void upload(HostMemory src, long srcOffset, Memory dst, long dstOffset, long bytes) {
                CudaErrors.check(JCudaDriver.cuMemcpyHtoDAsync(((DeviceMemory) dst).pointer().withByteOffset(dstOffset),
                        ((Pinned) src).pointer().withByteOffset(srcOffset), bytes, s), "cuMemcpyHtoDAsync");
            }

            @Override
            public void download(Memory src, long srcOffset, HostMemory dst, long dstOffset, long bytes) {
                CudaErrors.check(JCudaDriver.cuMemcpyDtoHAsync(((Pinned) dst).pointer().withByteOffset(dstOffset),
                        ((DeviceMemory) src).pointer().withByteOffset(srcOffset), bytes, s), "cuMemcpyDtoHAsync");
            }

            @Override
            public void zero(Memory dst, long offset, long bytes) {
                CudaErrors.check(JCudaDriver.cuMemsetD8Async(((DeviceMemory) dst).pointer().withByteOffset(offset), (byte) 0,
                        bytes, s), "cuMemsetD8Async");
            }

            @Override
            public void copy(Memory src, Memory dst, long bytes) {
                CudaErrors.check(JCudaDriver.cuMemcpyDtoDAsync(((DeviceMemory) dst).pointer(), ((DeviceMemory) src).pointer(),
                        bytes, s), "cuMemcpyDtoDAsync");
            }

            @Override
            public void launch(Kernel kernel, int blocks, int threads, MemorySegment params) {
                current();
                byte[] bytes = params.toArray(ValueLayout.JAVA_BYTE); // the driver copies the struct at launch
                CudaErrors.check(JCudaDriver.cuLaunchKernel(functions.get(kernel), blocks, 1, 1, threads, 1, 1, 0, s,
                        Pointer.to(Pointer.to(bytes)), null), "cuLaunchKernel(" + kernel.symbol + ", " + blocks + " x " + threads + ")");
            }

            @Override
            public void sync() {
                CudaErrors.check(JCudaDriver.cuStreamSynchronize(s), "cuStreamSynchronize");
            }

            @Override
            public void close() {
                CudaErrors.check(JCudaDriver.cuStreamDestroy(s), "cuStreamDestroy");
            }
        };
    }

    @Override
    public int multiprocessors() {
        return sms;
    }

    @Override
    public long freeBytes() {
        current();
        long[] free = new long[1];
        long[] total = new long[1];
        CudaErrors.check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return free[0];
    }
}
