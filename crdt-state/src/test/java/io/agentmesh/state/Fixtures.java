package io.agentmesh.state;

import io.agentmesh.protocol.change.ActorId;
import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.Transaction;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.BiConsumer;

/** Shared test data and helpers. */
public final class Fixtures {
    public static final byte[] AGENT = "agent-under-test".getBytes(StandardCharsets.UTF_8);
    public static final byte[] OTHER_AGENT = "some-other-agent".getBytes(StandardCharsets.UTF_8);
    public static final ActorId A = ActorId.fromHex("0a".repeat(16));
    public static final ActorId B = ActorId.fromHex("0b".repeat(16));
    public static final ActorId C = ActorId.fromHex("0c".repeat(16));
    public static final long T0 = 1_700_000_000_000L;

    private Fixtures() {
    }

    public static MemoryEntry memory(int i) {
        return new MemoryEntry("m-" + i, T0 + i * 60_000L, "node-1", "observation", "entry number " + i,
                List.of("t" + (i % 3)));
    }

    /**
     * A change a misbehaving peer could send: {@code ops} run on a raw Automerge copy of {@code base} under
     * {@code actor}, bypassing AgentState's checks. The transaction is given the raw document to look up objects.
     */
    public static byte[] rawPeerChange(AgentState base, ActorId actor, BiConsumer<Document, Transaction> ops) {
        Document doc = Document.load(base.save()).fork(actor.bytes());
        try {
            ChangeHash[] before = doc.getHeads();
            Transaction tx = doc.startTransaction();
            ops.accept(doc, tx);
            tx.commit();
            return doc.encodeChangesSince(before);
        } finally {
            doc.free();
        }
    }

    /** Recomputes the checksum of a single change chunk after its body was edited (length unchanged). */
    public static byte[] fixChecksum(byte[] chunk) {
        try {
            int p = 9;
            long len = 0;
            int shift = 0;
            int b;
            do {
                b = chunk[p++] & 0xff;
                len |= (long) (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(chunk, 8, (int) Math.min(p - 8 + len, chunk.length - 8));
            byte[] out = chunk.clone();
            System.arraycopy(sha.digest(), 0, out, 4, 4);
            return out;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
