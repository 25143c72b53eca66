package io.agentmesh.state;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The memory view saved beside a snapshot, so a restart adopts it instead of reading every entry out of the loaded
 * document (about 25 us per entry). It names the document heads it was taken at: a restart uses it only when the
 * loaded snapshot has exactly those heads, and the changes replayed after the snapshot then update it like any
 * other change. Anything else (no file, another agent, other heads, a bad checksum, a truncated file) and the view is
 * read from the document as before; the file is only ever a shortcut.
 *
 * <p>Format (version 1): magic, agent id, heads, slot count, then per slot a presence byte and the entry (author,
 * kind and tags as indexes into a table of strings defined on first use), then a CRC-32 of everything before it.
 * Written to a temporary file, fsynced and renamed over the old one.
 */
public final class MemoryViewFile {
    public static final String NAME = "memory-view.bin";
    private static final byte[] MAGIC = "AMVIEW1\n".getBytes(StandardCharsets.US_ASCII);
    /** Distinct shared strings in one file (authors, kinds, tags); past it strings are written in full. */
    private static final int MAX_TABLE = 1 << 16;
    private static final int INLINE = -1;

    /** What a file holds: the heads it was taken at and the slots (null for a malformed one). */
    public record Saved(List<String> heads, List<MemoryEntry> slots) {
    }

    private MemoryViewFile() {
    }

    /** Writes {@code view}, taken at {@code heads}, to {@code file} (atomically). Blocking: never the node thread. */
    public static void write(Path file, byte[] agentId, List<String> heads, MemoryView view) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream raw = Files.newOutputStream(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            CRC32 crc = new CRC32();
            DataOutputStream out = new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(raw,
                    1 << 16), crc));
            out.write(MAGIC);
            out.writeInt(agentId.length);
            out.write(agentId);
            out.writeInt(heads.size());
            for (String h : heads) {
                out.writeUTF(h);
            }
            List<MemoryEntry> slots = view.slots();
            out.writeLong(slots.size());
            java.util.Map<String, Integer> table = new java.util.HashMap<>();
            for (MemoryEntry e : slots) {
                if (e == null) {
                    out.writeByte(0);
                    continue;
                }
                out.writeByte(1);
                bytes(out, e.id());
                out.writeLong(e.timeMillis());
                shared(out, table, e.author());
                shared(out, table, e.kind());
                bytes(out, e.text());
                out.writeInt(e.tags().size());
                for (String t : e.tags()) {
                    shared(out, table, t);
                }
            }
            out.flush();
            long sum = crc.getValue();
            DataOutputStream tail = new DataOutputStream(raw);
            tail.writeLong(sum);
            tail.flush();
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }

    /**
     * The view saved in {@code file} for agent {@code agentId}; empty when there is none. A file that does not read
     * back whole (bad magic, another agent, a bad checksum, truncated, a slot out of bounds) is an
     * {@link IOException} naming why.
     */
    public static Optional<Saved> read(Path file, byte[] agentId) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        long size = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            CRC32 crc = new CRC32();
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + " is not a memory view file (version 1)");
            }
            byte[] agent = in.readNBytes(bounded(in.readInt(), 64, "agent id"));
            if (!Arrays.equals(agent, agentId)) {
                throw new IOException(file + " belongs to another agent");
            }
            int headCount = bounded(in.readInt(), 1 << 16, "heads");
            List<String> heads = new ArrayList<>(headCount);
            for (int i = 0; i < headCount; i++) {
                heads.add(in.readUTF());
            }
            long count = in.readLong();
            if (count < 0 || count > size) {
                throw new IOException(file + " claims " + count + " slots in " + size + " bytes");
            }
            List<MemoryEntry> slots = new ArrayList<>((int) count);
            List<String> table = new ArrayList<>();
            for (long i = 0; i < count; i++) {
                if (in.readByte() == 0) {
                    slots.add(null);
                    continue;
                }
                String id = string(in);
                long time = in.readLong();
                String author = shared(in, table);
                String kind = shared(in, table);
                String text = string(in);
                int tagCount = bounded(in.readInt(), Limits.MAX_TAGS * 4, "tags");
                String[] tags = new String[tagCount];
                for (int t = 0; t < tagCount; t++) {
                    tags[t] = shared(in, table);
                }
                slots.add(new MemoryEntry(id, time, author, kind, text, List.of(tags)));
            }
            long expected = crc.getValue();
            long stored = new DataInputStream(raw).readLong();
            if (stored != expected) {
                throw new IOException(file + " fails its checksum");
            }
            return Optional.of(new Saved(List.copyOf(heads), slots));
        } catch (EOFException e) {
            throw new IOException(file + " is truncated", e);
        }
    }

    private static int bounded(int n, int max, String what) throws IOException {
        if (n < 0 || n > max) {
            throw new IOException("a memory view file's " + what + " count " + n + " is outside 0.." + max);
        }
        return n;
    }

    private static void bytes(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        int n = bounded(in.readInt(), 4 * Limits.MAX_MEMORY_TEXT_BYTES, "string byte");
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException();
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void shared(DataOutputStream out, java.util.Map<String, Integer> table, String s)
            throws IOException {
        Integer known = table.get(s);
        if (known != null) {
            out.writeInt(known);
            return;
        }
        if (table.size() < MAX_TABLE) {
            out.writeInt(table.size()); // defines the next index
            table.put(s, table.size());
        } else {
            out.writeInt(INLINE);
        }
        bytes(out, s);
    }

    private static String shared(DataInputStream in, List<String> table) throws IOException {
        int index = in.readInt();
        if (index == INLINE) {
            return string(in);
        }
        if (index < table.size()) {
            return table.get(index);
        }
        if (index != table.size()) {
            throw new IOException("a memory view file names shared string " + index + " before defining it");
        }
        String s = string(in);
        table.add(s);
        return s;
    }
}
