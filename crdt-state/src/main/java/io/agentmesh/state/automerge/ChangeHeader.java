package io.agentmesh.state.automerge;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.automerge.AutomergeFormatException.Reason;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * One Automerge change chunk, parsed and checked in Java before the native library sees it.
 *
 * <p>Why this exists: the node must check that a {@code SignedChange}'s {@code (actor, seq)} are the ones inside its
 * bytes, and Automerge 0.5.7 (the engine inside {@code org.automerge:automerge:0.0.7}) is not safe on hostile bytes:
 * <ul>
 *   <li>a chunk whose checksum is wrong is silently skipped by {@code applyEncodedChanges} (no error, nothing
 *       applied), and bytes after a valid chunk can make it drop or half-apply the input without an error;</li>
 *   <li>a checksum-valid change whose op columns name an actor index beyond its actor table makes Rust panic in
 *       {@code Automerge::import_ops} (automerge.rs:856/864, "index out of bounds"); the panic cannot unwind
 *       through JNI, so the <em>whole JVM aborts</em> (exit 134). Found by fuzzing, reproduced in
 *       {@code NativeCrashTest}.</li>
 * </ul>
 * So {@link #parse} accepts exactly one change chunk (type 1, or type 2 = DEFLATE-compressed change), verifies its
 * checksum (first 4 bytes of SHA-256 over chunk type, uLEB length and body, computed on the uncompressed change),
 * parses the header fields (deps, actor, seq, start op, time, message, other actors), the op column layout, and
 * decodes every actor column to check its indexes. It also decodes each op's target, key, insert flag and action
 * ({@link ChangeOps}), so the caller can refuse changes that write to objects it protects (the document root, the
 * {@code meta} map) and check each op against the document's object types.
 *
 * <p>Every malformed input gives a {@link AutomergeFormatException}; nothing else escapes (fuzzed in
 * {@code ChangeHeaderFuzzTest}).
 */
public final class ChangeHeader {
    public static final byte[] MAGIC = {(byte) 0x85, 0x6f, 0x4a, (byte) 0x83};
    public static final int CHUNK_DOCUMENT = 0;
    public static final int CHUNK_CHANGE = 1;
    public static final int CHUNK_COMPRESSED_CHANGE = 2;
    /** Largest change accepted, compressed or not: the replication limit. */
    public static final int MAX_CHANGE_BYTES = SignedChange.MAX_CHANGE_BYTES;
    /** Largest body a compressed change may inflate to (a cap against DEFLATE bombs). */
    public static final int MAX_INFLATED_BYTES = 4 * SignedChange.MAX_CHANGE_BYTES;
    /** More ops than this in one change is refused (an honest 4 MiB change holds far fewer). */
    public static final long MAX_OPS = 1L << 20;
    /** Automerge allows any actor length; agentmesh uses 16 bytes. Longer than this is refused outright. */
    public static final int MAX_ACTOR_BYTES = 128;

    private static final int COLUMN_TYPE_ACTOR = 1;
    private static final int COLUMN_TYPE_INTEGER = 2;
    private static final int COLUMN_DEFLATE_BIT = 0b1000;
    private static final int ACTION_COLUMN_ID = 4;

    private final byte[] actor;
    private final long seq;
    private final long startOp;
    private final long timeMillis;
    private final String message;
    private final List<byte[]> deps;
    private final List<byte[]> otherActors;
    private final byte[] hash;
    private final boolean compressed;
    private final ChangeOps ops;
    private final boolean writesRoot;
    private final Set<String> protectedWrites;

    private ChangeHeader(byte[] actor, long seq, long startOp, long timeMillis, String message, List<byte[]> deps,
                         List<byte[]> otherActors, byte[] hash, boolean compressed, ChangeOps ops,
                         boolean writesRoot, Set<String> protectedWrites) {
        this.actor = actor;
        this.seq = seq;
        this.startOp = startOp;
        this.timeMillis = timeMillis;
        this.message = message;
        this.deps = deps;
        this.otherActors = otherActors;
        this.hash = hash;
        this.compressed = compressed;
        this.ops = ops;
        this.writesRoot = writesRoot;
        this.protectedWrites = protectedWrites;
    }

    /** Parses {@code bytes}, which must be exactly one change chunk. */
    public static ChangeHeader parse(byte[] bytes) {
        return parse(bytes, Set.of());
    }

    /**
     * Parses {@code bytes}, which must be exactly one change chunk, and reports which of {@code protectedObjects}
     * (object ids in Automerge's text form {@code counter@actorhex}, as {@code ObjectId.toString()} prints them)
     * its ops write to.
     */
    public static ChangeHeader parse(byte[] bytes, Set<String> protectedObjects) {
        if (bytes == null) {
            throw new AutomergeFormatException(Reason.MALFORMED, "malformed Automerge bytes: no bytes");
        }
        if (bytes.length > MAX_CHANGE_BYTES) {
            throw new AutomergeFormatException(Reason.TOO_LARGE, "an Automerge change may be at most "
                    + MAX_CHANGE_BYTES + " bytes, got " + bytes.length);
        }
        Chunk chunk = Chunk.read(bytes, 0);
        if (chunk.end() != bytes.length) {
            boolean another = bytes.length - chunk.end() >= 4
                    && Arrays.equals(bytes, chunk.end(), chunk.end() + 4, MAGIC, 0, 4);
            throw new AutomergeFormatException(Reason.WRONG_CHUNK, another
                    ? "expected exactly one Automerge change, got more than one chunk"
                    : "expected exactly one Automerge change, got " + (bytes.length - chunk.end())
                    + " bytes after it");
        }
        return fromChunk(bytes, chunk, protectedObjects);
    }

    /** Hash, author, seq and op counters of one change, from {@link #summaries}. */
    public record Summary(byte[] hash, byte[] actor, long seq, long startOp, long opCount) {
        /** The highest op counter the change uses (startOp - 1 if it has no ops). */
        public long maxOp() {
            return startOp + opCount - 1;
        }
    }

    /**
     * Hash, author and seq of each change in a concatenation of change chunks as
     * {@code Document.encodeChangesSince} returns them. Trusted input from the library: framing and the header
     * fields are read, the ops are not checked.
     */
    public static List<Summary> summaries(byte[] changes) {
        List<Summary> out = new ArrayList<>();
        int at = 0;
        while (at < changes.length) {
            Chunk chunk = Chunk.read(changes, at);
            byte[] body;
            int from;
            byte[] hash;
            if (chunk.type() == CHUNK_CHANGE) {
                body = changes;
                from = chunk.bodyStart();
                hash = sha256(changes, chunk.typeOffset(), chunk.end());
            } else if (chunk.type() == CHUNK_COMPRESSED_CHANGE) {
                body = inflate(changes, chunk.bodyStart(), chunk.end());
                from = 0;
                byte[] prefix = new byte[11];
                prefix[0] = CHUNK_CHANGE;
                int n = 1 + writeUleb(prefix, 1, body.length);
                hash = sha256(prefix, 0, n, body);
            } else {
                throw new AutomergeFormatException(Reason.WRONG_CHUNK, "expected change chunks, got type "
                        + chunk.type());
            }
            ByteReader r = new ByteReader(body, from, chunk.type() == CHUNK_CHANGE ? chunk.end() : body.length);
            long deps = r.uleb("dependency count", r.remaining() / 32);
            r.skip(deps * 32, "dependencies");
            byte[] actor = r.take(r.uleb("actor length", MAX_ACTOR_BYTES), "actor");
            long seq = r.uleb("seq", Long.MAX_VALUE);
            long startOp = r.uleb("start op", 0xFFFF_FFFFL);
            r.sleb("time");
            r.skip(r.uleb("message length", r.remaining()), "message");
            long others = r.uleb("other actor count", r.remaining());
            for (long i = 0; i < others; i++) {
                r.skip(r.uleb("other actor length", MAX_ACTOR_BYTES), "other actor");
            }
            long columns = r.uleb("column count", r.remaining() / 2);
            long offset = 0;
            long actionAt = -1;
            long actionLength = 0;
            for (long i = 0; i < columns; i++) {
                long spec = r.uleb("column spec", 0xFFFF_FFFFL);
                long length = r.uleb("column length", Integer.MAX_VALUE);
                if ((spec & ~COLUMN_DEFLATE_BIT) == (ACTION_COLUMN_ID << 4 | COLUMN_TYPE_INTEGER)) {
                    actionAt = offset;
                    actionLength = length;
                }
                offset += length;
            }
            long ops = 0;
            if (actionAt >= 0) {
                int start = r.position() + (int) actionAt;
                ops = countValues(body, start, start + (int) actionLength);
            }
            out.add(new Summary(hash, actor, seq, startOp, ops));
            at = chunk.end();
        }
        return out;
    }

    /** Parses a change chunk that {@link Chunk#read} found in a larger byte string. */
    static ChangeHeader fromChunk(byte[] bytes, Chunk chunk, Set<String> protectedObjects) {
        return switch (chunk.type()) {
            case CHUNK_CHANGE -> {
                byte[] hash = sha256(bytes, chunk.typeOffset(), chunk.end());
                checkChecksum(chunk.checksum(), hash);
                yield parseBody(bytes, chunk.bodyStart(), chunk.end(), hash, false, protectedObjects);
            }
            case CHUNK_COMPRESSED_CHANGE -> {
                byte[] body = inflate(bytes, chunk.bodyStart(), chunk.end());
                // The checksum of a compressed chunk is the one of the uncompressed change (chunk.rs with_data).
                byte[] prefix = new byte[11];
                prefix[0] = CHUNK_CHANGE;
                int n = 1 + writeUleb(prefix, 1, body.length);
                byte[] hash = sha256(prefix, 0, n, body);
                checkChecksum(chunk.checksum(), hash);
                yield parseBody(body, 0, body.length, hash, true, protectedObjects);
            }
            case CHUNK_DOCUMENT -> throw new AutomergeFormatException(Reason.WRONG_CHUNK,
                    "expected an Automerge change, got a whole document chunk");
            case 3, 4 -> throw new AutomergeFormatException(Reason.WRONG_CHUNK,
                    "expected an Automerge change, got a bundle chunk (type " + chunk.type() + ")");
            default -> throw new AutomergeFormatException(Reason.WRONG_CHUNK,
                    "expected an Automerge change, got a chunk of unknown type " + chunk.type());
        };
    }

    private static ChangeHeader parseBody(byte[] b, int from, int to, byte[] hash, boolean compressed,
                                          Set<String> protectedObjects) {
        ByteReader r = new ByteReader(b, from, to);
        long depCount = r.uleb("dependency count", r.remaining() / 32);
        List<byte[]> deps = new ArrayList<>((int) depCount);
        for (int i = 0; i < depCount; i++) {
            byte[] dep = r.take(32, "dependency hash");
            if (i > 0 && Arrays.compareUnsigned(deps.get(i - 1), dep) >= 0) {
                throw ByteReader.malformed("dependencies are not sorted and distinct, as Automerge writes them");
            }
            deps.add(dep);
        }
        byte[] actor = r.take(r.uleb("actor length", MAX_ACTOR_BYTES), "actor");
        long seq = r.uleb("seq", Long.MAX_VALUE);
        if (seq < 1) {
            throw ByteReader.malformed("seq is 0; Automerge numbers an actor's changes from 1");
        }
        long startOp = r.uleb("start op", 0xFFFF_FFFFL);
        if (startOp < 1) {
            throw ByteReader.malformed("start op is 0");
        }
        long time = r.sleb("time");
        byte[] messageBytes = r.take(r.uleb("message length", r.remaining()), "message");
        String message;
        try {
            message = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(messageBytes)).toString();
        } catch (CharacterCodingException e) {
            throw ByteReader.malformed("message is not UTF-8");
        }
        long otherCount = r.uleb("other actor count", r.remaining());
        List<byte[]> others = new ArrayList<>((int) Math.min(otherCount, 1024));
        for (long i = 0; i < otherCount; i++) {
            byte[] other = r.take(r.uleb("other actor length", MAX_ACTOR_BYTES), "other actor");
            if (Arrays.equals(other, actor)
                    || !others.isEmpty() && Arrays.compareUnsigned(others.get(others.size() - 1), other) >= 0) {
                throw ByteReader.malformed("other actors are not sorted, distinct and different from the author");
            }
            others.add(other);
        }

        long columnCount = r.uleb("column count", r.remaining() / 2);
        int[] specs = new int[(int) columnCount];
        long[] lengths = new long[(int) columnCount];
        long total = 0;
        for (int i = 0; i < columnCount; i++) {
            specs[i] = (int) r.uleb("column spec", 0xFFFF_FFFFL);
            lengths[i] = r.uleb("column length", Integer.MAX_VALUE);
            total += lengths[i];
            if ((specs[i] & COLUMN_DEFLATE_BIT) != 0) {
                throw ByteReader.malformed("a change may not hold compressed columns");
            }
            if (i > 0 && Integer.compareUnsigned(specs[i], specs[i - 1]) < 0) {
                throw ByteReader.malformed("columns are not in normalized order");
            }
            if (i > 0 && specs[i] == specs[i - 1]) {
                throw ByteReader.malformed("column " + specs[i] + " appears twice");
            }
            if (Arrays.binarySearch(ChangeOps.KNOWN_COLUMNS, specs[i]) < 0) {
                throw ByteReader.malformed("column spec " + Integer.toUnsignedString(specs[i])
                        + " is not one Automerge writes in a change");
            }
            if (lengths[i] == 0) {
                throw ByteReader.malformed("column " + specs[i] + " is empty (Automerge leaves empty columns out)");
            }
        }
        if (total > r.remaining()) {
            throw ByteReader.malformed("op columns need " + total + " bytes but only " + r.remaining() + " remain");
        }
        int[] starts = new int[(int) columnCount];
        for (int i = 0; i < columnCount; i++) {
            starts[i] = r.skip(lengths[i], "op column");
        }
        if (!r.done()) {
            // Automerge keeps "extra bytes" after the columns; agentmesh writes none, and refusing them keeps
            // every accepted change reproducible from a saved document.
            throw ByteReader.malformed(r.remaining() + " bytes follow the op columns");
        }

        int actorCount = 1 + others.size();
        int[] ends = new int[(int) columnCount];
        for (int i = 0; i < columnCount; i++) {
            ends[i] = starts[i] + (int) lengths[i];
            if ((specs[i] & 0b111) == COLUMN_TYPE_ACTOR) {
                checkActorIndexes(b, starts[i], ends[i], actorCount, "actor column " + (specs[i] >>> 4));
            }
        }
        ChangeOps.Columns columns = new ChangeOps.Columns(b, specs, starts, ends);
        int action = columns.find(ACTION_COLUMN_ID, COLUMN_TYPE_INTEGER);
        long opCount = action < 0 ? 0 : countValues(b, starts[action], ends[action]);
        List<byte[]> actors = new ArrayList<>(actorCount);
        actors.add(actor);
        actors.addAll(others);
        ChangeOps ops = ChangeOps.decode(columns, opCount, Collections.unmodifiableList(actors));
        boolean root = false;
        Set<String> hits = new LinkedHashSet<>();
        for (int i = 0; i < ops.count(); i++) {
            if (ops.targetsRoot(i)) {
                root = true;
            } else if (!protectedObjects.isEmpty() && protectedObjects.contains(ops.target(i))) {
                hits.add(ops.target(i));
            }
        }
        return new ChangeHeader(actor, seq, startOp, time, message, Collections.unmodifiableList(deps),
                Collections.unmodifiableList(others), hash, compressed, ops, root,
                Collections.unmodifiableSet(hits));
    }

    private static void checkActorIndexes(byte[] b, int from, int to, int actorCount, String column) {
        Rle rle = new Rle(b, from, to, column);
        while (rle.advance()) {
            if (!rle.isNull() && Long.compareUnsigned(rle.value(), actorCount) >= 0) {
                throw ByteReader.malformed(column + " refers to actor index " + Long.toUnsignedString(rle.value())
                        + " but the change names only " + actorCount + " actor(s)");
            }
            rle.consume(rle.available());
        }
    }

    private static long countValues(byte[] b, int from, int to) {
        Rle rle = new Rle(b, from, to, "action column");
        long count = 0;
        while (rle.advance()) {
            long n = rle.available();
            count += n;
            if (count > MAX_OPS || count < 0) {
                throw ByteReader.malformed("a change may hold at most " + MAX_OPS + " ops");
            }
            rle.consume(n);
        }
        return count;
    }

    private static void checkChecksum(byte[] stored, byte[] hash) {
        if (!Arrays.equals(stored, 0, 4, hash, 0, 4)) {
            throw new AutomergeFormatException(Reason.BAD_CHECKSUM, "Automerge chunk checksum "
                    + HexFormat.of().formatHex(stored) + " does not match its contents (expected "
                    + HexFormat.of().formatHex(hash, 0, 4) + ")");
        }
    }

    private static byte[] inflate(byte[] b, int from, int to) {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(b, from, to - from);
            byte[] out = new byte[Math.min(MAX_INFLATED_BYTES, Math.max(1024, (to - from) * 4))];
            int n = 0;
            while (!inflater.finished()) {
                if (n == out.length) {
                    if (out.length == MAX_INFLATED_BYTES) {
                        throw new AutomergeFormatException(Reason.TOO_LARGE,
                                "compressed Automerge change inflates to more than " + MAX_INFLATED_BYTES + " bytes");
                    }
                    out = Arrays.copyOf(out, (int) Math.min(MAX_INFLATED_BYTES, 2L * out.length));
                }
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw ByteReader.malformed("compressed change ends inside its DEFLATE stream");
                }
                n += got;
            }
            if (inflater.getRemaining() != 0) {
                throw ByteReader.malformed("compressed change has bytes after its DEFLATE stream");
            }
            return Arrays.copyOf(out, n);
        } catch (DataFormatException e) {
            throw ByteReader.malformed("compressed change holds an invalid DEFLATE stream (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    static byte[] sha256(byte[] b, int from, int to) {
        MessageDigest sha = sha();
        sha.update(b, from, to - from);
        return sha.digest();
    }

    private static byte[] sha256(byte[] prefix, int from, int to, byte[] body) {
        MessageDigest sha = sha();
        sha.update(prefix, from, to - from);
        sha.update(body);
        return sha.digest();
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static int writeUleb(byte[] out, int at, long v) {
        int n = 0;
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            out[at + n++] = (byte) (v != 0 ? b | 0x80 : b);
        } while (v != 0);
        return n;
    }

    /** The Automerge actor that made the change (16 bytes for every agentmesh node). */
    public byte[] actor() {
        return actor.clone();
    }

    public String actorHex() {
        return HexFormat.of().formatHex(actor);
    }

    /** The actor's sequence number of this change, from 1. */
    public long seq() {
        return seq;
    }

    public long startOp() {
        return startOp;
    }

    /** The time field; 0 for changes made through the Java API, which records none. */
    public long timeMillis() {
        return timeMillis;
    }

    public String message() {
        return message;
    }

    /** Hashes of the changes this one depends on, 32 bytes each. */
    public List<byte[]> deps() {
        return deps.stream().map(byte[]::clone).toList();
    }

    public int depCount() {
        return deps.size();
    }

    public List<byte[]> otherActors() {
        return otherActors.stream().map(byte[]::clone).toList();
    }

    /** The change hash (SHA-256 of the uncompressed chunk after its checksum), as Automerge's heads show it. */
    public byte[] hash() {
        return hash.clone();
    }

    public String hashHex() {
        return HexFormat.of().formatHex(hash);
    }

    /** The chunk was a DEFLATE-compressed change (type 2). */
    public boolean compressed() {
        return compressed;
    }

    public int opCount() {
        return ops.count();
    }

    /** The decoded ops (targets, keys, actions), for checks against the document. */
    public ChangeOps ops() {
        return ops;
    }

    /** Some op of the change writes to the document root. */
    public boolean writesRoot() {
        return writesRoot;
    }

    /** The protected objects (passed to {@link #parse(byte[], Set)}) that some op writes to. */
    public Set<String> protectedWrites() {
        return protectedWrites;
    }

    @Override
    public String toString() {
        return "ChangeHeader[actor=" + actorHex() + ", seq=" + seq + ", deps=" + deps.size() + ", ops=" + ops.count()
                + ", hash=" + hashHex() + "]";
    }
}
