package org.exmerge.format;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import org.exmerge.format.Unpickler.PickleException;
import org.exmerge.format.Unpickler.Tuple;

/**
 * What the pickle of a torch state dict may name, and what it means: {@code collections.OrderedDict},
 * torch's tensor and parameter rebuild functions, its storage classes and dtypes. Every other global
 * is refused by name, so nothing a file names is ever imported or run. Tensors come out as
 * {@link Rebuild}s, their arguments as pickled; {@link Rebuild#layout} checks them once the tensor's
 * name is known, so errors can name it.
 */
final class TorchPickle implements Unpickler.Calls {
    /** The legacy format's persistent ids carry a sixth element (a storage view, always None since torch 1.0). */
    private final boolean legacy;
    /** Storages by key, as their first reference declares them. */
    private final Map<String, StorageRef> storages = new LinkedHashMap<>();

    TorchPickle(boolean legacy) {
        this.legacy = legacy;
    }

    /** The functions a state dict's pickle calls. */
    enum Function {
        ORDERED_DICT("collections", "OrderedDict"),
        REBUILD_TENSOR("torch._utils", "_rebuild_tensor"),
        REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"),
        REBUILD_TENSOR_V3("torch._utils", "_rebuild_tensor_v3"),
        REBUILD_PARAMETER("torch._utils", "_rebuild_parameter"),
        REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state");

        final String module;
        final String name;

        Function(String module, String name) {
            this.module = module;
            this.name = name;
        }

        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A storage class: typed ({@code torch.FloatStorage}) or untyped (null dtype, sized in bytes). */
    record StorageType(DType dtype, String name) {
        @Override
        public String toString() {
            return "torch." + name;
        }
    }

    /** A dtype global ({@code torch.float8_e4m3fn}), the third argument that an untyped storage needs. */
    record DTypeRef(DType dtype, String name) {
        @Override
        public String toString() {
            return "torch." + name;
        }
    }

    /**
     * A persistent id: the storage {@code key} of {@code bytes} bytes, as {@code type}; {@code first}
     * is the type the key's first reference gave it, the one torch.load keeps for every later use.
     */
    record StorageRef(StorageType type, String key, long bytes, StorageType first) {
        @Override
        public String toString() {
            return "storage '" + key + "'";
        }
    }

    /** A call of a tensor rebuild function, arguments unchecked. */
    record Rebuild(Function via, Tuple args) {
        @Override
        public String toString() {
            return "tensor";
        }

        /** The checked arguments; a message for the tensor when they are not what torch writes. */
        Layout layout() throws PickleException {
            int n = args.size();
            boolean ok = switch (via) {
                case REBUILD_TENSOR -> n == 4;
                case REBUILD_TENSOR_V2 -> n == 6 || n == 7;
                case REBUILD_TENSOR_V3 -> n == 7 || n == 8;
                default -> false;
            };
            if (!ok) {
                throw new PickleException(via + " with " + n + " arguments, not as torch writes it");
            }
            if (!(args.get(0) instanceof StorageRef storage)) {
                throw new PickleException(via + " of " + Unpickler.described(args.get(0)) + ", not a storage");
            }
            if (!storage.type().equals(storage.first())) {
                // torch.load caches a storage by key and hands the first type to every later use,
                // so the bytes would be read as a type this reference does not say.
                throw new PickleException(storage + " is used as " + storage.first() + " and as " + storage.type()
                        + "; a storage has one type");
            }
            DType dtype;
            if (via == Function.REBUILD_TENSOR_V3) {
                if (!(args.get(6) instanceof DTypeRef d)) {
                    throw new PickleException(via + " with " + Unpickler.described(args.get(6)) + " as its dtype");
                }
                dtype = d.dtype();
            } else if (storage.type().dtype() == null) {
                throw new PickleException(via + " of an untyped storage, which only _rebuild_tensor_v3 reads");
            } else {
                dtype = storage.type().dtype();
            }
            int metadata = via == Function.REBUILD_TENSOR_V3 ? 7 : 6;
            if (n > metadata && !(args.get(metadata) instanceof Map<?, ?> m && m.isEmpty())) {
                // torch records a tensor's lazy negation or conjugation bit here: the stored values
                // are not the tensor's values.
                throw new PickleException("the tensor carries torch metadata (" + Unpickler.describe(args.get(metadata))
                        + ", e.g. a lazy negation bit), which exmerge does not apply; save it with .resolve_neg()");
            }
            if (!(args.get(1) instanceof Long offset) || offset < 0) {
                throw new PickleException("storage offset is " + notACount(args.get(1)));
            }
            long[] shape = ints(args.get(2), "size");
            long[] stride = ints(args.get(3), "stride");
            if (stride.length != shape.length) {
                throw new PickleException("size has " + shape.length + " dimensions but stride " + stride.length);
            }
            return new Layout(dtype, storage, offset, shape, stride);
        }

        private static long[] ints(Object o, String what) throws PickleException {
            if (!(o instanceof Tuple t)) {
                throw new PickleException(what + " is " + Unpickler.described(o) + ", not a tuple of ints");
            }
            long[] v = new long[t.size()];
            for (int i = 0; i < v.length; i++) {
                if (!(t.get(i) instanceof Long x) || x < 0) {
                    throw new PickleException(what + " at dimension " + i + " is " + notACount(t.get(i)));
                }
                v[i] = x;
            }
            return v;
        }
    }

