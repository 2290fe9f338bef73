package dev.vmm.core.snapshot;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes a component's state record as a self-describing, tagged value (docs/snapshot-format.md,
 * "Record encoding"): every field is written with its name and a type tag, so a reader matches
 * fields by name, refuses a field it does not know or whose type differs, and fills a field that an
 * older writer did not have with zero, false or empty.
 *
 * <p>Supported component types: {@code boolean}, {@code byte}, {@code short}, {@code char},
 * {@code int}, {@code long}, {@code String}, {@code byte[]}, {@code int[]}, {@code long[]},
 * {@code boolean[]}, enums, records, sealed interfaces whose permitted types are records, and
 * {@code List}s of those. Anything else is a programming error, refused when writing.
 */
public final class RecordCodec {
    static final int NULL = 0;
    static final int BOOL = 1;
    static final int INT = 2;
    static final int LONG = 3;
    static final int STRING = 4;
    static final int BYTES = 5;
    static final int INTS = 6;
    static final int LONGS = 7;
    static final int RECORD = 8;
    static final int LIST = 9;
    static final int ENUM = 10;
    static final int VARIANT = 11;
    static final int BOOLS = 12;

    /** Nesting deeper than this is refused (a crafted file must not overflow the stack). */
    private static final int MAX_DEPTH = 32;

    /**
     * What reflection tells about one record class: its components (names, generic types, accessors) and
     * canonical constructor. Immutable, derived from the class alone, so one per class serves every VM of
     * the JVM; computing it per record instance made a restore's decode several times slower.
     */
    private record Shape(RecordComponent[] components, Method[] accessors, Type[] types, Map<String, Integer> index,
                         Constructor<?> constructor) {
        static Shape of(Class<?> type) {
            RecordComponent[] comps = type.getRecordComponents();
            Method[] accessors = new Method[comps.length];
            Type[] types = new Type[comps.length];
            Class<?>[] raw = new Class<?>[comps.length];
            Map<String, Integer> index = new HashMap<>();
            for (int k = 0; k < comps.length; k++) {
                accessors[k] = comps[k].getAccessor();
                accessors[k].setAccessible(true);
                types[k] = comps[k].getGenericType();
                raw[k] = comps[k].getType();
                index.put(comps[k].getName(), k);
            }
            try {
                Constructor<?> ctor = type.getDeclaredConstructor(raw);
                ctor.setAccessible(true);
                return new Shape(comps, accessors, types, Map.copyOf(index), ctor);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("no canonical constructor in " + type.getName(), e);
            }
        }
    }

