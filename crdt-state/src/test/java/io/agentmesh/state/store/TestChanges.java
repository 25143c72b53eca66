package io.agentmesh.state.store;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Deterministic signed changes for store tests; the store does not verify signatures, so they are dummies. */
public final class TestChanges {
    private TestChanges() {
    }

    public static byte[] signerKey(int actorIndex) {
        byte[] key = new byte[32];
        new SplittableRandom(1_000 + actorIndex).nextBytes(key);
        return key;
    }

    public static ActorId actor(int actorIndex) {
        return ActorId.derive(signerKey(actorIndex), 1);
    }

    /** The change (actorIndex, seq) with bytes derived from both, 1..size bytes long. */
    public static SignedChange change(int actorIndex, long seq, int size) {
        SplittableRandom random = new SplittableRandom(actorIndex * 1_000_003L + seq);
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return change(actorIndex, seq, bytes);
    }

    public static SignedChange change(int actorIndex, long seq) {
        return change(actorIndex, seq, 40 + (int) ((actorIndex * 31 + seq * 17) % 200));
    }

    public static SignedChange change(int actorIndex, long seq, byte[] bytes) {
        byte[] signature = new byte[64];
        new SplittableRandom(seq * 7 + actorIndex).nextBytes(signature);
        return new SignedChange(signerKey(actorIndex), 1, actor(actorIndex), seq, bytes, signature);
    }

    public static SignedChange changeWithText(int actorIndex, long seq, String text) {
        return change(actorIndex, seq, text.getBytes(StandardCharsets.UTF_8));
    }
}
