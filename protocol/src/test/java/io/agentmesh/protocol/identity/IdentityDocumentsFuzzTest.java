package io.agentmesh.protocol.identity;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Coverage-guided fuzzing of node certificates and revocations (docs/fuzzing.md), in both forms a node reads from
 * outside: the binary form peers send in Certificates and Revocations frames, and the JSON form of files and request
 * bodies. The first input byte picks the reader; the rest is its input. Bad input must give an
 * {@link IdentityException}; what a reader accepts must encode back to a document it reads as the same one.
 */
class IdentityDocumentsFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void readersGiveADocumentOrAnIdentityException(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        String text = new String(rest, StandardCharsets.UTF_8);
        try {
            switch (Byte.toUnsignedInt(input[0]) % 4) {
                case 0 -> {
                    NodeCertificate c = NodeCertificate.fromBytes(rest);
                    assertEquals(c, NodeCertificate.fromBytes(c.toBytes()));
                }
                case 1 -> {
                    NodeCertificate c = NodeCertificate.fromJson(text);
                    assertEquals(c, NodeCertificate.fromJson(c.toJson()));
                }
                case 2 -> {
                    NodeRevocation r = NodeRevocation.fromBytes(rest);
                    assertEquals(r.toJson(), NodeRevocation.fromBytes(r.toBytes()).toJson());
                }
                default -> {
                    NodeRevocation r = NodeRevocation.fromJson("fuzzed revocation", text);
                    assertEquals(r.toJson(), NodeRevocation.fromJson("again", r.toJson()).toJson());
                }
            }
        } catch (IdentityException refused) {
            // the documented refusal
        }
    }
}