    /** Per-class metadata (a cache of immutable reflection results, not state: see {@link Shape}). */
    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type);
        }
    };

    private RecordCodec() {
    }

    /** Appends {@code value} (a record) to {@code out}. */
    public static void write(SectionOutput out, Record value) {
        writeValue(out, value, value.getClass());
    }

    /** Reads a record of {@code type} written by {@link #write}; refuses anything left after it. */
    public static <R extends Record> R read(SectionInput in, Class<R> type) throws SnapshotFormatException {
        Object v = readValue(in, type, "", 0);
        in.expectEnd();
        if (v == null) {
            throw in.error("the state is null");
        }
        return type.cast(v);
    }

    // ---- writing -------------------------------------------------------------------------------

    private static void writeValue(SectionOutput out, Object v, Type declared) {
        Class<?> raw = rawClass(declared);
        if (v == null) {
            out.u8(NULL);
            return;
        }
        switch (v) {
            case Boolean b -> out.u8(BOOL).bool(b);
            case Byte b -> out.u8(INT).u32(b & 0xFFFF_FFFFL);
            case Short s -> out.u8(INT).u32(s & 0xFFFF_FFFFL);
            case Character c -> out.u8(INT).u32(c);
            case Integer i -> out.u8(INT).u32(i & 0xFFFF_FFFFL);
            case Long l -> out.u8(LONG).u64(l);
            case String s -> out.u8(STRING).utf8(s);
            case byte[] b -> out.u8(BYTES).u32(b.length).bytes(b);
            case int[] a -> {
                out.u8(INTS).u32(a.length);
                for (int x : a) {
                    out.u32(x & 0xFFFF_FFFFL);
                }
            }
            case long[] a -> {
                out.u8(LONGS).u32(a.length);
                for (long x : a) {
                    out.u64(x);
                }
            }
            case boolean[] a -> {
                out.u8(BOOLS).u32(a.length);
                for (boolean x : a) {
                    out.bool(x);
                }
            }
            case Enum<?> e -> out.u8(ENUM).utf8(e.name());
            case List<?> list -> {
                Type element = elementType(declared);
                out.u8(LIST).u32(list.size());
                for (Object o : list) {
                    writeValue(out, o, element);
                }
            }
            case Record r -> {
                if (raw.isInterface()) {
                    out.u8(VARIANT).utf8(variantName(r.getClass()));
                } else {
                    out.u8(RECORD);
                }
                writeFields(out, r);
            }
            default -> throw new IllegalArgumentException("cannot encode a " + v.getClass().getName()
                    + " in a snapshot record");
        }
    }

    private static void writeFields(SectionOutput out, Record r) {
        Shape shape = SHAPES.get(r.getClass());
        RecordComponent[] comps = shape.components();
        out.u16(comps.length);
        for (int k = 0; k < comps.length; k++) {
            byte[] name = comps[k].getName().getBytes(StandardCharsets.UTF_8);
            out.u8(name.length).bytes(name);
            Object v;
            try {
                v = shape.accessors()[k].invoke(r);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + r.getClass().getName() + "." + comps[k].getName(), e);
            }
            writeValue(out, v, shape.types()[k]);
        }
    }

    /** The name of a sealed interface's record variant: its binary name without the package. */
    static String variantName(Class<?> c) {
        return c.getName().substring(c.getPackageName().isEmpty() ? 0 : c.getPackageName().length() + 1);
    }

    // ---- reading -------------------------------------------------------------------------------

    private static Object readValue(SectionInput in, Type declared, String field, int depth)
            throws SnapshotFormatException {
        if (depth > MAX_DEPTH) {
            throw in.error("records nested deeper than " + MAX_DEPTH);
        }
        Class<?> raw = rawClass(declared);
        int at = in.position();
        int tag = in.u8();
        if (tag == NULL) {
            if (raw.isPrimitive()) {
                throw SnapshotFormatException.inSection(in.section(), at, "field '" + field + "' is null");
            }
            return null;
        }
        int want = tagOf(raw);
        if (tag != want && !(tag == RECORD && want == VARIANT)) {
            throw SnapshotFormatException.inSection(in.section(), at, "field '" + field + "' has type tag " + tag
                    + ", this vmm expects " + want + " (" + raw.getSimpleName() + ")");
        }
        return switch (tag) {
            case BOOL -> in.bool();
            case INT -> narrow(in, at, field, raw, (int) in.u32());
            case LONG -> in.u64();
            case STRING -> in.utf8();
            case BYTES -> in.bytes(in.u32());
            case INTS -> {
                int[] a = new int[count(in, 4)];
                for (int k = 0; k < a.length; k++) {
                    a[k] = (int) in.u32();
                }
                yield a;
            }
            case LONGS -> {
                long[] a = new long[count(in, 8)];
                for (int k = 0; k < a.length; k++) {
                    a[k] = in.u64();
                }
                yield a;
            }
            case BOOLS -> {
                boolean[] a = new boolean[count(in, 1)];
                for (int k = 0; k < a.length; k++) {
                    a[k] = in.bool();
                }
                yield a;
            }
            case ENUM -> enumConstant(in, at, field, raw, in.utf8());
            case LIST -> {
                int n = count(in, 1);
                Type element = elementType(declared);
                List<Object> list = new ArrayList<>(n);
                for (int k = 0; k < n; k++) {
                    list.add(readValue(in, element, field + "[" + k + "]", depth + 1));
                }
                yield list;
            }
            case RECORD -> readFields(in, raw, field, depth);
            case VARIANT -> {
                String name = in.utf8();
                Class<?> variant = null;
                for (Class<?> p : raw.getPermittedSubclasses()) {
                    if (variantName(p).equals(name)) {
                        variant = p;
                    }
                }
                if (variant == null) {
                    throw SnapshotFormatException.inSection(in.section(), at, "field '" + field + "' holds a '"
                            + name + "', which this vmm does not know as a " + raw.getSimpleName());
                }
                yield readFields(in, variant, field, depth);
            }
            default -> throw SnapshotFormatException.inSection(in.section(), at, "unknown type tag " + tag);
        };
    }

    private static Object readFields(SectionInput in, Class<?> type, String field, int depth)
            throws SnapshotFormatException {
        if (!type.isRecord()) {
            throw in.error("field '" + field + "' is not a record in this vmm");
        }
        int at = in.position();
        int n = in.u16();
        Shape shape = SHAPES.get(type);
        RecordComponent[] comps = shape.components();
        Object[] args = new Object[comps.length];
        boolean[] seen = new boolean[comps.length];
        for (int k = 0; k < n; k++) {
            int fieldAt = in.position();
            String name = new String(in.bytes(in.u8()), StandardCharsets.UTF_8);
            String path = field.isEmpty() ? name : field + "." + name;
            Integer c = shape.index().get(name);
            if (c == null) {
                throw SnapshotFormatException.inSection(in.section(), fieldAt, "field '" + path
                        + "' is unknown to this vmm (" + type.getSimpleName() + ")");
            }
            if (seen[c]) {
                throw SnapshotFormatException.inSection(in.section(), fieldAt, "field '" + path + "' appears twice");
            }
            seen[c] = true;
            args[c] = readValue(in, shape.types()[c], path, depth + 1);
        }
        for (int k = 0; k < comps.length; k++) {
            if (!seen[k]) {
                args[k] = absent(in, at, field, comps[k]);
            }
        }
        try {
            return shape.constructor().newInstance(args);
        } catch (InvocationTargetException e) {
            throw SnapshotFormatException.inSection(in.section(), at, "bad " + type.getSimpleName() + ": "
                    + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    /** The value of a field an older writer did not have: zero, false, empty; refused for anything else. */
    private static Object absent(SectionInput in, int at, String field, RecordComponent c)
            throws SnapshotFormatException {
        Class<?> t = c.getType();
        Object v;
        if (t == boolean.class) {
            v = false;
        } else if (t == byte.class) {
            v = (byte) 0;
        } else if (t == short.class) {
            v = (short) 0;
        } else if (t == char.class) {
            v = (char) 0;
        } else if (t == int.class) {
            v = 0;
        } else if (t == long.class) {
            v = 0L;
        } else if (t == String.class) {
            v = "";
        } else if (t == byte[].class) {
            v = new byte[0];
        } else if (t == int[].class) {
            v = new int[0];
        } else if (t == long[].class) {
            v = new long[0];
        } else if (t == boolean[].class) {
            v = new boolean[0];
        } else if (t == List.class) {
            v = List.of();
        } else {
            String path = field.isEmpty() ? c.getName() : field + "." + c.getName();
            throw SnapshotFormatException.inSection(in.section(), at, "field '" + path + "' is missing");
        }
        return v;
    }

    private static int count(SectionInput in, int elementBytes) throws SnapshotFormatException {
        long n = in.u32();
        if (n * elementBytes > in.remaining()) {
            throw in.error("an array of " + n + " elements does not fit in the " + in.remaining() + " bytes left");
        }
        return (int) n;
    }

    private static Object narrow(SectionInput in, int at, String field, Class<?> raw, int v)
            throws SnapshotFormatException {
        if (raw == int.class || raw == Integer.class) {
            return v;
        }
        boolean fits;
        Object r;
        if (raw == byte.class || raw == Byte.class) {
            fits = v == (byte) v;
            r = (byte) v;
        } else if (raw == short.class || raw == Short.class) {
            fits = v == (short) v;
            r = (short) v;
        } else {
            fits = v == (char) v;
            r = (char) v;
        }
        if (!fits) {
            throw SnapshotFormatException.inSection(in.section(), at, "field '" + field + "' = " + v
                    + " does not fit a " + raw.getSimpleName());
        }
        return r;
    }

    private static Object enumConstant(SectionInput in, int at, String field, Class<?> raw, String name)
            throws SnapshotFormatException {
        for (Object c : raw.getEnumConstants()) {
            if (((Enum<?>) c).name().equals(name)) {
                return c;
            }
        }
        throw SnapshotFormatException.inSection(in.section(), at, "field '" + field + "' = " + name
                + " is not a " + raw.getSimpleName() + " this vmm knows");
    }

    private static int tagOf(Class<?> t) {
        if (t == boolean.class || t == Boolean.class) {
            return BOOL;
        }
        if (t == int.class || t == Integer.class || t == short.class || t == Short.class || t == byte.class
                || t == Byte.class || t == char.class || t == Character.class) {
            return INT;
        }
        if (t == long.class || t == Long.class) {
            return LONG;
        }
        if (t == String.class) {
            return STRING;
        }
        if (t == byte[].class) {
            return BYTES;
        }
        if (t == int[].class) {
            return INTS;
        }
        if (t == long[].class) {
            return LONGS;
        }
        if (t == boolean[].class) {
            return BOOLS;
        }
        if (t.isEnum()) {
            return ENUM;
        }
        if (List.class.isAssignableFrom(t)) {
            return LIST;
        }
        if (t.isRecord()) {
            return RECORD;
        }
        if (t.isInterface() && t.isSealed()) {
            return VARIANT;
        }
        throw new IllegalArgumentException("a snapshot record cannot hold a " + t.getName());
    }

    private static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalArgumentException("unsupported type " + t);
    }

    private static Type elementType(Type listType) {
        if (listType instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[0];
        }
        throw new IllegalArgumentException("a List in a snapshot record needs its element type: " + listType);
    }
}