    /**
     * Why a pickled value is not a count (a size, an offset: an int from 0 to 2^63-1), to follow
     * "is": "negative: -1", "1180591620717411303424, beyond 2^63-1", "a str, not an int".
     */
    static String notACount(Object o) {
        return switch (o) {
            case Long l -> "negative: " + l;
            case BigInteger b -> b.signum() < 0 ? "negative: " + b : b + ", beyond 2^63-1";
            default -> Unpickler.described(o) + ", not an int";
        };
    }

    /** A tensor's place in its storage, in elements of {@code dtype}. */
    record Layout(DType dtype, StorageRef storage, long offset, long[] shape, long[] stride) {}

    /** Storages by key, each as its first reference declares it. */
    Map<String, StorageRef> storages() {
        return storages;
    }

    @Override
    public Object global(String module, String name) throws PickleException {
        for (Function f : Function.values()) {
            if (f.module.equals(module) && f.name.equals(name)) {
                return f;
            }
        }
        if (module.equals("torch")) {
            if (name.equals("UntypedStorage")) {
                return new StorageType(null, name);
            }
            if (name.endsWith("Storage")) {
                DType t = storageType(name);
                if (t == null) {
                    throw new PickleException("storage type 'torch." + name + "' holds a dtype exmerge does not read");
                }
                return new StorageType(t, name);
            }
            DType t = dtype(name);
            if (t != null) {
                return new DTypeRef(t, name);
            }
            if (name.matches("u?int\\d+|float\\d+.*|complex\\d+|bits.*|q.*int\\d+.*")) {
                throw new PickleException("dtype 'torch." + name + "' is not one exmerge reads");
            }
        }
        throw new PickleException("refuses pickle global '" + module + "." + name
                + "': a state dict needs only torch's tensor and storage globals, and nothing in a file is run");
    }

    private static DType storageType(String name) {
        return switch (name) {
            case "FloatStorage" -> DType.F32;
            case "HalfStorage" -> DType.F16;
            case "BFloat16Storage" -> DType.BF16;
            case "DoubleStorage" -> DType.F64;
            case "LongStorage" -> DType.I64;
            case "IntStorage" -> DType.I32;
            case "ShortStorage" -> DType.I16;
            case "CharStorage" -> DType.I8;
            case "ByteStorage" -> DType.U8;
            case "BoolStorage" -> DType.BOOL;
            default -> null;
        };
    }

    private static DType dtype(String name) {
        return switch (name) {
            case "float32", "float" -> DType.F32;
            case "float16", "half" -> DType.F16;
            case "bfloat16" -> DType.BF16;
            case "float64", "double" -> DType.F64;
            case "float8_e4m3fn" -> DType.F8_E4M3;
            case "float8_e5m2" -> DType.F8_E5M2;
            case "int64", "long" -> DType.I64;
            case "int32", "int" -> DType.I32;
            case "int16", "short" -> DType.I16;
            case "int8" -> DType.I8;
            case "uint8" -> DType.U8;
            case "bool" -> DType.BOOL;
            default -> null;
        };
    }

    @Override
    public Object call(Object callable, Tuple args) throws PickleException {
        if (!(callable instanceof Function f)) {
            throw new PickleException("calls " + Unpickler.describe(callable) + ", which does not build a tensor");
        }
        return switch (f) {
            case ORDERED_DICT -> {
                if (args.size() != 0) {
                    throw new PickleException("calls collections.OrderedDict with arguments, which torch never writes");
                }
                yield new LinkedHashMap<>();
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // An nn.Parameter is its tensor; requires_grad, hooks and Python state do not change the values.
                if (args.size() < 1 || !(args.get(0) instanceof Rebuild r)) {
                    throw new PickleException(f + " of " + (args.size() < 1 ? "nothing" : Unpickler.described(args.get(0)))
                            + ", not a tensor");
                }
                yield r;
            }
            default -> new Rebuild(f, args);
        };
    }

    @Override
    public Object persistent(Object pid) throws PickleException {
        int n = legacy ? 6 : 5;
        if (!(pid instanceof Tuple t) || t.size() != n || !"storage".equals(t.get(0))) {
            throw new PickleException("persistent id is not ('storage', type, key, location, numel"
                    + (legacy ? ", view)" : ")") + " as torch writes it");
        }
        if (!(t.get(1) instanceof StorageType type)) {
            throw new PickleException("persistent id names " + Unpickler.described(t.get(1)) + " as its storage type");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String)) {
            throw new PickleException("persistent id's storage key or location is not a string");
        }
        if (!(t.get(4) instanceof Long numel) || numel < 0) {
            throw new PickleException("storage '" + key + "' has a size that is " + notACount(t.get(4)));
        }
        if (legacy && t.get(5) != Unpickler.NONE) {
            throw new PickleException("storage '" + key + "' is a storage view, which only torch before 1.0 wrote;"
                    + " re-save the file with a newer torch");
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, type.dtype() == null ? 1 : type.dtype().size());
        } catch (ArithmeticException e) {
            throw new PickleException("storage '" + key + "' declares " + numel + " elements, beyond 2^63-1 bytes");
        }
        StorageRef earlier = storages.get(key);
        StorageRef ref = new StorageRef(type, key, bytes, earlier == null ? type : earlier.type());
        storages.putIfAbsent(key, ref);
        return ref;
    }

    @Override
    public void build(Object target, Object state) throws PickleException {
        // A state dict is an OrderedDict whose _metadata attribute (module versions) arrives by BUILD.
        if (!(target instanceof LinkedHashMap<?, ?>)) {
            throw new PickleException("sets the state of " + Unpickler.described(target) + ", which torch never writes");
        }
    }
}
