package io.agentmesh.sim.bench;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;

import java.util.SplittableRandom;

/**
 * Signed changes that are a pure function of (seed, writer, seq), so the crash-loop parent can check the bytes of
 * every acknowledged write without the child telling it what they were. Signer keys and signatures are dummies of
 * the real sizes (32 and 64 bytes): the store stores, it does not verify.
 *
 * <p>Sizes imitate Automerge changes: mostly tens to hundreds of bytes, some kilobytes, a few tens of kilobytes.
 */
public final class DerivedChanges {
    private final long seed;
    private final byte[][] signerKeys;
    private final ActorId[] actors;

    public DerivedChanges(long seed, int writers) {
        this.seed = seed;
        this.signerKeys = new byte[writers][];
        this.actors = new ActorId[writers];
        for (int w = 0; w < writers; w++) {
            byte[] key = new byte[32];
            new SplittableRandom(mix(seed, w, 0)).nextBytes(key);
            signerKeys[w] = key;
            actors[w] = ActorId.derive(key, 1);
        }
    }

    public int writers() {
        return actors.length;
    }

    public ActorId actor(int writer) {
        return actors[writer];
    }

    public SignedChange change(int writer, long seq) {
        SplittableRandom random = new SplittableRandom(mix(seed, writer, seq));
        int roll = random.nextInt(100);
        int size;
        if (roll < 90) {
            size = 16 + random.nextInt(1_009);
        } else if (roll < 99) {
            size = 1_024 + random.nextInt(7_169);
        } else {
            size = 8_192 + random.nextInt(24_577);
        }
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        byte[] signature = new byte[64];
        random.nextBytes(signature);
        return new SignedChange(signerKeys[writer], 1, actors[writer], seq, bytes, signature);
    }

    private static long mix(long seed, long writer, long seq) {
        long h = seed * 0x9E3779B97F4A7C15L + writer * 0xC2B2AE3D27D4EB4FL + seq * 0x165667B19E3779F9L;
        h ^= h >>> 31;
        return h * 0xBF58476D1CE4E5B9L;
    }
}
