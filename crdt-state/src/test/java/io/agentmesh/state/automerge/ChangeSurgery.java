package io.agentmesh.state.automerge;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test tool: takes a valid (uncompressed) change apart, lets a test edit a field or a column, and puts it back
 * together with correct lengths and checksum, to build precisely wrong changes.
 */
public final class ChangeSurgery {
    public List<byte[]> deps = new ArrayList<>();
    public byte[] actor;
    public long seq;
    public long startOp;
    public long time;
    public byte[] message;
    public List<byte[]> others = new ArrayList<>();
    /** normalized spec to column bytes, in order */
    public Map<Integer, byte[]> columns = new LinkedHashMap<>();
    public byte[] extra = new byte[0];

    public static ChangeSurgery of(byte[] change) {
        Chunk chunk = Chunk.read(change, 0);
        if (chunk.type() != ChangeHeader.CHUNK_CHANGE) {
            throw new IllegalArgumentException("only uncompressed changes");
        }
        ByteReader r = new ByteReader(change, chunk.bodyStart(), chunk.end());
        ChangeSurgery s = new ChangeSurgery();
        long deps = r.uleb("deps");
        for (int i = 0; i < deps; i++) {
            s.deps.add(r.take(32, "dep"));
        }
        s.actor = r.take(r.uleb("actor len"), "actor");
        s.seq = r.uleb("seq");
        s.startOp = r.uleb("start op");
        s.time = r.sleb("time");
        s.message = r.take(r.uleb("msg len"), "msg");
        long others = r.uleb("others");
        for (int i = 0; i < others; i++) {
            s.others.add(r.take(r.uleb("other len"), "other"));
        }
        long n = r.uleb("cols");
        int[] specs = new int[(int) n];
        long[] lens = new long[(int) n];
        for (int i = 0; i < n; i++) {
            specs[i] = (int) r.uleb("spec");
            lens[i] = r.uleb("len");
        }
        for (int i = 0; i < n; i++) {
            s.columns.put(specs[i], r.take(lens[i], "col"));
        }
        s.extra = r.take(r.remaining(), "extra");
        return s;
    }

    public byte[] build() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        uleb(body, deps.size());
        deps.forEach(body::writeBytes);
        uleb(body, actor.length);
        body.writeBytes(actor);
        uleb(body, seq);
        uleb(body, startOp);
        sleb(body, time);
        uleb(body, message.length);
        body.writeBytes(message);
        uleb(body, others.size());
        for (byte[] o : others) {
            uleb(body, o.length);
            body.writeBytes(o);
        }
        uleb(body, columns.size());
        columns.forEach((spec, data) -> {
            uleb(body, spec);
            uleb(body, data.length);
        });
        columns.values().forEach(body::writeBytes);
        body.writeBytes(extra);
        return chunk(ChangeHeader.CHUNK_CHANGE, body.toByteArray());
    }

    /** A chunk of {@code type} around {@code body}, with the right checksum. */
    public static byte[] chunk(int type, byte[] body) {
        ByteArrayOutputStream hashed = new ByteArrayOutputStream();
        hashed.write(type);
        uleb(hashed, body.length);
        hashed.writeBytes(body);
        byte[] h = hashed.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ChangeHeader.MAGIC);
        try {
            out.write(MessageDigest.getInstance("SHA-256").digest(h), 0, 4);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        out.writeBytes(h);
        return out.toByteArray();
    }

    /** Values of an RLE unsigned column (null entries as null). */
    public List<Long> ulebColumn(int spec) {
        byte[] data = columns.get(spec);
        List<Long> out = new ArrayList<>();
        if (data == null) {
            return out;
        }
        Rle rle = new Rle(data, 0, data.length, "column");
        while (rle.step()) {
            out.add(rle.steppedNull() ? null : rle.stepped());
        }
        return out;
    }

    /** Values of an RLE string column (null entries as null). */
    public List<String> stringColumn(int spec) {
        byte[] data = columns.get(spec);
        List<String> out = new ArrayList<>();
        if (data == null) {
            return out;
        }
        ByteReader r = new ByteReader(data, 0, data.length);
        while (!r.done()) {
            long count = r.sleb("count");
            if (count > 0) {
                String v = new String(r.take(r.uleb("len"), "s"), java.nio.charset.StandardCharsets.UTF_8);
                for (long i = 0; i < count; i++) {
                    out.add(v);
                }
            } else if (count < 0) {
                for (long i = 0; i < -count; i++) {
                    out.add(new String(r.take(r.uleb("len"), "s"), java.nio.charset.StandardCharsets.UTF_8));
                }
            } else {
                long nulls = r.uleb("nulls");
                for (long i = 0; i < nulls; i++) {
                    out.add(null);
                }
            }
        }
        return out;
    }

    /** Canonical RLE encoding of strings (null = null). */
    public static byte[] encodeStrings(List<String> values) {
        List<Long> ids = new ArrayList<>();
        List<String> distinct = new ArrayList<>();
        for (String v : values) {
            if (v == null) {
                ids.add(null);
            } else {
                if (!distinct.contains(v)) {
                    distinct.add(v);
                }
                ids.add((long) distinct.indexOf(v));
            }
        }
        // encode the run structure of the ids, writing strings in place of the numbers
        byte[] shape = encodeUleb(ids);
        ByteReader r = new ByteReader(shape, 0, shape.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!r.done()) {
            long count = r.sleb("count");
            sleb(out, count);
            long values1 = count > 0 ? 1 : count < 0 ? -count : 0;
            if (count == 0) {
                uleb(out, r.uleb("nulls"));
            }
            for (long i = 0; i < values1; i++) {
                byte[] s = distinct.get((int) r.uleb("id")).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                uleb(out, s.length);
                out.writeBytes(s);
            }
        }
        return out.toByteArray();
    }

    /** Canonical RLE encoding of unsigned values (null = null), like Automerge's RleEncoder. */
    public static byte[] encodeUleb(List<Long> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < values.size()) {
            Long v = values.get(i);
            int j = i;
            while (j < values.size() && java.util.Objects.equals(values.get(j), v)) {
                j++;
            }
            int run = j - i;
            if (v == null) {
                sleb(out, 0);
                uleb(out, run);
                i = j;
            } else if (run >= 2) {
                sleb(out, run);
                uleb(out, v);
                i = j;
            } else {
                // literal run: values until two equal neighbours or a null
                int k = i;
                while (k < values.size() && values.get(k) != null
                        && (k + 1 >= values.size() || !values.get(k).equals(values.get(k + 1)))) {
                    k++;
                }
                sleb(out, -(k - i));
                for (int m = i; m < k; m++) {
                    uleb(out, values.get(m));
                }
                i = k;
            }
        }
        return out.toByteArray();
    }

    static void uleb(ByteArrayOutputStream out, long v) {
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }

    static void sleb(ByteArrayOutputStream out, long v) {
        while (true) {
            int b = (int) (v & 0x7f);
            v >>= 7;
            if (v == 0 && (b & 0x40) == 0 || v == -1 && (b & 0x40) != 0) {
                out.write(b);
                return;
            }
            out.write(b | 0x80);
        }
    }
}
