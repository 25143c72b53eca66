package io.agentmesh.protocol.change;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every change is signed over this payload by its author and checked by every peer: its bytes must never change. */
class SignedChangeBytesTest {
    @Test
    void theSigningPayloadKeepsItsPinnedBytes() {
        byte[] agent = new byte[20];
        byte[] signer = new byte[32];
        for (int i = 0; i < 32; i++) {
            signer[i] = (byte) (0xA0 + i);
            if (i < 20) {
                agent[i] = (byte) (0x10 + i);
            }
        }
        ActorId actor = ActorId.derive(signer, 3);
        byte[] payload = SignedChange.signingPayload(agent, signer, 3, actor, 0x0102030405L, new byte[] {7, 8, 9});
        assertEquals("6167656e746d6573682f6368616e67652f7631" // "agentmesh/change/v1"
                + "0014" + "101112131415161718191a1b1c1d1e1f20212223" // agent id, with its u16 length
                + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" // signer key
                + "0000000000000003" + "0fad91c9c67acbb413f4c7bf6a5321e0" // incarnation, actor
                + "0000000102030405" + "00000003" + "070809", // seq, change bytes with their i32 length
                HexFormat.of().formatHex(payload));
    }
}
