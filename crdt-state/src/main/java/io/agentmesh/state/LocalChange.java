package io.agentmesh.state;

import java.util.Arrays;

/**
 * A change this node just made: what the node signs, stores and sends.
 *
 * @param seq         this actor's Automerge sequence number of the change, read back from {@code changeBytes}
 * @param changeBytes the encoded change, exactly one change chunk
 */
public record LocalChange(long seq, byte[] changeBytes) {
    public LocalChange {
        changeBytes = changeBytes.clone();
    }

    @Override
    public byte[] changeBytes() {
        return changeBytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LocalChange c && seq == c.seq && Arrays.equals(changeBytes, c.changeBytes);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(seq) + Arrays.hashCode(changeBytes);
    }

    @Override
    public String toString() {
        return "LocalChange[seq=" + seq + ", " + changeBytes.length + " bytes]";
    }
}
