package io.agentmesh.state.automerge;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The ops of one change, decoded from its op columns, for the safety checks: each op's target object, key (a map
 * property, the list head, or a list element), insert flag and action.
 *
 * <p>Decoding is strict in two ways, both for the same reason, which is Automerge 0.5.7's behaviour on peer bytes:
 * <ul>
 *   <li>Values are read with the rules of Automerge's own decoders ({@code ObjIdIter}, {@code KeyIter},
 *       {@code BooleanDecoder}, {@code DeltaDecoder} in columnar/), so an op is what Automerge will take it
 *       for.</li>
 *   <li>The encoding must be <em>canonical</em>: exactly what Automerge's encoder writes for these ops (runs of
 *       equal values as runs, never a repeat run of one value, no two literal runs in a row, no empty or
 *       all-null column, preds sorted, values in their shortest form, only the columns a change has). Automerge
 *       applies a non-canonical change, but when it later loads a saved document it re-encodes every change
 *       and compares hashes; a non-canonical change makes every later snapshot fail to load ("mismatching
 *       heads"). Found by fuzzing apply-then-reload.</li>
 * </ul>
 * Op ids are {@code (startOp + i)@actor}.
 */
public final class ChangeOps {
    /** Automerge op actions. */
    public static final int MAKE_MAP = 0;
    public static final int PUT = 1;
    public static final int MAKE_LIST = 2;
    public static final int DELETE = 3;
    public static final int MAKE_TEXT = 4;
    public static final int INCREMENT = 5;
    public static final int MAKE_TABLE = 6;
    public static final int MARK = 7;

    public enum KeyKind { PROPERTY, HEAD, ELEMENT }

    static final int TYPE_GROUP = 0;
    static final int TYPE_ACTOR = 1;
    static final int TYPE_INTEGER = 2;
    static final int TYPE_DELTA = 3;
    static final int TYPE_BOOLEAN = 4;
    static final int TYPE_STRING = 5;
    static final int TYPE_VALUE_META = 6;
    static final int TYPE_VALUE = 7;

    /** The columns a change may hold, as normalized specs (id &lt;&lt; 4 | type), ascending. */
    static final int[] KNOWN_COLUMNS = {
        spec(0, TYPE_ACTOR), spec(0, TYPE_INTEGER),
        spec(1, TYPE_ACTOR), spec(1, TYPE_DELTA), spec(1, TYPE_STRING),
        spec(3, TYPE_BOOLEAN), spec(4, TYPE_INTEGER),
        spec(5, TYPE_VALUE_META), spec(5, TYPE_VALUE),
        spec(7, TYPE_GROUP), spec(7, TYPE_ACTOR), spec(7, TYPE_DELTA),
        spec(9, TYPE_BOOLEAN), spec(10, TYPE_STRING)};

    private static final int VALUE_NULL = 0;
    private static final int VALUE_FALSE = 1;
    private static final int VALUE_TRUE = 2;
    private static final int VALUE_ULEB = 3;
    private static final int VALUE_LEB = 4;
    private static final int VALUE_FLOAT = 5;
    private static final int VALUE_STRING = 6;
    private static final int VALUE_BYTES = 7;
    private static final int VALUE_COUNTER = 8;
    private static final int VALUE_TIMESTAMP = 9;

    private final List<byte[]> actors;
    private final int[] objActor;
    private final long[] objCounter;
    private final KeyKind[] keyKind;
    private final int[] keyActor;
    private final long[] keyCounter;
    private final boolean[] insert;
    private final long[] action;
    private final int[] valueType;
    private final long[] valueBytes;
    private final String[] keyProperty;
    // Each op's target object as text, filled once after decoding. A change of a million text inserts targets one
    // object: the ops share one string, and the checks that look the target up by text hash it once.
    private final String[] target;
    private final String[] actorHex;

    private ChangeOps(List<byte[]> actors, int n) {
        this.actors = actors;
        target = new String[n];
        actorHex = new String[actors.size()];
        for (int a = 0; a < actorHex.length; a++) {
            actorHex[a] = HexFormat.of().formatHex(actors.get(a));
        }
        objActor = new int[n];
        objCounter = new long[n];
        keyKind = new KeyKind[n];
        keyActor = new int[n];
        keyCounter = new long[n];
        insert = new boolean[n];
        action = new long[n];
        valueType = new int[n];
        valueBytes = new long[n];
        keyProperty = new String[n];
    }

    static int spec(int id, int type) {
        return id << 4 | type;
    }

    /** Column layout handed over by {@link ChangeHeader}: spec, start and end of each column (all known, once). */
    record Columns(byte[] bytes, int[] specs, int[] starts, int[] ends) {
        int find(int id, int type) {
            for (int i = 0; i < specs.length; i++) {
                if (specs[i] == spec(id, type)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * Decodes and checks all ops. {@code actors} is the change's actor table (its own actor first); every
     * other actor must be referenced by some op (Automerge lists only those).
     */
    static ChangeOps decode(Columns cols, long ops, List<byte[]> actors) {
        int n = (int) ops;
        ChangeOps out = new ChangeOps(actors, n);
        boolean[] referenced = new boolean[actors.size()];

        // object
        Values objA = rle(cols, 0, TYPE_ACTOR, "object actor column", Rle.Kind.ULEB, n);
        Values objC = rle(cols, 0, TYPE_INTEGER, "object counter column", Rle.Kind.ULEB, n);
        // key
        Values keyA = rle(cols, 1, TYPE_ACTOR, "key actor column", Rle.Kind.ULEB, n);
        Values keyC = rle(cols, 1, TYPE_DELTA, "key counter column", Rle.Kind.SLEB, n);
        Values keyS = rle(cols, 1, TYPE_STRING, "key string column", Rle.Kind.STRING, n);
        boolean[] inserts = booleans(cols, 3, "insert column", n, false);
        Values actions = rle(cols, 4, TYPE_INTEGER, "action column", Rle.Kind.ULEB, n);
        boolean[] expand = booleans(cols, 9, "expand column", n, true);
        Values markNames = rle(cols, 10, TYPE_STRING, "mark name column", Rle.Kind.STRING, n);
        if (n > 0 && (actions == null || inserts == null)) {
            throw ByteReader.malformed("a change with ops lacks its action or insert column");
        }
        long keyAbsolute = 0;
        for (int i = 0; i < n; i++) {
            // object (ObjIdIter): both null is the root; a counter of 0 is the root
            boolean aHas = objA != null && !objA.isNull(i);
            boolean cHas = objC != null && !objC.isNull(i);
            if (aHas && cHas && objC.value(i) != 0) {
                out.objActor[i] = (int) objA.value(i);
                out.objCounter[i] = objC.value(i);
                referenced[out.objActor[i]] = true;
            } else if (!aHas && !cHas) {
                out.objActor[i] = -1;
            } else {
                throw ByteReader.malformed("op " + i + "'s object is neither the root nor an op id");
            }
            // key (KeyIter, DeltaDecoder)
            boolean kaHas = keyA != null && !keyA.isNull(i);
            boolean kcHas = keyC != null && !keyC.isNull(i);
            boolean ksHas = keyS != null && !keyS.isNull(i);
            if (kcHas) {
                long delta = keyC.value(i);
                long sum = keyAbsolute + delta;
                if (((keyAbsolute ^ sum) & (delta ^ sum)) < 0) {
                    throw ByteReader.malformed("key counter column overflows");
                }
                keyAbsolute = sum;
            }
            if (ksHas && !kaHas && !kcHas) {
                out.keyKind[i] = KeyKind.PROPERTY;
                out.keyProperty[i] = keyS.string(i);
            } else if (!ksHas && !kaHas && kcHas && keyAbsolute == 0) {
                out.keyKind[i] = KeyKind.HEAD;
            } else if (!ksHas && kaHas && kcHas && keyAbsolute > 0) {
                out.keyKind[i] = KeyKind.ELEMENT;
                out.keyActor[i] = (int) keyA.value(i);
                out.keyCounter[i] = keyAbsolute;
                referenced[out.keyActor[i]] = true;
            } else {
                throw ByteReader.malformed("op " + i + " has an invalid key");
            }
            out.insert[i] = inserts[i];
            if (actions.isNull(i)) {
                throw ByteReader.malformed("op " + i + " has no action");
            }
            out.action[i] = actions.value(i);
            if (expand != null && expand[i] || markNames != null) {
                // only marks use these; agentmesh never writes marks, and neither column appears otherwise
                out.action[i] = out.action[i] == MARK ? MARK : -1;
            }
        }
        checkValues(cols, out, n);
        checkPreds(cols, out, n, referenced);
        for (int a = 1; a < referenced.length; a++) {
            if (!referenced[a]) {
                throw ByteReader.malformed("the change lists actor " + HexFormat.of().formatHex(actors.get(a))
                        + " but no op refers to it");
            }
        }
        for (int i = 0; i < n; i++) {
            boolean sameAsBefore = i > 0 && out.objActor[i] == out.objActor[i - 1]
                    && out.objCounter[i] == out.objCounter[i - 1];
            out.target[i] = sameAsBefore ? out.target[i - 1] : out.objActor[i] < 0 ? "_root"
                    : Long.toUnsignedString(out.objCounter[i]) + "@" + out.actorHex[out.objActor[i]];
        }
        return out;
    }

    /** Value metadata and raw values: shortest encodings, and no value on ops that take none. */
    private static void checkValues(Columns cols, ChangeOps out, int n) {
        Values meta = rle(cols, 5, TYPE_VALUE_META, "value metadata column", Rle.Kind.ULEB, n);
        int rawIndex = cols.find(5, TYPE_VALUE);
        ByteReader raw = rawIndex < 0 ? new ByteReader(new byte[0], 0, 0)
                : new ByteReader(cols.bytes(), cols.starts()[rawIndex], cols.ends()[rawIndex]);
        if (n > 0 && meta == null) {
            throw ByteReader.malformed("a change with ops lacks its value metadata column");
        }
        for (int i = 0; i < n; i++) {
            if (meta.isNull(i)) {
                throw ByteReader.malformed("op " + i + " has null value metadata");
            }
            long m = meta.value(i);
            int type = (int) (m & 0xf);
            long length = m >>> 4;
            int start = raw.skip(length, "value of op " + i);
            int end = start + (int) length;
            out.valueType[i] = type;
            out.valueBytes[i] = length;
            switch (type) {
                case VALUE_NULL, VALUE_FALSE, VALUE_TRUE -> {
                    if (length != 0) {
                        throw ByteReader.malformed("op " + i + " has a " + length + "-byte null or boolean");
                    }
                }
                case VALUE_ULEB, VALUE_LEB, VALUE_COUNTER, VALUE_TIMESTAMP -> {
                    ByteReader v = new ByteReader(cols.bytes(), start, end);
                    if (type == VALUE_ULEB) {
                        v.uleb("value of op " + i);
                    } else {
                        v.sleb("value of op " + i);
                    }
                    if (!v.done()) {
                        throw ByteReader.malformed("op " + i + "'s number has bytes after it");
                    }
                }
                case VALUE_FLOAT -> {
                    if (length != 8) {
                        throw ByteReader.malformed("op " + i + " has a " + length + "-byte float");
                    }
                }
                case VALUE_STRING -> utf8(cols.bytes(), start, end, "op " + i + "'s string");
                case VALUE_BYTES -> {
                    // any bytes
                }
                default -> throw ByteReader.malformed("op " + i + " has a value of unknown type " + type);
            }
            long action = out.action[i];
            boolean takesNoValue = action == MAKE_MAP || action == MAKE_LIST || action == MAKE_TEXT
                    || action == MAKE_TABLE || action == DELETE;
            if (takesNoValue && type != VALUE_NULL) {
                throw ByteReader.malformed("op " + i + " (action " + action + ") carries a value");
            }
        }
        if (!raw.done()) {
            throw ByteReader.malformed("the value column holds " + raw.remaining() + " bytes no op uses");
        }
    }

    /** Pred lists: counts, then actor and counter of each pred, sorted by (counter, actor) as Automerge sorts. */
    private static void checkPreds(Columns cols, ChangeOps out, int n, boolean[] referenced) {
        Values counts = rle(cols, 7, TYPE_GROUP, "pred count column", Rle.Kind.ULEB, n);
        long total = 0;
        for (int i = 0; counts != null && i < n; i++) {
            if (counts.isNull(i)) {
                throw ByteReader.malformed("op " + i + " has a null pred count");
            }
            total += counts.value(i);
            if (counts.value(i) < 0 || total > ChangeHeader.MAX_OPS) {
                throw ByteReader.malformed("the change has more than " + ChangeHeader.MAX_OPS + " preds");
            }
        }
        if (n > 0 && counts == null) {
            throw ByteReader.malformed("a change with ops lacks its pred count column");
        }
        int t = (int) total;
        Values actor = rle(cols, 7, TYPE_ACTOR, "pred actor column", Rle.Kind.ULEB, t);
        Values counter = rle(cols, 7, TYPE_DELTA, "pred counter column", Rle.Kind.SLEB, t);
        if (t > 0 && (actor == null || counter == null)) {
            throw ByteReader.malformed("ops have preds but the pred columns are missing");
        }
        long absolute = 0;
        int p = 0;
        for (int i = 0; i < n; i++) {
            long prevCounter = -1;
            byte[] prevActor = null;
            for (long k = 0; k < counts.value(i); k++, p++) {
                if (actor.isNull(p) || counter.isNull(p)) {
                    throw ByteReader.malformed("op " + i + " has a null pred");
                }
                absolute += counter.value(p);
                if (absolute <= 0) {
                    throw ByteReader.malformed("op " + i + " has a pred with counter " + absolute);
                }
                int a = (int) actor.value(p);
                referenced[a] = true;
                byte[] actorBytes = out.actors.get(a);
                if (prevActor != null && (absolute < prevCounter || absolute == prevCounter
                        && Arrays.compareUnsigned(actorBytes, prevActor) <= 0)) {
                    throw ByteReader.malformed("op " + i + "'s preds are not in Automerge's order");
                }
                prevCounter = absolute;
                prevActor = actorBytes;
            }
        }
    }

    /** Decoded RLE column: value and null flag per row. */
    private static final class Values {
        final long[] values;
        final boolean[] nulls;
        /** For string columns: the decoded strings (null for null rows). */
        String[] strings;

        Values(int n) {
            values = new long[n];
            nulls = new boolean[n];
        }

        String string(int i) {
            return strings == null ? null : strings[i];
        }

        void putString(int i, Object v) {
            if (v instanceof ByteBuffer b) {
                if (strings == null) {
                    strings = new String[values.length];
                }
                // a repeat run hands the same buffer for each row: decode it once
                strings[i] = i > 0 && lastBuffer == b ? strings[i - 1]
                        : StandardCharsets.UTF_8.decode(b.duplicate()).toString();
                lastBuffer = b;
            }
        }

        private ByteBuffer lastBuffer;

        boolean isNull(int i) {
            return nulls[i];
        }

        long value(int i) {
            return values[i];
        }
    }

    /**
     * Decodes one RLE column, requiring exactly {@code expected} rows and the canonical form of Automerge's
     * RleEncoder. Null if the column is absent (Automerge omits a column whose rows are all null).
     */
    private static Values rle(Columns cols, int id, int type, String name, Rle.Kind kind, int expected) {
        int index = cols.find(id, type);
        if (index < 0) {
            return null;
        }
        ByteReader in = new ByteReader(cols.bytes(), cols.starts()[index], cols.ends()[index]);
        Values out = new Values(expected);
        int n = 0;
        int prev = 0; // 0 none, 1 repeat run, 2 literal run, 3 null run
        Object prevValue = null;
        boolean sawValue = false;
        while (!in.done()) {
            long count = in.sleb(name + " run length");
            if (count > 0) {
                if (count == 1) {
                    throw nonCanonical(name, "a repeat run of one value");
                }
                Object v = read(in, kind, name);
                if ((prev == 1 || prev == 2) && v.equals(prevValue)) {
                    throw nonCanonical(name, "a run that continues the previous one");
                }
                if (count > expected - n) {
                    throw ByteReader.malformed(name + " has more rows than the change has ops");
                }
                for (int k = 0; k < count; k++) {
                    out.putString(n, v);
                    out.values[n++] = numeric(v);
                }
                prev = 1;
                prevValue = v;
                sawValue = true;
            } else if (count < 0) {
                if (prev == 2) {
                    throw nonCanonical(name, "two literal runs in a row");
                }
                if (count == Long.MIN_VALUE || -count > in.remaining() || -count > expected - n) {
                    throw ByteReader.malformed(name + " has a literal run of " + -count + " values that do not fit");
                }
                for (long k = 0; k < -count; k++) {
                    Object v = read(in, kind, name);
                    if ((k == 0 && prev == 1 || k > 0) && v.equals(prevValue)) {
                        throw nonCanonical(name, "equal neighbours in a literal run");
                    }
                    out.putString(n, v);
                    out.values[n++] = numeric(v);
                    prevValue = v;
                }
                prev = 2;
                sawValue = true;
            } else {
                long nulls = in.uleb(name + " null run length");
                if (nulls == 0 || prev == 3) {
                    throw nonCanonical(name, nulls == 0 ? "an empty null run" : "two null runs in a row");
                }
                if (nulls < 0 || nulls > expected - n) {
                    throw ByteReader.malformed(name + " has more rows than the change has ops");
                }
                for (long k = 0; k < nulls; k++) {
                    out.nulls[n++] = true;
                }
                prev = 3;
            }
        }
        if (n != expected) {
            throw ByteReader.malformed(name + " has " + n + " rows for " + expected + " ops");
        }
        if (!sawValue) {
            throw nonCanonical(name, "a column of nulls only (Automerge leaves it out)");
        }
        return out;
    }

    private static Object read(ByteReader in, Rle.Kind kind, String name) {
        return switch (kind) {
            case ULEB -> in.uleb(name + " value");
            case SLEB -> in.sleb(name + " value");
            case STRING -> {
                byte[] s = in.take(in.uleb(name + " string length", in.remaining()), name + " string");
                utf8(s, 0, s.length, name);
                yield ByteBuffer.wrap(s);
            }
        };
    }

    private static long numeric(Object v) {
        return v instanceof Long l ? l : 0;
    }

    /** BooleanEncoder's form: run lengths alternating false/true, only the first may be 0, none trailing. */
    private static boolean[] booleans(Columns cols, int id, String name, int expected, boolean maybe) {
        int index = cols.find(id, TYPE_BOOLEAN);
        if (index < 0) {
            return null;
        }
        ByteReader in = new ByteReader(cols.bytes(), cols.starts()[index], cols.ends()[index]);
        boolean[] out = new boolean[expected];
        boolean value = false;
        boolean first = true;
        boolean anyTrue = false;
        int n = 0;
        while (!in.done()) {
            long run = in.uleb(name + " run length");
            if (run == 0 && !first) {
                throw nonCanonical(name, "an empty run");
            }
            if (run < 0 || run > expected - n) {
                throw ByteReader.malformed(name + " has more rows than the change has ops");
            }
            for (long k = 0; k < run; k++) {
                out[n++] = value;
            }
            anyTrue |= value && run > 0;
            value = !value;
            first = false;
        }
        if (n != expected) {
            throw ByteReader.malformed(name + " has " + n + " rows for " + expected + " ops");
        }
        if (maybe && !anyTrue) {
            throw nonCanonical(name, "a column of false only (Automerge leaves it out)");
        }
        return out;
    }

    private static void utf8(byte[] b, int from, int to, String what) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, to - from));
        } catch (CharacterCodingException e) {
            throw ByteReader.malformed(what + " is not UTF-8");
        }
    }

    private static RuntimeException nonCanonical(String column, String what) {
        return ByteReader.malformed(column + " is not in Automerge's canonical encoding (" + what + ")");
    }

    public int count() {
        return action.length;
    }

    public boolean targetsRoot(int op) {
        return objActor[op] < 0;
    }

    /** The target object as Automerge prints object ids, {@code counter@actorhex}; "_root" for the root. */
    public String target(int op) {
        return target[op];
    }

    public KeyKind keyKind(int op) {
        return keyKind[op];
    }

    /** For {@link KeyKind#ELEMENT} keys: the element's op id, {@code counter@actorhex}. */
    public String keyElement(int op) {
        return Long.toUnsignedString(keyCounter[op]) + "@" + actorHex(keyActor[op]);
    }

    /** For {@link KeyKind#PROPERTY} keys: the map key; null otherwise. */
    public String keyProperty(int op) {
        return keyProperty[op];
    }

    /** The length in bytes of the op's value (for a string: its UTF-8 bytes; 0 for none). */
    public long valueBytes(int op) {
        return valueBytes[op];
    }

    /** Whether the op's value is a boolean. */
    public boolean valueIsBoolean(int op) {
        return valueType[op] == VALUE_FALSE || valueType[op] == VALUE_TRUE;
    }

    /** Whether the op's value is a string. */
    public boolean valueIsString(int op) {
        return valueType[op] == VALUE_STRING;
    }

    public boolean insert(int op) {
        return insert[op];
    }

    /** The action; -1 for an op that uses the mark-only columns without being a mark. */
    public long action(int op) {
        return action[op];
    }

    /** Automerge's value type code of the op's value (0 null, 3 uint, 4 int, 5 float, 6 string, 8 counter...). */
    public int valueType(int op) {
        return valueType[op];
    }

    public boolean makesObject(int op) {
        long a = action[op];
        return a == MAKE_MAP || a == MAKE_LIST || a == MAKE_TEXT || a == MAKE_TABLE;
    }

    private String actorHex(int index) {
        return actorHex[index];
    }
}
